"""The analytics tab's handlers called with plain arguments, and the `analytics` API over HTTP (demo and protected
mode) on a small Blocks holding only this tab, backed by a real SQLite store."""
from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from components.analytics.charts import CHART_NAMES
from components.console.agent_accounts import AgentAccounts
from components.storage.conversation_store import ConversationStore
from components.ui import analytics_tab as tab
from tests.fakes import FakeKnowledge
from tests.test_analytics_gaps import RecordingKnowledge
from tests.test_analytics_kpis import build_store

KEYWORDS = ("discount", "bitcoin", "wrap", "loyalty")


class KeywordEmbedder:
    """Fast stand-in for the sentence embedder: one dimension per keyword (the real one is tested elsewhere)."""

    def embed(self, texts):
        vectors = np.array([[1.0 if k in t.lower() else 0.0 for k in KEYWORDS] + [0.01] for t in texts],
                           dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def make_services(path: Path, knowledge=None):
    store = build_store(path)
    return SimpleNamespace(store=store, accounts=AgentAccounts(path), embedder=KeywordEmbedder(), engine=None,
                           knowledge=knowledge or RecordingKnowledge(), startup=SimpleNamespace(ready=True))


@pytest.fixture()
def services(tmp_path):
    svc = make_services(tmp_path / "kefu.sqlite3")
    yield svc
    svc.accounts.close()
    svc.store.close()


def test_dashboard_view(services):
    notice, tiles, system, *figures = tab.dashboard_view(services, "", "", "all", True)
    assert notice == "" and len(figures) == len(CHART_NAMES)
    assert "42.9%" in tiles and "28.6%" in tiles  # containment 3/7, handoff 2/7
    assert "3.67 / 5" in tiles and "customer asked 1" in tiles
    assert "1 bot turns have no trace" in tiles
    notice, tiles, *_ = tab.dashboard_view(services, "2031-01-01", "", "all", True)
    assert "No conversations" in notice


def test_bad_input_is_a_gradio_error(services):
    with pytest.raises(gr.Error, match="ISO date"):
        tab.dashboard_view(services, "last tuesday", "", "all", True)
    with pytest.raises(gr.Error, match="ISO date"):
        tab.analytics_api(services, "", "soon")
    with pytest.raises(gr.Error, match="csv, parquet"):
        tab.export_view(services, "xml")
    with pytest.raises(gr.Error, match="Find the knowledge gaps first"):
        tab.draft_view(services, "", [])


def test_export_view_writes_two_files(services):
    paths = tab.export_view(services, "parquet", "", "", "all", False)
    assert [Path(p).name for p in paths] == ["conversations.parquet", "turns.parquet"]
    assert pq.read_table(paths[0]).num_rows == 7


def test_gaps_draft_and_publish_handlers(services):
    table, dropdown, topics, status = tab.gaps_view(services, "", "", "all", True)
    # gaps in the hand-built store: H's three failing questions (one topic for the keyword embedder) and B's
    # student discount (nothing found, then a thumbs-down)
    assert isinstance(table.value, dict) and [row[2] for row in table.value["data"]] == [3, 1]
    assert table.value["headers"][:3] == ["Topic", "Questions", "Count"]
    zh_table, *_ = tab.gaps_view(services, "", "", "all", True, "zh")
    assert zh_table.value["headers"][:3] == ["话题", "问题", "数量"]
    assert status == "2 topics from 4 unanswered or disliked questions."
    choice = dropdown["value"]
    assert choice == dropdown["choices"][0] and choice.startswith("#1 · question")
    question, answer, note = tab.draft_view(services, dropdown["choices"][1], topics)
    assert question == "Do you offer a student discount?"
    assert question.endswith("?") and "[Write" in answer and "Customers asked" in note
    with pytest.raises(gr.Error, match="placeholder"):
        tab.publish_view(services, question, answer, choice, topics)
    message = tab.publish_view(services, question, "Sorry, we have no student discount.", choice, topics)
    assert "curated/abc" in message
    assert services.knowledge.added[0][2] == "analytics-gap:demo-agent"


def test_no_gaps_message(tmp_path):
    store = ConversationStore(tmp_path / "empty.sqlite3")
    svc = SimpleNamespace(store=store, embedder=KeywordEmbedder(), knowledge=FakeKnowledge())
    table, dropdown, topics, status = tab.gaps_view(svc)
    assert table.value["data"] == [] and topics == [] and "No knowledge gaps" in status
    store.close()


def test_preset_range():
    now = dt.datetime(2026, 11, 29, 10, 30, tzinfo=dt.timezone.utc)
    assert tab.preset_range("Last 7 days", now) == ("2026-11-23", "")
    assert tab.preset_range("Last 24 hours", now) == ("2026-11-28T10:30", "")
    assert tab.preset_range("All time", now) == ("", "")


@pytest.fixture()
def app(tmp_path):
    svc = make_services(tmp_path / "api.sqlite3")
    with gr.Blocks() as demo:
        with gr.Tabs():
            tab.build_analytics_tab(svc)
    demo.queue().launch(prevent_thread_lock=True, server_name="127.0.0.1", quiet=True)
    yield svc, demo
    demo.close()
    svc.accounts.close()
    svc.store.close()


def test_analytics_api_over_http(app):
    from gradio_client import Client

    svc, demo = app
    client = Client(demo.local_url, verbose=False)
    result = client.predict("", "", api_name="/analytics")
    for key in ("conversations", "messages", "containment_rate", "handoff_rate", "handoff_reasons", "csat",
                "first_response_p50_s", "first_response_p95_s", "no_answer_rate"):
        assert key in result
    assert result["conversations"] == 8 and result["handoff_reasons"] == {"customer_request": 1,
                                                                          "repeated_failure": 1}
    day_two = client.predict("2026-11-11", "2026-11-11", api_name="/analytics")
    assert day_two["conversations"] == 3  # D, E, F

    # protected mode: once an agent account exists the endpoint needs a login
    svc.accounts.add("ana", "correct-horse")
    with pytest.raises(Exception, match="agent login"):
        client.predict("", "", api_name="/analytics")
    basic = base64.b64encode(b"ana:correct-horse").decode()
    agent = Client(demo.local_url, verbose=False, headers={"Authorization": f"Basic {basic}"})
    assert agent.predict("", "", api_name="/analytics")["conversations"] == 8


def test_bias_audit_view_shows_the_last_audit(tmp_path):
    from components.nlu.bias_audit import save_audit
    from components.settings import Settings

    services = SimpleNamespace(settings=Settings(data_dir=tmp_path))
    assert "No bias audit yet" in tab.bias_audit_view(services)
    rates = {"intent": 0.0, "sentiment": 0.1, "handoff": 0.0, "out_of_scope": 0.0}
    save_audit(services.settings, {"created_at": "2026-12-06T04:00:00Z", "base_sentences": {"en": 1},
                                   "families": {"typos": {"pairs": 10, "flip_rate": rates,
                                                          "within_bars": {k: v == 0 for k, v in rates.items()}}},
                                   "over_threshold": ["typos.sentiment"]})
    shown = tab.bias_audit_view(services)
    assert "| typos | 10 |" in shown and "10.0 % ⚠" in shown and "typos.sentiment" in shown
