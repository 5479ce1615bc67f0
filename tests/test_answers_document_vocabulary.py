"""An unanswered question in the documents' own words is the business's subject (components/answers/
document_vocabulary.py): a knowledge gap, not "I can only help with ..." (issue #15: a business's questions over its
uploaded help centre were declined as the demo shop's out of scope)."""
from __future__ import annotations

import pytest

from components.answers.document_vocabulary import chinese_words, coverage
from components.answers.evidence_selection import terms

SHOP = ("Laptops and phones: if a product stops working or charging within 30 days of delivery, choose a refund, "
        "a replacement or a repair. Delivery of large items: the team carries a TV into the room of your choice. "
        "Saturday delivery costs extra. Opening times: the store is open Monday to Saturday. Returns within 14 days.")
DF = {t: 1 for t in terms(SHOP)}


def df(term: str) -> int:
    return DF.get(term, 0)


@pytest.mark.parametrize("question, in_documents", [
    ("My laptop stopped charging after 3 weeks. what are my options?", True),
    ("Will the delivery team put the TV in the living room?", True),
    ("What's the weather like in Paris today?", False),     # one word held, a place the documents never name
    ("Tell me a joke", False),
    ("can you help me with my tax return?", False),         # one shared word is no shared subject
    ("What time does the Apple Store in Lisbon open?", False),  # most words held, but a name they never use
    ("how do I cook pasta carbonara?", False),
])
def test_a_question_in_the_documents_words(question, in_documents):
    assert coverage(question, df).in_documents is in_documents, coverage(question, df)


def test_a_chinese_question_is_read_by_its_words_and_their_english():
    english = {"星期六": True, "退货": True}          # the documents use an English sense as a whole
    translated = english.get
    assert chinese_words("星期六能打中文热线吗？") == ["星期六", "中文", "热线"]   # "星期" of "星期六" and single characters out
    assert coverage("星期六可以退货吗？", df, lambda w: bool(translated(w))).in_documents
    assert not coverage("明天天气怎么样？", df, lambda w: bool(translated(w))).in_documents


def test_a_contraction_or_a_linking_word_is_no_content():
    assert coverage("what's it about", df).held == ()
