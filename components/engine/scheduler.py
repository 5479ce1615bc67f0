"""The scheduler thread: admits queued requests into the running batch between decode steps.

Each loop: drop cancelled/expired requests, prefill newly admitted requests (together in one forward pass where
the runner can, see LlamaSlotRunner.prefill_many, as many as fit its prefill_pass_tokens for each of the prefill's
threads; the rest wait for the next loop, so the rows already running get a token between two passes of a burst;
first tokens stream right away), then run one decode step for the whole batch and stream each row's token. A burst
reaching an idle engine is gathered for a few milliseconds first (see _gather). A request that fails ends
alone with an error; a failure of the batched step itself ends only the requests in that step, and the scheduler
carries on with an empty batch.
"""
from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
from collections.abc import Callable

import torch

from . import sampling
from .request import Request
from .types import EngineBusy

logger = logging.getLogger(__name__)

# a burst reaching an idle engine is admitted together: the scheduler waits this long after each arrival for the
# next, this long in all (see Scheduler._gather)
GATHER_GAP_S, GATHER_MAX_S = 0.002, 0.02


class Scheduler:
    def __init__(self, runner, *, max_batch: int, queue_limit: int, seed: int = 0,
                 prefill_threads: Callable[[], int] | None = None, gather_gap_s: float = GATHER_GAP_S,
                 gather_max_s: float = GATHER_MAX_S):
        """`prefill_threads`, if given, says how many OpenMP threads the next prefill may use (see
        cpu_headroom.py); it is asked just before each prefill and recorded in the request's stats.
        `gather_gap_s` / `gather_max_s`: see _gather."""
        if max_batch <= 0 or queue_limit <= 0:
            raise ValueError("max_batch and queue_limit must be positive")
        self.runner = runner
        self.max_batch = max_batch
        self.queue_limit = queue_limit
        self._waiting: collections.deque[Request] = collections.deque()
        self._active: list[Request] = []
        self._state = None
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._generator = torch.Generator().manual_seed(seed)
        self.totals = collections.Counter()
        self._prefill_threads = prefill_threads
        self._omp = None
        self.gather_gap_s, self.gather_max_s = gather_gap_s, gather_max_s

    # -- caller side --
    def start(self) -> None:
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop = False
            self._thread = threading.Thread(target=self._run, name="kefu-engine-scheduler", daemon=True)
            self._thread.start()

    def submit(self, request: Request) -> None:
        with self._cond:
            if len(self._waiting) >= self.queue_limit:
                self.totals["busy_rejections"] += 1
                raise EngineBusy(f"The assistant is busy ({len(self._waiting)} requests waiting); "
                                 "please try again in a moment")
            self._waiting.append(request)
            self.totals["submitted"] += 1
            self._cond.notify()

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)
        for request in list(self._waiting) + list(self._active):
            request.finish("cancelled", "the engine was shut down")
        self._waiting.clear()
        self._active = []
        self._state = None

    def snapshot(self) -> dict:
        with self._cond:
            return {"queued": len(self._waiting), "active": len(self._active),
                    "batch_length": self._state.length if self._state is not None else 0,
                    **dict(self.totals)}

    # -- scheduler thread --
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and not self._waiting and not self._active:
                    self._cond.wait()
                if self._stop:
                    return
                if not self._active:
                    self._gather()
                free = self.max_batch - len(self._active)
                admitted = [self._waiting.popleft() for _ in range(min(free, len(self._waiting)))]
            try:
                self._step(admitted)
            except Exception:  # never let the thread die; _step already isolated per-request failures
                logger.exception("engine scheduler step failed")

    def _gather(self) -> None:
        """With nothing running, wait while requests keep arriving — each arrival buys gather_gap_s more, at most
        gather_max_s in all — so that a burst reaching an idle engine over a few milliseconds (its requests'
        prompts are tokenized one after another) is prefilled in full passes rather than its first one or two
        alone (measured: 1-5 of the bench's 8 had arrived when the scheduler woke). A lone request waits
        gather_gap_s; nothing running is held up. Called with the lock held."""
        deadline = time.perf_counter() + self.gather_max_s
        while not self._stop and len(self._waiting) < self.max_batch:
            seen = len(self._waiting)
            left = min(self.gather_gap_s, deadline - time.perf_counter())
            if left <= 0:
                return
            self._cond.wait(left)
            if len(self._waiting) == seen:
                return

    def _step(self, admitted: list[Request]) -> None:
        admitted = [r for r in admitted if self._starting(r)]
        threads = self._prefill_threads() if admitted and self._prefill_threads is not None else None
        if len(admitted) > 1 and hasattr(self.runner, "prefill_many"):
            group = self._prefill_group(admitted, threads or 1)
            if len(group) < len(admitted):  # the rest after this step's decode: running streams keep flowing
                with self._cond:
                    self._waiting.extendleft(reversed(admitted[len(group):]))
            if len(group) > 1:
                self._prefill_together(group, threads)
            else:
                self._prefill(group[0], threads)
        else:
            for request in admitted:
                self._prefill(request, threads)
        self._drop_finished_before_decode()
        if not self._active:
            return
        active = self._active
        step_began = time.perf_counter()
        try:
            logits = self.runner.decode(self._state, [r.output_ids[-1] for r in active])
        except Exception as exc:
            logger.exception("batched decode step failed for %d requests", len(active))
            for request in active:
                self._end(request, "error", f"generation failed: {exc}")
            self._active, self._state = [], self.runner.select(self._state, [])
            return
        tokens = sampling.sample_batch(logits, [r.params for r in active], self._generator)
        now = time.perf_counter()
        keep = []
        for row, (request, token) in enumerate(zip(active, tokens)):
            if isinstance(token, Exception):
                self._end(request, "error", f"generation failed: {token}")
                continue
            reason = self._accept(request, token, now)
            if reason:
                self._end(request, reason)
            else:
                keep.append(row)
        self.totals["decode_steps"] += 1
        self.totals["decode_rows"] += len(active)
        self.totals["decode_s"] += time.perf_counter() - step_began
        self._retain(keep)

    def _starting(self, request: Request) -> bool:
        """Stamp the request's start; False (and ended) when it was cancelled or expired while it waited."""
        now = time.perf_counter()
        request.started_at = now
        request.stream.stats["queue_wait_s"] = now - request.submitted_at
        if request.cancelled or request.past_deadline(now):
            self._end(request, "cancelled" if request.cancelled else "deadline")
            return False
        return True

    def _prefill(self, request: Request, threads: int | None = None) -> None:
        now = time.perf_counter()
        try:
            with self._threads_for_prefill([request], threads):
                logits, row_state, reused = self.runner.prefill(request.prompt_ids, request.prefix_len)
            self.totals["prefill_s"] += time.perf_counter() - now
        except Exception as exc:
            logger.exception("prefill failed for request %s", request.id)
            self._end(request, "error", f"generation failed: {exc}")
            return
        self._join(request, logits, row_state, reused)

    def _prefill_group(self, requests: list[Request], threads: int = 1) -> list[Request]:
        """The first requests whose prompts fit one prefill pass (the runner's prefill_pass_tokens for each of the
        pass's threads: LlamaSlotRunner gives each thread prompts of its own; at least one request)."""
        budget = (getattr(self.runner, "prefill_pass_tokens", None) or float("inf")) * max(1, threads)
        group, tokens = [], 0
        for request in requests:
            tokens += len(request.prompt_ids) - request.prefix_len
            if group and tokens > budget:
                break
            group.append(request)
        return group

    def _prefill_together(self, requests: list[Request], threads: int | None = None) -> None:
        """Several admitted requests' prompts in one forward pass (the runner's prefill_many); if that fails, each
        is prefilled alone, so a request that cannot run fails alone."""
        now = time.perf_counter()
        try:
            with self._threads_for_prefill(requests, threads):
                rows = self.runner.prefill_many([(r.prompt_ids, r.prefix_len) for r in requests])
        except Exception:
            logger.exception("prefilling %d requests together failed; prefilling each alone", len(requests))
            for request in requests:
                self._prefill(request, threads)
            return
        self.totals["prefill_s"] += time.perf_counter() - now
        self.totals["prefill_batches"] += 1
        for request, (logits, row_state, reused) in zip(requests, rows):
            request.stream.stats["prefilled_with"] = len(requests)
            self._join(request, logits, row_state, reused)

    def _join(self, request: Request, logits: torch.Tensor, row_state, reused: int) -> None:
        """A prefilled request: its first token, then its row joins the running batch."""
        request.stream.stats["prefix_reused_tokens"] = reused
        self.totals["prefill_tokens"] += len(request.prompt_ids) - reused
        try:
            token = sampling.sample_batch(logits.unsqueeze(0), [request.params], self._generator)[0]
            if isinstance(token, Exception):
                raise token
        except Exception as exc:
            logger.exception("sampling the first token failed for request %s", request.id)
            self._end(request, "error", f"generation failed: {exc}")
            return
        reason = self._accept(request, token, time.perf_counter())
        if reason:
            self._end(request, reason)
            return
        try:
            self._state = self.runner.merge(self._state, row_state)
        except Exception as exc:
            logger.exception("could not add request %s to the batch", request.id)
            self._end(request, "error", f"generation failed: {exc}")
            return
        self._active.append(request)

    def _threads_for_prefill(self, requests: list[Request], threads: int | None):
        """This thread's OpenMP count for one prefill, `threads` (asked once per step; only this thread's: torch's
        default stays as it is)."""
        if threads is None:
            return contextlib.nullcontext()
        if self._omp is None:
            from components.omp_threads import OmpThreads

            self._omp = OmpThreads()
        for request in requests:
            request.stream.stats["prefill_threads"] = threads
        if not self._omp.available or threads == torch.get_num_threads():
            return contextlib.nullcontext()
        return self._omp.limited(threads)

    def _accept(self, request: Request, token: int, now: float) -> str | None:
        try:
            reason = request.accept_token(token, now)
        except Exception as exc:  # e.g. the tokenizer cannot decode this id
            logger.exception("request %s could not take token %s", request.id, token)
            request.stream.stats["error"] = str(exc)
            return "error"
        self.totals["tokens_generated"] += 1
        if reason is None and request.cancelled:
            return "cancelled"
        if reason is None and request.past_deadline(now):
            return "deadline"
        return reason

    def _drop_finished_before_decode(self) -> None:
        now = time.perf_counter()
        keep = []
        for row, request in enumerate(self._active):
            if request.cancelled:
                self._end(request, "cancelled")
            elif request.past_deadline(now):
                self._end(request, "deadline")
            else:
                keep.append(row)
        self._retain(keep)

    def _retain(self, keep: list[int]) -> None:
        if len(keep) == len(self._active):
            return
        with self._cond:
            self._active = [self._active[i] for i in keep]
        self._state = self.runner.select(self._state, keep)  # None when keep is empty

    def _end(self, request: Request, reason: str, error: str | None = None) -> None:
        if reason == "error" and error is None:
            error = request.stream.stats.get("error") or "generation failed"
        self.totals["finished_" + reason] += 1
        request.finish(reason, error)
