"""Shared machinery for backends that generate one request per worker thread (llama.cpp, OpenAI-compatible HTTP).

The subclass turns one request into text deltas (`_produce`); this class gives it the bounded queue and
EngineBusy, cancellation, deadlines, stop strings, streaming and per-request errors — the same behaviour as the
in-process transformers engine.
"""
from __future__ import annotations

from abc import abstractmethod

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Iterator

from .chat_prompt import validate_messages
from .engine import Engine
from .request import GenerationStream
from .types import EngineBusy, GenerationParams

logger = logging.getLogger(__name__)


@dataclass
class Job:
    messages: list[dict]
    params: GenerationParams
    stream: GenerationStream
    submitted_at: float
    deadline: float | None

    def should_stop(self) -> str | None:
        if self.stream.cancel_event.is_set():
            return "cancelled"
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            return "deadline"
        return None


class WorkerPoolEngine(Engine):
    workers: int = 1

    def __init__(self, settings):
        super().__init__(settings)
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending = 0
        self._running = 0
        self._totals = {"submitted": 0, "busy_rejections": 0, "tokens_generated": 0}

    # -- subclass hooks --
    def _load(self) -> None:
        """Heavy set-up (load the model, check the server)."""

    def _prepare(self, messages: list[dict], params: GenerationParams, stream: GenerationStream):
        """Fit the prompt to the context window; fill stream.stats (prompt_tokens, truncated, truncation_note)."""
        return messages

    @abstractmethod
    def _produce(self, prepared, job: Job) -> Iterator[tuple[str, int]]:
        """Yield (text delta, tokens in that delta) until done; stop early when job.should_stop() says so."""

    # -- Engine --
    def start(self) -> None:
        with self._start_lock:
            if self._started:
                return
            self._load()
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kefu-engine")
            self._started = True

    def stream(self, messages, params: GenerationParams | None = None, cancel: threading.Event | None = None):
        self.start()
        params = params or self.default_params()
        messages = validate_messages(messages)
        stream = GenerationStream(cancel)
        prepared = self._prepare(messages, params, stream)
        deadline_s = params.deadline_s if params.deadline_s is not None else self.settings.request_deadline_s
        now = time.perf_counter()
        job = Job(messages, params, stream, now, now + deadline_s if deadline_s else None)
        with self._lock:
            waiting = self._pending - self._running
            if waiting >= self.settings.engine_queue_limit:
                self._totals["busy_rejections"] += 1
                raise EngineBusy(f"The assistant is busy ({waiting} requests waiting); please try again in a moment")
            self._pending += 1
            self._totals["submitted"] += 1
        self._pool.submit(self._run, prepared, job)
        return stream

    def _run(self, prepared, job: Job) -> None:
        with self._lock:
            self._running += 1
        stream, stats = job.stream, job.stream.stats
        began = time.perf_counter()
        stats["queue_wait_s"] = began - job.submitted_at
        first = None
        tokens = 0
        reason, error = job.should_stop(), None
        try:
            if reason is None:
                text = ""
                for delta, n in self._produce(prepared, job):
                    if first is None and (delta or n):
                        first = time.perf_counter()
                        stats["ttft_s"] = first - job.submitted_at
                    tokens += n
                    stats["tokens"] = tokens
                    text, cut = _apply_stops(text, delta, job.params.stop)
                    stream.put_text(cut[0])
                    if cut[1]:
                        reason = "stop"
                        break
                    reason = job.should_stop()
                    if reason:
                        break
                    if tokens >= job.params.max_new_tokens:
                        reason = "length"
                        break
                else:
                    reason = "length" if tokens >= job.params.max_new_tokens else "stop"
        except Exception as exc:
            logger.exception("%s generation failed", type(self).__name__)
            reason, error = "error", f"generation failed: {exc}"
        finally:
            end = time.perf_counter()
            stats["total_s"] = end - job.submitted_at
            if first is not None and tokens > 1:
                stats["decode_tok_s"] = (tokens - 1) / max(end - first, 1e-9)
            with self._lock:
                self._running -= 1
                self._pending -= 1
                self._totals["tokens_generated"] += tokens
            stream.finish(reason or "stop", error)

    def stats(self) -> dict:
        out = super().stats()
        with self._lock:
            out.update(queued=self._pending - self._running, active=self._running, **self._totals)
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        super().close()


def _apply_stops(text: str, delta: str, stops: list[str]) -> tuple[str, tuple[str, bool]]:
    """Return (all text so far, (what to emit now, whether a stop string was hit)). Servers also get `stop`;
    this catches a stop string split across deltas."""
    if not stops:
        return text + delta, (delta, False)
    combined = text + delta
    for stop in stops:
        at = combined.find(stop, max(0, len(text) - len(stop)))
        if at >= 0:
            return combined[:at], (combined[len(text):at] if at > len(text) else "", True)
    return combined, (delta, False)
