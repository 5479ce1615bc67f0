"""`python app.py bench analytics --messages N`: how fast the dashboard refreshes and the export runs at scale.

Seeds a separate temporary database (never the app's) with synthetic history written straight into SQLite: traces
shaped like the dialogue manager's, with handoffs, agent takeovers, ratings and CSAT. Then times a full dashboard
refresh (every KPI and every chart, from SQLite to plotly figures) several times, and one export of every turn to
Parquet. Targets: refresh p50 <= 1 s at 100k messages, export <= 10 s.

The first refresh parses every trace once (`refresh_first_s`); later refreshes reuse the per-message cache and
re-read only the columns that change. CPU seconds are reported next to wall seconds: on a machine shared with other
work the wall time is mostly waiting for a core.
"""
from __future__ import annotations

import json
import logging
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from components.storage.conversation_store import ConversationStore

log = logging.getLogger(__name__)

REFRESH_TARGET_S = 1.0
EXPORT_TARGET_S = 10.0

_INTENTS = ["track_order", "check_refund_policy", "get_refund", "cancel_order", "change_shipping_address",
            "delivery_options", "check_payment_methods", "complaint", "contact_human_agent", "place_order",
            "recover_password", "delivery_period", "newsletter_subscription", "review"]
_DOCS = [("policy/returns", "Returns and exchanges"), ("policy/refunds", "Refunds"), ("policy/shipping", "Shipping"),
         ("policy/payments", "Payment methods"), ("policy/cancellation", "Cancelling an order"),
         ("faq/account", "Your account"), ("faq/warranty", "Warranty"), ("faq/gift-cards", "Gift cards")]
_QUESTIONS = ["How long do refunds take?", "Can I return a used item?", "Where is my order #W{n}?",
              "Do you ship to Canada?", "Can I pay with PayPal?", "I want to talk to a person",
              "Do you sell gift cards?", "Is there a student discount?", "My parcel arrived broken!",
              "How do I reset my password?", "退货政策是什么？", "我的订单什么时候到？"]
# (action, probability, handoff_reason)
_ACTIONS = [("knowledge_answer", 0.40, None), ("tool_flow", 0.18, None), ("curated_answer", 0.08, None),
            ("small_talk", 0.08, None), ("clarify", 0.12, None), ("decline_out_of_scope", 0.04, None),
            ("handoff", 0.04, "customer_request"), ("handoff", 0.03, "repeated_failure"),
            ("handoff", 0.03, "negative_sentiment")]


