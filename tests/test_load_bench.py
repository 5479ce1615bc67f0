"""`bench load` against the running app (small): customers arrive over a ramp, every turn is answered and stored."""
from __future__ import annotations

from components.benchmarks.load_bench import run_load_bench
from components.settings import Settings


def test_a_small_load_run_loses_nothing_and_reports_the_queue(running_app, app_data_dir):
    settings = Settings.from_env(data_dir=app_data_dir)
    result = run_load_bench(settings, users=4, turns=2, url=running_app.local_url, seconds_budget=240,
                            database=f"sqlite:///{app_data_dir / 'kefu.sqlite3'}", ramp_s=1.0)
    assert result["errors"] == 0, result["error_examples"]
    assert result["customers_not_connected"] == 0 and result["customers_completed"] == 4
    assert result["turns_answered"] == 8 and result["lost"] == 0
    assert result["longest_queue_position"] >= 0 and result["ramp_s"] == 1.0
    assert result["latency_p50_s"] > 0


def test_a_customer_who_cannot_connect_is_counted_not_hidden(monkeypatch):
    from components.benchmarks import load_bench

    monkeypatch.setattr(load_bench, "CONNECT_ATTEMPTS", 1)
    result = run_load_bench(Settings.from_env(), users=2, turns=1, url="http://127.0.0.1:9/", seconds_budget=30)
    assert result["customers_not_connected"] == 2 and result["errors"] == 2 and result["turns_answered"] == 0
    assert result["error_examples"][0].startswith("could not connect")
