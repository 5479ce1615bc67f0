"""KPI math on a hand-built conversation store (real SQLite), with exact expected numbers; empty states; charts."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from components.analytics import charts
from components.analytics.dashboard import refresh_dashboard
from components.analytics.kpis import AnalyticsFilter, cited_documents, compute_kpis, kpis_for, load_frames
from components.storage.conversation_store import ConversationStore

T0 = dt.datetime(2026, 11, 10, tzinfo=dt.timezone.utc).timestamp()
DAY = 86400.0


def bot_trace(action: str, total_ms: float, *, handoff_reason=None, generated=None, sources=(), intent="x",
              sentiment="neutral", nothing_found=False, best_score=0.6) -> dict:
    trace = {"nlu": {"intent": intent, "confidence": 0.9, "sentiment": sentiment, "language": "en"},
             "policy": {"action": action, "reason": "test", "handoff_reason": handoff_reason},
             "retrieval": {"hits": [], "best_score": best_score, "min_score": 0.35, "nothing_found": nothing_found},
             "timings_ms": {"total_ms": total_ms},
             "sources": [{"doc_id": d, "title": d.title(), "score": 0.7} for d in sources]}
    if generated:
        trace["generation"] = {"mode": "generated", "decode_tok_s": generated[0], "ttft_s": generated[1],
                               "tokens": 40}
    return trace


def build_store(path) -> ConversationStore:
    """Eight conversations whose KPIs are worked out by hand in the docstrings of the tests below."""
    s = ConversationStore(path)
    # A: contained; knowledge answer (1.5 s, 20 tok/s, ttft 0.5) then small talk; thumbs up; CSAT 5; first response 1.0
    a = s.create_conversation("A", created_at=T0 + 100)
    s.add_message(a, "customer", "how long do refunds take?", created_at=T0 + 100)
    m = s.add_message(a, "bot", "5-7 days", created_at=T0 + 101,
                      trace=bot_trace("knowledge_answer", 1500, generated=(20, 0.5), sources=["refunds"],
                                      intent="get_refund"))
    s.rate_message(m, 1)
    s.add_message(a, "customer", "thanks", created_at=T0 + 110)
    s.add_message(a, "bot", "you're welcome", created_at=T0 + 110.5, trace=bot_trace("small_talk", 100))
    s.update_conversation(a, csat=5)
    # B: nothing found; thumbs down; CSAT 2; first response 2.0
    b = s.create_conversation("B", created_at=T0 + 200)
    s.add_message(b, "customer", "do you offer a student discount?", created_at=T0 + 200)
    m = s.add_message(b, "bot", "sorry", created_at=T0 + 202,
                      trace=bot_trace("clarify", 300, nothing_found=True, sentiment="negative", best_score=0.1))
    s.rate_message(m, -1)
    s.update_conversation(b, csat=2)
    # C: knowledge answer (2.5 s, 10 tok/s, ttft 1.0), then asks for a person; claimed, agent replies, resolved
    c = s.create_conversation("C", created_at=T0 + 300)
    s.add_message(c, "customer", "can I return shoes?", created_at=T0 + 300)
    s.add_message(c, "bot", "yes", created_at=T0 + 303,
                  trace=bot_trace("knowledge_answer", 2500, generated=(10, 1.0), sources=["refunds", "returns"],
                                  intent="return_item"))
    s.add_message(c, "customer", "I want a person", created_at=T0 + 320)
    s.add_message(c, "bot", "connecting you", created_at=T0 + 320.5,
                  trace=bot_trace("handoff", 200, handoff_reason="customer_request", intent="contact_human_agent"))
    s.update_conversation(c, status="waiting", handoff_reason="customer_request", handoff_at=T0 + 320.5)
    assert s.claim(c, "ana")
    s.audit("ana", "claim", c)
    s.add_message(c, "agent", "hello, a person here", created_at=T0 + 400, trace={"agent": "ana"})
    s.release(c, "resolved")
    s.audit("ana", "resolve", c)
    # D (day 2): order desk tool flow, contained, CSAT 4, first response 0.5
    d = s.create_conversation("D", created_at=T0 + DAY + 100)
    s.add_message(d, "customer", "where is order #W1?", created_at=T0 + DAY + 100)
    s.add_message(d, "bot", "delivered", created_at=T0 + DAY + 100.5, trace=bot_trace("tool_flow", 500,
                                                                                    intent="track_order"))
    s.update_conversation(d, csat=4)
    # E (day 2, demo): curated answer, contained, first response 4.0
    e = s.create_conversation("E", created_at=T0 + DAY + 200, is_demo=True)
    s.add_message(e, "customer", "cancellation fee?", created_at=T0 + DAY + 200)
    s.add_message(e, "bot", "none", created_at=T0 + DAY + 204, trace=bot_trace("curated_answer", 50, sources=["faq"],
                                                                             sentiment="positive"))
    # F (day 2): the bot message has no trace (e.g. written by an old version); first response 1.0
    f = s.create_conversation("F", created_at=T0 + DAY + 300)
    s.add_message(f, "customer", "hello?", created_at=T0 + DAY + 300)
    s.add_message(f, "bot", "hi", created_at=T0 + DAY + 301)
    # G: created but no message (not engaged)
    s.create_conversation("G", created_at=T0 + 500)
    # H (day 3, domain banking): clarify, out of scope, handoff for repeated failure; still waiting
    h = s.create_conversation("H", created_at=T0 + 2 * DAY, domain="banking")
    for i, (action, reason) in enumerate([("clarify", None), ("decline_out_of_scope", None),
                                          ("handoff", "repeated_failure")]):
        s.add_message(h, "customer", f"question {i}", created_at=T0 + 2 * DAY + 10 * i)
        s.add_message(h, "bot", "…", created_at=T0 + 2 * DAY + 10 * i + 1,
                      trace=bot_trace(action, 200, handoff_reason=reason, nothing_found=True, best_score=0.1))
    s.update_conversation(h, status="waiting", handoff_reason="repeated_failure", handoff_at=T0 + 2 * DAY + 21)
    return s


@pytest.fixture()
def store(tmp_path):
    s = build_store(tmp_path / "kefu.sqlite3")
    yield s
    s.close()


def test_kpis_all_time(store):
    """engaged A-F,H = 7; contained A, D, E = 3; handed over C, H = 2; first responses [0.5,1,1,1,2,3,4];
    knowledge questions A, B, C(answer), E, H×3 = 7 with hits A, C, E; no answer B, H×3 = 4 of 10 decided turns."""
    k = compute_kpis(load_frames(store))
    assert (k["conversations"], k["messages"]) == (8, 23)
    assert (k["customer_messages"], k["bot_messages"], k["agent_messages"]) == (11, 11, 1)
    assert k["engaged_conversations"] == 7
    assert k["contained_conversations"] == 3
    assert k["containment_rate"] == pytest.approx(3 / 7, abs=1e-4)
    assert k["handed_over_conversations"] == 2
    assert k["handoff_rate"] == pytest.approx(2 / 7, abs=1e-4)
    assert k["handoff_reasons"] == {"customer_request": 1, "repeated_failure": 1}
    assert k["waiting_for_human"] == 1
    assert k["csat"] == pytest.approx(11 / 3, abs=1e-3) and k["csat_responses"] == 3
    assert k["csat_distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert (k["thumbs_up"], k["thumbs_down"], k["thumbs_up_ratio"]) == (1, 1, 0.5)
    assert k["first_response_p50_s"] == pytest.approx(1.0)
    assert k["first_response_p95_s"] == pytest.approx(3.7)   # linear: 3 + 0.7 * (4 - 3)
    assert k["answer_latency_p50_s"] == pytest.approx(0.2)  # ten traced bot turns, median of 0.2 and 0.2
    assert k["generated_answers"] == 2
    assert k["generation_tok_s_p50"] == pytest.approx(15.0)
    assert k["ttft_p50_s"] == pytest.approx(0.75)
    assert k["knowledge_questions"] == 7
    assert k["knowledge_hit_rate"] == pytest.approx(3 / 7, abs=1e-4)
    assert k["no_answer_turns"] == 4
    assert k["no_answer_rate"] == pytest.approx(0.4)
    assert k["untraced_bot_turns"] == 1


def test_kpis_without_demo_data(store):
    """E (demo) drops out: engaged 6, contained A and D, handed over C and H."""
    k = compute_kpis(load_frames(store, AnalyticsFilter(include_demo=False)))
    assert k["conversations"] == 7
    assert k["containment_rate"] == pytest.approx(2 / 6, abs=1e-4)
    assert k["handoff_rate"] == pytest.approx(2 / 6, abs=1e-4)
    assert k["first_response_p50_s"] == pytest.approx(1.0)


def test_kpis_for_a_date_range_and_domain(store):
    day_one = kpis_for(store, "2026-11-10", "2026-11-10")  # a date-only end includes that whole day
    assert (day_one["conversations"], day_one["messages"]) == (4, 11)  # A, B, C and the empty G
    assert day_one["handoff_reasons"] == {"customer_request": 1}
    banking = compute_kpis(load_frames(store, AnalyticsFilter(domain="banking")))
    assert banking["conversations"] == 1 and banking["no_answer_rate"] == 1.0
    assert banking["containment_rate"] == 0.0


def test_kpis_follow_new_turns_and_ratings(store):
    """The per-message cache must notice a new turn, a finished streaming turn and a changed rating."""
    before = compute_kpis(load_frames(store))
    mid = store.add_message("D", "bot", "", state="streaming", created_at=T0 + DAY + 150)
    mid_k = compute_kpis(load_frames(store))
    assert mid_k["bot_messages"] == before["bot_messages"] + 1
    assert mid_k["untraced_bot_turns"] == before["untraced_bot_turns"] + 1  # streaming: no trace yet
    store.finish_message(mid, "done", trace=bot_trace("clarify", 100, nothing_found=True))
    store.rate_message(mid, -1)
    after = compute_kpis(load_frames(store))
    assert after["untraced_bot_turns"] == before["untraced_bot_turns"]
    assert after["no_answer_turns"] == before["no_answer_turns"] + 1
    assert after["thumbs_down"] == before["thumbs_down"] + 1
    assert after["contained_conversations"] == before["contained_conversations"] - 1  # D now ends in nothing found


def test_deleted_conversations_leave_the_kpis(store):
    compute_kpis(load_frames(store))  # fills the per-message cache
    store.delete_conversation("B")
    k = compute_kpis(load_frames(store))
    assert (k["conversations"], k["messages"], k["thumbs_down"]) == (7, 21, 0)
    assert k["containment_rate"] == pytest.approx(3 / 6, abs=1e-4)


def test_cited_documents(store):
    cited = cited_documents(load_frames(store).turns)
    assert cited.iloc[0].to_dict() == {"doc_id": "refunds", "title": "Refunds", "citations": 2}
    assert dict(zip(cited.doc_id, cited.citations)) == {"refunds": 2, "faq": 1, "returns": 1}


@pytest.mark.parametrize("start, end", [("yesterday", ""), ("2026-13-01", ""), ("2026-11-12", "2026-11-10")])
def test_bad_dates_raise_a_readable_error(store, start, end):
    with pytest.raises(ValueError, match="ISO date|before its end"):
        kpis_for(store, start, end)


def test_empty_database_and_empty_range_render_empty_states(tmp_path, store):
    empty = ConversationStore(tmp_path / "empty.sqlite3")
    for s, flt in ((empty, AnalyticsFilter()), (store, AnalyticsFilter.from_inputs("2030-01-01", ""))):
        board = refresh_dashboard(s, flt)
        assert board.kpis["conversations"] == 0 and board.kpis["containment_rate"] is None
        assert "No conversations" in board.notice
        assert set(board.figures) == set(charts.CHART_NAMES)
        for fig in board.figures.values():
            assert not fig.data and "No conversations" in fig.layout.annotations[0].text
    empty.close()


def test_missing_traces_render_an_explanation(tmp_path):
    s = ConversationStore(tmp_path / "untraced.sqlite3")
    cid = s.create_conversation()
    s.add_message(cid, "customer", "hello")
    s.add_message(cid, "bot", "hi")
    board = refresh_dashboard(s)
    assert board.kpis["untraced_bot_turns"] == 1 and "no traces" in board.notice
    assert "no bot turns with traces" in board.figures["intents"].layout.annotations[0].text
    assert board.figures["volume"].data  # counts still work
    s.close()


def test_charts_with_data(store):
    figures = refresh_dashboard(store).figures
    funnel = figures["handoff_funnel"].data[0]
    # engaged 7 → handed over C, H → claimed C → resolved by an agent C
    assert list(funnel.x) == [7, 2, 1, 1]
    intents = dict(zip(figures["intents"].data[0].y, figures["intents"].data[0].x))
    assert intents["x"] == 6 and intents["get_refund"] == 1  # "x": A's small talk, B, E and H's three turns
    assert {t.name for t in figures["sentiment"].data} == {"negative", "neutral", "positive"}
    for name in ("volume", "sentiment"):  # bars on a date axis need a width, else one bucket draws 1 ms wide
        bars = [t for t in figures[name].data if t.type == "bar"]
        assert bars and all(t.width is not None and t.width >= 0.5 * 3600_000 for t in bars), name
    assert sum(sum(t.y) for t in figures["latency"].data) == 10
    top = figures["top_documents"].data[0]
    assert list(top.y)[-1] == "Refunds"
    for fig in figures.values():  # what gr.Plot sends to the browser
        assert json.loads(fig.to_json())["data"]


def test_a_turn_counts_as_resolved_by_the_bot_only_when_it_stood(tmp_path):
    """Four answers: one clean, one thumbed down, one rejected by the answer check, one followed by a handoff."""
    s = ConversationStore(tmp_path / "k.sqlite3")
    clean = s.create_conversation("clean", created_at=T0)
    s.add_message(clean, "customer", "refunds?", created_at=T0)
    s.add_message(clean, "bot", "5-7 days", created_at=T0 + 1, trace=bot_trace("curated_answer", 100))
    disliked = s.create_conversation("disliked", created_at=T0)
    s.add_message(disliked, "customer", "returns?", created_at=T0)
    s.rate_message(s.add_message(disliked, "bot", "30 days", created_at=T0 + 1,
                                 trace=bot_trace("knowledge_answer", 100)), -1)
    rejected = s.create_conversation("rejected", created_at=T0)
    s.add_message(rejected, "customer", "fees?", created_at=T0)
    s.add_message(rejected, "bot", "none", created_at=T0 + 1,
                  trace={**bot_trace("knowledge_answer", 100),
                         "answer": {"mode": "rephrased", "verdict": {"ok": False, "reason": "a number not in the "
                                                                                            "evidence"}}})
    handed = s.create_conversation("handed", created_at=T0)
    s.add_message(handed, "customer", "exchange?", created_at=T0)
    s.add_message(handed, "bot", "yes", created_at=T0 + 1, trace=bot_trace("knowledge_answer", 100))
    s.add_message(handed, "customer", "a person please", created_at=T0 + 5)
    s.add_message(handed, "bot", "connecting", created_at=T0 + 6,
                  trace=bot_trace("handoff", 100, handoff_reason="customer_request"))
    s.update_conversation(handed, status="waiting", handoff_reason="customer_request", handoff_at=T0 + 6)
    k = kpis_for(s)
    assert (k["bot_answers"], k["resolved_by_bot_turns"], k["resolved_by_bot_rate"]) == (4, 1, 0.25)
    assert k["contained_conversations"] == 1  # neither the disliked nor the rejected conversation is contained
    s.close()