def synthetic_trace(rng: random.Random, cid: str, action: str, handoff_reason: str | None) -> dict:
    """A trace with the shape and size of a real one (nlu, retrieval hits, policy, generation, timings)."""
    intent = rng.choice(_INTENTS)
    hits = [{"doc_id": d, "title": t, "chunk_id": f"{d}#{rng.randint(0, 9)}", "score": round(rng.uniform(.1, .9), 4),
             "dense_score": round(rng.uniform(.1, .9), 4), "keyword_score": round(rng.uniform(0, 12), 3),
             "heading_path": t} for d, t in rng.sample(_DOCS, 4)]
    hits.sort(key=lambda h: -h["score"])
    nothing_found = action in ("clarify", "decline_out_of_scope") or handoff_reason == "repeated_failure"
    if nothing_found:
        for h in hits:
            h["score"] = round(h["score"] * 0.3, 4)
    sentiment = rng.choices(["negative", "neutral", "positive"], [0.2, 0.6, 0.2])[0]
    trace = {
        "conversation_id": cid, "input": {"chars": rng.randint(10, 200), "control_chars_removed": 0},
        "redactions": [],
        "nlu": {"intent": intent, "confidence": round(rng.uniform(0.2, 0.99), 4), "out_of_scope": False,
                "top_intents": [[i, round(rng.random(), 3)] for i in rng.sample(_INTENTS, 3)],
                "domain": "ecommerce", "sentiment": sentiment, "sentiment_score": round(rng.uniform(-1, 1), 3),
                "emotions": [], "language": rng.choices(["en", "zh"], [0.8, 0.2])[0], "entities": {},
                "timings_ms": {"intent_ms": round(rng.uniform(2, 9), 2), "sentiment_ms": 0.4}},
        "retrieval": {"hits": hits if action != "tool_flow" else [], "best_score": hits[0]["score"],
                      "min_score": 0.35, "nothing_found": nothing_found},
        "curated": None,
        "policy": {"action": action, "reason": f"synthetic {action}", "small_talk": None,
                   "handoff_reason": handoff_reason},
        "sources": [], "language": "en",
    }
    timings = {"redaction_ms": 0.1, "nlu_ms": round(rng.uniform(5, 30), 2),
               "retrieval_ms": round(rng.uniform(8, 60), 2)}
    if action == "knowledge_answer":
        trace["sources"] = [{"title": h["title"], "doc_id": h["doc_id"], "score": h["score"]} for h in hits[:2]]
        ttft = rng.uniform(0.3, 2.5)
        tokens = rng.randint(30, 160)
        speed = rng.uniform(8, 30)
        trace["generation"] = {"mode": "generated", "model": "synthetic", "ttft_s": round(ttft, 3), "tokens": tokens,
                               "decode_tok_s": round(speed, 2), "prompt_tokens": rng.randint(300, 900),
                               "finish_reason": "stop"}
        timings["answer_ms"] = round((ttft + tokens / speed) * 1000, 2)
    elif action == "curated_answer":
        d, t = rng.choice(_DOCS)
        trace["curated"] = {"question": t, "answer": "…", "doc_id": d, "title": t, "score": 0.91}
        trace["sources"] = [{"title": t, "doc_id": d, "score": 0.91}]
        timings["answer_ms"] = 1.0
    elif action == "tool_flow":
        trace["tool_calls"] = [{"name": "get_order_details", "arguments": {"order_id": "#W1234567"},
                                "result": {"status": "delivered"}}]
        timings["answer_ms"] = round(rng.uniform(2, 20), 2)
    else:
        timings["answer_ms"] = 0.5
    timings["total_ms"] = round(sum(timings.values()), 2)
    trace["timings_ms"] = timings
    return trace


def seed_synthetic_history(path: Path, *, messages: int, days: int = 30, seed: int = 7,
                           demo_share: float = 0.1) -> dict:
    """Write about `messages` messages of synthetic conversations into the SQLite file at `path`."""
    if messages <= 0:
        raise ValueError("--messages must be positive")
    ConversationStore(path).close()  # creates the schema
    rng = random.Random(seed)
    now = time.time()
    conversations, rows, audit = [], [], []
    written = 0
    while written < messages:
        cid = "c_" + uuid.UUID(int=rng.getrandbits(128)).hex[:16]
        started = now - rng.uniform(0, days * 86400)
        t = started
        status, reason, handoff_at, agent = "bot", None, None, None
        turns = rng.choice([1, 1, 2, 2, 3, 3, 4, 5])
        for _ in range(turns):
            if written >= messages:
                break
            rows.append((cid, "customer", rng.choice(_QUESTIONS).format(n=rng.randint(1000000, 9999999)), t, t,
                         "complete", None, None))
            t += rng.uniform(0.05, 0.4)
            action, _, handoff_reason = rng.choices(_ACTIONS, [a[1] for a in _ACTIONS])[0]
            trace = synthetic_trace(rng, cid, action, handoff_reason)
            rating = rng.choices([None, 1, -1], [0.8, 0.13, 0.07])[0]
            rows.append((cid, "bot", "synthetic answer " * rng.randint(3, 20), t, t + trace["timings_ms"]["total_ms"]
                         / 1000, "complete", json.dumps(trace, ensure_ascii=False), rating))
            written += 2
            t += rng.uniform(5, 90)
            if action == "handoff":
                status, reason, handoff_at = "waiting", handoff_reason, t
                break
        if status == "waiting" and rng.random() < 0.7:
            agent = rng.choice(["ana", "bo", "chen"])
            audit.append((t + 30, agent, "claim", cid, "{}"))
            rows.append((cid, "agent", "Hello, this is a person, let me check.", t + 40, t + 40, "complete",
                         json.dumps({"agent": agent}), None))
            written += 1
            status = "human"
            if rng.random() < 0.8:
                audit.append((t + 300, agent, "resolve", cid, "{}"))
                status, agent = "resolved", None
        csat = rng.choices([None, 1, 2, 3, 4, 5], [0.6, 0.03, 0.04, 0.08, 0.12, 0.13])[0]
        conversations.append((cid, started, t, status, f"user_{rng.randint(1, 500)}", "en", "ecommerce", "web",
                              int(rng.random() < demo_share), agent, reason, handoff_at, csat, None, None,
                              uuid.uuid4().hex))
    with sqlite3.connect(str(path)) as conn:
        conn.execute("PRAGMA synchronous=OFF")
        conn.executemany("INSERT INTO conversations (id, created_at, updated_at, status, customer, language, domain, "
                         "channel, is_demo, assigned_agent, handoff_reason, handoff_at, csat, last_intent, "
                         "last_sentiment, session_token) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", conversations)
        conn.executemany("INSERT INTO messages (conversation_id, role, text, created_at, completed_at, state, trace, "
                         "rating) VALUES (?,?,?,?,?,?,?,?)", rows)
        conn.executemany("INSERT INTO audit (at, agent, action, conversation_id, detail) VALUES (?,?,?,?,?)", audit)
    return {"conversations": len(conversations), "messages": len(rows)}


