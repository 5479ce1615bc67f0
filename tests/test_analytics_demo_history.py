"""Demo history through the real pipeline (SmolLM2, MiniLM, Chroma, SQLite, NLU, order desk), into its own store,
then the analytics over it; and publishing a knowledge-gap FAQ into the real knowledge base."""
from __future__ import annotations

import dataclasses
import random
import time

import pytest

from components.analytics.demo_history import (ARCHETYPES, GAP_TOPICS, generate_demo_history, load_demo_customers,
                                               script_conversation)
from components.analytics.knowledge_gaps import publish_faq
from components.analytics.kpis import AnalyticsFilter, compute_kpis, load_frames
from components.storage.conversation_store import ConversationStore


def test_scripts_use_real_shop_customers(real_services):
    customers = load_demo_customers(real_services.settings.assets_dir)
    assert len(customers) >= 20
    assert real_services.shop.find_user_by_email(customers[0]["email"]) is not None
    rng = random.Random(1)
    plans = [script_conversation(name, rng, customers) for name, _ in ARCHETYPES for _ in range(3)]
    assert all(plan["turns"] for plan in plans)
    lookups = [p for p in plans if p["archetype"] == "order_lookup"]
    assert any(c["order_id"] in " ".join(p["turns"]) for p in lookups for c in customers)


@pytest.fixture()
def demo_services(real_services, tmp_path):
    """The real warmed-up parts, writing into a store of their own (so other tests' data stays untouched)."""
    from components.console.operator_desk import OperatorDesk
    from components.dialogue.dialogue_manager import DialogueManager

    rs = real_services
    store = ConversationStore(tmp_path / "demo.sqlite3")
    dialogue = DialogueManager(rs.settings, store, engine=rs.engine, knowledge=rs.knowledge, nlu=rs.nlu,
                               desk=rs.desk)
    operators = OperatorDesk(store, dialogue, knowledge=rs.knowledge, engine=rs.engine, settings=rs.settings)
    yield dataclasses.replace(rs, store=store, dialogue=dialogue, operators=operators)
    store.close()


def test_demo_history_runs_the_real_pipeline(demo_services):
    store = demo_services.store
    real = store.create_conversation(customer="a real customer")
    store.add_message(real, "customer", "hello")
    before = time.time()
    result = generate_demo_history(demo_services, conversations=3, days=14, seed=5)
    assert result["conversations"] == 3 and result["turns"] >= 3
    assert sum(result["archetypes"].values()) == 3
    demo = [store.get_conversation(cid) for cid in result["conversation_ids"]]
    assert all(c["is_demo"] == 1 for c in demo)
    for c in demo:  # spread over the past 14 days, messages moved with their conversation
        assert before - 15 * 86400 < c["created_at"] < before - 600
        messages = store.messages(c["id"])
        assert messages and all(0 <= m["created_at"] - c["created_at"] < 3600 for m in messages)
        assert all(m["trace"] and m["trace"].get("policy") for m in messages if m["role"] == "bot")
    with pytest.raises(ValueError, match="Only demo conversations"):
        store.shift_demo_conversation(real, -3600)

    everything = compute_kpis(load_frames(store))
    assert everything["conversations"] == 4 and everything["untraced_bot_turns"] == 0
    assert sum(result["bot_actions"].values()) == result["turns"]
    real_only = compute_kpis(load_frames(store, AnalyticsFilter(include_demo=False)))
    assert real_only["conversations"] == 1 and real_only["messages"] == 1


def test_a_published_gap_answer_is_used_by_the_bot(demo_services):
    question = GAP_TOPICS[0][0]  # "Do you offer a student discount?" is not in the shop's documents
    answer = "Yes: students get 10% off every order with a valid student card."
    result = publish_faq(demo_services.knowledge, question, answer, agent="tester", store=demo_services.store)
    try:
        curated = demo_services.knowledge.curated_answer(question)
        assert curated is not None and curated.answer == answer
        turn = demo_services.dialogue.chat(None, question)
        assert turn.trace["policy"]["action"] == "curated_answer" and "10%" in turn.reply
    finally:
        demo_services.knowledge.delete(result["doc_id"])
