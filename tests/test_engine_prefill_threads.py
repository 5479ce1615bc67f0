"""Prefills borrow idle cores: the count comes from the kernel's runnable threads and applies to the prefill only."""
from __future__ import annotations

import pytest
import torch

from components.engine import GenerationParams
from components.engine.cpu_headroom import DecodeThreads, prefill_threads, runnable_elsewhere
from components.engine.scheduler import Scheduler
from tests.test_engine_units import byte_request


def stat_file(tmp_path, running: int | None):
    path = tmp_path / "stat"
    lines = ["cpu  1 2 3 4 5 6 7 8 9 10", "ctxt 99"]
    if running is not None:
        lines.append(f"procs_running {running}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_idle_cores_are_borrowed_and_busy_ones_are_not(tmp_path):
    assert runnable_elsewhere(stat_file(tmp_path, 1)) == 0          # only the caller is running
    assert prefill_threads(1, cores=2, stat_path=stat_file(tmp_path, 1)) == 2
    assert prefill_threads(1, cores=2, stat_path=stat_file(tmp_path, 2)) == 1   # something else holds a core
    assert prefill_threads(1, cores=8, stat_path=stat_file(tmp_path, 4)) == 5
    assert prefill_threads(2, cores=2, stat_path=stat_file(tmp_path, 9)) == 2   # never below the engine's own
    assert prefill_threads(1, fixed=3, cores=2, stat_path=stat_file(tmp_path, 1)) == 3
    # no such line, or no /proc at all: the engine's own threads
    assert prefill_threads(1, cores=2, stat_path=stat_file(tmp_path, None)) == 1
    assert prefill_threads(1, cores=2, stat_path=tmp_path / "missing") == 1


class ThreadRecordingRunner:
    """One-row fake runner that records the OpenMP thread count each call runs with."""

    supports_batching = True

    def __init__(self):
        self.prefill_threads: list[int] = []
        self.decode_threads: list[int] = []

    def prefill(self, ids, prefix_len=0):
        self.prefill_threads.append(torch.get_num_threads())
        logits = torch.zeros(256)
        logits[ord("a")] = 1.0
        return logits, object(), 0

    def merge(self, state, joining):
        return joining

    def select(self, state, keep):
        return state if keep else None

    def decode(self, state, last_tokens):
        self.decode_threads.append(torch.get_num_threads())
        logits = torch.zeros(len(last_tokens), 256)
        logits[:, ord("b")] = 1.0
        return logits


@pytest.fixture()
def one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)   # the engine's default on a 2-core box
    yield
    torch.set_num_threads(before)


def test_the_scheduler_runs_prefill_on_the_threads_it_is_given_and_decode_on_its_own(one_torch_thread):
    runner = ThreadRecordingRunner()
    scheduler = Scheduler(runner, max_batch=2, queue_limit=4, prefill_threads=lambda: 2)
    scheduler.start()
    try:
        request = byte_request(GenerationParams(max_new_tokens=3))
        scheduler.submit(request)
        assert "".join(request.stream) == "abb"
    finally:
        scheduler.stop()
    assert request.stream.stats["prefill_threads"] == 2
    assert runner.prefill_threads == [2]
    # decode steps run with the engine's count, which the prefill left as it was (and so is torch's default)
    assert runner.decode_threads and set(runner.decode_threads) == {1}
    assert torch.get_num_threads() == 1


def test_decode_takes_the_second_core_only_while_it_is_idle(tmp_path):
    busy = stat_file(tmp_path, 2)                    # the caller and one other thread
    policy = DecodeThreads(cores=2, stat_path=busy)
    assert [policy() for _ in range(3)] == [1, 1, 1]
    (tmp_path / "idle").mkdir()
    idle = stat_file(tmp_path / "idle", 1)
    policy.stat_path = idle
    assert policy() == 2                              # one idle reading among the last few is enough
    policy.stat_path = busy
    assert [policy() for _ in range(4)] == [2, 2, 2, 1]  # a busy core, reading after reading: back to one
    # kefu's own helper thread, spinning for the next product, is not another process
    assert DecodeThreads(cores=2, stat_path=busy, helper_awake=lambda: 1)() == 2
    assert DecodeThreads(fixed=1, cores=2, stat_path=idle)() == 1
    assert DecodeThreads(fixed=2, cores=2, stat_path=busy)() == 2
    assert DecodeThreads(cores=1, stat_path=idle)() == 1
    assert DecodeThreads(cores=2, stat_path=tmp_path / "missing")() == 1