def run_analytics_bench(settings=None, *, messages: int = 100_000, repeats: int = 5) -> dict:
    """Seed a temporary database, time the dashboard refresh (p50 of `repeats`) and a Parquet export of all turns."""
    from components.analytics.dashboard import refresh_dashboard
    from components.analytics.export import export_history
    from components.analytics.kpis import AnalyticsFilter

    if repeats <= 0:
        raise ValueError("repeats must be positive")
    with tempfile.TemporaryDirectory(prefix="kefu-analytics-bench-") as tmp:
        db = Path(tmp) / "bench.sqlite3"
        t = time.perf_counter()
        seeded = seed_synthetic_history(db, messages=messages)
        seed_s = time.perf_counter() - t
        store = ConversationStore(db)
        try:
            runs, cpu_runs = [], []
            for _ in range(repeats):
                t, c = time.perf_counter(), time.process_time()
                dashboard = refresh_dashboard(store, AnalyticsFilter())
                runs.append(time.perf_counter() - t)
                cpu_runs.append(time.process_time() - c)
            t, c = time.perf_counter(), time.process_time()
            exported = export_history(store, Path(tmp) / "export", fmt="parquet")
            export_s, export_cpu_s = time.perf_counter() - t, time.process_time() - c
        finally:
            store.close()
    refresh_p50 = statistics.median(runs)
    return {
        "messages": seeded["messages"], "conversations": seeded["conversations"], "seed_s": round(seed_s, 2),
        "refresh_p50_s": round(refresh_p50, 3), "refresh_runs_s": [round(r, 3) for r in runs],
        "refresh_first_s": round(runs[0], 3),  # the first refresh also parses every trace once (cold cache)
        "refresh_cpu_p50_s": round(statistics.median(cpu_runs), 3),
        "refresh_target_s": REFRESH_TARGET_S, "refresh_ok": refresh_p50 <= REFRESH_TARGET_S,
        "charts": len(dashboard.figures), "kpis_conversations": dashboard.kpis["conversations"],
        "export_s": round(export_s, 3), "export_cpu_s": round(export_cpu_s, 3), "export_turns": exported["turns"],
        "export_target_s": EXPORT_TARGET_S,
        "export_ok": export_s <= EXPORT_TARGET_S,
    }
