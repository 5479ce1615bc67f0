"""`python app.py bench startup --json`: cold and warm start of the app, and chat latency through /chat.

Cold = a fresh data directory and a fresh cache (the GGUF is converted, the intent classifiers trained, the
knowledge base indexed); warm = the same directories again. Then `turns` questions through gradio_client, and with
several workspaces served (KEFU_WORKSPACES=all) the first two questions in each other workspace: start-up builds
only the first workspace, the others are built (and their documents indexed) on first use.
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
            workspaces = _other_workspaces(settings, client)
        finally:
            _stop(proc)
    latencies.sort()
    return {"cold_start_s": round(cold, 1), "cold_steps_s": cold_steps, "warm_start_s": round(warm, 1),
            "warm_steps_s": warm_steps, "chat_turns": turns,
            "chat_latency_p50_s": round(statistics.median(latencies), 2),
            "chat_latency_p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * (len(latencies) - 1) + 0.5))], 2),
            "chat_latency_max_s": round(latencies[-1], 2), "actions": actions,
            "served_workspaces": [settings_first(settings), *workspaces],
            "workspace_turns_s": workspaces,
            "note": "start = process launch until /status reports ready (includes Python and Gradio import)"}


def settings_first(settings) -> str:
    from components.workspaces.registry import WorkspaceRegistry

    return WorkspaceRegistry.from_settings(settings).default.id


def _other_workspaces(settings, client) -> dict:
    """{workspace: {first_s, second_s, question}}: its first example question twice through /chat (the first
    builds the workspace and indexes its documents)."""
    from components.workspaces.workspace_eval import find_workspace

    served = client.predict(api_name="/status").get("workspaces") or []
    timings = {}
    for workspace in served[1:]:
        question = find_workspace(settings, workspace).example_questions("en")[0]
        took = []
        for _ in range(2):
            t = time.perf_counter()
            client.predict(question, "", workspace, api_name="/chat")
            took.append(round(time.perf_counter() - t, 2))
        timings[workspace] = {"first_s": took[0], "second_s": took[1], "question": question}
    return timings
