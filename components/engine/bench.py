"""`python app.py bench engine --json`: the transformers engine against llama.cpp and plain `model.generate`.

Every conversation gets the same support system prompt plus its own ~500 tokens of retrieved knowledge-base text
and its own question, so the shared prefix is only the system prompt (as in real chats). Generation ignores
end-of-sequence so every request decodes the same number of tokens.

Two ways of being concurrent are measured. `engine.concurrency.<N>` is a burst: N requests submitted at the same
instant (the saturated batch: aggregate and decode-only tokens/s, and the worst-case wait for a first token, which
is bound by prefilling N prompts of ~650 tokens one after another). `engine.conversations.<N>` is N customers
chatting at once, each sending a message, reading the reply, thinking 3-10 s and sending the next (seeded random
arrivals): the first-token wait a customer actually sees when N conversations share the engine.
"""
from __future__ import annotations

import collections
import logging
import os
import resource
import statistics
import threading
import time
from pathlib import Path

from .engine import engine_threads
from .llama_cpp_bench import run_llama_cpp
from .types import GenerationParams

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = ("You are the customer-service assistant of the kefu demo shop. Answer the customer's question "
                 "using only the knowledge-base excerpts in the message. Be brief and polite; if the excerpts do "
                 "not answer the question, say so and offer a human agent.")
QUESTIONS = [
    "How long do refunds take to reach my card?", "Can I exchange a product for a different size?",
    "How do I cancel an order that is still pending?", "Where can I see the status of my order?",
    "Which payment methods can I use?", "How do I change the shipping address of my order?",
    "Can I return an item that was already delivered?", "How do I talk to a human agent?",
    "How do I recover my password?", "What delivery options do you offer?",
    "How do I check my invoice?", "Can I modify the items in a pending order?",
    "How do I verify my identity?", "What happens if my payment fails?",
    "How do I file a complaint?", "Can I switch to another account?",
]


def _kb_texts(kb_dir: Path) -> list[str]:
    files = sorted(Path(kb_dir).rglob("*.md"))
    texts = [f.read_text(encoding="utf-8") for f in files if f.stat().st_size > 200]
    if not texts:
        texts = ["Refunds are returned to the original payment method within 5-7 business days. " * 20]
    return texts


def build_bench_conversations(count: int, kb_dir: Path, count_tokens, context_tokens: int = 500) -> list[list[dict]]:
    """`count` conversations: system prompt + a user turn with ~context_tokens of KB excerpts + a question."""
    texts = _kb_texts(kb_dir)
    conversations = []
    for i in range(count):
        parts, used, j = [], 0, i
        while used < context_tokens:
            doc = texts[j % len(texts)]
            parts.append(doc)
            used += count_tokens(doc)
            j += 3
        context = "\n\n".join(parts)
        while count_tokens(context) > context_tokens:  # trim to ~context_tokens
            context = context[: int(len(context) * 0.95)]
        question = QUESTIONS[i % len(QUESTIONS)]
        conversations.append([
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Knowledge-base excerpts:\n{context}\n\nQuestion: {question}"},
        ])
    return conversations


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _single(engine, conversations, params, runs: int) -> dict:
    before = engine.stats()
    ttfts, rates, threads = [], [], []
    for conv in conversations[:runs]:
        stream = engine.stream(conv, params)
        for _ in stream:
            pass
        ttfts.append(stream.stats["ttft_s"])
        threads.append(stream.stats.get("prefill_threads"))
        if stream.stats["decode_tok_s"]:
            rates.append(stream.stats["decode_tok_s"])
    out = {"runs": len(ttfts), "ttft_p50_s": _pct(ttfts, 0.5), "ttft_p95_s": _pct(ttfts, 0.95),
           "decode_tok_s": statistics.median(rates) if rates else None,
           "prompt_tokens": stream.stats["prompt_tokens"], "prefill_threads": _threads_used(threads)}
    out.update(_decode_steps_by_threads(before, engine.stats()))
    return out


def _decode_steps_by_threads(before: dict, after: dict) -> dict:
    """How many decode steps ran their products on one and on two threads between two engine.stats() (kefu's
    kernels only; empty for the other engines)."""
    keys = {"1": "decode_steps_1_thread", "2": "decode_steps_2_threads"}
    if not all(key in after for key in keys.values()):
        return {}
    return {"decode_steps_by_threads": {n: after[key] - before.get(key, 0) for n, key in keys.items()}}


