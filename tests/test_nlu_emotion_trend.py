"""The emotion trend read by the handoff policy and counted by analytics: the policy rule on hand-built trends, the
figures on a real SQLite store, and a conversation through the real pipeline (MiniLM, NLU, SQLite, SmolLM2)."""
from __future__ import annotations

from components.analytics.kpis import compute_kpis, load_frames
from components.dialogue.policy import PolicyInput, decide, escalating_emotions
from components.nlu.emotions import emotion_trend
from components.nlu.result import NLUResult
from components.storage.conversation_store import ConversationStore


def test_rising_anger_over_two_turns_hands_off_and_names_the_trend():
    trend = emotion_trend([{}, {"frustration": 0.5}, {"frustration": 0.7, "anger": 0.5}])
    assert escalating_emotions(trend) == ["frustration"]
    d = decide(PolicyInput("still nothing, this is ridiculous", NLUResult(sentiment="neutral"), emotion_trend=trend))
    assert d.action == "handoff" and d.handoff_reason == "emotion_trend"
    assert "rising frustration over the last 2 turns" in d.reason


def test_one_angry_turn_or_a_falling_trend_does_not_hand_off():
    once = emotion_trend([{}, {}, {"anger": 0.9}])
    assert escalating_emotions(once) == []
    # frustrated early, calmer now: on the last two turns, but no longer rising against the earlier ones
    calming = emotion_trend([{"frustration": 0.9}] * 4 + [{"frustration": 0.5}] * 2)
    assert escalating_emotions(calming) == []
    # the operator's setting for consecutive turns applies to the trend too
    three = emotion_trend([{}, {"anger": 0.5}, {"anger": 0.7}])
    assert escalating_emotions(three, turns=3) == [] and escalating_emotions(three, turns=2) == ["anger"]
    assert decide(PolicyInput("where is my order", NLUResult(), emotion_trend=once)).action != "handoff"


def _bot(emotions, rising):
    return {"nlu": {"intent": "x", "confidence": 0.9, "sentiment": "negative" if emotions else "neutral",
                    "language": "en", "emotions": emotions},
            "policy": {"action": "knowledge_answer", "reason": "t"}, "timings_ms": {"total_ms": 10},
            "emotion_trend": {"turns": 1, "recent": {}, "rising": rising, "streak": {}}}


def test_analytics_counts_emotion_turns_and_rising_conversations(tmp_path):
    store = ConversationStore(tmp_path / "a.db")
    a, b = store.create_conversation("A"), store.create_conversation("B")
    for cid, turns in ((a, [([], []), (["frustration"], ["frustration"]), (["frustration", "anger"],
                                                                          ["frustration", "anger"])]),
                       (b, [(["gratitude"], ["gratitude"])])):
        for emotions, rising in turns:
            store.add_message(cid, "customer", "…")
            store.add_message(cid, "bot", "ok", trace=_bot(emotions, rising))
    k = compute_kpis(load_frames(store))
    assert k["emotion_turns"] == {"anger": 1, "frustration": 2, "gratitude": 1}
    assert k["rising_emotion_conversations"] == {"anger": 1, "frustration": 1, "gratitude": 1}


def test_a_conversation_getting_angrier_is_handed_over_by_the_real_pipeline(real_services):
    dm = real_services.dialogue
    first = dm.chat(None, "How many days does a refund to a credit card take?")
    assert first.trace["policy"]["action"] != "handoff"
    cid = first.conversation_id
    second = dm.chat(cid, "I have been waiting for weeks and my refund is still not here")
    assert "frustration" in second.trace["nlu"]["emotions"]
    third = dm.chat(cid, "This is ridiculous, I have been waiting for weeks for my money")
    policy = third.trace["policy"]
    assert policy["action"] == "handoff" and policy["handoff_reason"] == "emotion_trend", policy
    assert third.trace["emotion_trend"]["streak"]["frustration"] == 2
    assert "frustration" in policy["reason"]
