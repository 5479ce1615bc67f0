"""This thread's OpenMP thread count, set without touching torch's process-wide default.

torch's `set_num_threads` changes a process-wide default as well as the calling thread's count, so one component
(an embedding worker, the engine's prefill) cannot size its own parallel work with it without changing everybody's.
libgomp keeps the count per thread (the nthreads ICV); threadpoolctl reaches it for the OpenMP runtime torch loaded.
"""
from __future__ import annotations

import contextlib


class OmpThreads:
    """Per-thread OpenMP thread count (libgomp's nthreads ICV) of the OpenMP runtime torch uses."""

    def __init__(self):
        import torch

        self._torch = torch
        try:
            from threadpoolctl import ThreadpoolController

            self._libs = list(ThreadpoolController().select(user_api="openmp").lib_controllers)
        except Exception:  # noqa: BLE001 - no threadpoolctl / no OpenMP runtime: counts cannot be set per thread
            self._libs = []

    @property
    def available(self) -> bool:
        return bool(self._libs)

    def set(self, n: int) -> int:
        """Set this thread's count; returns the previous one. torch reads its process-wide default into a thread
        at the thread's first parallel op, so that is forced first (get_num_threads) and then overridden."""
        old = self._torch.get_num_threads()
        for lib in self._libs:
            lib.set_num_threads(n)
        return old

    @contextlib.contextmanager
    def limited(self, n: int):
        if not self._libs:
            yield
            return
        old = self.set(n)
        try:
            yield
        finally:
            self.set(old)
