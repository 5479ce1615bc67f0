"""Dense side of hybrid retrieval: a Chroma collection (cosine space), embedded (PersistentClient on a folder) or
on a Chroma server (HttpClient, `KEFU_CHROMA_URL=http://host:8000`, shared by app replicas). The only module that
imports chromadb.

Vectors always come from kefu's own embedder and are passed explicitly (`embeddings=` / `query_embeddings=`);
the collection is created with `embedding_function=None`, so Chroma's downloading default model is never used.
"""
from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

log = logging.getLogger(__name__)

COLLECTION = "kefu_chunks"
_BATCH = 2000


def _http_client(url: str, settings):
    import chromadb

    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ValueError(f"KEFU_CHROMA_URL={url!r} is not a Chroma server URL: write it like http://chroma:8000")
    try:
        return chromadb.HttpClient(host=parsed.hostname, port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                                   ssl=parsed.scheme == "https", settings=settings)
    except Exception as exc:
        raise ValueError(f"Cannot reach the Chroma server at {url}: {exc}. Start it (`chroma run --path DIR --port "
                         "8000`) or unset KEFU_CHROMA_URL to use the embedded store.") from exc


class VectorStore:
    def __init__(self, location: "Path | str", collection: str = COLLECTION):
        """`location`: a folder (embedded Chroma) or a server URL http(s)://host:port."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if isinstance(location, str) and location.startswith(("http://", "https://")):
            self.location = location
            self._client = _http_client(location, settings)
        else:
            self.location = str(location)
            Path(location).mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(location), settings=settings)
        self._collection = self._client.get_or_create_collection(
            collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}})

    def add(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        for start in range(0, len(ids), _BATCH):
            end = start + _BATCH
            self._collection.upsert(ids=ids[start:end], embeddings=np.asarray(vectors[start:end], dtype=np.float32),
                                    metadatas=[_clean_meta(m) for m in metadatas[start:end]])

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[start:start + _BATCH])

    def delete_where(self, where: dict) -> None:
        self._collection.delete(where=where)

    def query(self, vector: np.ndarray, n: int, doc_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """Top-n (chunk_id, cosine similarity), optionally only chunks of `doc_ids`."""
        count = self.count()
        if count == 0 or n <= 0 or (doc_ids is not None and not doc_ids):
            return []
        where = None
        if doc_ids is not None:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        result = self._collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32)],
                                        n_results=min(n, count), where=where, include=["distances"])
        ids = result["ids"][0]
        distances = result["distances"][0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances)]

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._collection.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 10000
        while True:
            got = self._collection.get(include=[], limit=page, offset=offset)
            ids.update(got["ids"])
            if len(got["ids"]) < page:
                return ids
            offset += page

    def count(self) -> int:
        return int(self._collection.count())

    def close(self) -> None:
        # chromadb 1.x has no public close; dropping references lets the Rust side release the files
        self._collection = None
        self._client = None


def _clean_meta(meta: dict) -> dict:
    """Chroma metadata values must be str, int, float or bool (and not None)."""
    out = {}
    for k, v in meta.items():
        if v is None:
            continue
        out[k] = v if isinstance(v, (str, int, float, bool)) else str(v)
    return out
