"""A question asking for a policy as a whole is answered by the opening of the document about that policy
(components/answers/policy_overview.py)."""
from __future__ import annotations

import numpy as np
import pytest

from components.answers.evidence_selection import SelectionModel
from components.answers.policy_overview import overview_subject, overview_units, title_standing
from components.knowledge.knowledge_base import chunk_hit
from components.knowledge.types import Hit
from tests.test_answers_selection import _Keywords

RETURNS_DOC = {"doc_id": "returns.md", "title": "Returns: sending back items from a delivered order", "language": "en"}
RETURNS_CHUNKS = [
    {"chunk_id": "returns.md#0", "text": "An order can be returned only when its status is **delivered**. If your "
     "order is still pending, you can cancel it instead.", "heading_path": [RETURNS_DOC["title"],
                                                                            "Which orders can be returned"],
     "kind": "text", "language": "en", "meta": {}},
    {"chunk_id": "returns.md#1", "text": "1. Tell us the order id.\n2. Tell us the items you want to return.",
     "heading_path": [RETURNS_DOC["title"], "How to request a return"], "kind": "text", "language": "en", "meta": {}},
]
EXCHANGES_DOC = {"doc_id": "exchanges-zh.md", "title": "换货政策", "language": "zh"}
EXCHANGES_CHUNKS = [{"chunk_id": "exchanges-zh.md#0", "text": "只有已送达的订单可以换货。每件商品只能换成同一商品的其他款式。",
                     "heading_path": ["换货政策"], "kind": "text", "language": "zh", "meta": {}}]


@pytest.mark.parametrize("text, subject", [
    ("I bought headphones last week and they don't fit, what's your return policy?", "return"),
    ("what is your refund policy", "refund"),
    ("How does your exchange policy work?", "exchange"),
    ("what's your policy on returns?", "returns"),
    ("return policy?", "return"),
    ("我买的耳机不合适，你们的退货政策是什么？", "退货"),
    ("换货政策是怎样的", "换货"),
    # not an overview: a question about one thing, a policy with no subject, two policies, a yes/no near miss
    ("Can I return an order that was not delivered?", ""),
    ("What's your policy?", ""),
    ("What is the cancellation and refund policy?", ""),
    ("Do you have a pet policy?", ""),
    ("Does my Premium policy let me drive my friend's car?", ""),
    ("退货的钱可以退到我另一张信用卡上吗？", ""),
])
def test_overview_subject(text, subject):
    assert overview_subject(text) == subject


@pytest.mark.parametrize("title, subject, standing", [
    ("What is your refund policy?", "refund", 2),
    ("换货政策", "换货", 2),
    ("Returns: sending back items from a delivered order", "return", 1),
    ("Cancelling an order", "cancellation", 1),
    ("退货与退款政策", "退货", 1),
    ("Can I return my order?", "return", 0),             # a question about one case, not the policy
    ("Refunds: how and when you get your money back", "return", 0),
    ("Exchanges: swapping an item", "退货", 0),
])
def test_title_standing(title, subject, standing):
    assert title_standing(title, subject) == standing


def _passages(doc_id):
    """The document's chunks as KnowledgeBase.passages gives them."""
    doc, rows = {"returns.md": (RETURNS_DOC, RETURNS_CHUNKS),
                 "exchanges-zh.md": (EXCHANGES_DOC, EXCHANGES_CHUNKS)}[doc_id]
    return [chunk_hit({**row, "doc_id": doc_id}, doc) for row in rows]


def test_overview_units_are_the_opening_of_the_one_document_about_it():
    units = overview_units("return", [EXCHANGES_DOC, RETURNS_DOC], _passages)
    assert [u.text for u in units] == ["An order can be returned only when its status is delivered.",
                                       "If your order is still pending, you can cancel it instead."]
    assert units[0].source_title == "Returns: sending back items from a delivered order › Which orders can be returned"
    assert overview_units("换货", [EXCHANGES_DOC, RETURNS_DOC], _passages, "zh")[0].text.startswith("只有已送达的订单")
    assert overview_units("warranty", [EXCHANGES_DOC, RETURNS_DOC], _passages) == []
    # two documents of the same standing: which one is meant is not known, unless one is the business's own
    other = {**RETURNS_DOC, "doc_id": "returns-2.md", "title": "Returns and repairs"}
    assert overview_units("return", [RETURNS_DOC, other], lambda d: _passages("returns.md")) == []
    assert overview_units("return", [RETURNS_DOC, other], lambda d: _passages("returns.md"),
                          prefer=lambda d: d == "returns.md")


class _Knowledge:
    """The returns document, whose procedure sentences match "return" as well as its opening does."""

    def __init__(self):
        self.hits = [Hit(c["chunk_id"], "returns.md", RETURNS_DOC["title"], c["text"], 0.3,
                         metadata={"heading_path": c["heading_path"], "kind": "text",
                                   "doc_title": RETURNS_DOC["title"]}) for c in RETURNS_CHUNKS]
        self.keywords = _Keywords([h.text for h in self.hits])

    def search(self, query, k=8, filters=None):
        return list(self.hits)

    def documents(self):
        return [{**RETURNS_DOC, "source": "upload"}]

    def passages(self, doc_id):
        return _passages(doc_id) if doc_id == "returns.md" else []

    def generation(self):
        return "1"


def _composer():
    from components.answers.composer import AnswerComposer

    # a unit scores 10 x its passage's retrieval score (3 here); the confidence is sigmoid(3 - 5): nothing confident
    model = SelectionModel({"retrieval": 10.0}, -5.0, {"top": 1.0}, threshold=0.5, margin=0.5, max_units=1)
    return AnswerComposer(_Knowledge(), lambda xs: np.zeros((len(xs), 4), dtype=np.float32), model=model,
                          spelling=False)


def test_a_policy_question_told_with_a_story_states_the_opening_of_the_policy():
    answer = _composer().compose("I bought headphones last week and they don't fit, what's your return policy?", "en")
    assert answer.mode == "evidence", answer.reply
    assert "only when its status is delivered" in answer.reply
    assert answer.parts[0].overview == "return" and answer.to_trace()["parts"][0]["overview"] == "return"


def test_a_question_about_one_case_is_not_answered_by_the_overview():
    answer = _composer().compose("Can I return headphones that don't fit?", "en")
    assert answer.mode == "abstain" and not answer.parts[0].overview
