"""How many threads a prefill may use: the engine's own, plus the cores nothing else is running on right now.

A prefill is a few large matrix products, so a second core nearly halves it — but only while that core is idle.
Measured on the 2-core box (582-token prompt, bfloat16): 1.05 s on one thread and 0.56 s on two with nothing else
running; with another process busy on the second core, 1.07-1.14 s on one thread but 1.53-1.86 s on two (an
OpenMP thread waits for its descheduled sibling at every barrier). Decode steps stay on the engine's threads: they
are ~40 small parallel regions per layer, where waiting on a busy sibling costs the most.

"Right now" is the kernel's count of runnable threads (`procs_running` in /proc/stat), read just before each
prefill; the reading thread itself is one of them. The fewest of three readings 1 ms apart counts, so a thread that
is only passing through (the customer's handler handing over its request) does not; a busy process stays runnable
in every reading. Without /proc/stat (not Linux) prefills keep the engine's threads.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

PROC_STAT = Path("/proc/stat")
READINGS, READING_GAP_S = 3, 0.001


def runnable_elsewhere(stat_path: Path = PROC_STAT) -> int | None:
    """Runnable threads on the machine besides the caller, or None when the kernel does not say."""
    try:
        with open(stat_path, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("procs_running"):
                    return max(0, int(line.split()[1]) - 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def prefill_threads(base: int, fixed: int = 0, cores: int | None = None, stat_path: Path = PROC_STAT) -> int:
    """`fixed` when set (> 0); otherwise `base` plus the cores no other runnable thread is using."""
    if fixed > 0:
        return fixed
    cores = cores or os.cpu_count() or 1
    readings = []
    for attempt in range(READINGS):
        if attempt:
            time.sleep(READING_GAP_S)
        readings.append(runnable_elsewhere(stat_path))
        if readings[-1] is None or readings[-1] == 0:
            break
    if readings[-1] is None:
        return base
    busy = min(readings)
    return max(base, min(cores, cores - busy))


class DecodeThreads:
    """How many threads the next decode step's matrix products use: `fixed` (1 or 2) when set, else 2 while
    another core is idle, else 1. A decode step is ~10 ms, so it is asked at every step and reads /proc/stat once;
    the decision goes by the fewest runnable threads of the last `window` readings, so the customer's handler
    woken by the previous token does not count, but a busy process (runnable in every reading) does. kefu's own
    helper thread, spinning for the next product, is not counted as another process."""

    def __init__(self, fixed: int = 0, helper_awake=lambda: 0, cores: int | None = None,
                 stat_path: Path = PROC_STAT, window: int = 4):
        self.fixed = fixed
        self.helper_awake = helper_awake
        self.cores = cores or os.cpu_count() or 1
        self.stat_path = stat_path
        self.window = window
        self._readings: list[int] = []

    def __call__(self) -> int:
        if self.fixed > 0:
            return self.fixed
        if self.cores < 2:
            return 1
        busy = runnable_elsewhere(self.stat_path)
        if busy is None:
            return 1
        self._readings = [*self._readings[-(self.window - 1):], max(0, busy - self.helper_awake())]
        return 2 if min(self._readings) < self.cores - 1 else 1
