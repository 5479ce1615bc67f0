"""The knowledge base of two app replicas sharing a real Chroma server (`chroma run`) and a real PostgreSQL
database: what one replica indexes, the other finds; what one deletes, the other stops finding."""
from __future__ import annotations

import time
import uuid

import pytest

from components.knowledge import KnowledgeBase
from components.knowledge.registry import Registry
from components.knowledge.vector_store import VectorStore
from components.settings import Settings
from components.storage.database import open_database


@pytest.fixture(scope="module")
def embedder():
    from components.embedder import SentenceEmbedder

    e = SentenceEmbedder("packaged:all-minilm-l6-v2")
    e.embed(["warm up"])
    return e


@pytest.fixture()
def replicas(tmp_path, embedder, postgres_url, chroma_server):
    collection = f"kefu_test_{uuid.uuid4().hex[:8]}"
    made = []
    for name in ("a", "b"):
        settings = Settings(data_dir=tmp_path / name, chroma_url=chroma_server.url)
        db = open_database(postgres_url)  # each replica its own connections
        kb = KnowledgeBase(settings, embedder, registry=Registry(db),
                           vectors=VectorStore(chroma_server.url, collection=collection))
        made.append((kb, db))
    yield [kb for kb, _ in made]
    for kb, db in made:
        kb.close()
        db.close()


def test_an_upload_on_one_replica_is_searchable_on_the_other(replicas):
    a, b = replicas
    assert b.search("zorblax warranty") == []
    result = a.ingest_text("Zorblax warranty", "# Zorblax warranty\n\nEvery Zorblax blender has a warranty of "
                           "seventeen months from delivery; keep the receipt.")
    assert result.status == "indexed", result.message
    started = time.perf_counter()
    hits = b.search("how long is the zorblax warranty?", k=3)
    delay = time.perf_counter() - started
    assert hits and hits[0].doc_id == result.doc_id and "seventeen months" in hits[0].text
    assert hits[0].dense_score is not None and hits[0].dense_score > 0.3  # the vector came from the Chroma server
    assert delay < 15.0  # one search (query embedding, BM25 rebuild, a Chroma round trip) on a loaded box
    assert [d["doc_id"] for d in b.documents()] == [result.doc_id]
    # curated answers too
    a.add_curated_answer("Do you ship to Iceland?", "Yes, in 5-9 business days.")
    match = b.curated_answer("do you ship to iceland")
    assert match is not None and "5-9 business days" in match.answer
    # a deletion on B is gone on A
    assert b.delete(result.doc_id)
    assert all(h.doc_id != result.doc_id for h in a.search("zorblax warranty", k=3))
    report = a.check_consistency()
    assert report["ok"] and report["vectors"] == report["chunks"] > 0, report


def test_a_bad_chroma_url_says_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="Chroma server URL"):
        Settings(data_dir=tmp_path, chroma_url="chroma:8000")
    with pytest.raises(ValueError, match="Cannot reach the Chroma server at http://127.0.0.1:1"):
        VectorStore("http://127.0.0.1:1")
