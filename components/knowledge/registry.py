"""The knowledge base's own SQLite file: the document registry, every chunk's text, metadata and keyword tokens,
curated question vectors, and an ingestion journal that makes each document's ingestion all-or-nothing.

Ingestion protocol (see KnowledgeBase._commit): journal the new version -> write vectors to Chroma -> swap the
chunk rows and the document row in one database transaction, clearing the journal -> delete the old version's
vectors. A crash before the swap leaves the journal entry, and recovery deletes that version's vectors; a crash
after it leaves only stale vectors, which searches ignore (they are not in SQLite) and the consistency check removes.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import time
import uuid
from pathlib import Path

import numpy as np

from components.storage.database import SQLITE, Database, database_for
from components.storage.migrations import upgrade

_DOC_COLUMNS = ("doc_id", "title", "filename", "kind", "size_bytes", "language", "content_hash", "version", "tags",
                "domain", "source", "source_path", "encoding", "chunk_count", "indexed_at")
_CHUNK_COLUMNS = ("chunk_id", "doc_id", "ordinal", "kind", "text", "heading_path", "language", "meta", "tokens",
                  "question", "answer", "question_vector")


class Registry:
    """`location`: the SQLite file (embedded), a database URL, or an open `Database` shared with the other stores
    (PostgreSQL: every replica sees every upload). Tables: components/storage/migrations.py (knowledge schema)."""

    def __init__(self, location: "Path | str | Database"):
        self.db, self._owns_db = database_for(location)
        self.path = getattr(self.db, "path", None)
        upgrade(self.db, schema="knowledge")
        # insertion order of chunks (the keyword index's row order): SQLite's rowid, else document and position
        self._chunk_order = "rowid" if self.db.dialect == SQLITE else "doc_id, ordinal"

    # ---------------------------------------------------------------------------------------------------- meta
    def get_meta(self, key: str) -> str | None:
        return self.db.scalar("SELECT value FROM meta WHERE key = ?", (key,))

    def set_meta(self, key: str, value: str, db: Database | None = None) -> None:
        (db or self.db).execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def generation(self) -> str:
        """Changes whenever a document or chunk changes, here or on another replica sharing the database."""
        return self.get_meta("generation") or "0"

    def _bump(self, tx: Database) -> None:
        self.set_meta("generation", f"{time.time():.6f}-{uuid.uuid4().hex[:8]}", tx)

    # ------------------------------------------------------------------------------------------------- journal
    def journal_start(self, doc_id: str, version: str) -> None:
        self.db.execute("INSERT INTO ingest_journal (doc_id, version, started_at) VALUES (?, ?, ?) ON CONFLICT "
                        "(doc_id, version) DO UPDATE SET started_at = excluded.started_at",
                        (doc_id, version, time.time()))

    def journal_entries(self, older_than_s: float = 0.0) -> list[tuple[str, str]]:
        """Ingestions begun and not committed (begun at least `older_than_s` ago: with replicas sharing the
        database, a younger one may still be running on another replica)."""
        return [(r[0], r[1]) for r in self.db.rows("SELECT doc_id, version FROM ingest_journal WHERE started_at <= ?",
                                                   (time.time() - float(older_than_s),))]

    @contextlib.contextmanager
    def exclusive(self, name: str):
        """Held by one process at a time on a shared database (a PostgreSQL advisory lock for `name`, held by an
        open transaction until the block ends); nothing to hold on an embedded SQLite file."""
        if not self.shared:
            yield
            return
        key = int.from_bytes(hashlib.sha256(f"kefu:{name}".encode()).digest()[:4], "big")
        with self.db.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (key,))
            yield

    @property
    def shared(self) -> bool:
        """True when other processes (app replicas) may write the same tables (a PostgreSQL database)."""
        return self.db.dialect != SQLITE

    def journal_clear(self, doc_id: str, version: str) -> None:
        self.db.execute("DELETE FROM ingest_journal WHERE doc_id=? AND version=?", (doc_id, version))

    # ------------------------------------------------------------------------------------------------ documents
    def commit_document(self, doc: dict, chunks: list[dict]) -> list[str]:
        """Replace the document's row and chunks in one transaction; returns the chunk ids it replaced."""
        doc = {**doc, "tags": json.dumps(list(doc.get("tags") or []), ensure_ascii=False)}
        rows = [{**c, "heading_path": json.dumps(c["heading_path"], ensure_ascii=False),
                 "meta": json.dumps(c.get("meta") or {}, ensure_ascii=False),
                 "question_vector": (None if c.get("question_vector") is None
                                     else np.asarray(c["question_vector"], dtype=np.float32).tobytes())}
                for c in chunks]
        with self.db.transaction() as tx:
            old = [r[0] for r in tx.rows("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc["doc_id"],))]
            tx.execute("DELETE FROM chunks WHERE doc_id=?", (doc["doc_id"],))
            tx.execute("DELETE FROM documents WHERE doc_id=?", (doc["doc_id"],))
            tx.execute(f"INSERT INTO documents ({', '.join(_DOC_COLUMNS)}) VALUES ({', '.join('?' * len(_DOC_COLUMNS))})",
                       [doc.get(c) for c in _DOC_COLUMNS])
            insert = f"INSERT INTO chunks ({', '.join(_CHUNK_COLUMNS)}) VALUES ({', '.join('?' * len(_CHUNK_COLUMNS))})"
            for row in rows:
                tx.execute(insert, [row.get(c) for c in _CHUNK_COLUMNS])
            tx.execute("DELETE FROM ingest_journal WHERE doc_id=? AND version=?", (doc["doc_id"], doc["version"]))
            self._bump(tx)
        new_ids = {c["chunk_id"] for c in chunks}
        return [i for i in old if i not in new_ids]

    def delete_document(self, doc_id: str) -> list[str]:
        with self.db.transaction() as tx:
            ids = [r[0] for r in tx.rows("SELECT chunk_id FROM chunks WHERE doc_id=?", (doc_id,))]
            tx.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            n = tx.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,)).rowcount
            self._bump(tx)
        return ids if n else []

    def document(self, doc_id: str) -> dict | None:
        rows = self.db.query("SELECT * FROM documents WHERE doc_id=?", (doc_id,))
        return _doc(rows[0]) if rows else None

    def documents(self) -> list[dict]:
        return [_doc(r) for r in self.db.query("SELECT * FROM documents ORDER BY indexed_at DESC, doc_id")]

    def document_by_hash(self, content_hash: str) -> dict | None:
        rows = self.db.query("SELECT * FROM documents WHERE content_hash=? LIMIT 1", (content_hash,))
        return _doc(rows[0]) if rows else None

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
        return [_chunk(r) for r in self.db.query("SELECT * FROM chunks WHERE doc_id=? ORDER BY ordinal", (doc_id,))]

    def chunks_by_id(self, ids: list[str]) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for start in range(0, len(ids), 500):
            match, params = self.db.in_list("chunk_id", ids[start:start + 500])
            for r in self.db.query(f"SELECT * FROM chunks WHERE {match}", params):
                out[r["chunk_id"]] = _chunk(r)
        return out

    def token_rows(self) -> list[tuple[str, str, str]]:
        return [(r[0], r[1], r[2]) for r in
                self.db.rows(f"SELECT chunk_id, doc_id, tokens FROM chunks ORDER BY {self._chunk_order}")]

    def corpus_rows(self) -> list[tuple[str, str]]:
        """(doc_id, headings and text) of every chunk: the words of the knowledge base, read whole (spelling
        correction, the words only some documents use)."""
        return [(r[0], f"{' '.join(json.loads(r[2] or '[]'))} {r[1] or ''}")
                for r in self.db.rows("SELECT doc_id, text, heading_path FROM chunks")]

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self.db.rows("SELECT chunk_id FROM chunks")}

    def curated_rows(self) -> list[dict]:
        rows = self.db.query(
            "SELECT c.chunk_id, c.doc_id, c.question, c.answer, c.question_vector, d.title FROM chunks c "
            "JOIN documents d ON d.doc_id = c.doc_id WHERE c.kind='qa' AND c.question_vector IS NOT NULL")
        return [{"chunk_id": r["chunk_id"], "doc_id": r["doc_id"], "question": r["question"], "answer": r["answer"],
                 "title": r["title"], "vector": np.frombuffer(bytes(r["question_vector"]), dtype=np.float32)} for r in rows]

    def count_documents(self) -> int:
        return int(self.db.scalar("SELECT COUNT(*) FROM documents"))

    def count_chunks(self) -> int:
        return int(self.db.scalar("SELECT COUNT(*) FROM chunks"))

    def bulk_insert_chunks(self, chunks: list[dict]) -> None:
        """Append chunk rows without replacing anything (used by the benchmark's synthetic corpus)."""
        self.db.execute_many(
            "INSERT INTO chunks (chunk_id, doc_id, ordinal, kind, text, heading_path, language, meta, tokens)"
            " VALUES (?, ?, ?, ?, ?, '[]', ?, '{}', ?)",
            [(c["chunk_id"], c["doc_id"], c["ordinal"], c["kind"], c["text"], c["language"], c["tokens"])
             for c in chunks])
        with self.db.transaction() as tx:
            self._bump(tx)

    def close(self) -> None:
        if self._owns_db:
            self.db.close()


def _doc(row: dict) -> dict:
    return {"doc_id": row["doc_id"], "title": row["title"], "filename": row["filename"], "type": row["kind"],
            "size": row["size_bytes"], "chunks": row["chunk_count"], "language": row["language"],
            "indexed_at": row["indexed_at"], "content_hash": row["content_hash"], "version": row["version"],
            "tags": json.loads(row["tags"] or "[]"), "domain": row["domain"], "source": row["source"],
            "source_path": row["source_path"], "encoding": row["encoding"]}


def _chunk(row: dict) -> dict:
    return {"chunk_id": row["chunk_id"], "doc_id": row["doc_id"], "ordinal": row["ordinal"], "kind": row["kind"],
            "text": row["text"], "heading_path": json.loads(row["heading_path"]), "language": row["language"],
            "meta": json.loads(row["meta"]), "tokens": row["tokens"], "question": row["question"],
            "answer": row["answer"]}
