"""The knowledge base: documents in (load -> chunk -> embed -> commit atomically), hybrid retrieval out.

State lives under the data directory: Chroma vectors in `settings.chroma_dir`, and `knowledge.sqlite3` with the
document registry, chunk texts and keyword tokens (the BM25 index is rebuilt from them), curated question vectors
and the ingestion journal. Copies of uploaded files are kept in `knowledge_files/` so any document can be
re-indexed later.
"""
from __future__ import annotations

import hashlib
import logging
import re
import shutil
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from components.knowledge.chunking import Chunk, StructureChunker
from components.knowledge.hybrid_retriever import fusion_weights, reciprocal_rank_fusion, relevance
from components.knowledge.keyword_index import KeywordIndex, tokenize
from components.knowledge.loaders import (LoadedDocument, LoaderError, _text_blocks, check_filename, load_file,
                                          markdown_blocks)
from components.knowledge.registry import Registry
from components.knowledge.reranker import Reranker, make_reranker
from components.knowledge.types import CuratedAnswer, Hit, IngestResult
from components.knowledge.vector_store import VectorStore
from components.nlu.cjk_characters import has_cjk
from components.nlu.language import detect_language

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
SKIPPED_SEED_FILES = {"sources.md", "readme.md", "license", "license.md", "license.txt"}
_EMBED_BATCH = 64
_PREEMBED_FILES = 20  # files whose chunks are embedded together (bounded memory for big uploads)


def _noop(fraction: float, message: str) -> None:  # noqa: ARG001
    return None


def normalize_question(text: str) -> str:
    """Case and end punctuation change the packaged embedder's vectors a lot (0.82 for 退款需要多长时间 vs
    退款需要多长时间？), so curated questions are compared without them."""
    return re.sub(r"[\s?？!！。.,，;；:：~～]+$", "", (text or "").strip().lower())


def chunk_hit(row: dict, doc: dict, score: float = 0.0, dense_score: float | None = None,
         keyword_score: float | None = None, retrieval: dict | None = None) -> Hit:
    """A chunk row of document `doc` as the rest of kefu reads it: titled by its record, its FAQ question or its
    document; its metadata the chunk's headings, kind and language, the document's file, tags, domain and title,
    `retrieval`'s scores and ranks, and the chunk's own metadata (an FAQ row's question and answer too)."""
    meta = {"heading_path": row["heading_path"], "kind": row["kind"], "language": row["language"],
            "filename": doc.get("filename"), "tags": doc.get("tags", []), "domain": doc.get("domain"),
            "doc_title": doc.get("title"), **(retrieval or {}), **row["meta"]}
    title = row["meta"].get("record_title") or doc.get("title") or row["doc_id"]
    if row["kind"] == "qa":
        meta["question"], meta["answer"] = row["question"], row["answer"]
        title = row["question"] or title
    return Hit(row["chunk_id"], row["doc_id"], title, row["text"], score, dense_score, keyword_score, meta)


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w.\-]+", "-", text.strip().lower(), flags=re.UNICODE).strip("-.")
    return slug[:80] or "document"


