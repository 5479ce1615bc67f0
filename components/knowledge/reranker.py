"""Pluggable second-stage reranking of the fused candidates.

No PyPI package ships cross-encoder weights inside the wheel (the packages found — flashrank, rag-reranker,
agentforge-reranker-sentence-transformers — download models at run time, which kefu must not do), so the default is
no reranker. Any object with `score(query, texts) -> list[float]` can be passed to KnowledgeBase(reranker=...), and
the setting KEFU_KB_RERANKER="cross-encoder:/local/path/to/model" loads a sentence-transformers CrossEncoder
from a local folder (for example a copy of cross-encoder/ms-marco-MiniLM-L-6-v2).
"""
from __future__ import annotations

import logging
import math
import threading
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class Reranker(Protocol):
    def score(self, query: str, texts: list[str]) -> list[float]:
        """Higher is more relevant; one score per text."""


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder loaded from a local folder; scores squashed to 0..1."""

    def __init__(self, path: str):
        if not Path(path).is_dir():
            raise ValueError(f"KEFU_KB_RERANKER points to {path!r}, which is not a folder with a cross-encoder "
                             "model; copy the model there or leave the setting empty.")
        self.path = path
        self._model = None
        self._lock = threading.Lock()

    def score(self, query: str, texts: list[str]) -> list[float]:
        if not texts:
            return []
        with self._lock:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                self._model = CrossEncoder(self.path, device="cpu")
        raw = self._model.predict([(query, t) for t in texts], show_progress_bar=False)
        return [1.0 / (1.0 + math.exp(-float(s))) for s in raw]


def make_reranker(spec: str) -> Reranker | None:
    """"" -> None; "cross-encoder:/path" -> CrossEncoderReranker."""
    spec = (spec or "").strip()
    if not spec or spec.lower() == "none":
        return None
    if spec.startswith("cross-encoder:"):
        return CrossEncoderReranker(spec.split(":", 1)[1])
    raise ValueError(f"KEFU_KB_RERANKER={spec!r} is not understood; use '' or 'cross-encoder:/local/model/folder'.")
