"""`python app.py bench load --users 50 --turns 10 --json`: concurrent gradio_client customers against the app.

Starts the app on a free loopback port with a temporary data directory (or targets `--url`, several replicas as
a comma-separated list: customer i talks to replica i mod n, as a sticky proxy would place them), runs N customers
in parallel threads for T turns each, bounded in time, then checks the app's database (its own, or `--database
URL` for running replicas): every turn that was sent must be stored (`lost` counts those that are not). Prints
turns_sent, errors, lost, latency percentiles and the longest queue position a customer was told.

Customers arrive spread evenly over `--ramp` seconds (0 = all in the same instant). Each connects like a browser
that is patient for a minute: it retries a failed connection four times with a growing pause, and a customer
who still cannot connect counts in `customers_not_connected` and `errors` (and the command exits non-zero). The
clients live in this process, so their own CPU is part of what the box spends: they skip certificate checks on
plain http:// addresses (httpx loads the CA bundle on every request otherwise, ~20 ms of CPU each, which alone
delayed 200 simultaneous connections by seconds) and send no telemetry.
"""
from __future__ import annotations

import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

QUESTIONS = [
    "How long do refunds take?", "Can I cancel an order that was already delivered?", "What is your return policy?",
    "How do I change my shipping address?", "Which payment methods do you accept?", "退货政策是什么？",
    "Hi there", "Do you ship internationally?", "My order #W2611340 — where is it?", "thanks!",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    index = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return round(values[index], 3)


def _start_app(data_dir: Path, cache_dir: Path, timeout: float) -> tuple[subprocess.Popen, str]:
    from gradio_client import Client

    port = _free_port()
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "KEFU_DATA_DIR": str(data_dir), "KEFU_CACHE_DIR": str(cache_dir),
           "KEFU_VAULT_KEY_FILE": str(data_dir.parent / "vault.key"),
           # benchmarks measure capacity: the per-session rate limit would refuse their rapid-fire turns
           "KEFU_RATE_LIMIT_PER_MINUTE": "1000000", "KEFU_RATE_LIMIT_BURST": "1000000",
           "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    log = open(data_dir / "app.log", "ab")
    proc = subprocess.Popen([sys.executable, str(root / "app.py")], cwd=root, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with code {proc.returncode}; see {data_dir / 'app.log'}")
        try:
            if Client(url, verbose=False).predict(api_name="/status").get("ready"):
                return proc, url
        except Exception:
            pass
        time.sleep(1)
    proc.kill()
    raise TimeoutError(f"the app was not ready after {timeout:.0f}s")


CONNECT_ATTEMPTS = 5


def _client_options(url: str) -> dict:
    import httpx

    # a patient browser: a minute to get the page, no limit while an answer streams (the queue sends heartbeats)
    return {"verbose": False, "ssl_verify": not url.startswith("http://"),
            "httpx_kwargs": {"timeout": httpx.Timeout(60.0, connect=30.0)}}


def run_load_bench(settings, *, users: int = 50, turns: int = 10, url: str | None = None,
                   seconds_budget: float = 1500, startup_timeout: float = 600, database: str | None = None,
                   ramp_s: float = 0.0) -> dict:
    from gradio_client import Client
    from gradio_client.utils import Status

    from components.storage.conversation_store import ConversationStore

    if users < 1 or turns < 1:
        raise ValueError("--users and --turns must be at least 1")
    if ramp_s < 0:
        raise ValueError("--ramp must be 0 or more seconds")
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # gradio_client would phone home once per customer
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    tmp = None
    proc = None
    if url is None:
        tmp = tempfile.TemporaryDirectory(prefix="kefu-load-")
        data_dir = Path(tmp.name) / "data"
        data_dir.mkdir()
        proc, url = _start_app(data_dir, settings.cache_dir, startup_timeout)
        database = f"sqlite:///{data_dir / 'kefu.sqlite3'}"
    urls = [u.strip() for u in url.split(",") if u.strip()]
    latencies: list[float] = []
    errors: list[str] = []
    sent: list[tuple[str, str]] = []       # (conversation_id, text) that the app acknowledged
    unacknowledged = 0
    not_connected: list[int] = []  # customers whose client never connected (their turns were never sent)
    lock = threading.Lock()
    deadline = time.time() + seconds_budget
    rng = random.Random(7)
    scripts = [[f"{rng.choice(QUESTIONS)} (customer {u}, turn {t})" for t in range(turns)] for u in range(users)]
    started = time.perf_counter()

    completed: list[int] = []
    longest_queue: list[int] = [0]

    def customer(index: int) -> None:
        nonlocal unacknowledged
        time.sleep(ramp_s * index / users)
        target = urls[index % len(urls)]
        client = None
        for attempt in range(CONNECT_ATTEMPTS):  # a browser that fails to load the page is reloaded
            try:
                client = Client(target, **_client_options(target))
                break
            except Exception as exc:
                if attempt == CONNECT_ATTEMPTS - 1:
                    with lock:
                        errors.append(f"could not connect: {type(exc).__name__}: {str(exc)[:100]}")
                        not_connected.append(index)
                    return
                time.sleep(2.0 * 2 ** attempt)
        cid = ""
        answered_all = True
        try:
            for text in scripts[index]:
                if time.time() > deadline:
                    return
                t0 = time.perf_counter()
                try:
                    job = client.submit(text, cid, api_name="/chat")
                    while not job.done():
                        update = job.status()
                        if update.code == Status.IN_QUEUE and update.rank is not None:
                            with lock:  # rank is 0-based: position 1 is next to be served
                                longest_queue[0] = max(longest_queue[0], update.rank + 1)
                        time.sleep(0.25)
                    r = job.result()
                    cid = r["conversation_id"]
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                        sent.append((cid, text))
                        if r.get("error"):
                            answered_all = False
                            errors.append(f"{r['error']}: {r['reply'][:80]}")
                except Exception as exc:  # a dropped or failed request
                    answered_all = False
                    with lock:
                        errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                        unacknowledged += 1
            if answered_all:
                with lock:
                    completed.append(index)
        finally:
            client.close()

    threads = [threading.Thread(target=customer, args=(i,), daemon=True) for i in range(users)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(max(1.0, deadline - time.time() + 5))
    wall = time.perf_counter() - started
    lost = None
    if database:
        store = ConversationStore(database)
        rows = store.scope_messages(None, ("conversation_id", "text", "role", "state"))
        store.close()
        stored = {(cid, text) for cid, text, role, _ in rows if role == "customer"}
        answered = sum(1 for _, _, role, state in rows if role == "bot" and state == "complete")
        lost = sum(1 for item in sent if item not in stored)
    else:
        answered = None
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    if tmp is not None:
        tmp.cleanup()
    return {
        "replicas": len(urls), "users": users, "turns_per_user": turns, "turns_planned": users * turns,
        "turns_sent": len(sent) + unacknowledged, "turns_answered": len(sent), "errors": len(errors),
        "ramp_s": ramp_s,
        "customers_not_connected": len(not_connected), "customers_completed": len(completed),
        "longest_queue_position": longest_queue[0], "error_examples": errors[:5], "lost": lost, "bot_answers_stored": answered,
        "latency_p50_s": _percentile(latencies, 0.5), "latency_p95_s": _percentile(latencies, 0.95),
        "latency_mean_s": round(statistics.mean(latencies), 3) if latencies else None,
        "wall_s": round(wall, 1), "turns_per_s": round(len(sent) / wall, 2) if wall else None,
        "finished_within_budget": time.time() <= deadline,
    }
