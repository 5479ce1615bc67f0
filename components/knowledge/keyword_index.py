"""Keyword side of hybrid retrieval: BM25 (bm25s) over tokens from a mixed English/Chinese tokenizer (jieba).

The tokens of every chunk are stored in the knowledge base's SQLite file next to the chunk text (so the keyword
index can never disagree with the registry); the in-memory BM25 matrix is rebuilt from them when it is stale.
Besides BM25 ranking it gives a calibrated `coverage` in 0..1: the IDF-weighted share of the query's terms that a
chunk contains (1.0 = every term present), which thresholds can compare against.
"""
from __future__ import annotations

import logging
import math
import re
import threading

import numpy as np

from components.nlu.cjk_characters import HAN_WITH_COMPATIBILITY

log = logging.getLogger(__name__)

_TOKEN = re.compile(rf"[{HAN_WITH_COMPATIBILITY}]+|[a-z0-9]+(?:['’][a-z]+)?", re.IGNORECASE)
_CJK_RUN = re.compile(f"^[{HAN_WITH_COMPATIBILITY}]+$")
STOPWORDS_EN = frozenset("""a an and are as at be been but by can could did do does for from had has have how i i'm
if in into is it its me my of on or our please so than that the their them then there these they this to too us
was we were what when where which who why will with would you your yours ya u ur im i've id want need help
wanna gotta got get""".split())
STOPWORDS_ZH = frozenset("的 了 是 我 你 您 吗 呢 吧 啊 在 和 与 或 要 想 请 能 可以 怎么 如何 什么 一下 这个 那个 就 也 都 把 被 有 会 我们 你们 他们".split())

_jieba_lock = threading.Lock()
_jieba_ready = False


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def chinese_tags(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) of a Chinese text by jieba's tagger ("发票" n, "以旧换新" l, "土耳其" ns)."""
    _jieba()
    import jieba.posseg

    return [(w.word, w.flag) for w in jieba.posseg.cut(text)]


def _stem(word: str) -> str:
    """A light English stemmer: enough to match refund/refunds/refunded, cancel/cancelled/cancelling."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if not word.endswith(suffix) or len(word) - len(suffix) < 3:
            continue
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            return word
        if suffix == "es" and not word.endswith(("ches", "shes", "xes", "sses", "zes")):
            continue
        stem = word[: len(word) - len(suffix)] + repl
        if suffix in ("ing", "ed"):
            if stem == "cancell":
                return "cancel"
            if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "aeiouslz":
                stem = stem[:-1]  # shipping -> ship
        return stem
    return word


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed English words and jieba search-mode Chinese words, stopwords removed."""
    tokens: list[str] = []
    for match in _TOKEN.findall(text or ""):
        if _CJK_RUN.match(match):
            for word in _jieba().lcut_for_search(match):
                if word.strip() and word not in STOPWORDS_ZH:
                    tokens.append(word)
        else:
            word = match.lower().replace("’", "'")
            if word not in STOPWORDS_EN:
                tokens.append(_stem(word))
    return tokens


class KeywordIndex:
    """BM25 over (chunk_id, tokens) pairs; rebuilt lazily after `mark_stale`."""

    def __init__(self, load_rows):
        """`load_rows()` returns [(chunk_id, doc_id, tokens_string)] for every indexed chunk."""
        self._load_rows = load_rows
        self._lock = threading.Lock()
        self._generation = 1  # bumped by every change; the index is current when built from the latest one
        self._built = 0
        self._bm25 = None
        self._chunk_ids: list[str] = []
        self._doc_ids: np.ndarray = np.array([], dtype=object)
        self._df: dict[str, int] = {}
        self._n = 0

    def mark_stale(self) -> None:
        self._generation += 1

    def _ensure(self) -> None:
        if self._built == self._generation:
            return
        with self._lock:
            generation = self._generation
            if self._built == generation:
                return
            import bm25s

            rows = self._load_rows()
            corpus = [t.split() if t else [] for _, _, t in rows]
            self._chunk_ids = [r[0] for r in rows]
            self._doc_ids = np.array([r[1] for r in rows], dtype=object)
            df: dict[str, int] = {}
            for toks in corpus:
                for t in set(toks):
                    df[t] = df.get(t, 0) + 1
            self._df = df
            self._n = len(rows)
            if rows:
                bm25 = bm25s.BM25()
                bm25.index(corpus, show_progress=False)
                self._bm25 = bm25
            else:
                self._bm25 = None
            self._built = generation
            log.debug("keyword index rebuilt over %d chunks", len(rows))

    def idf(self, token: str) -> float:
        df = self._df.get(token, 0)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def document_frequencies(self) -> dict[str, int]:
        """token -> in how many chunks it occurs (the live table: do not change it)."""
        self._ensure()
        return self._df

    def document_frequency(self, token: str) -> int:
        """In how many chunks the token occurs (0: the knowledge base never mentions it)."""
        self._ensure()
        return self._df.get(token, 0)

    def search(self, query_tokens: list[str], n: int, allowed_docs: set[str] | None = None) -> list[tuple[str, float]]:
        """Top-n (chunk_id, bm25 score) with a positive score, optionally only inside `allowed_docs`."""
        self._ensure()
        if self._bm25 is None or not query_tokens:
            return []
        known = [t for t in query_tokens if t in self._bm25.vocab_dict]
        if not known:
            return []
        scores = self._bm25.get_scores(known)
        if allowed_docs is not None:
            mask = np.fromiter((d in allowed_docs for d in self._doc_ids), dtype=bool, count=len(self._doc_ids))
            scores = np.where(mask, scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [(self._chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def coverage(self, query_tokens: list[str], chunk_tokens: list[str]) -> float:
        """IDF-weighted share of the distinct query terms found in the chunk, in 0..1."""
        self._ensure()
        terms = set(query_tokens)
        if not terms:
            return 0.0
        present = set(chunk_tokens)
        total = sum(self.idf(t) for t in terms)
        hit = sum(self.idf(t) for t in terms if t in present)
        return float(hit / total) if total > 0 else 0.0

    @property
    def size(self) -> int:
        self._ensure()
        return self._n
