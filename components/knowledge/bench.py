"""Retrieval benchmark: `python app.py bench retrieval --json`.

1. Ingestion throughput: synthetic support-style documents go through the real pipeline (chunk, embed with the
   packaged model, write Chroma + SQLite) for at most ~45% of the time budget; chunks/s is measured there, and
   the embedding step on its own (`embed_chunks_per_s`). `embedder` names the embedder's runtime and precision
   (KEFU_EMBEDDING_PRECISION=float32 measures the exact sentence-transformers path).
2. Query latency at each size (default 10k and 100k chunks): the index is topped up to the size with synthetic
   chunks whose vectors are cheap perturbations of the really embedded ones and whose text comes from the same
   generator (embedding 100k chunks at 50-100 chunks/s would take 15-30 minutes on two cores). Each report row
   says how many chunks were really embedded and how many were synthetic. Latency is measured for the whole `search()`
   query (embedding a fresh query + retrieval) and for each part: `embed_ms` (one query through the packaged
   MiniLM) and `retrieval_ms` (Chroma HNSW, BM25, SQLite reads, fusion).
"""
from __future__ import annotations

import dataclasses
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

WORDS = ("order refund return exchange cancel payment gift card paypal credit delivery shipping address tracking "
         "parcel invoice account password email profile item product size color option price balance pending "
         "delivered processed status business days confirm identity zip code agent support chat policy warranty "
         "charger headphones laptop backpack bottle chair lamp keyboard mouse camera bicycle helmet jacket shoes "
         "watch tablet kettle thermostat speaker vacuum purifier grill umbrella puzzle notebook perfume").split()
QUERIES = ["how long does a refund to my credit card take", "can I exchange the headphones for another color",
           "where is my parcel with the laptop", "cancel a pending order placed by mistake",
           "change the shipping address of my order", "pay with a gift card balance",
           "return a delivered backpack", "track my order status", "update the email on my profile",
           "what payment methods do you accept", "the keyboard arrived broken", "exchange shoes for a bigger size"]


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 16))]
    return " ".join(words).capitalize() + "."


def _document(rng: random.Random, n: int, sections: int = 8) -> str:
    parts = [f"# Synthetic support article {n}"]
    for s in range(sections):
        parts.append(f"## Section {s + 1}: {rng.choice(WORDS)} {rng.choice(WORDS)}")
        for _ in range(2):
            parts.append(" ".join(_sentence(rng) for _ in range(rng.randint(3, 5))))
    return "\n\n".join(parts)


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))] if values else 0.0


