"""Per-key rate limit (a token bucket per conversation or session), thread-safe, with bounded memory.

    limiter = RateLimiter(per_minute=20, burst=5)
    wait = limiter.check(conversation_id)   # None: go ahead; else seconds until the next message is accepted

Each key may send `burst` messages at once, then one more every 60/per_minute seconds. At most `max_keys` buckets
are kept; the least recently used go first (a forgotten key simply starts again with a full bucket).

With `buckets=` (components/storage/rate_limit_buckets.py: DatabaseBuckets) the buckets live in the shared
database instead, so app replicas enforce one limit per customer; the clock is then wall time.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable


class RateLimiter:
    def __init__(self, per_minute: int, burst: int, *, max_keys: int = 10_000,
                 clock: Callable[[], float] | None = None, buckets=None):
        if int(per_minute) <= 0:
            raise ValueError("The rate limit (messages per minute) must be a positive number, e.g. 20")
        if int(burst) <= 0:
            raise ValueError("The burst (messages accepted at once) must be a positive number, e.g. 5")
        if int(max_keys) <= 0:
            raise ValueError("max_keys must be positive")
        self.per_minute, self.burst, self.max_keys = int(per_minute), int(burst), int(max_keys)
        self._rate = self.per_minute / 60.0  # tokens per second
        self._clock = clock or (time.time if buckets is not None else time.monotonic)
        self._shared = buckets
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last time)
        self._lock = threading.Lock()

    def check(self, key: str) -> float | None:
        """Take one message from `key`'s bucket. None when allowed; else the seconds to wait (nothing is taken)."""
        key = str(key or "")
        now = self._clock()
        if self._shared is not None:
            return self._shared.take(key, now, self._rate, float(self.burst))
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self._rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = None
            else:
                self._buckets[key] = (tokens, now)
                wait = round((1.0 - tokens) / self._rate, 2)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait

    def reset(self, key: str) -> None:
        if self._shared is not None:
            self._shared.reset(str(key or ""))
            return
        with self._lock:
            self._buckets.pop(str(key or ""), None)

    def __len__(self) -> int:
        if self._shared is not None:
            return len(self._shared)
        with self._lock:
            return len(self._buckets)


def rate_limit_message(wait_s: float, language: str = "en") -> str:
    """The polite notice for a customer who writes faster than the limit."""
    seconds = max(1, int(round(wait_s + 0.49)))
    if language == "zh":
        return f"您发送消息的速度有点快，请 {seconds} 秒后再试。"
    return f"You're sending messages a little too quickly. Please wait {seconds} second{'s' if seconds != 1 else ''} " \
           "and try again."
