"""Fusion of the dense and keyword rankings, and the calibrated relevance score thresholds compare against.

Order: reciprocal-rank fusion (RRF, Cormack et al. 2009) of the two rankings, which needs no score calibration.
Score: RRF values say nothing about absolute relevance (the best chunk of a nonsense query still ranks first), so
every hit also gets `relevance` in 0..1: the dense cosine similarity, or the keyword coverage (the IDF-weighted share
of the query's terms the chunk contains) when that is higher, discounted because a word match is weaker evidence than
a meaning match. `Hit.score` is this relevance, and hits are sorted by it with RRF breaking near-ties, so
`hits[0].score < min_score` means "nothing relevant found".
"""
from __future__ import annotations

RRF_K = 60
KEYWORD_WEIGHT = 0.8  # a chunk containing every query term counts like a 0.8 cosine match


def reciprocal_rank_fusion(*rankings: list[str], weights: tuple[float, ...] | None = None,
                           k: int = RRF_K) -> dict[str, float]:
    weights = weights or (1.0,) * len(rankings)
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def fusion_weights(query_language: str) -> tuple[float, float]:
    """(dense, keyword) weights. The packaged embedder (all-MiniLM-L6-v2) is trained on English only, so for
    Chinese queries its ranking is mostly noise and the jieba keyword ranking carries the fusion."""
    return (0.2, 1.0) if query_language == "zh" else (1.0, 1.0)


ZH_DENSE_FLOOR = 0.45  # all-MiniLM-L6-v2 gives unrelated Chinese texts cosines of 0.4-0.6


def relevance(dense: float, coverage: float, bm25_share: float = 1.0, language: str = "en") -> float:
    """Calibrated 0..1 relevance of one chunk.

    dense: cosine similarity to the query. coverage: IDF-weighted share of the query's terms in the chunk.
    bm25_share: the chunk's BM25 score over the best BM25 score among the candidates (0..1), which separates two
    chunks that both contain every query term by how much they are about it. For Chinese queries the English-only
    embedder's cosine is rescaled so that its noise floor maps to 0.
    """
    dense = min(1.0, max(0.0, dense))
    if language == "zh":
        dense = max(0.0, (dense - ZH_DENSE_FLOOR) / (1.0 - ZH_DENSE_FLOOR))
    coverage = min(1.0, max(0.0, coverage))
    keyword = KEYWORD_WEIGHT * coverage * (0.75 + 0.25 * min(1.0, max(0.0, bm25_share)))
    return max(dense, keyword)
