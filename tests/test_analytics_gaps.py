"""Knowledge gaps: which turns count, grouping on real MiniLM embeddings, FAQ drafts and publishing."""
from __future__ import annotations

import pytest

from components.analytics.knowledge_gaps import (GapTopic, draft_faq, find_knowledge_gaps, gap_questions,
                                                 publish_faq, topics_table)
from components.analytics.kpis import AnalyticsFilter
from components.storage.conversation_store import ConversationStore
from tests.fakes import FakeKnowledge, hit
from tests.test_analytics_kpis import T0, bot_trace


@pytest.fixture(scope="module")
def embedder():
    from components.embedder import SentenceEmbedder

    return SentenceEmbedder("packaged:all-minilm-l6-v2")


def ask(store, question, trace, *, at, cid=None, rating=None, demo=False):
    cid = cid or store.create_conversation(created_at=at, is_demo=demo)
    store.add_message(cid, "customer", question, created_at=at)
    mid = store.add_message(cid, "bot", "…", trace=trace, created_at=at + 1)
    if rating:
        store.rate_message(mid, rating)
    return cid


@pytest.fixture()
def store(tmp_path):
    s = ConversationStore(tmp_path / "gaps.sqlite3")
    nothing = dict(nothing_found=True, best_score=0.1)
    # students: the same question twice (spacing and case differ) and a paraphrase, all found nothing
    ask(s, "Do you offer a student discount?", bot_trace("clarify", 100, **nothing), at=T0 + 10)
    ask(s, "do you offer a  student discount?", bot_trace("clarify", 100, **nothing), at=T0 + 20)
    ask(s, "Is there a discount for students?", bot_trace("clarify", 100, **nothing), at=T0 + 30)
    # crypto: one conversation, three failing turns ending in a handoff for missing knowledge
    c = ask(s, "Can I pay with bitcoin?", bot_trace("clarify", 100, **nothing), at=T0 + 40)
    ask(s, "Do you accept cryptocurrency?", bot_trace("decline_out_of_scope", 100, **nothing), at=T0 + 50, cid=c)
    ask(s, "can I pay in crypto", bot_trace("handoff", 100, handoff_reason="repeated_failure", **nothing),
        at=T0 + 60, cid=c)
    # gift wrapping: a weak answer (0.40 < 0.35 + 0.10), a confident answer the customer disliked, nothing found
    ask(s, "Do you offer gift wrapping?", bot_trace("knowledge_answer", 100, best_score=0.40), at=T0 + 70)
    ask(s, "Can you wrap my order as a present?", bot_trace("knowledge_answer", 100, best_score=0.9), at=T0 + 80,
        rating=-1)
    ask(s, "gift wrap option?", bot_trace("clarify", 100, **nothing), at=T0 + 90, demo=True)
    # not gaps: a confident answer nobody disliked, small talk, a customer who asked for a person
    ask(s, "How long do refunds take?", bot_trace("knowledge_answer", 100, best_score=0.8), at=T0 + 100, rating=1)
    ask(s, "hello", bot_trace("small_talk", 100), at=T0 + 110, rating=-1)  # disliked small talk: no gap
    ask(s, "I want a person", bot_trace("handoff", 100, handoff_reason="customer_request"), at=T0 + 120)
    yield s
    s.close()


def test_gap_questions_and_their_signals(store):
    rows = gap_questions(store)
    signals = dict(zip(rows.question, rows.signal))
    assert len(rows) == 9
    assert signals["Do you offer gift wrapping?"] == "low_confidence"
    assert signals["Can you wrap my order as a present?"] == "thumbs_down"
    assert signals["can I pay in crypto"] == "missing_knowledge_handoff"
    assert signals["Do you accept cryptocurrency?"] == "nothing_found"
    assert not {"How long do refunds take?", "hello", "I want a person"} & set(signals)
    assert len(gap_questions(store, AnalyticsFilter(include_demo=False))) == 8


