"""Export round trip (CSV and Parquet read back), the bench at a small size, and the CLI-facing functions."""
from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from components.analytics.bench import run_analytics_bench, seed_synthetic_history
from components.analytics.export import arrow_table, export_history, flatten_trace, run_export
from components.analytics.kpis import AnalyticsFilter
from components.settings import Settings
from tests.test_analytics_kpis import build_store


@pytest.fixture()
def store(tmp_path):
    s = build_store(tmp_path / "kefu.sqlite3")
    yield s
    s.close()


def test_flatten_trace():
    flat = flatten_trace({"nlu": {"intent": "x", "timings_ms": {"a": 1.5}}, "sources": [{"doc_id": "d"}],
                          "curated": None, "redactions": [], "desk": {}})
    assert flat == {"trace.nlu.intent": "x", "trace.nlu.timings_ms.a": 1.5, "trace.sources": '[{"doc_id":"d"}]',
                    "trace.curated": None, "trace.redactions": "[]", "trace.desk": None}
    assert flatten_trace(None) == {}


def test_parquet_round_trip(store, tmp_path):
    result = export_history(store, tmp_path / "out", fmt="parquet")
    assert (result["conversations"], result["turns"]) == (8, 23)
    conversations = pq.read_table(result["files"]["conversations"]).to_pandas()
    turns = pq.read_table(result["files"]["turns"]).to_pandas()
    assert len(conversations) == 8 and len(turns) == 23
    assert "session_token" not in conversations.columns
    by_id = conversations.set_index("id")
    assert by_id.loc["A", "contained"] and not by_id.loc["C", "contained"] and by_id.loc["C", "handed_over"]
    assert by_id.loc["C", "messages"] == 5 and by_id.loc["B", "first_response_s"] == pytest.approx(2.0)
    assert by_id.loc["A", "csat"] == 5 and by_id.loc["A", "created_at_iso"] == "2026-11-10T00:01:40Z"
    bot = turns[turns.role == "bot"]
    assert bot["trace.policy.action"].value_counts().to_dict()["knowledge_answer"] == 2
    assert turns.loc[turns["trace.generation.decode_tok_s"].notna(), "trace.generation.decode_tok_s"] \
        .sort_values().tolist() == [10, 20]
    sources = json.loads(turns.loc[turns["trace.sources"].str.contains("returns", na=False), "trace.sources"].iloc[0])
    assert [s["doc_id"] for s in sources] == ["refunds", "returns"]
    assert turns.loc[turns.role == "agent", "trace.agent"].tolist() == ["ana"]


def test_csv_round_trip_with_filter(store, tmp_path):
    result = export_history(store, tmp_path / "csv", fmt="CSV", flt=AnalyticsFilter(include_demo=False))
    conversations = pd.read_csv(result["files"]["conversations"])
    turns = pd.read_csv(result["files"]["turns"])
    assert sorted(conversations.id) == ["A", "B", "C", "D", "F", "G", "H"]
    assert len(turns) == 21 and "E" not in set(turns.conversation_id)


def test_export_of_an_empty_database(tmp_path):
    from components.storage.conversation_store import ConversationStore

    s = ConversationStore(tmp_path / "empty.sqlite3")
    result = export_history(s, tmp_path / "out", fmt="parquet")
    assert (result["conversations"], result["turns"]) == (0, 0)
    assert pq.read_table(result["files"]["turns"]).num_rows == 0
    s.close()


def test_mixed_types_in_a_trace_field_are_written_as_text():
    frame = pd.DataFrame({"trace.x": [1, "one", None], "n": [1.0, 2.0, None]})
    table = arrow_table(frame)
    assert table.column("trace.x").to_pylist() == ["1", "one", None]
    assert table.column("n").to_pylist() == [1.0, 2.0, None]


def test_bad_format_and_missing_database(store, tmp_path):
    with pytest.raises(ValueError, match="csv, parquet"):
        export_history(store, tmp_path, fmt="xlsx")
    with pytest.raises(ValueError, match="No conversation database"):
        run_export(Settings(data_dir=tmp_path / "nothing-here"), fmt="csv", out=str(tmp_path / "x"))


def test_run_export_from_settings(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    build_store(settings.sqlite_path).close()
    result = run_export(settings, fmt="parquet", out=str(tmp_path / "export"))
    json.dumps(result)
    assert result["turns"] == 23 and result["trace_columns"] > 10


def test_seeded_history_has_the_requested_size(tmp_path):
    seeded = seed_synthetic_history(tmp_path / "s.sqlite3", messages=500)
    assert seeded["messages"] == 500 and seeded["conversations"] > 50


def test_bench_at_a_small_size():
    result = run_analytics_bench(None, messages=3000, repeats=2)
    json.dumps(result)
    assert result["messages"] == 3000 and result["export_turns"] == 3000
    assert result["kpis_conversations"] == result["conversations"]
    assert result["charts"] == 6 and len(result["refresh_runs_s"]) == 2
    assert 0 < result["refresh_p50_s"] < 30 and 0 < result["export_s"] < 60
