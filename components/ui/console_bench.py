"""`python app.py bench console`: how fast the operator console answers a click with N conversations queued.

A temporary database gets N waiting conversations (customer and bot turns with traces, internal notes); then,
for each of `clicks` random conversations, the time of what one click in the queue runs on the server: open the
conversation (transcript bubbles, customer panel) — and of the live tick that redraws the queue. Prints p50/p95
in milliseconds; the target is a click in <= 300 ms p95 with 200 conversations."""
from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from components.console.operator_desk import OperatorDesk
from components.storage.conversation_store import ConversationStore

TARGET_P95_MS = 300.0


def _seed(store: ConversationStore, conversations: int, turns: int) -> list[str]:
    rng = random.Random(16)
    now = time.time()
    ids = []
    for i in range(conversations):
        cid = store.create_conversation(created_at=now - 3600 + i)
        for turn in range(turns):
            at = now - 3600 + i + turn * 5
            store.add_message(cid, "customer", f"Where is my order #W{rng.randrange(10**6, 10**7)}? ({turn})",
                              created_at=at)
            store.add_message(cid, "bot", "I can check that for you. Please verify your identity first.",
                              created_at=at + 1, trace={
                                  "nlu": {"intent": "track_order", "confidence": 0.9134, "sentiment": "negative",
                                          "language": "en"},
                                  "policy": {"action": "tool_flow", "reason": "order question"},
                                  "retrieval": {"hits": [{"doc_id": "track-order", "title": "track order",
                                                          "chunk_id": "track-order#0", "score": 0.8123}]},
                                  "generation": {"mode": "generated", "decode_tok_s": 31.4159, "ttft_s": 1.1547},
                                  "timings_ms": {"total_ms": 2345.678}})
        store.add_note(cid, "dana", "Customer is in a hurry")
        store.update_conversation(cid, status="waiting", handoff_reason="customer_request", handoff_at=now - i)
        ids.append(cid)
    return ids


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run_console_bench(settings, conversations: int = 200, clicks: int = 60, turns: int = 6) -> dict:
    from components.ui.console_tab import open_conversation, queue_table

    with tempfile.TemporaryDirectory(prefix="kefu-console-bench-") as tmp:
        store = ConversationStore(Path(tmp) / "kefu.sqlite3")
        try:
            ids = _seed(store, conversations, turns)
            services = SimpleNamespace(store=store, operators=OperatorDesk(store, dialogue=None), shop=None)
            rng = random.Random(7)
            open_ms, queue_ms = [], []
            for _ in range(clicks):
                cid = rng.choice(ids)
                t = time.perf_counter()
                head, body, panel, sig = open_conversation(cid, services=services)
                open_ms.append((time.perf_counter() - t) * 1000)
                assert "kefu-bubble" in body and sig
                t = time.perf_counter()
                table, row_ids = queue_table("all", services=services)
                queue_ms.append((time.perf_counter() - t) * 1000)
                assert len(row_ids) == conversations
        finally:
            store.close()
    click_ms = [a + b for a, b in zip(open_ms, queue_ms)]
    p95 = _percentile(click_ms, 0.95)
    return {"conversations": conversations, "messages_per_conversation": 2 * turns, "clicks": clicks,
            "open_conversation_p50_ms": round(_percentile(open_ms, 0.5), 1),
            "open_conversation_p95_ms": round(_percentile(open_ms, 0.95), 1),
            "queue_refresh_p50_ms": round(_percentile(queue_ms, 0.5), 1),
            "queue_refresh_p95_ms": round(_percentile(queue_ms, 0.95), 1),
            "click_p95_ms": round(p95, 1), "target_p95_ms": TARGET_P95_MS, "meets_target": p95 <= TARGET_P95_MS,
            "measures": "server time of one queue click (open the conversation) plus one live queue redraw"}
