"""The transformers engine on the real SmolLM2 model: streaming, batching, cancellation, busy, truncation, errors."""
from __future__ import annotations

import threading
import time

import pytest

from components.engine import EngineBusy, EngineError, GenerationParams, build_engine, cpu_kernels
from components.settings import Settings

SYSTEM = {"role": "system", "content": "You are a polite support assistant for an online shop. Answer briefly."}
QUESTIONS = ["How do I return a pair of shoes?", "Where is my order?", "Do you ship to Canada?"]


def chat(question: str, history: list[dict] | None = None) -> list[dict]:
    return [SYSTEM, *(history or []), {"role": "user", "content": question}]


@pytest.fixture(scope="module", params=["auto", "generic", "kernels"])
def engine(request, tmp_path_factory, model_cache_dir):
    """Both forward passes: kefu's lean slot-cache runner ("auto" picks it for SmolLM2) and transformers' own, in
    float32 so a row computed inside a batch matches the same prompt computed alone; and the default engine
    (bfloat16, 4-bit decode on kefu's CPU kernels), whose rows are computed each on its own."""
    if request.param == "kernels" and cpu_kernels.load(model_cache_dir)[0] is None:
        pytest.skip("kefu's CPU kernels are not available here")
    settings = Settings(data_dir=tmp_path_factory.mktemp("engine-data"), cache_dir_override=model_cache_dir,
                        engine_dtype="bfloat16" if request.param == "kernels" else "float32",
                        engine_max_batch=8, engine_queue_limit=16,
                        context_window=512, request_deadline_s=0,  # 0 = no default deadline
                        engine_runner="auto" if request.param == "kernels" else request.param)
    eng = build_engine(settings)
    eng.start()
    assert eng.runner_name.startswith({"auto": "llama-slots", "generic": "transformers",
                                       "kernels": "llama-slots, 4-bit blocks x int8 (kefu kernels)"}[request.param])
    assert (eng.stats()["isa"] is not None) == (request.param == "kernels")  # which build of the kernels ran
    yield eng
    eng.close()


def greedy(n: int) -> GenerationParams:
    return GenerationParams(max_new_tokens=n, temperature=0.0)


def test_kefu_engine_isa_forces_a_build_and_the_stats_say_so(tmp_path, model_cache_dir):
    """KEFU_ENGINE_ISA=avx2: the engine decodes on the AVX2 build (what a CPU without AVX-512 runs) and says so."""
    if cpu_kernels.choose_isa(cpu_kernels.cpu_flags(), "avx2")[0] is None:
        pytest.skip("this CPU cannot run the AVX2 build")
    eng = build_engine(Settings(data_dir=tmp_path, cache_dir_override=model_cache_dir, engine_isa="avx2",
                                context_window=512, request_deadline_s=0))
    eng.start()
    try:
        stats = eng.stats()
        assert stats["isa"] == "avx2" and stats["kernels"].startswith("avx2: KEFU_ENGINE_ISA=avx2; "), stats
        assert stats["runner"].startswith("llama-slots, 4-bit blocks x int8 (kefu kernels)")
        reply = eng.generate(chat("How do I return a pair of shoes?"), greedy(12))
        assert len(reply.split()) >= 3
    finally:
        eng.close()


def test_streams_real_tokens_from_smollm2(engine):
    stream = engine.stream(chat(QUESTIONS[0]), greedy(12))
    deltas = list(stream)
    assert len(deltas) >= 3, deltas  # arrives in pieces, not one block
    text = "".join(deltas)
    assert text.strip() and "\ufffd" not in text
    stats = stream.stats
    assert stats["finish_reason"] in ("stop", "length")
    assert 1 <= stats["tokens"] <= 12
    assert stats["prompt_tokens"] > 10 and stats["ttft_s"] > 0
    assert engine.model_name.startswith("SmolLM2")


def test_greedy_is_deterministic_and_reuses_system_prefix(engine):
    first = engine.stream(chat(QUESTIONS[1]), greedy(8))
    a = "".join(first)
    second = engine.stream(chat(QUESTIONS[1]), greedy(8))
    b = "".join(second)
    assert a == b
    assert second.stats["prefix_reused_tokens"] > 0  # the system prompt's cache was shared


def near_tie(engine, question: str, a: str, b: str, margin: float = 0.5) -> bool:
    """Two greedy replies part where the model itself scores both next tokens within `margin` logits of each other
    (what a change of rounding may flip); a mixed-up row (another prompt's cache, a wrong mask) parts anywhere."""
    import torch

    from components.engine.chat_prompt import ChatPromptBuilder

    builder = ChatPromptBuilder(engine.tokenizer)
    ids = builder.encode(builder.render(chat(question)))
    ta, tb = (engine.tokenizer(t, add_special_tokens=False)["input_ids"] for t in (a, b))
    i = next((n for n, (x, y) in enumerate(zip(ta, tb)) if x != y), min(len(ta), len(tb)))
    if i >= min(len(ta), len(tb)):
        return False
    with torch.no_grad():
        logits = engine.model(torch.tensor([ids + ta[:i]])).logits[0, -1].float()
    first, second = float(logits[ta[i]]), float(logits[tb[i]])
    return abs(first - second) < margin and float(logits.max()) - max(first, second) < margin