def run_retrieval_bench(settings, *, sizes=(10_000, 100_000), seconds_budget: float = 900,
                        queries_per_size: int = 40, embedder=None) -> dict:
    from components.embedder import SentenceEmbedder
    from components.knowledge.keyword_index import tokenize
    from components.knowledge.knowledge_base import KnowledgeBase

    sizes = sorted(int(s) for s in sizes)
    if not sizes or sizes[0] < 100:
        raise ValueError("sizes must be chunk counts of at least 100")
    if seconds_budget < 30:
        raise ValueError("seconds_budget must be at least 30 seconds")
    rng = random.Random(7)
    embedder = embedder or SentenceEmbedder.from_settings(settings)
    embedder.embed(["warm up"])  # model loading is not part of the budget
    bench_start = time.perf_counter()
    report: dict = {"sizes": [], "method": __doc__.strip().split("\n\n", 1)[1],
                    "embedder": getattr(embedder, "fingerprint", getattr(embedder, "model_name", "")),
                    "embedder_threads": getattr(embedder, "threads", None)}
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        kb = KnowledgeBase(dataclasses.replace(settings, data_dir=Path(tmp), kb_reranker=""), embedder)
        try:
            # ---- 1. real ingestion
            ingest_budget = 0.45 * seconds_budget
            real_chunks, n_docs, embed_s, started = 0, 0, 0.0, time.perf_counter()
            while real_chunks < sizes[0] and time.perf_counter() - started < ingest_budget:
                batch = [(f"Synthetic article {n_docs + i}", _document(rng, n_docs + i)) for i in range(8)]
                t0 = time.perf_counter()
                kb.preembed_texts(batch)  # as ingest_files does: chunks of several files embedded together
                embed_s += time.perf_counter() - t0
                for title, text in batch:
                    real_chunks += kb.ingest_text(title, text, doc_id=f"bench/{n_docs}", source="bench").chunks
                    n_docs += 1
                kb._precomputed.clear()
            ingest_s = time.perf_counter() - started
            report["ingest"] = {"documents": n_docs, "chunks": real_chunks, "seconds": round(ingest_s, 2),
                                "chunks_per_s": round(real_chunks / ingest_s, 1) if ingest_s else 0.0,
                                # the pre-embedding step (chunk + embed); the rest is Chroma and SQLite writes
                                "embed_seconds": round(embed_s, 2),
                                "embed_chunks_per_s": round(real_chunks / embed_s, 1) if embed_s else 0.0}
            # real vectors to perturb for the synthetic part
            sample_ids = list(kb.registry.chunk_ids())[:2000]
            base = np.vstack(list(kb.vectors.vectors(sample_ids).values()))
            synthetic = 0
            for size in sizes:
                remaining = seconds_budget - (time.perf_counter() - bench_start)
                if remaining < 20:
                    report["sizes"].append({"chunks": size, "skipped": "time budget exhausted"})
                    continue
                build_start = time.perf_counter()
                need = size - kb.registry.count_chunks()
                while need > 0:
                    n = min(5000, need)
                    vecs = base[np.asarray([rng.randrange(len(base)) for _ in range(n)])]
                    vecs = vecs + np.random.default_rng(synthetic).normal(0, 0.35 / np.sqrt(vecs.shape[1]),
                                                                         vecs.shape).astype(np.float32)
                    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                    texts = [_sentence(rng) + " " + _sentence(rng) for _ in range(n)]
                    ids = [f"bench/synthetic#{synthetic + i}" for i in range(n)]
                    kb.vectors.add(ids, vecs, [{"doc_id": "bench/synthetic", "version": "0", "kind": "text",
                                                "language": "en", "domain": ""}] * n)
                    kb.registry.bulk_insert_chunks([
                        {"chunk_id": cid, "doc_id": "bench/synthetic", "ordinal": synthetic + i, "kind": "text",
                         "text": t, "language": "en", "tokens": " ".join(tokenize(t))}
                        for i, (cid, t) in enumerate(zip(ids, texts))])
                    synthetic += n
                    need -= n
                    if time.perf_counter() - bench_start > seconds_budget:
                        break
                kb._changed()
                kb.search("warm up the keyword index", k=4)  # rebuild BM25 outside the timed queries
                build_s = time.perf_counter() - build_start
                retrieval, embed_ms = [], []
                for i in range(queries_per_size):
                    q = f"{QUERIES[i % len(QUERIES)]} ({size}-{i})"  # unique text: no query-embedding cache hit
                    t0 = time.perf_counter()
                    kb.prime_queries([q])  # the query embedding, timed on its own
                    t1 = time.perf_counter()
                    kb.search(q, k=4)  # everything else: Chroma, BM25, SQLite, fusion
                    t2 = time.perf_counter()
                    embed_ms.append((t1 - t0) * 1000)
                    retrieval.append((t2 - t1) * 1000)
                total = [e + r for e, r in zip(embed_ms, retrieval)]
                report["sizes"].append({
                    "chunks": kb.registry.count_chunks(), "real_chunks": real_chunks, "synthetic_chunks": synthetic,
                    "build_seconds": round(build_s, 1),
                    "query_ms_p50": round(_percentile(total, 0.5), 1), "query_ms_p95": round(_percentile(total, 0.95), 1),
                    "embed_ms_p50": round(statistics.median(embed_ms), 1),
                    "retrieval_ms_p50": round(_percentile(retrieval, 0.5), 1),
                    "retrieval_ms_p95": round(_percentile(retrieval, 0.95), 1)})
        finally:
            kb.close()
    report["seconds"] = round(time.perf_counter() - bench_start, 1)
    try:
        import os

        report["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    try:
        import torch

        report["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    return report
