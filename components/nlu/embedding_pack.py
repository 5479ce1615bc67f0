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


def pack_path(assets_dir: Path, domain: str = "") -> Path:
    """The default domain's pack, or (with `domain`) a shipped workspace domain's own file beside it."""
    name = PACK_NAME if not domain else f"{Path(PACK_NAME).stem}_{domain}.npz"
    return Path(assets_dir) / "nlu" / name


def pack_paths(assets_dir: Path) -> list[Path]:
    """Every shipped pack: the default domain's and each workspace domain's (a file each keeps every file under
    the 10 MB a Hugging Face Space takes without Git LFS)."""
    return sorted((Path(assets_dir) / "nlu").glob(f"{Path(PACK_NAME).stem}*.npz"))


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
    """Lookup of packed vectors by text, over one pack file or several; a file that is missing, unreadable or of
    another embedder adds nothing."""

    def __init__(self, paths: Path | list[Path], identity: str):
        paths = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
        parts = [part for part in (_read(path, identity) for path in paths) if part is not None]
        if not parts:
            self._keys = np.zeros(0, dtype="<u8")
            self._codes = np.zeros((0, 0), dtype=np.int8)
            self._scale = np.zeros(0, dtype=np.float32)
            return
        keys = np.concatenate([k for k, _, _ in parts])
        order = np.argsort(keys, kind="stable")
        self._keys = keys[order]
        self._codes = np.concatenate([c for _, c, _ in parts])[order]
        self._scale = np.concatenate([s for _, _, s in parts])[order]

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


def _read(path: Path, identity: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            found = str(data["identity"])
            if found != identity:
                log.info("not using %s: packed for %s, the running embedder is %s", path.name, found, identity)
                return None
            return data["keys"], data["codes"], data["scale"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable embedding pack %s: %s", path, exc)
        return None


def build_embedding_pack(settings) -> dict:
    """`python app.py nlu pack-embeddings`: a cold NLU start (fresh cache, no pack) and every vector it embedded,
    written to assets/nlu/training_embeddings.npz; then each shipped workspace with its own intents (the bank's
    Banking77) trained as on its first question, and the vectors that added written to
    training_embeddings_<domain>.npz, so that first question does not wait for them either."""
    import dataclasses
    import tempfile
    import time

    from components.embedder import SentenceEmbedder
    from components.nlu import NLU
    from components.workspaces.registry import WorkspaceRegistry, shipped_dir

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
        identity = nlu.embedding_identity()
        result = write_pack(pack_path(settings.assets_dir), identity, texts, vectors)
        result["cold_start_seconds_without_pack"] = round(seconds, 2)
        packed, result["domains"] = set(texts), {}
        for workspace in WorkspaceRegistry([shipped_dir(settings)]).list():
            if not workspace.intents or workspace.nlu_domain == nlu.default_domain:
                continue
            nlu.add_pack(workspace.nlu_domain, list(workspace.intents))
            nlu.retrain(workspace.nlu_domain)
            texts, vectors = cache.computed()
            new = [i for i, text in enumerate(texts) if text not in packed]
            packed.update(texts)
            result["domains"][workspace.nlu_domain] = write_pack(
                pack_path(settings.assets_dir, workspace.nlu_domain), identity, [texts[i] for i in new],
                vectors[new])
    return result
