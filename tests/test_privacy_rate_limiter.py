"""The per-conversation rate limiter: burst, refill, wait times, bounded memory, thread safety."""
from __future__ import annotations

import threading

import pytest

from components.privacy.rate_limiter import RateLimiter, rate_limit_message


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_one_every_interval():
    clock = Clock()
    limiter = RateLimiter(per_minute=6, burst=3, clock=clock)  # one message per 10 s after a burst of 3
    assert [limiter.check("a") for _ in range(3)] == [None, None, None]
    wait = limiter.check("a")
    assert wait == pytest.approx(10.0, abs=0.01)
    clock.now += 4
    assert limiter.check("a") == pytest.approx(6.0, abs=0.01)  # refused calls take nothing
    clock.now += 6
    assert limiter.check("a") is None
    assert limiter.check("a") == pytest.approx(10.0, abs=0.01)
    assert limiter.check("b") is None  # keys are independent
    clock.now += 3600
    assert [limiter.check("a") for _ in range(4)][:3] == [None, None, None]  # refills to the burst, no more


def test_memory_is_bounded():
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=1, max_keys=100, clock=clock)
    for i in range(10_000):
        limiter.check(f"session-{i}")
    assert len(limiter) == 100
    # the most recent keys are remembered, the oldest were dropped (and start again with a full bucket)
    assert limiter.check("session-9999") is not None
    assert limiter.check("session-0") is None


def test_threads_share_one_bucket_exactly():
    limiter = RateLimiter(per_minute=1, burst=25, clock=Clock())
    allowed = []
    lock = threading.Lock()

    def hammer():
        for _ in range(20):
            if limiter.check("shared") is None:
                with lock:
                    allowed.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 25


def test_real_clock_and_bad_settings():
    limiter = RateLimiter(per_minute=600, burst=1)
    assert limiter.check("x") is None
    assert 0 < limiter.check("x") <= 0.1
    for kwargs in ({"per_minute": 0, "burst": 1}, {"per_minute": 5, "burst": 0}):
        with pytest.raises(ValueError):
            RateLimiter(**kwargs)


def test_polite_messages():
    assert "3 seconds" in rate_limit_message(2.2)
    assert "1 second " in rate_limit_message(0.1)
    assert "秒后再试" in rate_limit_message(5, "zh")
