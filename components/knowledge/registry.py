"""The knowledge base's own SQLite file: the document registry, every chunk's text, metadata and keyword tokens,
curated question vectors, and an ingestion journal that makes each document's ingestion all-or-nothing.

Ingestion protocol (see KnowledgeBase._commit): journal the new version -> write vectors to Chroma -> swap the
chunk rows and the document row in one SQLite transaction, clearing the journal -> delete the old version's
vectors. A crash before the swap leaves the journal entry, and recovery deletes that version's vectors; a crash
after it leaves only stale vectors, which searches ignore (they are not in SQLite) and the consistency check removes.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    filename TEXT NOT NULL,
    kind TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    language TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    version TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '[]',
    domain TEXT,
    source TEXT NOT NULL,
    source_path TEXT,
    encoding TEXT,
    chunk_count INTEGER NOT NULL,
    indexed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    heading_path TEXT NOT NULL,
    language TEXT NOT NULL,
    meta TEXT NOT NULL,
    tokens TEXT NOT NULL,
    question TEXT,
    answer TEXT,
    question_vector BLOB
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_journal (
    doc_id TEXT NOT NULL,
    version TEXT NOT NULL,
    started_at REAL NOT NULL,
    PRIMARY KEY (doc_id, version)
);
"""


class Registry:
    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(path)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()

    # ---------------------------------------------------------------------------------------------------- meta
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ------------------------------------------------------------------------------------------------- journal
    def journal_start(self, doc_id: str, version: str) -> None:
        with self._lock:
            self._conn.execute("INSERT OR REPLACE INTO ingest_journal VALUES (?, ?, ?)", (doc_id, version, time.time()))

    def journal_entries(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(r["doc_id"], r["version"]) for r in self._conn.execute("SELECT * FROM ingest_journal")]

    def journal_clear(self, doc_id: str, version: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM ingest_journal WHERE doc_id=? AND version=?", (doc_id, version))

    # ------------------------------------------------------------------------------------------------ documents
    def commit_document(self, doc: dict, chunks: list[dict]) -> list[str]:
        """Replace the document's row and chunks in one transaction; returns the chunk ids it replaced."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                old = [r[0] for r in cur.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc["doc_id"],))]
                cur.execute("DELETE FROM chunks WHERE doc_id=?", (doc["doc_id"],))
                cur.execute("DELETE FROM documents WHERE doc_id=?", (doc["doc_id"],))
                cur.execute(
                    "INSERT INTO documents (doc_id, title, filename, kind, size_bytes, language, content_hash, version,"
                    " tags, domain, source, source_path, encoding, chunk_count, indexed_at)"
                    " VALUES (:doc_id, :title, :filename, :kind, :size_bytes, :language, :content_hash, :version,"
                    " :tags, :domain, :source, :source_path, :encoding, :chunk_count, :indexed_at)",
                    {**doc, "tags": json.dumps(list(doc.get("tags") or []), ensure_ascii=False)})
                cur.executemany(
                    "INSERT INTO chunks (chunk_id, doc_id, ordinal, kind, text, heading_path, language, meta, tokens,"
                    " question, answer, question_vector) VALUES (:chunk_id, :doc_id, :ordinal, :kind, :text,"
                    " :heading_path, :language, :meta, :tokens, :question, :answer, :question_vector)",
                    [{**c, "heading_path": json.dumps(c["heading_path"], ensure_ascii=False),
                      "meta": json.dumps(c.get("meta") or {}, ensure_ascii=False),
                      "question_vector": (None if c.get("question_vector") is None
                                          else np.asarray(c["question_vector"], dtype=np.float32).tobytes())}
                     for c in chunks])
                cur.execute("DELETE FROM ingest_journal WHERE doc_id=? AND version=?", (doc["doc_id"], doc["version"]))
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        new_ids = {c["chunk_id"] for c in chunks}
        return [i for i in old if i not in new_ids]

    def delete_document(self, doc_id: str) -> list[str]:
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                ids = [r[0] for r in cur.execute("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]
                cur.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                n = cur.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return ids if n else []

    def document(self, doc_id: str) -> dict | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM documents WHERE doc_id=?", (doc_id,)).fetchone()
        return _doc(row) if row else None

    def documents(self) -> list[dict]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM documents ORDER BY indexed_at DESC, doc_id").fetchall()
        return [_doc(r) for r in rows]

    def document_by_hash(self, content_hash: str) -> dict | None:
        with self._lock:
            row = self._conn.execute("SELECT * FROM documents WHERE content_hash=? LIMIT 1", (content_hash,)).fetchone()
        return _doc(row) if row else None

    def doc_ids_matching(self, filters: dict) -> set[str]:
        """Documents whose doc_id / tags / domain / language / kind / source match every given filter."""
        def as_list(v):
            return [v] if isinstance(v, str) else list(v)
        docs = self.documents()
        out = set()
        for d in docs:
            ok = True
            for key, want in filters.items():
                if want is None or want == [] or want == "":
                    continue
                wants = set(as_list(want))
                if key == "tags":
                    ok = bool(wants & set(d["tags"]))
                elif key in ("doc_id", "domain", "language", "type", "kind", "source"):
                    ok = d["type" if key == "kind" else key] in wants
                else:
                    raise ValueError(f"Unknown filter {key!r}; use doc_id, tags, domain, language, type or source.")
                if not ok:
                    break
            if ok:
                out.add(d["doc_id"])
        return out

    # --------------------------------------------------------------------------------------------------- chunks
    def chunks(self, doc_id: str) -> list[dict]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,)).fetchall()
        return [_chunk(r) for r in rows]

    def chunks_by_id(self, ids: list[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        with self._lock:
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                q = "SELECT * FROM chunks WHERE chunk_id IN (%s)" % ",".join("?" * len(part))
                for r in self._conn.execute(q, part):
                    out[r["chunk_id"]] = _chunk(r)
        return out

    def token_rows(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return [(r[0], r[1], r[2]) for r in
                    self._conn.execute("SELECT chunk_id, doc_id, tokens FROM chunks ORDER BY rowid")]

    def chunk_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._conn.execute("SELECT chunk_id FROM chunks")}

    def curated_rows(self) -> list[dict]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT c.chunk_id, c.doc_id, c.question, c.answer, c.question_vector, d.title FROM chunks c "
                "JOIN documents d ON d.doc_id = c.doc_id WHERE c.kind='qa' AND c.question_vector IS NOT NULL").fetchall()
        return [{"chunk_id": r["chunk_id"], "doc_id": r["doc_id"], "question": r["question"], "answer": r["answer"],
                 "title": r["title"], "vector": np.frombuffer(r["question_vector"], dtype=np.float32)} for r in rows]

    def count_documents(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def count_chunks(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    def bulk_insert_chunks(self, chunks: list[dict]) -> None:
        """Append chunk rows without replacing anything (used by the benchmark's synthetic corpus)."""
        with self._lock:
            cur = self._conn.cursor()
            cur.execute("BEGIN")
            cur.executemany(
                "INSERT INTO chunks (chunk_id, doc_id, ordinal, kind, text, heading_path, language, meta, tokens)"
                " VALUES (:chunk_id, :doc_id, :ordinal, :kind, :text, '[]', :language, '{}', :tokens)", chunks)
            cur.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _doc(row: sqlite3.Row) -> dict:
    return {"doc_id": row["doc_id"], "title": row["title"], "filename": row["filename"], "type": row["kind"],
            "size": row["size_bytes"], "chunks": row["chunk_count"], "language": row["language"],
            "indexed_at": row["indexed_at"], "content_hash": row["content_hash"], "version": row["version"],
            "tags": json.loads(row["tags"] or "[]"), "domain": row["domain"], "source": row["source"],
            "source_path": row["source_path"], "encoding": row["encoding"]}


def _chunk(row: sqlite3.Row) -> dict:
    return {"chunk_id": row["chunk_id"], "doc_id": row["doc_id"], "ordinal": row["ordinal"], "kind": row["kind"],
            "text": row["text"], "heading_path": json.loads(row["heading_path"]), "language": row["language"],
            "meta": json.loads(row["meta"]), "tokens": row["tokens"], "question": row["question"],
            "answer": row["answer"]}
