"""`python app.py bench startup --json`: cold and warm start of the app, and chat latency through /chat.

Cold = a fresh data directory and a fresh cache (the GGUF is converted, the intent classifiers trained, the
knowledge base indexed); warm = the same directories again. Then `turns` questions through gradio_client.
"""
from __future__ import annotations

import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from components.benchmarks.load_bench import _start_app

QUESTIONS = ["How long do refunds take?", "What is your return policy?", "How do I change my shipping address?",
             "Which payment methods do you accept?", "Can I cancel an order that was already delivered?",
             "退货政策是什么？", "Do you charge a cancellation fee?", "How can I track my package?"]


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def run_startup_bench(settings, *, turns: int = 16, fresh_cache: bool = True) -> dict:
    from gradio_client import Client

    with tempfile.TemporaryDirectory(prefix="kefu-startup-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        cache = Path(tmp) / "cache" if fresh_cache else settings.cache_dir
        t = time.perf_counter()
        proc, url = _start_app(data, cache, timeout=1800)
        cold = time.perf_counter() - t
        cold_steps = Client(url, verbose=False).predict(api_name="/status").get("steps")
        _stop(proc)
        t = time.perf_counter()
        proc, url = _start_app(data, cache, timeout=1800)
        warm = time.perf_counter() - t
        warm_steps = Client(url, verbose=False).predict(api_name="/status").get("steps")
        latencies, actions = [], {}
        try:
            client = Client(url, verbose=False)
            for i in range(turns):
                q = QUESTIONS[i % len(QUESTIONS)]
                t = time.perf_counter()
                r = client.predict(q, "", api_name="/chat")
                latencies.append(time.perf_counter() - t)
                action = r["trace"].get("policy", {}).get("action")
                actions[action] = actions.get(action, 0) + 1
        finally:
            _stop(proc)
    latencies.sort()
    return {"cold_start_s": round(cold, 1), "cold_steps_s": cold_steps, "warm_start_s": round(warm, 1),
            "warm_steps_s": warm_steps, "chat_turns": turns,
            "chat_latency_p50_s": round(statistics.median(latencies), 2),
            "chat_latency_p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * (len(latencies) - 1) + 0.5))], 2),
            "chat_latency_max_s": round(latencies[-1], 2), "actions": actions,
            "note": "start = process launch until /status reports ready (includes Python and Gradio import)"}
