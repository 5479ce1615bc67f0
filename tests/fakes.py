"""Small fakes for fast unit tests of the dialogue layer (real parts are tested elsewhere)."""
from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field

import numpy as np

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


class FakeEmbedder:
    """Bag of hashed words: texts sharing words get close vectors (enough for the answer composer's plumbing)."""
    dimension = 64

    def embed(self, texts):
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", str(text).lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


@dataclass
class FakeKnowledge:
    hits: list[Hit] = field(default_factory=list)
    curated: CuratedAnswer | None = None
    min_score: float = 0.35
    embedder: FakeEmbedder = field(default_factory=FakeEmbedder)

    def search(self, query, k=4, filters=None):
        return list(self.hits)

    def curated_answer(self, query):
        return self.curated


def hit(score=0.8, title="Refunds", text="Refunds reach the original payment method in 5 to 7 business days."):
    return Hit(chunk_id="refunds#0", doc_id="refunds", title=title, text=text, score=score)


def scored_unit(text, *, kind="sentence", title="Title", doc="doc", context="", language="en", score=1.0,
                chunk=None, parts=None):
    """An evidence unit as the ranker scored it, for the answer modules' tests (one place knows EvidenceUnit's
    fields)."""
    from components.answers.evidence_selection import ScoredUnit
    from components.answers.evidence_units import EvidenceUnit

    return ScoredUnit(EvidenceUnit(text, context, kind, title, doc, chunk or f"{doc}#0", 0.5, language, 0), score,
                      parts if parts is not None else {})


def last_part(text):
    """The question part the checks read: the last part of the text (question_analysis.split_question)."""
    from components.answers.question_analysis import split_question

    return split_question(text)[0][-1]