def test_concurrent_requests_match_their_single_runs(engine):
    singles = {q: engine.generate(chat(q), greedy(8)) for q in QUESTIONS}
    results: dict[str, str] = {}
    reasons: list[str] = []
    barrier = threading.Barrier(len(QUESTIONS))

    def worker(q):
        barrier.wait()
        stream = engine.stream(chat(q), greedy(8))
        results[q] = "".join(stream)
        reasons.append(stream.stats["finish_reason"])

    threads = [threading.Thread(target=worker, args=(q,)) for q in QUESTIONS]
    before = engine.stats()["decode_rows"], engine.stats()["decode_steps"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert set(reasons) <= {"stop", "length"}, reasons
    if engine.stats()["isa"] is None:  # float32: a row computed inside a batch is the row computed alone
        assert results == singles
    else:  # bfloat16 prompts prefilled together share matrix products whose rounding depends on the batch's shape
        assert all(results[q] == singles[q] or near_tie(engine, q, results[q], singles[q]) for q in QUESTIONS), (
            results, singles)
    rows = engine.stats()["decode_rows"] - before[0]
    steps = engine.stats()["decode_steps"] - before[1]
    assert rows / steps > 1.5, "requests should have shared decode steps"


def test_cancel_stops_a_request(engine):
    cancel = threading.Event()
    stream = engine.stream(chat("Write a long story about a lost parcel."), greedy(150), cancel=cancel)
    received = []
    for delta in stream:
        received.append(delta)
        if len(received) == 2:
            cancel.set()
    assert stream.stats["finish_reason"] == "cancelled"
    assert stream.stats["tokens"] < 150


def test_leaving_the_loop_cancels(engine):
    stream = engine.stream(chat("Write a long story about a lost parcel."), greedy(150))
    for _ in stream:
        break
    assert stream.wait(30)
    assert stream.stats["finish_reason"] == "cancelled"


def test_deadline_ends_request(engine):
    stream = engine.stream(chat("Write a long story about a lost parcel."),
                           GenerationParams(max_new_tokens=150, deadline_s=0.5))
    "".join(stream)
    assert stream.stats["finish_reason"] == "deadline"


def test_busy_when_queue_full(tmp_path, model_cache_dir):
    settings = Settings(data_dir=tmp_path, cache_dir_override=model_cache_dir, engine_max_batch=1,
                        engine_queue_limit=1)
    eng = build_engine(settings)
    eng.start()
    try:
        running = eng.stream(chat(QUESTIONS[0]), greedy(100))
        deadline = time.time() + 30
        while eng.stats()["active"] == 0 and time.time() < deadline:
            time.sleep(0.02)
        queued = eng.stream(chat(QUESTIONS[1]), greedy(100))
        with pytest.raises(EngineBusy):
            eng.stream(chat(QUESTIONS[2]), greedy(5))
        running.cancel()
        queued.cancel()
        assert queued.wait(30) and running.wait(30)
    finally:
        eng.close()


def test_truncation_drops_oldest_history_first(engine):
    long_turn = "Tell me about your shipping and returns policy in detail. " * 40
    history = []
    for i in range(8):
        history += [{"role": "user", "content": f"Old question {i}: {long_turn}"},
                    {"role": "assistant", "content": f"Old answer {i}: {long_turn}"}]
    small = Settings(data_dir=engine.settings.data_dir, cache_dir_override=engine.settings.cache_dir,
                     context_window=1024)
    plan = engine._builder.build(chat("What is my refund status?", history), context_window=1024,
                                 max_new_tokens=small.max_new_tokens)
    text = engine.tokenizer.decode(plan.ids)
    assert plan.truncated and "oldest history" in plan.note
    assert len(plan.ids) + small.max_new_tokens <= 1024
    assert SYSTEM["content"] in text and "What is my refund status?" in text
    assert "Old question 0" not in text and "Old answer 7" in text
    stream = engine.stream(chat("What is my refund status?", history), greedy(5))
    "".join(stream)
    assert stream.stats["truncated"] and stream.stats["truncation_note"]


def test_failing_request_does_not_stop_others(engine, monkeypatch):
    from components.engine import sampling

    original = sampling.sample_batch

    def flaky(logits, params, generator=None):
        out = original(logits, params, generator)
        return [RuntimeError("injected fault") if p.top_p == 0.5 else t for t, p in zip(out, params)]

    monkeypatch.setattr(sampling, "sample_batch", flaky)
    good = engine.stream(chat(QUESTIONS[0]), greedy(8))
    bad = engine.stream(chat(QUESTIONS[1]), GenerationParams(max_new_tokens=8, temperature=0.0, top_p=0.5))
    with pytest.raises(EngineError, match="injected fault"):
        "".join(bad)
    assert "".join(good).strip()
    assert good.stats["finish_reason"] in ("stop", "length")
    assert bad.stats["finish_reason"] == "error"


def test_bad_messages_are_rejected_with_a_clear_message(engine):
    with pytest.raises(ValueError, match="role"):
        engine.stream([{"role": "robot", "content": "hi"}])
    with pytest.raises(ValueError, match="last message"):
        engine.stream([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
