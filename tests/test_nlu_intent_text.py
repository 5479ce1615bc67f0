"""What the intent classifier reads of a message (intent_text.py): pure rules, no model."""
import pytest

from components.nlu.intent_text import SpellingCorrector, intent_text


@pytest.mark.parametrize("text, expected", [
    ("Hi, this is Emily Walsh. where is my order", "where is my order"),
    ("Hello, this is Kwame Mensah. Where is my order?", "Where is my order"),
    ("I'm writing for my wife: i want to return it", "I'm writing for my relative: i want to return it"),
    ("I'm writing for my son: i want to return it", "I'm writing for my relative: i want to return it"),
    ("Asking for a friend, she says her account is locked.", "Asking for a friend, they say their account is locked"),
    ("Asking for a friend, he says his account is locked.", "Asking for a friend, they say their account is locked"),
    ("my email is a.b@example.com, order #W2611340.", "my email is a.b@example.com, order #W2611340"),
    ("Hello, could you please help me? I would like to cancel my order", "I would like to cancel my order"),
    ("kindly cancel my order Please do the needful.", "cancel my order"),
    ("where is my order can or not lah", "where is my order"),
    ("I want to cancel my order.", "I want to cancel my order"),
    ("hello", "hello"),  # nothing would be left: read as it is
])
def test_english_reading(text, expected):
    assert intent_text(text, "en") == expected


@pytest.mark.parametrize("text, expected", [
    ("您好，麻烦您帮我看一下，我的订单到哪了", "我的订单到哪了"),
    ("你好，我是王芳。我要退货", "我要退货"),
    ("我的订单还没到，怎么回事？", "我的订单还没到，怎么回事"),
    ("你好，我是买买提。我要退货", "我要退货"),
    ("我替我妈妈问一下：怎么退货", "怎么退货"),
    ("请问怎么开发票", "怎么开发票"),
    ("我老公的订单还没到", "我家人的订单还没到"),
    ("麻烦", "麻烦"),
])
def test_chinese_reading(text, expected):
    assert intent_text(text, "zh") == expected


def test_spelling_corrector_fixes_one_edit_to_a_training_word():
    speller = SpellingCorrector(["I want to cancel my order", "cancel the order please", "where is my refund",
                                 "refund status", "track my package", "my package is late"])
    assert speller.correct("I want to cacnel my ordre") == "I want to cancel my order"
    assert speller.correct("where is my refnud") == "where is my refund"
    # words it knows, short words, unknown words with no near training word and names stay as they are
    assert speller.correct("cancel my order") == "cancel my order"
    assert speller.correct("my xyzzy is gone") == "my xyzzy is gone"
    assert speller.correct("Ask Ordre about it") == "Ask Ordre about it"
    assert speller.correct("Ordre is late") == "Order is late"
    # a swap of letters beats a more frequent word one wrong letter away ("wnat" is "want", not "what")
    swaps = SpellingCorrector(["what is it"] * 5 + ["I want it"] * 2)
    assert swaps.correct("I wnat it") == "I want it"
    # a misspelling the examples keep a few times is still corrected to a word they use far more often
    kept = SpellingCorrector(["cancel my order"] * 40 + ["cancel my oredr"])
    assert kept.correct("cancel my oredr") == "cancel my order"


def test_a_rare_real_word_is_not_turned_into_a_frequent_one():
    speller = SpellingCorrector(["I will pay"] * 40 + ["as well"] + ["the card"] * 40)
    assert speller.correct("a card as well") == "a card as well"
    # nor a word the reading itself writes ("they" is not a misspelt "the")
    assert speller.correct("they say their card") == "they say their card"


def test_speller_leaves_identifiers_and_reaches_cue_words_by_swaps_only():
    speller = SpellingCorrector(["my email is here"] * 30 + ["moore"], extra_words=["damn", "hate"])
    assert speller.correct("my eamil is mia.moore8091@example.com") == "my email is mia.moore8091@example.com"
    assert speller.correct("Plaese, dman it") == "Please, damn it"  # a misspelt filler and cue word
    assert speller.correct("two hats") == "two hats"  # one letter changed is not a swap


def test_speller_unswaps_non_words_to_general_english_words_only():
    speller = SpellingCorrector(["I want to return my order"] * 30 + ["the trail"],
                                general_words=["size", "email", "exchange", "trial", "trail", "sies"])
    # non-words one swap from an English word the examples never use; the most frequent such word wins
    assert speller.correct("exhcange the szie, my eamil") == "exchange the size, my email"
    # an English word is never turned into another one, and a general word is reached by a swap only
    assert speller.correct("the trail and the sizes") == "the trail and the sizes"
    assert speller.correct("Exhcange it") == "Exchange it"
    # a training word one swap away wins over a general word
    both = SpellingCorrector(["return my order"] * 30, general_words=["odrer"])
    assert both.correct("return my oredr") == "return my order"


def test_the_shipped_english_words_are_a_general_vocabulary():
    from components.nlu.intent_text import english_words

    words = english_words()
    assert len(words) > 15000 and words[0] == "with"
    assert {"email", "exchange", "size"} <= set(words)


def test_an_english_word_the_examples_never_use_is_left_alone():
    speller = SpellingCorrector(["send it by mail"] * 30, general_words=["email", "mail"])
    assert speller.correct("my email, send it") == "my email, send it"
    assert SpellingCorrector(["send it by mail"] * 30).correct("my email") == "my mail"  # without the vocabulary
