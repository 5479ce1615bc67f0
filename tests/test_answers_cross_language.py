"""A Chinese question's English words (components/answers/cross_language.py): read through CC-CEDICT, kept only where
the knowledge base uses them (issue #15: Chinese questions over English documents)."""
from __future__ import annotations

from components.answers.cross_language import dictionary, gloss
from components.answers.evidence_selection import terms

BANK = set(terms("Gold Rewards card: annual fee $95. Platinum card. Silver card. Travel insurance. "
                 "Lost or stolen card line: call the phone number. Branch opening hours on Saturday."))


def known(term: str) -> bool:
    return term in BANK


def test_the_dictionary_is_shipped_and_read():
    entries = dictionary()
    assert len(entries) > 50_000
    assert "insurance" in " ".join(entries["保险"])


def test_a_chinese_question_glosses_to_the_english_words_the_documents_use():
    g = gloss("银卡有旅行保险吗？", known, terms)
    words = g.text.split()
    assert {"silver", "card", "travel", "insurance"} <= set(words)
    # only words the documents use: no "journey", no "silver-colored"
    assert all(set(terms(w)) <= BANK for w in words)
    assert "annual fee" in gloss("年费", known, terms).text  # a common service word the dictionary lacks


def test_a_word_the_dictionary_lacks_is_read_by_its_longest_pieces():
    # 白金卡 is no dictionary entry: 白金 "platinum" + 卡 "card", not 白 "white" + 金 "gold"
    g = gloss("白金卡", known, terms)
    assert "platinum" in g.text.split() and "card" in g.text.split()
    assert "gold" not in g.text.split()


def test_each_word_is_read_as_the_sense_the_retrieved_evidence_uses_most():
    # the dictionary reads 白金 as "platinum" or "silver", 卡 as "to stop", "to block" or "card": among units about
    # the Platinum card's fees the question is "platinum card annual fee"
    every = lambda t: True  # noqa: E731
    g = gloss("白金卡的年费", every, terms)
    assert {"silver", "stop", "card", "platinum"} <= set(g.text.split())
    counts = {t: 3 for t in terms("platinum card annual fee")} | {"silver": 1, "stop": 1}
    resolved = g.resolved(counts, terms)
    assert resolved.text.split() == ["platinum", "card", "annual", "fee"]
    assert set(resolved.weights(terms)) == set(terms("platinum card annual fee"))


def test_a_thing_is_mentioned_only_when_the_documents_use_all_its_words():
    # 房贷 is "home loan": a bank that never writes about homes does not offer it just because it has loans
    loans = lambda t: t in set(terms("personal loan car loan swimming"))  # noqa: E731
    assert not gloss("房贷", loans, terms, whole=True)
    assert gloss("房贷", lambda t: t in set(terms("home loan")), terms, whole=True).text == "home loan"
    # for finding evidence a sense's known words will do ("swimming pool" where the club writes "pool")
    assert gloss("房贷", loans, terms).text == "loan"


def test_latin_names_are_kept_and_nothing_is_invented():
    assert gloss("Riverside 网点周六营业吗？", known, terms).text.startswith("Riverside")
    # what the documents never mention glosses to nothing they use
    assert not gloss("可以用支付宝吗？", known, terms)
    assert not gloss("How much is the fee?", known, terms)