class KnowledgeBase:
    """Hybrid (Chroma dense + BM25 keyword) knowledge base with curated answers and per-document atomicity."""

    def __init__(self, settings, embedder, *, reranker: Reranker | None = None, registry: Registry | None = None,
                 vectors: VectorStore | None = None):
        """`registry` and `vectors` default to the embedded ones under the data dir (knowledge.sqlite3 and
        chroma/); app replicas pass the shared database's registry and a Chroma server's store."""
        self.settings = settings
        self.embedder = embedder
        data_dir = Path(settings.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.files_dir = data_dir / "knowledge_files"
        self.registry = registry if registry is not None else Registry(data_dir / "knowledge.sqlite3")
        self.vectors = vectors if vectors is not None else VectorStore(getattr(settings, "chroma_url", "")
                                                                      or settings.chroma_dir)
        self._generation = self.registry.generation()
        self.keywords = KeywordIndex(self.registry.token_rows)
        self.chunker = StructureChunker(settings.kb_chunk_size, settings.kb_chunk_overlap)
        self.min_score = float(settings.kb_min_score)
        self.curated_threshold = float(settings.curated_answer_threshold)
        self.max_bytes = int(float(settings.upload_max_mb) * 1024 * 1024)
        self.reranker = reranker if reranker is not None else make_reranker(getattr(settings, "kb_reranker", ""))
        self._write_lock = threading.RLock()
        self._curated: tuple[list[dict], np.ndarray] | None = None
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._query_cache_size = 64
        self._cache_lock = threading.Lock()
        self._precomputed: dict[str, np.ndarray] = {}  # text -> vector, filled by _preembed for a batch
        self._recover()

    # ============================================================================================ ingestion
    def ensure_seeded(self, docs_dir, progress: Progress | None = None) -> list[IngestResult]:
        """On first start, index every file under `docs_dir` (README/SOURCES/LICENSE files excepted). The
        seeding is recorded only once it finished, so a start interrupted half-way resumes (files already
        indexed are skipped) and a document an agent deleted later does not come back."""
        progress = progress or _noop
        with self.registry.exclusive("seeding"):  # replicas starting together: one seeds, the others wait
            return self._seed(Path(docs_dir), progress)

    def _seed(self, docs_dir: Path, progress: Progress) -> list[IngestResult]:
        if self.registry.get_meta("seeded_at"):
            progress(1.0, "Knowledge base already indexed.")
            return []
        if not docs_dir.is_dir():
            log.warning("knowledge documents folder %s does not exist; nothing to seed", docs_dir)
            return []
        files = [p for p in sorted(docs_dir.rglob("*")) if p.is_file() and not p.name.startswith(".")
                 and p.name.lower() not in SKIPPED_SEED_FILES]
        results = []
        n = max(1, len(files))
        for g0 in range(0, len(files), _PREEMBED_FILES):
            group = files[g0:g0 + _PREEMBED_FILES]
            size = len(group)
            # 90% of a group's share of the bar is embedding its chunks together, 10% committing file by file
            self._preembed([(p, p.name, f"kb/{p.relative_to(docs_dir).as_posix()}") for p in group],
                           lambda f, m, g0=g0, size=size: progress((g0 + 0.9 * f * size) / n, f"Indexing: {m}"))
            for j, path in enumerate(group):
                rel = path.relative_to(docs_dir).as_posix()
                folder = rel.split("/")[0] if "/" in rel else ""
                results.append(self._ingest_path(path, name=path.name, doc_id=f"kb/{rel}", title=None,
                                                 tags=(folder,) if folder else (), domain="shop", source="seed",
                                                 keep_copy=False))
                progress((g0 + 0.9 * size + 0.1 * (j + 1)) / n, f"Indexed {rel} ({g0 + j + 1}/{len(files)})")
        self._precomputed.clear()
        self.registry.set_meta("seeded_at", str(time.time()))
        self.registry.set_meta("seeded_from", str(docs_dir))
        progress(1.0, f"Indexed {sum(r.chunks for r in results)} chunks from {len(files)} files.")
        return results

    def ingest_file(self, path, *, title: str | None = None, tags: Iterable[str] = (), domain: str | None = None,
                    progress: Progress | None = None, filename: str | None = None,
                    doc_id: str | None = None) -> IngestResult:
        """Index one file. `filename` is the name the person gave it (defaults to the file's own name); the same
        name with new content replaces the old version, identical content is skipped. Never raises for a bad
        file: the result's status is "error" and its message says what to do."""
        name = filename or Path(path).name
        return self._ingest_path(Path(path), name=name, doc_id=doc_id, title=title, tags=tuple(tags),
                                 domain=domain, source="upload", keep_copy=True, progress=progress)

    def ingest_files(self, paths, progress: Progress | None = None) -> list[IngestResult]:
        """Index several files; a bad file gets an error result and the rest of the batch goes on."""
        progress = progress or _noop
        items = [(it if isinstance(it, tuple) else (it, None)) for it in paths]
        n = max(1, len(items))
        results = []
        for g0 in range(0, len(items), _PREEMBED_FILES):
            group = items[g0:g0 + _PREEMBED_FILES]
            size = len(group)
            self._preembed([(Path(p), nm or Path(p).name, nm or Path(p).name) for p, nm in group],
                           lambda f, m, g0=g0, size=size: progress((g0 + 0.5 * f * size) / n, m))
            for j, (path, name) in enumerate(group):
                shown = name or Path(path).name

                def file_progress(fraction: float, message: str, j=j, g0=g0, size=size) -> None:
                    progress((g0 + 0.5 * size + 0.5 * (j + fraction)) / n, message)

                file_progress(0.0, f"{shown}: reading ({g0 + j + 1}/{len(items)})")
                try:
                    result = self.ingest_file(path, filename=name, progress=file_progress)
                except Exception as exc:  # noqa: BLE001 - one file must never stop the batch
                    log.exception("ingesting %s failed", shown)
                    result = IngestResult("error", shown, message=f"{shown} could not be indexed: {exc}")
                results.append(result)
        self._precomputed.clear()
        progress(1.0, "Done.")
        return results

    def ingest_text(self, title: str, text: str, *, doc_id: str | None = None, kind: str = "md",
                    tags: Iterable[str] = (), domain: str | None = None, source: str = "text") -> IngestResult:
        """Index a text (Markdown when kind="md", plain text otherwise) as one document."""
        title = (title or "").strip()
        if not title:
            return IngestResult("error", "", message="The text needs a title.")
        if not (text or "").strip():
            return IngestResult("error", title, message=f"{title!r} has no text to index.")
        blocks = markdown_blocks(text) if kind == "md" else _text_blocks(text)
        loaded = LoadedDocument(kind if kind in ("md", "txt") else "text", title, blocks)
        data = text.encode("utf-8")
        doc_id = doc_id or _slug(title)
        return self._ingest_loaded(loaded, data, name=f"{_slug(title)}.{'md' if kind == 'md' else 'txt'}",
                                   doc_id=doc_id, title=title, tags=tuple(tags), domain=domain, source=source,
                                   source_path=None, text_copy=text)

    def _ingest_path(self, path: Path, *, name: str, doc_id: str | None, title: str | None, tags: tuple,
                     domain: str | None, source: str, keep_copy: bool, progress: Progress | None = None,
                     force: bool = False) -> IngestResult:
        started = time.perf_counter()
        progress = progress or _noop
        shown = name or "(no name)"
        try:
            check_filename(name)
            loaded = load_file(path, name, max_bytes=self.max_bytes)
            data = Path(path).read_bytes()
        except LoaderError as exc:
            return IngestResult("error", shown, message=str(exc), seconds=time.perf_counter() - started)
        except OSError as exc:
            return IngestResult("error", shown, message=f"{shown} could not be read ({exc.strerror or exc}).",
                                seconds=time.perf_counter() - started)
        doc_id = doc_id or name
        source_path = str(Path(path).resolve()) if not keep_copy else None
        return self._ingest_loaded(loaded, data, name=name, doc_id=doc_id, title=title or loaded.title, tags=tags,
                                   domain=domain, source=source, source_path=source_path,
                                   copy_from=Path(path) if keep_copy else None, progress=progress, force=force,
                                   started=started)

    def _ingest_loaded(self, loaded: LoadedDocument, data: bytes, *, name: str, doc_id: str, title: str,
                       tags: tuple, domain: str | None, source: str, source_path: str | None,
                       copy_from: Path | None = None, text_copy: str | None = None,
                       progress: Progress | None = None, force: bool = False,
                       started: float | None = None) -> IngestResult:
        started = started or time.perf_counter()
        progress = progress or _noop
        content_hash = hashlib.sha256(data).hexdigest()
        existing = self.registry.document(doc_id)
        if not force:
            if existing and existing["content_hash"] == content_hash:
                return IngestResult("skipped", name, doc_id, existing["chunks"],
                                    f"{name} is unchanged since it was indexed; skipped.",
                                    time.perf_counter() - started)
            twin = self.registry.document_by_hash(content_hash)
            if twin and twin["doc_id"] != doc_id:
                return IngestResult("skipped", name, twin["doc_id"], twin["chunks"],
                                    f"{name} has the same content as {twin['filename']}, which is already indexed; "
                                    "skipped.", time.perf_counter() - started)
        chunks = self.chunker.chunk(loaded.blocks)
        if not chunks:
            return IngestResult("error", name, message=f"{name} contains no text to index.")
        progress(0.05, f"{name}: {len(chunks)} chunks, embedding")
        try:
            result = self._commit(loaded, chunks, data, name=name, doc_id=doc_id, title=title, tags=tags,
                                  domain=domain, source=source, source_path=source_path, copy_from=copy_from,
                                  text_copy=text_copy, content_hash=content_hash, progress=progress)
        except Exception as exc:  # noqa: BLE001 - report, keep what was indexed before
            log.exception("committing %s failed", name)
            return IngestResult("error", name, doc_id, 0, f"{name} could not be indexed ({exc}); the previous "
                                "version, if any, is unchanged.", time.perf_counter() - started)
        status = "replaced" if existing else "indexed"
        verb = "Replaced the previous version with" if existing else "Indexed"
        progress(1.0, f"{name}: {verb.lower()} {len(chunks)} chunks")
        return IngestResult(status, name, doc_id, result, f"{verb} {len(chunks)} chunks.",
                            time.perf_counter() - started)

    def _commit(self, loaded: LoadedDocument, chunks: list[Chunk], data: bytes, *, name: str, doc_id: str,
                title: str, tags: tuple, domain: str | None, source: str, source_path: str | None,
                copy_from: Path | None, text_copy: str | None, content_hash: str, progress: Progress) -> int:
        texts = [c.index_text(title) for c in chunks]
        vectors = self._embed(texts, progress, name)
        questions = [(i, c.meta.get("question", "")) for i, c in enumerate(chunks) if c.kind == "qa"]
        qvecs = self._embed([normalize_question(q) for _, q in questions], _noop, name) if questions \
            else np.zeros((0, vectors.shape[1]))
        qvec_of = {i: qvecs[j] for j, (i, _) in enumerate(questions)}
        version = f"{content_hash[:10]}{time.time_ns() % 10**8:08d}"
        language = detect_language(" ".join(c.text for c in chunks)[:5000])
        tags = tuple(t for t in (str(t).strip() for t in tags) if t)
        ids = [f"{doc_id}#{version}#{i}" for i in range(len(chunks))]
        rows = []
        for i, (c, cid, text) in enumerate(zip(chunks, ids, texts)):
            meta = dict(c.meta)
            meta.pop("question", None)
            meta.pop("answer", None)
            rows.append({"chunk_id": cid, "doc_id": doc_id, "ordinal": i, "kind": c.kind, "text": c.text,
                         "heading_path": c.heading_path, "language": c.language, "meta": meta,
                         "tokens": " ".join(tokenize(text)), "question": c.meta.get("question"),
                         "answer": c.meta.get("answer"), "question_vector": qvec_of.get(i)})
        metas = [{"doc_id": doc_id, "version": version, "kind": c.kind, "language": c.language,
                  "domain": domain or ""} for c in chunks]
        stored_copy = None
        with self._write_lock:
            progress(0.9, f"{name}: saving")
            self.registry.journal_start(doc_id, version)
            try:
                self.vectors.add(ids, vectors, metas)
                if copy_from is not None or text_copy is not None:
                    stored_copy = self._store_copy(doc_id, name, copy_from, text_copy)
                old_ids = self.registry.commit_document({
                    "doc_id": doc_id, "title": title, "filename": name, "kind": loaded.kind, "size_bytes": len(data),
                    "language": language, "content_hash": content_hash, "version": version, "tags": list(tags),
                    "domain": domain, "source": source,
                    "source_path": str(stored_copy[0]) if stored_copy else source_path,
                    "encoding": loaded.encoding, "chunk_count": len(chunks), "indexed_at": time.time()}, rows)
            except BaseException:
                self._rollback_version(doc_id, version)
                raise
            if stored_copy:
                self._publish_copy(*stored_copy)
            if old_ids:
                self.vectors.delete(old_ids)
            self._changed()
        return len(chunks)

    def _embed(self, texts: list[str], progress: Progress, name: str) -> np.ndarray:
        """Vectors of `texts`: those embedded ahead by `_preembed` are reused, the rest embedded in batches."""
        vectors: list[np.ndarray | None] = [self._precomputed.get(t) for t in texts]
        todo = [i for i, v in enumerate(vectors) if v is None]
        for start in range(0, len(todo), _EMBED_BATCH):
            part = todo[start:start + _EMBED_BATCH]
            for i, v in zip(part, self.embedder.embed([texts[i] for i in part])):
                vectors[i] = v
            done = min(len(todo), start + _EMBED_BATCH)
            progress(0.05 + 0.85 * done / len(todo), f"{name}: embedded {done}/{len(todo)} chunks")
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        return np.vstack(vectors).astype(np.float32, copy=False)

    def _preembed(self, items: list[tuple[Path, str, str]], progress: Progress) -> None:
        """Embed the chunks of several files in large batches before they are committed one by one: a batch of 64
        is many times faster per chunk than one small document at a time. Unreadable or unchanged files are left
        to the normal path, which reports them."""
        loaded_docs: list[tuple[LoadedDocument, str]] = []
        for path, name, doc_id in items:
            try:
                data = Path(path).read_bytes()
                existing = self.registry.document(doc_id)
                if existing and existing["content_hash"] == hashlib.sha256(data).hexdigest():
                    continue
                loaded = load_file(Path(path), name, max_bytes=self.max_bytes)
            except Exception:  # noqa: BLE001 - the per-file path reports the problem
                continue
            loaded_docs.append((loaded, loaded.title))
        self._preembed_loaded(loaded_docs, progress)

    def preembed_texts(self, items: list[tuple[str, str]], progress: Progress | None = None) -> None:
        """Embed (title, markdown text) pairs ahead in large batches; the next ingest_text calls reuse them."""
        self._preembed_loaded([(LoadedDocument("md", t, markdown_blocks(x)), t) for t, x in items],
                              progress or _noop)

    def _preembed_loaded(self, docs: list[tuple[LoadedDocument, str]], progress: Progress) -> None:
        texts: list[str] = []
        for loaded, title in docs:
            for c in self.chunker.chunk(loaded.blocks):
                texts.append(c.index_text(title))
                if c.kind == "qa":
                    texts.append(normalize_question(c.meta.get("question", "")))
        todo = [t for t in dict.fromkeys(texts) if t not in self._precomputed]
        for start in range(0, len(todo), _EMBED_BATCH):
            part = todo[start:start + _EMBED_BATCH]
            try:
                self._precomputed.update(zip(part, self.embedder.embed(part)))
            except Exception:  # noqa: BLE001 - the per-file path embeds again and reports any error
                log.exception("embedding ahead failed; files are embedded one by one")
                return
            done = min(len(todo), start + _EMBED_BATCH)
            progress(done / len(todo), f"embedded {done}/{len(todo)} chunks")

    def _store_copy(self, doc_id: str, name: str, copy_from: Path | None, text_copy: str | None) -> tuple[Path, Path]:
        """Write the original next to its final place; `_publish_copy` moves it there once the commit succeeded."""
        folder = self.files_dir / hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        partial = folder / (name + ".partial")
        if copy_from is not None:
            shutil.copyfile(copy_from, partial)
        else:
            partial.write_text(text_copy or "", encoding="utf-8")
        return target, partial

    @staticmethod
    def _publish_copy(target: Path, partial: Path) -> None:
        partial.replace(target)
        for old in target.parent.iterdir():
            if old != target:
                old.unlink(missing_ok=True)

    def _rollback_version(self, doc_id: str, version: str) -> None:
        try:
            self.vectors.delete_where({"$and": [{"doc_id": doc_id}, {"version": version}]})
        finally:
            self.registry.journal_clear(doc_id, version)

    def _recover(self) -> None:
        """Undo ingestions that a crash interrupted before their SQLite commit (on a shared database, only those
        older than an hour: a younger one may be running on another replica)."""
        for doc_id, version in self.registry.journal_entries(older_than_s=3600.0 if self.registry.shared else 0.0):
            log.warning("rolling back interrupted ingestion of %s (version %s)", doc_id, version)
            self._rollback_version(doc_id, version)

    def _changed(self) -> None:
        self.keywords.mark_stale()
        self._curated = None
        self._generation = self.registry.generation()

    def _follow_other_replicas(self) -> None:
        """A document added or deleted by another replica (shared database) makes the keyword index and the
        curated answers stale here too; one small read per search notices it."""
        if self.registry.generation() != self._generation:
            self._changed()

    def generation(self) -> str:
        """Changes whenever a document is added, changed or deleted (here or by another replica)."""
        self._follow_other_replicas()
        return self._generation

    def corpus_rows(self) -> list[tuple[str, str]]:
        """(doc_id, headings and text) of every chunk: the knowledge base's words (components/answers/
        document_corpus.py reads them once per generation)."""
        return self.registry.corpus_rows()

    # ======================================================================================= management
    def preview_file(self, path, filename: str | None = None) -> list[dict]:
        """The chunks a file would give, without indexing it. Raises ValueError with a readable message."""
        name = filename or Path(path).name
        loaded = load_file(Path(path), name, max_bytes=self.max_bytes)
        title = loaded.title
        return [{"ordinal": i, "text": c.text, "heading_path": c.heading_path, "kind": c.kind,
                 "language": c.language, "chars": len(c.text), "meta": c.meta, "index_text": c.index_text(title)}
                for i, c in enumerate(self.chunker.chunk(loaded.blocks))]

    def documents(self) -> list[dict]:
        return self.registry.documents()

    def chunks(self, doc_id: str) -> list[dict]:
        rows = self.registry.chunks(doc_id)
        for r in rows:
            r.pop("tokens", None)
        return rows

    def delete(self, doc_id: str) -> bool:
        with self._write_lock:
            doc = self.registry.document(doc_id)
            if doc is None:
                return False
            ids = self.registry.delete_document(doc_id)
            self.vectors.delete(ids)
            if doc.get("source_path") and Path(doc["source_path"]).is_relative_to(self.files_dir):
                shutil.rmtree(Path(doc["source_path"]).parent, ignore_errors=True)
            self._changed()
        return True

    def reindex(self, doc_id: str, progress: Progress | None = None) -> IngestResult:
        """Load, chunk and embed a document again from its source (e.g. after changing the chunk size)."""
        doc = self.registry.document(doc_id)
        if doc is None:
            return IngestResult("error", doc_id, message=f"There is no document {doc_id!r}.")
        source = Path(doc["source_path"]) if doc.get("source_path") else None
        if source is None or not source.is_file():
            chunks = self.registry.chunks(doc_id)
            if doc["type"] in ("csv", "xlsx") or all(c["kind"] == "qa" for c in chunks):
                return IngestResult("error", doc["filename"], doc_id, doc["chunks"],
                                    f"The original of {doc['filename']} is no longer available; upload it again.")
            text = "\n\n".join(c["text"] for c in chunks)
            return self._ingest_loaded(LoadedDocument(doc["type"], doc["title"], _text_blocks(text)),
                                       doc["content_hash"].encode(), name=doc["filename"], doc_id=doc_id,
                                       title=doc["title"], tags=tuple(doc["tags"]), domain=doc["domain"],
                                       source=doc["source"], source_path=None, progress=progress, force=True)
        result = self._ingest_path(source, name=doc["filename"], doc_id=doc_id, title=doc["title"],
                                   tags=tuple(doc["tags"]), domain=doc["domain"], source=doc["source"],
                                   keep_copy=doc["source"] != "seed", progress=progress, force=True)
        if result.status == "replaced":
            result.message = f"Re-indexed into {result.chunks} chunks."
        return result

    # ========================================================================================= retrieval
    def _query_vector(self, query: str) -> np.ndarray:
        with self._cache_lock:
            if query in self._query_cache:
                self._query_cache.move_to_end(query)
                return self._query_cache[query]
        vector = self.embedder.embed([query])[0]
        with self._cache_lock:
            self._query_cache[query] = vector
            while len(self._query_cache) > self._query_cache_size:
                self._query_cache.popitem(last=False)
        return vector

    def prime_queries(self, queries: list[str]) -> None:
        """Embed many queries in one batch (much faster than one by one) and keep them for the next searches."""
        queries = [q.strip() for q in queries if q and q.strip()]
        vectors = self.embedder.embed(queries) if queries else []
        with self._cache_lock:
            self._query_cache_size = max(self._query_cache_size, len(queries) + 64)
            for q, v in zip(queries, vectors):
                self._query_cache[q] = v

    def search(self, query: str, k: int = 4, filters: dict | None = None, *, mode: str = "hybrid") -> list[Hit]:
        """Top-k chunks for `query`, best first. `Hit.score` (0..1) compares against `min_score`; hits carry
        dense_score (cosine), keyword_score (IDF-weighted term coverage) and, in metadata, the BM25 score, RRF
        value and ranks. `filters`: doc_id, tags, domain, language, type, source (a value or a list).
        `mode`: hybrid | dense | keyword (the last two for evaluation)."""
        query = (query or "").strip()
        if not query:
            return []
        if k <= 0:
            raise ValueError("k must be a positive number of results")
        if mode not in ("hybrid", "dense", "keyword"):
            raise ValueError("mode must be hybrid, dense or keyword")
        self._follow_other_replicas()
        allowed = self.registry.doc_ids_matching(filters) if filters else None
        if allowed is not None and not allowed:
            return []
        n = max(30, 6 * k)
        qvec = self._query_vector(query)
        qtok = tokenize(query)
        dense = self.vectors.query(qvec, n, sorted(allowed) if allowed is not None else None) \
            if mode != "keyword" else []
        keyword = self.keywords.search(qtok, n, allowed) if mode != "dense" else []
        dense_score = dict(dense)
        bm25 = dict(keyword)
        dense_rank = {cid: r for r, (cid, _) in enumerate(dense, start=1)}
        keyword_rank = {cid: r for r, (cid, _) in enumerate(keyword, start=1)}
        language = detect_language(query)
        fused = reciprocal_rank_fusion([c for c, _ in dense], [c for c, _ in keyword],
                                       weights=fusion_weights(language))
        best_bm25 = max((s for _, s in keyword), default=0.0)
        rows = self.registry.chunks_by_id(list(fused))  # vectors not in SQLite (a crashed write) are ignored
        missing = [cid for cid in rows if cid not in dense_score]
        if missing:
            for cid, vec in self.vectors.vectors(missing).items():
                dense_score[cid] = float(np.dot(vec, qvec))
        docs = {d["doc_id"]: d for d in self.registry.documents()} if rows else {}
        hits = []
        for cid, row in rows.items():
            d = float(dense_score.get(cid, 0.0))
            coverage = self.keywords.coverage(qtok, row["tokens"].split())
            if mode == "dense":
                score = max(0.0, d)
            elif mode == "keyword":
                score = coverage
            else:
                share = bm25.get(cid, 0.0) / best_bm25 if best_bm25 > 0 else 0.0
                score = relevance(d, coverage, share, language)
            retrieval = {"rrf": round(fused[cid], 6), "bm25": round(bm25.get(cid, 0.0), 4),
                         "dense_rank": dense_rank.get(cid), "keyword_rank": keyword_rank.get(cid)}
            hits.append(chunk_hit(row, docs.get(row["doc_id"], {}), round(score, 4), round(max(0.0, d), 4),
                             round(coverage, 4), retrieval))
        hits.sort(key=lambda h: (round(h.score, 2), h.metadata["rrf"]), reverse=True)
        if self.reranker is not None and hits:
            hits = self._rerank(query, hits, k)
        return hits[:k]

    def passages(self, doc_id: str) -> list[Hit]:
        """A document's chunks in reading order, as the hits a search returns (without retrieval scores): for a step
        that reads a document from its beginning (the opening of a policy, components/answers/policy_overview.py)."""
        doc = self.registry.document(doc_id)
        return [chunk_hit(row, doc) for row in self.registry.chunks(doc_id)] if doc is not None else []

    def _rerank(self, query: str, hits: list[Hit], k: int) -> list[Hit]:
        head = hits[:max(10, 3 * k)]
        scores = self.reranker.score(query, [h.text for h in head])
        for h, s in zip(head, scores):
            h.metadata["rerank_score"] = round(float(s), 4)
        head.sort(key=lambda h: h.metadata["rerank_score"], reverse=True)
        return head + hits[len(head):]

    def is_relevant(self, hits: list[Hit]) -> bool:
        """False means "nothing relevant found": no hit reaches `min_score`."""
        return bool(hits) and max(h.score for h in hits) >= self.min_score

    # ==================================================================================== curated answers
    def _curated_matrix(self) -> tuple[list[dict], np.ndarray]:
        if self._curated is None:
            rows = self.registry.curated_rows()
            for r in rows:
                r["tokens"] = tokenize(normalize_question(r["question"]))
            matrix = np.vstack([r["vector"] for r in rows]) if rows else np.zeros((0, 1), dtype=np.float32)
            self._curated = (rows, matrix)
        return self._curated

    def curated_answer(self, query: str) -> CuratedAnswer | None:
        """The FAQ entry whose question matches `query` above the curated-answer threshold, else None.

        The match is the cosine similarity of the two questions (lower-cased, end punctuation removed). The packaged
        embedder understands English only, so when Chinese is involved the score is 0.3 x cosine + 0.7 x the share
        of jieba words the two questions have in common (Dice), which stops two unrelated Chinese questions from
        matching on embedding noise."""
        query = (query or "").strip()
        if not query:
            return None
        self._follow_other_replicas()
        rows, matrix = self._curated_matrix()
        if not rows:
            return None
        normalized = normalize_question(query)
        sims = matrix @ self._query_vector(normalized)
        order = np.argsort(-sims)[:5]
        qtok = tokenize(normalized)
        if has_cjk(query):  # the embedder is English-only: words decide for Chinese
            order = range(len(rows))
        best: CuratedAnswer | None = None
        for i in order:
            row = rows[int(i)]
            score = float(sims[i])
            if has_cjk(query + row["question"]):
                overlap = self._token_overlap(qtok, row["tokens"])
                score = 0.3 * score + 0.7 * overlap
            if best is None or score > best.score:
                best = CuratedAnswer(row["doc_id"], row["title"], row["question"], row["answer"], round(score, 4))
        return best if best is not None and best.score >= self.curated_threshold else None

    @staticmethod
    def _token_overlap(query_tokens: list[str], question_tokens: list[str]) -> float:
        """Symmetric share of shared terms (Dice coefficient) of two tokenized questions."""
        a, b = set(query_tokens), set(question_tokens)
        return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0

    def add_curated_answer(self, question: str, answer: str, *, source: str = "agent") -> str:
        """Store a Q/A pair (e.g. taught by an operator) as its own document; returns its doc_id. Teaching the
        same question again (case and end punctuation aside) replaces the earlier answer."""
        question, answer = (question or "").strip(), (answer or "").strip()
        if not question or not answer:
            raise ValueError("A curated answer needs both a question and an answer.")
        # one document per question: teaching the same question again replaces its answer
        digest = hashlib.sha256(normalize_question(question).encode("utf-8")).hexdigest()[:12]
        doc_id = f"curated/{digest}"
        from components.knowledge.loaders import Block

        loaded = LoadedDocument("qa", question[:120], [Block("qa", f"Q: {question}\nA: {answer}",
                                                              meta={"question": question, "answer": answer})])
        result = self._ingest_loaded(loaded, f"{question}\n{answer}".encode("utf-8"), name=f"curated-{digest}.txt",
                                     doc_id=doc_id, title=question[:120], tags=("curated",), domain=None,
                                     source=source, source_path=None, text_copy=None)
        if result.status == "error":
            raise ValueError(result.message)
        return result.doc_id or doc_id

    # ======================================================================================= consistency
    def check_consistency(self, repair: bool = False) -> dict:
        """Compare SQLite (registry, chunks, keyword tokens) with Chroma; with repair=True fix the differences:
        interrupted ingestions are rolled back, vectors without a chunk row are deleted, chunk rows without a
        vector are embedded again from their stored text."""
        with self._write_lock:
            pending = self.registry.journal_entries()
            sql_ids = self.registry.chunk_ids()
            chroma_ids = self.vectors.all_ids()
            orphans = sorted(chroma_ids - sql_ids)
            missing = sorted(sql_ids - chroma_ids)
            docs = self.registry.documents()
            count_mismatch = [d["doc_id"] for d in docs if len(self.registry.chunks(d["doc_id"])) != d["chunks"]]
            report = {"documents": len(docs), "chunks": len(sql_ids), "vectors": len(chroma_ids),
                      "keyword_index_chunks": self.keywords.size, "pending_ingestions": len(pending),
                      "orphan_vectors": len(orphans), "missing_vectors": len(missing),
                      "chunk_count_mismatch": count_mismatch, "repaired": False}
            report["ok"] = not (pending or orphans or missing or count_mismatch)
            if repair and not report["ok"]:
                for doc_id, version in pending:
                    self._rollback_version(doc_id, version)
                if orphans:
                    self.vectors.delete(orphans)
                if missing:
                    self._reembed(missing)
                for doc_id in count_mismatch:
                    self.reindex(doc_id)
                self._changed()
                report["repaired"] = True
                after = self.check_consistency(repair=False)
                report["ok_after_repair"] = after["ok"]
            return report

    def _reembed(self, chunk_ids: list[str]) -> None:
        rows = self.registry.chunks_by_id(chunk_ids)
        docs = {d["doc_id"]: d for d in self.registry.documents()}
        items = [(cid, r) for cid, r in rows.items()]
        for start in range(0, len(items), 256):
            part = items[start:start + 256]
            texts = [Chunk(r["text"], r["heading_path"], r["kind"]).index_text(docs[r["doc_id"]]["title"])
                     for _, r in part]
            vectors = self.embedder.embed(texts)
            metas = [{"doc_id": r["doc_id"], "version": docs[r["doc_id"]]["version"], "kind": r["kind"],
                      "language": r["language"], "domain": docs[r["doc_id"]]["domain"] or ""} for _, r in part]
            self.vectors.add([cid for cid, _ in part], vectors, metas)

    def stats(self) -> dict:
        return {"documents": self.registry.count_documents(), "chunks": self.registry.count_chunks(),
                "vectors": self.vectors.count()}

    def close(self) -> None:
        self.registry.close()
        self.vectors.close()
