"""The benchmark commands print JSON with the promised keys (tiny sizes: these check the harness, not speed)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def _run(args, env_extra, timeout=1500):
    env = {**os.environ, **env_extra}
    done = subprocess.run([sys.executable, str(ROOT / "app.py"), *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_bench_load_small(tmp_path, model_cache_dir):
    result = _run(["bench", "load", "--users", "4", "--turns", "2", "--ramp", "1", "--json"],
                  {"KEFU_DATA_DIR": str(tmp_path / "data"), "KEFU_CACHE_DIR": str(model_cache_dir)})
    assert result["turns_sent"] == 8 and result["errors"] == 0 and result["lost"] == 0
    assert result["customers_not_connected"] == 0 and result["customers_completed"] == 4 and result["ramp_s"] == 1.0
    assert result["latency_p50_s"] > 0 and result["latency_p95_s"] >= result["latency_p50_s"]
    assert result["longest_queue_position"] >= 0


def test_bench_load_counts_a_customer_who_cannot_connect(monkeypatch):
    from components.benchmarks import load_bench
    from components.settings import Settings

    monkeypatch.setattr(load_bench, "CONNECT_ATTEMPTS", 1)
    result = load_bench.run_load_bench(Settings(), users=2, turns=1, url="http://127.0.0.1:9/", seconds_budget=30)
    assert result["customers_not_connected"] == 2 and result["errors"] == 2 and result["turns_answered"] == 0
    assert result["error_examples"][0].startswith("could not connect")


def test_bench_nlu_times_real_turns(tmp_path, model_cache_dir):
    result = _run(["bench", "nlu", "--repeats", "1", "--json"],
                  {"KEFU_DATA_DIR": str(tmp_path / "data"), "KEFU_CACHE_DIR": str(model_cache_dir)})
    assert result["n"] == 10 and 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    assert {"embed", "intent", "sentiment", "total"} <= set(result["stage_p50_ms"])


def test_console_bench_times_clicks_on_a_full_queue(tmp_path):
    from components.settings import Settings
    from components.ui.console_bench import run_console_bench

    result = run_console_bench(Settings(data_dir=tmp_path), conversations=30, clicks=5, turns=2)
    assert result["conversations"] == 30 and result["clicks"] == 5
    assert 0 < result["open_conversation_p50_ms"] <= result["open_conversation_p95_ms"]
    assert result["click_p95_ms"] >= result["queue_refresh_p50_ms"] > 0


def test_bench_startup_reports_each_stage_of_the_chat_turns():
    """`bench startup` times /chat turns; each turn's trace says where its time went (the turn's stages and the
    answer composer's), reported as p50 / p95 / max per stage, a stage a turn did not run counting as 0 ms."""
    from components.benchmarks.startup_bench import stage_percentiles, turn_stages

    traces = [{"timings_ms": {"nlu_ms": 10.0, "total_ms": 40.0},
               "answer": {"timings_ms": {"ranking_ms": 20.0, "generation": {"tokens": 3}}}},
              {"timings_ms": {"nlu_ms": 30.0, "total_ms": 35.0}},
              {"timings_ms": {"nlu_ms": 20.0, "total_ms": 90.0}, "answer": {"timings_ms": {"ranking_ms": 60.0}}}]
    turns = [turn_stages(t) for t in traces]
    assert turns[0] == {"nlu_ms": 10.0, "total_ms": 40.0, "answer.ranking_ms": 20.0}
    stages = stage_percentiles(turns)
    assert stages["nlu_ms"] == {"p50": 20.0, "p95": 30.0, "max": 30.0}
    assert stages["answer.ranking_ms"] == {"p50": 20.0, "p95": 60.0, "max": 60.0}
    assert stages["total_ms"]["p50"] == 40.0
