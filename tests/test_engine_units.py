"""Small pure parts of the engine: incremental detokenizing, stop strings, sampling, the request stream."""
from __future__ import annotations

import threading

import pytest
import torch

from components.engine import EngineError, GenerationParams
from components.engine.detokenizer import IncrementalDetokenizer
from components.engine.request import GenerationStream, Request
from components.engine.sampling import sample_batch, sample_next


class ByteTokenizer:
    """Each token is one UTF-8 byte, so multi-byte characters arrive in pieces."""

    def decode(self, ids, **_):
        return bytes(ids).decode("utf-8", errors="replace")


def byte_request(params: GenerationParams, eos: int = 0) -> Request:
    return Request(id=1, prompt_ids=[1], params=params, stream=GenerationStream(),
                   detokenizer=IncrementalDetokenizer(ByteTokenizer()), eos_ids=frozenset({eos}))


@pytest.mark.parametrize("text", ["退货需要多长时间？", "naïve café ✓", "plain ascii"])
def test_detokenizer_never_emits_broken_utf8(text):
    detok = IncrementalDetokenizer(ByteTokenizer())
    deltas = [detok.push(b) for b in text.encode()]
    deltas.append(detok.flush())
    assert "".join(deltas) == text
    assert not any("\ufffd" in d for d in deltas)


def test_stop_string_split_across_tokens_is_cut():
    request = byte_request(GenerationParams(max_new_tokens=100, stop=["\nUser:"]))
    reason = None
    for b in "Sure, done.\nUser: more".encode():
        reason = request.accept_token(b, now=1.0)
        if reason:
            break
    request.finish(reason)
    assert reason == "stop"
    assert "".join(request.stream) == "Sure, done."


def test_length_and_eos_finish_reasons():
    request = byte_request(GenerationParams(max_new_tokens=3))
    reasons = [request.accept_token(b, now=1.0) for b in b"abc"]
    assert reasons == [None, None, "length"]
    request = byte_request(GenerationParams(max_new_tokens=10))
    assert request.accept_token(ord("a"), now=1.0) is None
    assert request.accept_token(0, now=1.0) == "stop"  # 0 is this request's end-of-sequence token
    request.finish("stop")
    assert "".join(request.stream) == "a" and request.stream.stats["tokens"] == 1


def test_stream_raises_engine_error_and_cancels_when_abandoned():
    failing = GenerationStream()
    failing.put_text("partial ")
    failing.finish("error", "generation failed: boom")
    seen = []
    with pytest.raises(EngineError, match="boom"):
        for delta in failing:
            seen.append(delta)
    assert seen == ["partial "]
    cancel = threading.Event()
    abandoned = GenerationStream(cancel)
    abandoned.put_text("a")
    abandoned.put_text("b")
    for _ in abandoned:
        break
    assert cancel.is_set()


def test_sampling_greedy_top_p_and_row_isolation():
    logits = torch.tensor([[0.0, 5.0, 1.0], [3.0, 0.0, 0.0], [float("nan")] * 3])
    greedy = GenerationParams(max_new_tokens=1)
    out = sample_batch(logits, [greedy, GenerationParams(max_new_tokens=1, temperature=1.0, top_p=0.01), greedy])
    assert out[0] == 1 and out[1] == 0  # top_p this small keeps only the most likely token
    assert isinstance(out[2], Exception)  # the broken row fails alone
    gen = torch.Generator().manual_seed(0)
    draws = {sample_next(torch.tensor([0.0, 0.0, 0.0]), GenerationParams(max_new_tokens=1, temperature=1.0), gen)
             for _ in range(50)}
    assert draws == {0, 1, 2}


def test_generation_params_are_checked():
    with pytest.raises(ValueError):
        GenerationParams(max_new_tokens=0)
    with pytest.raises(ValueError):
        GenerationParams(top_p=0)


def test_the_isa_setting_names_every_build_of_the_kernels(tmp_path):
    from components.engine.cpu_kernels import ISA_NAMES
    from components.settings import Settings

    for name in ISA_NAMES:
        assert Settings(data_dir=tmp_path, engine_isa=name).engine_isa == name


@pytest.mark.parametrize("field, value, message", [
    ("engine_quantize", "int4", "KEFU_ENGINE_QUANTIZE must be auto, none or int8"),
    ("engine_kernels", "avx2", "KEFU_ENGINE_KERNELS must be auto or torch"),
    ("engine_runner", "fast", "KEFU_ENGINE_RUNNER must be auto or generic"),
    ("engine_isa", "avx", "KEFU_ENGINE_ISA must be auto, avx512bf16, avx512, avxvnni or avx2"),
])
def test_bad_engine_settings_fail_at_start_up_with_the_variable_named(tmp_path, field, value, message):
    from components.settings import Settings

    with pytest.raises(ValueError, match=message):
        Settings(data_dir=tmp_path, **{field: value})
