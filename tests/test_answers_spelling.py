"""The question's spelling corrector (components/answers/spelling.py) against a fake knowledge base, and the
customers'-wording perturbations of the dev sets (components/answers/wording_perturbations.py)."""
from __future__ import annotations

import pytest

from components.answers.document_corpus import DocumentCorpus
from components.answers.spelling import QuestionSpeller, english_dictionary, osa_distance
from components.answers.wording_perturbations import KINDS, perturb

DOCS = [
    "Refunds take 5 to 7 business days after we receive the return. The Platinum card earns 2% cashback.",
    "You can cancel a pending order. Delivered orders cannot be cancelled; return them instead.",
    "Our Lisbon store is closed on Mondays. Reimbursement of membership fees is made to the original card.",
    "退款需要 5 到 7 个工作日。订单取消后，退款会退回原支付方式。",
]


class FakeKnowledge:
    def __init__(self, texts):
        self.texts = list(texts)
        self.version = 1
        self.reads = 0

    def corpus_rows(self):
        self.reads += 1
        return [(f"doc{i}", text) for i, text in enumerate(self.texts)]

    def generation(self):
        return str(self.version)


@pytest.fixture()
def speller():
    return QuestionSpeller(DocumentCorpus(FakeKnowledge(DOCS)))


@pytest.mark.parametrize("question, expected", [
    ("how long does a refnud take", "how long does a refund take"),          # a swap
    ("how long does a refun take", "how long does a refund take"),           # a letter left out
    ("how long does a reffund take", "how long does a refund take"),         # a letter doubled
    ("how long does a refumd take", "how long does a refund take"),          # a keyboard neighbour
    ("whats the cashbak on the platnum card", "whats the cashback on the platinum card"),
    ("Cancle my question: can I cancel a pendng order?", "Cancel my question: can I cancel a pending order?"),
    ("reimbursment of fees", "reimbursement of fees"),                        # a long word, one edit
    ("reimbursmnet of fees", "reimbursement of fees"),                        # a long word, two edits
    ("how do i get my refund back gft card", "how do i get my refund back gift card"),  # a three-letter slip
])
def test_misspellings_become_the_knowledge_base_words(speller, question, expected):
    corrected = speller.correct(question)
    assert corrected.text == expected
    assert corrected.corrections and all(c["kind"] == "spelling" for c in corrected.corrections)


@pytest.mark.parametrize("question", [
    "How long does a refund take?",
    "Can I send mail to the store?",                 # a known English word the documents never use: not "email"
    "Is the trail open?",                             # not a misspelt "trial"
    "Where is order W1234567 and my account mia.moore8091@example.com?",   # ids and e-mail addresses
    "My name is Mr Refnud Plantinum",                # names inside the sentence
    "Can I pay 2500 with kvcu-123?",                 # numbers and codes
    "IPO shares: can I buy them on the app?",        # an acronym, even first in the sentence
    "can i buy shares in an IPO?",                   # ... or last
    "退款需要多长时间？",
])
def test_clean_questions_are_unchanged(speller, question):
    corrected = speller.correct(question)
    assert corrected.text == question and corrected.corrections == []


def test_a_message_written_in_capitals_is_still_corrected(speller):
    assert speller.correct("HOW LONG DOES A REFUN TAKE").text == "HOW LONG DOES A REFUND TAKE"


def test_known_words_are_never_corrected(speller):
    # "mail" is one edit from "email"/"main", "trail" a swap from "trial": both are English words
    assert english_dictionary(), "symspellpy's word list must be installed (requirements.txt)"
    assert speller.word("mail", speller.vocabulary()) == "mail"
    assert speller.word("trail", speller.vocabulary()) == "trail"


def test_chat_spellings(speller):
    corrected = speller.correct("can u tell me ur refund policy pls, i wanna know thx")
    assert corrected.text == "can you tell me your refund policy please, i want to know thanks"
    assert {c["kind"] for c in corrected.corrections} == {"chat"}
    assert speller.correct("Ship it to the U.S. please").text == "Ship it to the U.S. please"
    # a short form is the word, not the word one edit away ("app")
    assert speller.correct("and for a specialist appt?").text == "and for a specialist appointment?"
    # laughter is dropped, not corrected into a name one edit away ("lol" -> "lola")
    assert speller.correct("my puppy chewed the sofa lol, is that covered?").text == \
        "my puppy chewed the sofa, is that covered?"
    assert speller.correct("btw do you open on sundays").text == "by the way do you open on sundays"
    # a unit's short form is the unit, not the word one edit away ("minus")
    assert speller.correct("can i stop for like 20 mins, do i have to end it?").text == \
        "can i stop for like 20 minutes, do i have to end it?"
    assert speller.correct("back in 2 hrs or tmrw").text == "back in 2 hours or tomorrow"


