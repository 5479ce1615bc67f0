"""One generation request as the scheduler sees it, and the stream its caller reads."""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Iterator

from .detokenizer import IncrementalDetokenizer
from .types import EngineError, GenerationParams

_TEXT, _END = "text", "end"


class GenerationStream:
    """An iterable of text deltas. `stats` fills in as generation runs; iteration raises EngineError on failure.

    Leaving the loop early (break, exception, closed generator) cancels the request, so a customer who disconnects
    frees their slot in the batch.
    """

    def __init__(self, cancel: threading.Event | None = None):
        self.cancel_event = cancel or threading.Event()
        self._events: queue.Queue = queue.Queue()
        self._done = threading.Event()
        self.text = ""
        self.stats: dict = {
            "ttft_s": None, "tokens": 0, "decode_tok_s": None, "prompt_tokens": 0,
            "truncated": False, "truncation_note": "", "finish_reason": None, "error": None,
            "queue_wait_s": None, "prefix_reused_tokens": 0, "total_s": None,
        }

    # -- producer side (scheduler thread) --
    def put_text(self, text: str) -> None:
        if text:
            self.text += text
            self._events.put((_TEXT, text))

    def finish(self, reason: str, error: str | None = None) -> None:
        if self._done.is_set():
            return
        self.stats["finish_reason"] = reason
        self.stats["error"] = error
        self._done.set()
        self._events.put((_END, error))

    # -- consumer side --
    @property
    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        self.cancel_event.set()

    def __iter__(self) -> Iterator[str]:
        finished = False
        try:
            while True:
                kind, payload = self._events.get()
                if kind == _TEXT:
                    yield payload
                    continue
                finished = True
                if payload is not None:
                    raise EngineError(payload)
                return
        finally:
            if not finished:
                self.cancel_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


@dataclass
class Request:
    """Scheduler-side state of one conversation turn being generated."""

    id: int
    prompt_ids: list[int]
    params: GenerationParams
    stream: GenerationStream
    detokenizer: IncrementalDetokenizer
    eos_ids: frozenset[int]
    prefix_len: int = 0  # tokens of the system-prompt prefix that may be shared between requests
    submitted_at: float = field(default_factory=time.perf_counter)
    deadline: float | None = None  # time.perf_counter() value
    started_at: float | None = None
    first_token_at: float | None = None
    output_ids: list[int] = field(default_factory=list)
    _held: str = ""  # text held back because it may be the start of a stop string
    _emitted: str = ""

    @property
    def cancelled(self) -> bool:
        return self.stream.cancel_event.is_set()

    def past_deadline(self, now: float) -> bool:
        return self.deadline is not None and now >= self.deadline

    def accept_token(self, token_id: int, now: float) -> str | None:
        """Record one sampled token and stream its text. Returns a finish reason when the request is complete."""
        if self.first_token_at is None:
            self.first_token_at = now
            self.stream.stats["ttft_s"] = now - self.submitted_at
        if token_id in self.eos_ids and not self.params.ignore_eos:
            self._flush()
            return "stop"
        self.output_ids.append(token_id)
        self.stream.stats["tokens"] = len(self.output_ids)
        if self._emit(self.detokenizer.push(token_id)):
            return "stop"
        if len(self.output_ids) >= self.params.max_new_tokens:
            self._flush()
            return "length"
        return None

    def _emit(self, delta: str) -> bool:
        """Stream `delta`, holding back any tail that could begin a stop string. True when a stop string appeared."""
        stops = self.params.stop
        if not stops:
            self.stream.put_text(delta)
            return False
        text = self._held + delta
        for stop in stops:
            at = text.find(stop)
            if at >= 0:
                self.stream.put_text(text[:at])
                self._held = ""
                return True
        keep = 0
        for stop in stops:
            for size in range(min(len(stop) - 1, len(text)), 0, -1):
                if text.endswith(stop[:size]):
                    keep = max(keep, size)
                    break
        self.stream.put_text(text[: len(text) - keep])
        self._held = text[len(text) - keep:]
        return False

    def _flush(self) -> None:
        tail = self.detokenizer.flush()
        if tail:
            self._emit(tail)  # a stop string inside the tail ends the text there
        self.stream.put_text(self._held)
        self._held = ""

    def finish(self, reason: str, error: str | None = None, now: float | None = None) -> None:
        now = time.perf_counter() if now is None else now
        if reason in ("deadline", "cancelled"):
            self._flush()
        stats = self.stream.stats
        stats["total_s"] = now - self.submitted_at
        if self.first_token_at is not None and len(self.output_ids) > 1:
            stats["decode_tok_s"] = (len(self.output_ids) - 1) / max(now - self.first_token_at, 1e-9)
        self.stream.finish(reason, error)