def _threads_used(values) -> dict:
    """How many prefills ran on how many threads (engines that choose per prefill; empty for the others)."""
    counts = collections.Counter(str(v) for v in values if v is not None)
    return dict(sorted(counts.items()))


def _run_together(target, n: int, barrier: threading.Barrier) -> float:
    """Run target(0..n-1) on n threads released together by `barrier` (n + 1 parties); the wall time in seconds."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began


def _concurrent(engine, conversations, params, n: int) -> dict:
    streams = [None] * n
    errors: list[str] = []
    barrier = threading.Barrier(n + 1)

    def consume(i):
        barrier.wait()
        try:
            streams[i] = engine.stream(conversations[i % len(conversations)], params)
            for _ in streams[i]:
                pass
        except Exception as exc:  # reported in the result, not raised
            errors.append(str(exc))

    before = engine.stats()
    wall = _run_together(consume, n, barrier)
    done = [s for s in streams if s is not None and s.stats["ttft_s"] is not None]
    tokens = sum(s.stats["tokens"] for s in done)
    ttfts = [s.stats["ttft_s"] for s in done]
    after = engine.stats()
    out = {"requests": n, "completed": len(done), "errors": errors[:3], "wall_s": wall, "tokens": tokens,
           "aggregate_tok_s": tokens / wall if wall else None,
           "ttft_p50_s": _pct(ttfts, 0.5), "ttft_p95_s": _pct(ttfts, 0.95),
           "prefill_threads": _threads_used(s.stats.get("prefill_threads") for s in done)}
    if "decode_s" in after:  # batched decode alone (prefill time excluded), from the scheduler's counters
        rows = after.get("decode_rows", 0) - before.get("decode_rows", 0)
        seconds = after["decode_s"] - before.get("decode_s", 0.0)
        steps = after.get("decode_steps", 0) - before.get("decode_steps", 0)
        out["decode_aggregate_tok_s"] = rows / seconds if seconds else None
        out["mean_batch"] = rows / steps if steps else None
        out["prefill_s"] = after.get("prefill_s", 0.0) - before.get("prefill_s", 0.0)
    if "prefill_busiest_thread_cpu_s" in after:  # the lean runner: each pass's busiest prefill thread's CPU time
        out["prefill_busiest_thread_cpu_s"] = (after["prefill_busiest_thread_cpu_s"]
                                               - before.get("prefill_busiest_thread_cpu_s", 0.0))
    return out


def _conversations(engine, conversations, params, n: int, turns: int, think_s: tuple[float, float],
                   seed: int = 0) -> dict:
    """`n` customers chatting at the same time: each sends a first message at a random moment within the first
    think interval, reads the streamed reply, thinks/types for a random `think_s` interval, and sends the next
    message (a new question with its own ~500 tokens of retrieved context), `turns` times. The time to first token
    of every message is what a customer waits for; aggregate tokens/s counts every token over the wall time."""
    import random

    rng = random.Random(seed)
    plans = [[rng.uniform(*think_s) if t else rng.uniform(0, think_s[1]) for t in range(turns)] for _ in range(n)]
    ttfts: list[float] = []
    threads: list = []
    tokens = [0]
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n + 1)

    def customer(i):
        barrier.wait()
        for t, pause in enumerate(plans[i]):
            time.sleep(pause)
            try:
                stream = engine.stream(conversations[(i + t * n) % len(conversations)], params)
                for _ in stream:
                    pass
            except Exception as exc:  # reported in the result, not raised
                errors.append(str(exc))
                continue
            with lock:
                ttfts.append(stream.stats["ttft_s"])
                threads.append(stream.stats.get("prefill_threads"))
                tokens[0] += stream.stats["tokens"]

    wall = _run_together(customer, n, barrier)
    return {"customers": n, "turns_each": turns, "think_s": list(think_s), "messages": len(ttfts),
            "errors": errors[:3], "wall_s": wall, "tokens": tokens[0],
            "aggregate_tok_s": tokens[0] / wall if wall else None,
            "ttft_p50_s": _pct(ttfts, 0.5), "ttft_p95_s": _pct(ttfts, 0.95), "ttft_max_s": max(ttfts, default=None),
            "prefill_threads": _threads_used(threads)}


def _plain_generate(engine, conversations, max_new_tokens: int, runs: int) -> dict:
    """transformers' own model.generate, one request at a time, with a streamer to time the first token."""
    import torch
    from transformers import TextIteratorStreamer

    model, tokenizer = engine.model, engine.tokenizer
    ttfts, rates = [], []
    for conv in conversations[:runs]:
        ids = engine._builder.build(conv, context_window=engine.context_window, max_new_tokens=max_new_tokens).ids
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True)
        began = time.perf_counter()
        stamps = []

        def run():
            with torch.inference_mode():
                model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                               max_new_tokens=max_new_tokens, min_new_tokens=max_new_tokens, do_sample=False,
                               streamer=streamer)

        worker = threading.Thread(target=run)
        worker.start()
        for _ in streamer:
            stamps.append(time.perf_counter())
        worker.join()
        ttfts.append(stamps[0] - began)
        # the streamer releases text per word, so time the decode from the first to the last release
        rates.append((max_new_tokens - 1) / max(stamps[-1] - stamps[0], 1e-9))
    return {"runs": len(ttfts), "ttft_p50_s": _pct(ttfts, 0.5), "ttft_p95_s": _pct(ttfts, 0.95),
            "decode_tok_s": statistics.median(rates) if rates else None}


