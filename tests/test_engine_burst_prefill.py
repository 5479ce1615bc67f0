"""A burst of requests is prefilled together (one forward pass over every prompt), and a failing prompt fails alone."""
from __future__ import annotations

import time

import pytest
import torch

from components.engine import GenerationParams
from components.engine.detokenizer import IncrementalDetokenizer
from components.engine.request import GenerationStream, Request
from components.engine.scheduler import Scheduler
from components.engine.types import EngineError
from tests.test_engine_units import ByteTokenizer


def request(n: int, prompt: list[int], tokens: int = 3) -> Request:
    return Request(id=n, prompt_ids=prompt, params=GenerationParams(max_new_tokens=tokens), stream=GenerationStream(),
                   detokenizer=IncrementalDetokenizer(ByteTokenizer()), eos_ids=frozenset({0}))


class BatchPrefillRunner:
    """A fake runner: a row's first token is its prompt's first byte, then 'z'. It records the prefill calls; a
    prompt holding 255 makes its prefill raise (and so any prefill_many it is part of)."""

    supports_batching = True

    def __init__(self):
        self.calls: list[tuple[str, int]] = []

    def _logits(self, ids):
        if 255 in ids:
            raise ValueError("this prompt cannot run")
        logits = torch.zeros(256)
        logits[ids[0]] = 1.0
        return logits

    def prefill(self, ids, prefix_len=0):
        self.calls.append(("alone", 1))
        return self._logits(ids), 1, 0

    def prefill_many(self, prompts):
        self.calls.append(("together", len(prompts)))
        return [(self._logits(ids), 1, 0) for ids, _ in prompts]

    def merge(self, state, joining):
        return (state or 0) + joining

    def select(self, state, keep):
        return len(keep) or None

    def decode(self, state, last_tokens):
        self.calls.append(("decode", len(last_tokens)))
        logits = torch.zeros(len(last_tokens), 256)
        logits[:, ord("z")] = 1.0
        return logits




def test_a_burst_is_prefilled_together():
    runner = BatchPrefillRunner()
    requests = [request(n, [ord(c)]) for n, c in enumerate("abc")]
    scheduler = Scheduler(runner, max_batch=8, queue_limit=8)
    for r in requests:
        scheduler.submit(r)
    scheduler.start()
    try:
        assert ["".join(r.stream) for r in requests] == ["azz", "bzz", "czz"]
    finally:
        scheduler.stop()
    assert runner.calls == [("together", 3), ("decode", 3), ("decode", 3)]
    assert [r.stream.stats["prefilled_with"] for r in requests] == [3, 3, 3]
    assert scheduler.totals["prefill_batches"] == 1


def test_a_prompt_that_fails_in_a_burst_fails_alone():
    runner = BatchPrefillRunner()
    requests = [request(0, [ord("a")]), request(1, [255]), request(2, [ord("c")])]
    scheduler = Scheduler(runner, max_batch=8, queue_limit=8)
    for r in requests:
        scheduler.submit(r)
    scheduler.start()
    try:
        assert "".join(requests[0].stream) == "azz"
        assert "".join(requests[2].stream) == "czz"
        with pytest.raises(EngineError, match="cannot run"):
            "".join(requests[1].stream)
    finally:
        scheduler.stop()
    assert runner.calls[:4] == [("together", 3), ("alone", 1), ("alone", 1), ("alone", 1)]


def five_two_token_requests(**scheduler_options) -> tuple[BatchPrefillRunner, list[Request]]:
    """Five prompts of two tokens, queued before the scheduler starts, with passes of four tokens per thread; each
    reply is its prompt's first byte, then 'z' twice."""
    runner = BatchPrefillRunner()
    runner.prefill_pass_tokens = 4
    requests = [request(n, [ord(c), 1]) for n, c in enumerate("abcde")]
    scheduler = Scheduler(runner, max_batch=8, queue_limit=8, **scheduler_options)
    for r in requests:
        scheduler.submit(r)
    scheduler.start()
    try:
        assert ["".join(r.stream) for r in requests] == ["azz", "bzz", "czz", "dzz", "ezz"]
    finally:
        scheduler.stop()
    return runner, requests


def test_a_burst_larger_than_one_pass_lets_the_running_rows_decode_between_passes():
    runner, _ = five_two_token_requests()  # two prompts per pass
    # a and b take their second token before c and d are prefilled, and their third before e is
    assert runner.calls == [("together", 2), ("decode", 2), ("together", 2), ("decode", 4), ("alone", 1),
                            ("decode", 3), ("decode", 1)]


def test_a_pass_takes_prefill_pass_tokens_for_each_of_its_threads():
    """With two prefill threads a pass takes twice the tokens (the runner gives each thread prompts of its own)."""
    runner, requests = five_two_token_requests(prefill_threads=lambda: 2)
    assert runner.calls[:3] == [("together", 4), ("decode", 4), ("alone", 1)]
    assert {r.stream.stats["prefill_threads"] for r in requests} == {2}


def test_a_burst_reaching_an_idle_engine_is_gathered_into_one_pass():
    """Requests arriving one after another at an idle engine, each within the gathering gap of the previous one,
    are prefilled together rather than the first alone."""
    runner = BatchPrefillRunner()
    scheduler = Scheduler(runner, max_batch=8, queue_limit=8, gather_gap_s=1.0, gather_max_s=5.0)
    scheduler.start()
    requests = [request(n, [ord(c)]) for n, c in enumerate("abc")]
    try:
        for r in requests:
            scheduler.submit(r)
            time.sleep(0.05)
        assert ["".join(r.stream) for r in requests] == ["azz", "bzz", "czz"]
    finally:
        scheduler.stop()
    assert runner.calls[0] == ("together", 3)