def test_traditional_and_homophones_become_the_knowledge_base_words(speller):
    corrected = speller.correct("退宽需要多长时间？", "zh")
    assert corrected.text == "退款需要多长时间？"
    assert corrected.corrections == [{"from": "退宽", "to": "退款", "kind": "homophone"}]
    traditional = speller.correct("訂單取消後，退款會退回嗎？", "zh")
    assert traditional.text == "订单取消后，退款会退回吗？"
    assert traditional.corrections[0]["kind"] == "simplified"


def test_a_traditional_knowledge_base_keeps_traditional_questions():
    traditional = FakeKnowledge(["退款需要 5 到 7 個工作日。訂單取消後，退款會退回原支付方式。"])
    speller = QuestionSpeller(DocumentCorpus(traditional))
    assert speller.correct("訂單可以取消嗎？", "zh").text == "訂單可以取消嗎？"


def test_the_vocabulary_is_read_once_per_generation_of_documents():
    kb = FakeKnowledge(DOCS)
    speller = QuestionSpeller(DocumentCorpus(kb))
    assert speller.correct("is brindlwave open").text == "is brindlwave open"   # no such word yet
    speller.correct("refnud")
    assert kb.reads == 1
    kb.texts.append("Brindlewave opens at 6:00.")
    kb.version += 1
    assert speller.correct("is brindlwave open").text == "is brindlewave open"
    assert kb.reads == 2


def test_osa_distance():
    assert osa_distance("refund", "refnud") == 1
    assert osa_distance("reimbursement", "reimbursmnet") == 2
    assert osa_distance("card", "cards") == 1


@pytest.mark.parametrize("kind", KINDS)
def test_perturbations_are_deterministic(kind):
    text = "What is the annual fee of the Gold card? I want to know, thanks!" if kind not in (
        "homophone", "traditional") else "退款需要多长时间？订单可以取消吗？"
    once, again = perturb(text, kind, seed=3), perturb(text, kind, seed=3)
    assert once == again and once != text
    assert perturb(text, kind, seed=4) == perturb(text, kind, seed=4)


def test_perturbation_shapes():
    text = "Can I return items from an order that hasn't arrived yet?"
    assert perturb(text, "lower") == "can i return items from an order that hasnt arrived yet"
    assert perturb("you want to pay your fee, please", "chat") == "u wanna pay ur fee, pls"
    assert perturb("Is the Lisbon store open on Mondays?", "traditional") == "Is the Lisbon store open on Mondays?"
    assert perturb("退款需要多长时间？", "traditional") == "退款需要多長時間？"
    for slip in ("swap", "delete", "double", "neighbour", "typo"):
        out = perturb(text, slip, seed=1)
        changed = [(a, b) for a, b in zip(text.split(), out.split()) if a != b]
        assert len(out.split()) == len(text.split()) and len(changed) == 1, (slip, out)
        original, typo = changed[0]
        assert len(original) >= 4 and original[0] == typo[0] and osa_distance(original, typo) == 1
    # names and ids keep their spelling
    for seed in range(10):
        out = perturb("Where is W1234567 for Lisbon?", "typo", seed)
        assert "W1234567" in out and "Lisbon" in out
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb(text, "emoji")


def test_the_glass_box_shows_each_correction():
    from components.ui.formatting import trace_items

    trace = {"answer": {"mode": "evidence", "evidence": ["Refunds take 5 to 7 business days."],
                        "corrections": [{"from": "refnud", "to": "refund", "kind": "spelling"},
                                        {"from": "退宽", "to": "退款", "kind": "homophone"}]}}
    line = next(item for item in trace_items(trace, "en") if "Read as" in item)
    assert "refnud → refund" in line and "退宽 → 退款" in line
    assert not any("Read as" in item for item in trace_items({"answer": {"mode": "evidence"}}, "en"))


def test_after_how_a_slip_is_a_question_word(speller):
    assert speller.correct("How mant days do I have?").text == "How many days do I have?"
    assert speller.correct("how lnog does it take").text == "how long does it take"