def _load_average() -> list[float] | None:
    """The machine's 1, 5 and 15 minute load averages (None where /proc/loadavg is missing)."""
    try:
        return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return None


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ratio(a, b):
    return round(a / b, 3) if a and b else None


# each ratio in the JSON: (its key, the numerator's path, the denominator's path), both paths into the same JSON
RATIOS = (
    ("engine_single_vs_llama_cpp_single", "engine.single.decode_tok_s", "llama_cpp.single.decode_tok_s"),
    ("engine_1_thread_vs_llama_cpp_1_thread", "engine.single_threads.1.decode_tok_s",
     "llama_cpp.threads.1.decode_tok_s"),
    ("engine_2_threads_vs_llama_cpp_2_threads", "engine.single_threads.2.decode_tok_s",
     "llama_cpp.threads.2.decode_tok_s"),
    ("engine_c8_aggregate_vs_llama_cpp_single", "engine.concurrency.8.aggregate_tok_s",
     "llama_cpp.single.decode_tok_s"),
    ("engine_c8_decode_aggregate_vs_llama_cpp_single", "engine.concurrency.8.decode_aggregate_tok_s",
     "llama_cpp.single.decode_tok_s"),
    ("engine_c8_decode_aggregate_vs_llama_cpp_all_cores", "engine.concurrency.8.decode_aggregate_tok_s",
     "llama_cpp.single_all_cores.decode_tok_s"),
    ("engine_single_vs_plain_generate", "engine.single.decode_tok_s", "plain_generate.single.decode_tok_s"),
    ("engine_c8_aggregate_vs_plain_generate", "engine.concurrency.8.aggregate_tok_s",
     "plain_generate.single.decode_tok_s"),
)


def figure(result: dict, path: str):
    """The value at a dotted path of the bench's JSON (None where any part is missing)."""
    value = result
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def bench_ratios(result: dict) -> dict:
    """Every ratio of RATIOS, computed from the raw figures in `result` (None where either is missing)."""
    return {key: _ratio(figure(result, top), figure(result, bottom)) for key, top, bottom in RATIOS}


PARTS = ("single", "threads", "burst", "concurrency", "conversations", "plain", "llama_cpp")


