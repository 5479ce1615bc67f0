"""Sentence embeddings of training texts, kept on disk so retraining after a few new examples embeds only those."""
from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


class EmbeddingCache:
    """text → vector for one embedding model; `embed(texts)` computes only the texts it has not seen."""

    def __init__(self, embedder, directory: Path | None, *, embed=None, tag: str = ""):
        """`embed` replaces `embedder.embed` (e.g. sentence vector plus layer views); `tag` names what it returns."""
        self.embedder = embedder
        self._embed = embed or embedder.embed
        name = str(getattr(embedder, "model_name", "embedder")) + (f"-{tag}" if tag else "")
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
        self.path = None if directory is None else Path(directory) / f"embeddings-{slug}.npz"
        self._vectors: dict[str, np.ndarray] = {}
        self._dirty = False
        self._lock = threading.Lock()
        self._load()

    def _load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                texts, vectors = data["texts"], data["vectors"]
            self._vectors = {str(t): v for t, v in zip(texts, vectors)}
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable embedding cache %s: %s", self.path, exc)
            self._vectors = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            vectors = self._embed(missing)
            with self._lock:
                self._vectors.update(zip(missing, vectors))
                self._dirty = True
        with self._lock:
            return np.stack([self._vectors[t] for t in texts]).astype(np.float32, copy=False)

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        with self._lock:
            texts = list(self._vectors)
            vectors = np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1), np.float32)
            self._dirty = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.stem + ".tmp.npz")
        np.savez(tmp, texts=np.array(texts, dtype=str), vectors=vectors)
        tmp.replace(self.path)
