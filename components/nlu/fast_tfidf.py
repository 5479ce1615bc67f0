"""A fitted TfidfVectorizer's `transform` for the few texts of one turn, without sklearn's per-call checks.

sklearn's `transform` spends about a millisecond per call on input validation and sparse-matrix bookkeeping,
and one NLU turn calls it four to five times (the intent and sentiment models' word and character n-grams).
This computes the same rows (sublinear tf, idf or none, L2 norm; tests/test_nlu_fast_tfidf.py compares them) from
the vectorizer's own analyzer and vocabulary. Vectorizers of another configuration go through sklearn.
"""
from __future__ import annotations

import weakref
from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

_PARTS: "weakref.WeakKeyDictionary[TfidfVectorizer, tuple]" = weakref.WeakKeyDictionary()


def _supported(vectorizer: TfidfVectorizer) -> bool:
    return (vectorizer.norm == "l2" and vectorizer.sublinear_tf and not vectorizer.binary
            and vectorizer.dtype == np.float32)


def transform(vectorizer: TfidfVectorizer, texts: list[str]) -> sp.csr_matrix:
    """`vectorizer.transform(texts)`, faster for a few texts."""
    parts = _PARTS.get(vectorizer)
    if parts is None:
        if not _supported(vectorizer):
            return vectorizer.transform(texts)
        idf = (vectorizer.idf_.astype(np.float32) if vectorizer.use_idf
               else np.ones(len(vectorizer.vocabulary_), dtype=np.float32))
        parts = (vectorizer.build_analyzer(), vectorizer.vocabulary_, idf)
        _PARTS[vectorizer] = parts
    analyzer, vocabulary, idf = parts
    indptr, indices, data = [0], [], []
    for text in texts:
        counts = Counter(j for j in map(vocabulary.get, analyzer(text)) if j is not None)
        if counts:
            columns = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
            values = (np.log(np.array([counts[j] for j in columns], dtype=np.float32)) + 1) * idf[columns]
            values /= np.sqrt((values * values).sum())
            indices.append(columns)
            data.append(values.astype(np.float32, copy=False))
        indptr.append(indptr[-1] + len(counts))
    return sp.csr_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                          np.concatenate(indices) if indices else np.zeros(0, np.int64), np.array(indptr)),
                         shape=(len(texts), len(idf)), dtype=np.float32)
