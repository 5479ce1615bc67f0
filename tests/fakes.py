"""Small fakes for fast unit tests of the dialogue layer (real parts are tested elsewhere)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

from components.engine.types import EngineBusy
from components.knowledge.types import CuratedAnswer, Hit


class FakeStream:
    def __init__(self, pieces):
        self.pieces = pieces
        self.stats = {"tokens": len(pieces), "finish_reason": "stop"}

    def __iter__(self):
        yield from self.pieces


class FakeEngine:
    model_name = "fake"

    def __init__(self, reply="Refunds take 5 to 7 business days.", busy=False):
        self.reply, self.busy, self.calls = reply, busy, []

    def start(self):
        pass

    def stream(self, messages, params=None, cancel: threading.Event | None = None):
        if self.busy:
            raise EngineBusy("queue full")
        self.calls.append(messages)
        return FakeStream([w + " " for w in self.reply.split()])


@dataclass
class FakeKnowledge:
    hits: list[Hit] = field(default_factory=list)
    curated: CuratedAnswer | None = None
    min_score: float = 0.35

    def search(self, query, k=4, filters=None):
        return list(self.hits)

    def curated_answer(self, query):
        return self.curated


def hit(score=0.8, title="Refunds", text="Refunds reach the original payment method in 5 to 7 business days."):
    return Hit(chunk_id="refunds#0", doc_id="refunds", title=title, text=text, score=score)
