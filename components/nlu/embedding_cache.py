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

    def __init__(self, embedder, directory: Path | None, *, embed=None, tag: str = "", pack=None):
        """`embed` replaces `embedder.embed` (e.g. sentence vector plus layer views); `tag` names what it returns;
        `pack` (embedding_pack.EmbeddingPack) holds shipped vectors, looked up before anything is embedded."""
        self.embedder = embedder
        self.pack = pack
        self.packed_hits = 0
        self._embed = embed or embedder.embed
        name = str(getattr(embedder, "model_name", "embedder")) + (f"-{tag}" if tag else "")
        slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
        self.path = None if directory is None else Path(directory) / f"embeddings-{slug}.npz"
        self._vectors: dict[str, np.ndarray] = {}
        self._packed: dict[str, np.ndarray] = {}  # from the shipped pack: never written to the cache file
        self._dirty = False
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()  # the intent and sentiment trainings may save at the same time
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
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors and t not in self._packed))
        if missing and self.pack is not None and len(self.pack):
            found = self.pack.lookup(missing)
            if found:
                with self._lock:
                    self._packed.update(found)
                    self.packed_hits += len(found)
                missing = [t for t in missing if t not in found]
        if missing:
            vectors = self._embed(missing)
            with self._lock:
                self._vectors.update(zip(missing, vectors))
                self._dirty = True
        with self._lock:
            return np.stack([self._vectors[t] if t in self._vectors else self._packed[t]
                             for t in texts]).astype(np.float32, copy=False)

    def computed(self) -> tuple[list[str], np.ndarray]:
        """Every text this cache embedded or loaded from its file (not the shipped pack's), with its vector."""
        with self._lock:
            texts = list(self._vectors)
            return texts, np.stack([self._vectors[t] for t in texts])

    def save(self) -> None:
        with self._save_lock:
            self._save()

    def _save(self) -> None:
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