def test_gaps_are_grouped_into_topics_on_real_embeddings(store, embedder):
    topics = find_knowledge_gaps(store, embedder)
    groups = {frozenset(q.lower() for q in t.examples): t for t in topics}
    assert len(topics) == 3, [t.examples for t in topics]
    students = groups[frozenset({"do you offer a student discount?", "is there a discount for students?"})]
    assert (students.count, students.distinct_questions, students.signals) == (3, 2, {"nothing_found": 3})
    crypto = groups[frozenset({"can i pay with bitcoin?", "do you accept cryptocurrency?", "can i pay in crypto"})]
    assert crypto.signals == {"nothing_found": 2, "missing_knowledge_handoff": 1}
    assert len(crypto.conversation_ids) == 1
    wrap = next(t for t in topics if "gift wrap option?" in t.examples)
    assert wrap.signals == {"low_confidence": 1, "thumbs_down": 1, "nothing_found": 1}
    assert [t.topic_id for t in topics] == [1, 2, 3]
    table = topics_table(topics)
    assert list(table["count"]) == [3, 3, 3] and "nothing found 3" in set(table.signals)


def test_no_gaps(tmp_path, embedder):
    s = ConversationStore(tmp_path / "none.sqlite3")
    ask(s, "How long do refunds take?", bot_trace("knowledge_answer", 100, best_score=0.8), at=T0)
    assert find_knowledge_gaps(s, embedder) == []
    assert topics_table([]).empty
    s.close()


TOPIC = GapTopic(topic_id=1, label="do you offer a student discount", count=3, distinct_questions=2,
                 signals={"nothing_found": 3}, examples=["do you offer a student discount", "student discount?"])


def test_draft_from_template_and_from_evidence():
    from components.answers.composer import AnswerComposer

    knowledge = FakeKnowledge(hits=[hit(score=0.3, title="Payment methods", text="We accept cards and PayPal.")])
    template = draft_faq(TOPIC, knowledge=knowledge)
    assert template["mode"] == "template" and template["question"] == "Do you offer a student discount?"
    assert "[Write" in template["answer"] and "Payment methods" in template["note"]
    discounts = FakeKnowledge(hits=[hit(score=0.6, title="Discounts",
                                        text="Students get 10% off with a valid student card.")])
    composer = AnswerComposer(discounts, discounts.embedder.embed, min_score=1e-6)
    drafted = draft_faq(TOPIC, answers=composer)
    assert drafted["mode"] == "evidence" and drafted["answer"] == "Students get 10% off with a valid student card."
    assert drafted["sources"][0]["title"] == "Discounts"
    strict = AnswerComposer(FakeKnowledge(), FakeKnowledge().embedder.embed)
    assert draft_faq(TOPIC, answers=strict)["mode"] == "template"  # nothing to ground on


class RecordingKnowledge:
    def __init__(self):
        self.added = []

    def add_curated_answer(self, question, answer, *, source="agent"):
        self.added.append((question, answer, source))
        return "curated/abc"


def test_publish_checks_the_draft_and_audits(tmp_path):
    store = ConversationStore(tmp_path / "audit.sqlite3")
    knowledge = RecordingKnowledge()
    with pytest.raises(ValueError, match="placeholder"):
        publish_faq(knowledge, "Student discount?", "[Write the answer customers need here.]", store=store)
    with pytest.raises(ValueError, match="both the question and the answer"):
        publish_faq(knowledge, "Student discount?", "  ")
    result = publish_faq(knowledge, "Student discount?", "No, sorry.", agent="ana", store=store, topic=TOPIC)
    assert result["doc_id"] == "curated/abc"
    assert knowledge.added == [("Student discount?", "No, sorry.", "analytics-gap:ana")]
    assert [(a["agent"], a["action"]) for a in store.audit_log()] == [("ana", "teach_gap")]
    store.close()