def run_engine_bench(settings, *, seconds_budget: float = 600, concurrency=(4, 8, 16), include_llama_cpp=True,
                     include_plain_generate=True, max_new_tokens: int = 128, single_runs: int = 5,
                     conversation_sizes=(8,), conversation_turns: int = 3,
                     think_s: tuple[float, float] = (3.0, 10.0), only: str | None = None) -> dict:
    """Measure the engine; returns a JSON-serialisable dict (see the module docstring for the workload). `only`:
    a comma-separated subset of PARTS (`bench engine --only burst,llama_cpp`); the engine's single stream always
    runs (it warms the engine up and gives the prompt size)."""
    from dataclasses import replace

    from . import build_engine

    parts = set(PARTS)
    if only:
        parts = {part.strip() for part in only.split(",") if part.strip()}
        unknown = parts - set(PARTS)
        if unknown:
            raise ValueError(f"--only: unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")
        if "concurrency" not in parts:
            concurrency = (8,) if "burst" in parts else ()
        conversation_sizes = conversation_sizes if "conversations" in parts else ()
        include_plain_generate = include_plain_generate and "plain" in parts
        include_llama_cpp = include_llama_cpp and "llama_cpp" in parts
    began = time.perf_counter()

    def left() -> float:
        return seconds_budget - (time.perf_counter() - began)

    params = GenerationParams(max_new_tokens=max_new_tokens, temperature=0.0, ignore_eos=True, deadline_s=None)
    max_n = max(concurrency) if concurrency else 1
    tf_settings = replace(settings, engine_backend="transformers",
                          engine_max_batch=max(settings.engine_max_batch, max_n),
                          engine_queue_limit=max(settings.engine_queue_limit, max_n), request_deadline_s=0)
    result: dict = {"load_average_before": _load_average(), "parts": sorted(parts), "workload": {"system_prompt_tokens": None, "context_tokens": 500,
                                 "max_new_tokens": max_new_tokens, "model": settings.model,
                                 "dtype": settings.engine_dtype, "threads": settings.engine_threads,
                                 "prefill_threads": settings.engine_prefill_threads},
                    "skipped": []}
    engine = build_engine(tf_settings)
    t0 = time.perf_counter()
    engine.start()
    result["engine"] = {"start_s": time.perf_counter() - t0, "model": engine.model_name}
    conversations = build_bench_conversations(max(max_n, single_runs + 1), settings.kb_docs_dir,
                                              engine.count_tokens)
    result["workload"]["system_prompt_tokens"] = engine.count_tokens(SYSTEM_PROMPT)
    engine.generate(conversations[-1], GenerationParams(max_new_tokens=4))  # warm-up
    single = _single(engine, conversations, params, single_runs)
    result["workload"]["prompt_tokens"] = single.pop("prompt_tokens")
    result["engine"]["single"] = single
    policy = getattr(engine, "decode_policy", None)
    if policy is not None and "threads" in parts:  # kefu's kernels: the same stream on one and two threads, forced
        result["engine"]["single_threads"] = {}
        for count in (1, 2):
            policy.fixed = count
            forced = _single(engine, conversations, params, single_runs)
            forced.pop("prompt_tokens", None)
            result["engine"]["single_threads"][str(count)] = {**forced, "threads": count}
        policy.fixed = settings.engine_decode_threads
    result["engine"]["concurrency"] = {}
    for n in concurrency:
        if left() < 60:
            result["skipped"].append(f"engine concurrency {n}: time budget")
            continue
        result["engine"]["concurrency"][str(n)] = _concurrent(engine, conversations, params, n)
    result["engine"]["conversations"] = {}
    for n in conversation_sizes:
        if left() < 90:
            result["skipped"].append(f"engine conversations {n}: time budget")
            continue
        result["engine"]["conversations"][str(n)] = _conversations(
            engine, conversations, params, n, conversation_turns, think_s)
    result["engine"]["stats"] = {k: v for k, v in engine.stats().items()
                                 if isinstance(v, (int, float, str)) or v is None}
    if include_plain_generate and left() > 30:
        result["plain_generate"] = {"single": _plain_generate(engine, conversations, max_new_tokens,
                                                              min(3, single_runs))}
    else:
        result["plain_generate"] = {"single": {"decode_tok_s": None, "reason": "skipped (time budget or asked)"}}
    result["engine"]["peak_rss_mb"] = _peak_rss_mb()
    engine.close()

    result["llama_cpp"] = {"single": {"decode_tok_s": None}}
    if not include_llama_cpp:
        result["llama_cpp"]["single"]["reason"] = "not requested"
    elif left() < 30:
        result["llama_cpp"]["single"]["reason"] = "time budget"
    else:
        # in a child process: a crash inside llama.cpp is reported here instead of ending the bench
        decode_threads = engine_threads(settings)
        counts = sorted({1, min(2, os.cpu_count() or 1), decode_threads, os.cpu_count() or 1})
        llama = run_llama_cpp(settings, conversations, threads=counts, max_new_tokens=max_new_tokens,
                              runs=single_runs, timeout_s=max(240.0, left()))
        if "threads" in llama:
            result["llama_cpp"] = {**llama, "single": llama["threads"].get(str(decode_threads), {})}
            if (os.cpu_count() or 1) > decode_threads:  # every core decoding, for the reader who would give it those
                result["llama_cpp"]["single_all_cores"] = llama["threads"][str(os.cpu_count())]
        else:
            result["llama_cpp"]["single"]["reason"] = llama["reason"]

    result["load_average_after"] = _load_average()
    result["ratios"] = bench_ratios(result)
    result["elapsed_s"] = time.perf_counter() - began
    result["engine"]["runner"] = result["engine"]["stats"].get("runner")
    result["engine"]["isa"] = result["engine"]["stats"].get("isa")  # which build of kefu's kernels ran, if any
    result["engine"]["kernels"] = result["engine"]["stats"].get("kernels")  # and why (or why none)
    return result
