"""The sentence embeddings of the shipped training sentences, packed with kefu (`assets/nlu/training_embeddings.npz`)
so that a cold start trains the NLU without embedding them again.

A cold start embeds the default domain's intent examples (as the classifier reads them) and the learned sentiment
model's sample of tweets and requests: about 11,000 sentences, 13-14 CPU-seconds of MiniLM, half of the NLU's
start-up training. The pack holds exactly those vectors, written by
`python app.py nlu pack-embeddings` after a cold NLU start (so it holds what start-up embeds, whatever the code
reads). Each vector is stored as int8 with a per-row scale (cosine to the float vector >= 0.9999) under an 8-byte
BLAKE2 hash of its text (the texts themselves are not repeated), beside the identity of the vectors: the
embedder's fingerprint and the views the classifier reads. A pack whose identity differs from the running
embedder's (another model or runtime) is ignored, and a sentence missing from it (an operator's added example, an
edited pack) is embedded as before; so the pack can only ever save time.
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

PACK_NAME = "training_embeddings.npz"


def pack_path(assets_dir: Path) -> Path:
    return Path(assets_dir) / "nlu" / PACK_NAME


def text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(vectors / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def write_pack(path: Path, identity: str, texts: list[str], vectors: np.ndarray) -> dict:
    codes, scale = quantize(vectors)
    keys = np.frombuffer(b"".join(text_key(t) for t in texts), dtype="<u8")
    order = np.argsort(keys)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez_compressed(tmp, identity=np.array(identity), keys=keys[order], codes=codes[order], scale=scale[order])
    tmp.replace(path)
    return {"path": str(path), "sentences": len(texts), "bytes": path.stat().st_size, "identity": identity}


class EmbeddingPack:
    """Lookup of packed vectors by text; empty when the file is missing or of another embedder."""

    def __init__(self, path: Path, identity: str):
        self.path = Path(path)
        self._keys = np.zeros(0, dtype="<u8")
        self._codes = np.zeros((0, 0), dtype=np.int8)
        self._scale = np.zeros(0, dtype=np.float32)
        if not self.path.exists():
            return
        try:
            with np.load(self.path, allow_pickle=False) as data:
                found = str(data["identity"])
                if found != identity:
                    log.info("not using %s: packed for %s, the running embedder is %s", self.path.name, found,
                             identity)
                    return
                self._keys, self._codes, self._scale = data["keys"], data["codes"], data["scale"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable embedding pack %s: %s", self.path, exc)

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The packed vector of each text that has one."""
        if not len(self._keys) or not texts:
            return {}
        keys = np.frombuffer(b"".join(text_key(t) for t in texts), dtype="<u8")
        at = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        hit = self._keys[at] == keys
        rows = at[hit]
        vectors = self._codes[rows].astype(np.float32) * self._scale[rows, None]
        return dict(zip((t for t, h in zip(texts, hit) if h), vectors))


def build_embedding_pack(settings) -> dict:
    """`python app.py nlu pack-embeddings`: a cold NLU start (fresh cache, no pack) and every vector it embedded,
    written to assets/nlu/training_embeddings.npz."""
    import dataclasses
    import tempfile
    import time

    from components.embedder import SentenceEmbedder
    from components.nlu import NLU

    with tempfile.TemporaryDirectory(prefix="kefu-embedding-pack-") as tmp:
        cold = dataclasses.replace(settings, cache_dir_override=Path(tmp))
        nlu = NLU(cold, SentenceEmbedder.from_settings(cold), use_embedding_pack=False)
        started = time.perf_counter()
        nlu.start()
        seconds = time.perf_counter() - started
        cache = nlu._embedding_cache()
        if cache is None:
            raise ValueError("The NLU has no embedder, so there is nothing to pack")
        texts, vectors = cache.computed()
    result = write_pack(pack_path(settings.assets_dir), nlu.embedding_identity(), texts, vectors)
    result["cold_start_seconds_without_pack"] = round(seconds, 2)
    return result

