"""`python app.py bench startup --json`: cold and warm start of the app, and chat latency through /chat.

Cold = a fresh data directory and a fresh cache (the GGUF is converted, the intent classifiers trained, the
knowledge base indexed); warm = the same directories again. Then `turns` questions through gradio_client, and with
several workspaces served (KEFU_WORKSPACES=all) the first two questions in each other workspace: start-up builds
only the first workspace, the others are built (and their documents indexed) on first use. Each turn's trace gives
where its time went: `chat_stages_ms` (p50 / p95 / max per stage: the turn's nlu_ms, retrieval_ms …, and the answer
composer's answer.ranking_ms, answer.checks_ms …; see components/answers/composer.py). The served app's resident
memory after the turns (its background warm-up done), and the Chinese-English dictionary's own cost (read in a fresh
interpreter: the warm-up reads it only for a knowledge base in Chinese and English both).
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
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
    """`fresh_cache=False` (`--reuse-cache`): the models' cache of `settings` is used, so "cold" is a fresh data
    directory only (documents indexed; the model converted and the classifiers trained already)."""
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
        latencies, actions, stages = [], {}, []
        try:
            client = Client(url, verbose=False)
            for i in range(turns):
                q = QUESTIONS[i % len(QUESTIONS)]
                t = time.perf_counter()
                r = client.predict(q, "", api_name="/chat")
                latencies.append(time.perf_counter() - t)
                action = r["trace"].get("policy", {}).get("action")
                actions[action] = actions.get(action, 0) + 1
                stages.append(turn_stages(r["trace"]))
            workspaces = _other_workspaces(settings, client)
            resident_mb = _resident_mb(proc.pid)
        finally:
            _stop(proc)
    latencies.sort()
    return {"cold_start_s": round(cold, 1), "cold_steps_s": cold_steps, "warm_start_s": round(warm, 1),
            "warm_steps_s": warm_steps, "chat_turns": turns,
            "chat_latency_p50_s": round(statistics.median(latencies), 2),
            "chat_latency_p95_s": round(latencies[min(len(latencies) - 1, int(0.95 * (len(latencies) - 1) + 0.5))], 2),
            "chat_latency_max_s": round(latencies[-1], 2), "actions": actions,
            "chat_stages_ms": stage_percentiles(stages),
            "served_workspaces": [settings_first(settings), *workspaces],
            "workspace_turns_s": workspaces, "resident_mb": resident_mb, "chinese_dictionary": dictionary_cost(),
            "note": "start = process launch until /status reports ready (includes Python and Gradio import)"}


def turn_stages(trace: dict) -> dict[str, float]:
    """A turn's stage timings from its trace: the turn's own (nlu_ms, retrieval_ms, ...) and the answer composer's,
    prefixed "answer." (answer.ranking_ms, ...)."""
    out = {k: float(v) for k, v in (trace.get("timings_ms") or {}).items() if isinstance(v, (int, float))}
    answer = (trace.get("answer") or {}).get("timings_ms") or {}
    out.update({f"answer.{k}": float(v) for k, v in answer.items() if isinstance(v, (int, float))})
    return out


def stage_percentiles(turns: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """{stage: {p50, p95, max}} in ms over the turns, a stage a turn did not run counting as 0 ms."""
    out = {}
    for stage in sorted({k for t in turns for k in t}):
        values = sorted(t.get(stage, 0.0) for t in turns)
        out[stage] = {"p50": round(statistics.median(values), 1),
                      "p95": round(values[min(len(values) - 1, int(0.95 * (len(values) - 1) + 0.5))], 1),
                      "max": round(values[-1], 1)}
    return out


def _resident_mb(pid: int) -> int | None:
    """A process's resident memory (VmRSS), None where /proc is not there."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return round(int(next(line for line in f if line.startswith("VmRSS")).split()[1]) / 1024)
    except (OSError, StopIteration):
        return None


_DICTIONARY_COST = """import json, time
from components.answers.cross_language import dictionary
def resident_mb():
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1]) / 1024
before = resident_mb(); t = time.perf_counter()
words = len(dictionary())
print(json.dumps({"words": words, "load_s": round(time.perf_counter() - t, 2),
                  "resident_mb": round(resident_mb() - before)}))"""


def dictionary_cost() -> dict:
    """The Chinese-English dictionary (components/answers/cross_language.py) read in a fresh interpreter: its words,
    seconds and resident MB."""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", _DICTIONARY_COST], cwd=root, capture_output=True, text=True,
                         check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


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
