"""Retrieval evaluation: `python app.py eval retrieval --docs DOCS.jsonl --queries QUERIES.jsonl --k 10 --json`.

DOCS has one JSON object per line with `id`, `title`, `content`; QUERIES has `query` and `relevant` (a list of doc
ids). The documents are indexed into a fresh temporary knowledge base (same chunking, embedder and hybrid retrieval
as the app); chunk hits are collapsed to documents in rank order, and recall@1/5/10 and MRR@10 are computed.
The shipped set is assets/eval/bitext_docs.jsonl + assets/eval/bitext_queries.jsonl (see kb/SOURCES.md).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)


def _read_jsonl(path: str, required: tuple[str, ...]) -> list[dict]:
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"{path} does not exist; give the path of a .jsonl file.")
    rows = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} line {n} is not valid JSON: {exc.msg}") from exc
        missing = [k for k in required if k not in row]
        if missing:
            raise ValueError(f"{path} line {n} lacks {', '.join(missing)}.")
        rows.append(row)
    if not rows:
        raise ValueError(f"{path} has no rows.")
    return rows


def rank_documents(hits, k: int) -> list[str]:
    """Chunk hits -> distinct doc ids in rank order (first k)."""
    seen: list[str] = []
    for h in hits:
        if h.doc_id not in seen:
            seen.append(h.doc_id)
        if len(seen) == k:
            break
    return seen


def score_rankings(rankings: list[list[str]], relevant: list[set[str]], ks=(1, 5, 10), mrr_at: int = 10) -> dict:
    out = {}
    for k in ks:
        out[f"recall@{k}"] = round(statistics.fmean(
            len(set(r[:k]) & rel) / len(rel) for r, rel in zip(rankings, relevant)), 4)
    rr = []
    for r, rel in zip(rankings, relevant):
        rank = next((i for i, d in enumerate(r[:mrr_at], start=1) if d in rel), None)
        rr.append(1.0 / rank if rank else 0.0)
    out[f"mrr@{mrr_at}"] = round(statistics.fmean(rr), 4)
    return out


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    i = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return values[i]


def run_retrieval_eval(settings, *, docs: str, queries: str, k: int = 10, modes=("hybrid",),
                       embedder=None) -> dict:
    """Index DOCS into a temporary knowledge base and measure retrieval of QUERIES. Returns a JSON-able dict."""
    from components.embedder import SentenceEmbedder
    from components.knowledge.knowledge_base import KnowledgeBase

    if k < 1:
        raise ValueError("--k must be at least 1")
    doc_rows = _read_jsonl(docs, ("id", "title", "content"))
    query_rows = _read_jsonl(queries, ("query", "relevant"))
    embedder = embedder or SentenceEmbedder.from_settings(settings)
    with tempfile.TemporaryDirectory(prefix="kefu-eval-") as tmp:
        temp_settings = dataclasses.replace(settings, data_dir=Path(tmp), kb_reranker="")
        kb = KnowledgeBase(temp_settings, embedder)
        try:
            embedder.embed(["warm up"])
            started = time.perf_counter()
            kb.preembed_texts([(str(r["title"]).strip(), str(r["content"])) for r in doc_rows])
            chunks = 0
            for row in doc_rows:
                result = kb.ingest_text(str(row["title"]), str(row["content"]), doc_id=str(row["id"]))
                if result.status == "error":
                    raise ValueError(f"document {row['id']}: {result.message}")
                chunks += result.chunks
            kb._precomputed.clear()
            ingest_s = time.perf_counter() - started
            report = {"docs": len(doc_rows), "chunks": chunks, "queries": len(query_rows), "k": k,
                      "ingest_seconds": round(ingest_s, 2), "ingest_chunks_per_s": round(chunks / ingest_s, 1)}
            relevant = [set(map(str, q["relevant"])) for q in query_rows]
            started = time.perf_counter()
            kb.prime_queries([str(q["query"]) for q in query_rows])
            embed_ms = (time.perf_counter() - started) * 1000 / len(query_rows)
            report["query_embed_ms_batched"] = round(embed_ms, 2)
            for mode in modes:
                rankings, latencies = [], []
                for q in query_rows:
                    t = time.perf_counter()
                    hits = kb.search(str(q["query"]), k=max(3 * k, 30), mode=mode)
                    latencies.append((time.perf_counter() - t) * 1000)
                    rankings.append(rank_documents(hits, k))
                metrics = score_rankings(rankings, relevant, ks=tuple(sorted({1, 5, k} | {10})), mrr_at=10)
                # latencies exclude the query embedding, which was batched above (see query_embed_ms_batched)
                metrics.update({"query_ms_p50": round(_percentile(latencies, 0.5), 1),
                                "query_ms_p95": round(_percentile(latencies, 0.95), 1)})
                if mode == "hybrid":
                    report.update(metrics)
                else:
                    report[mode] = metrics
        finally:
            kb.close()
    log.info("retrieval eval: %s", report)
    return report


def ingest_paths(settings, paths: list[str], workspace: str | None = None) -> dict:
    """`python app.py ingest PATH... [--workspace ID]`: index files and every supported file inside folders into
    the app's knowledge base (under settings.data_dir; a workspace's own, components/workspaces/). Per-file errors
    are reported and never stop the rest."""
    from components.embedder import SentenceEmbedder
    from components.knowledge.knowledge_base import KnowledgeBase
    from components.knowledge.loaders import SUPPORTED_EXTENSIONS

    if not paths:
        raise ValueError("Give one or more files or folders to ingest.")
    files: list[str] = []
    missing: list[dict] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(str(f) for f in sorted(p.rglob("*"))
                         if f.is_file() and f.suffix.lower() in SUPPORTED_EXTENSIONS and not f.name.startswith("."))
        elif p.is_file():
            files.append(str(p))
        else:
            missing.append({"status": "error", "filename": str(raw), "doc_id": None, "chunks": 0,
                            "message": f"{raw} does not exist.", "seconds": 0.0})
    if workspace:
        from components.workspaces.services import build_knowledge
        from components.workspaces.workspace_eval import find_workspace

        kb, _ = build_knowledge(settings, find_workspace(settings, workspace), SentenceEmbedder.from_settings(settings))
    else:
        kb = KnowledgeBase(settings, SentenceEmbedder.from_settings(settings))
    started = time.perf_counter()
    try:
        results = [r.to_dict() for r in kb.ingest_files(files)]
        stats = kb.stats()
    finally:
        kb.close()
    results = missing + results
    counts = {s: sum(r["status"] == s for r in results) for s in ("indexed", "replaced", "skipped", "error")}
    return {"files": results, **counts, "seconds": round(time.perf_counter() - started, 2), "knowledge_base": stats}
