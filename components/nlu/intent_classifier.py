"""Intent classifier: word and character n-grams beside sentence embeddings, a linear SVM, calibrated softmax.

Character n-grams make Chinese (no spaces) and misspellings work; the embeddings carry paraphrases. The SVM's scores
become probabilities through a softmax whose temperature is fitted on a held-out split, so `confidence` means
"how often a prediction this sure is right" and can drive the out-of-scope decision.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

log = logging.getLogger(__name__)

EmbedFn = Callable[[list[str]], np.ndarray]
FEATURES_VERSION = "tfidf-w12-cwb25-masked+emb-v4"

# identifiers say nothing about the intent: n-gram features see a placeholder instead of "#W2611340"
_IDENTIFIERS = [
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), " emailaddress "),
    # one placeholder for every long number: which id a sentence names says nothing about its intent
    (re.compile(r"(?<![A-Za-z0-9])#?[Ww]\d{7}(?!\d)|#[Ww]?\d{5,}|\d{5,}"), " idnumber "),
]


def mask_identifiers(text: str) -> str:
    for pattern, placeholder in _IDENTIFIERS:
        text = pattern.sub(placeholder, text)
    return text


@dataclass
class IntentPrediction:
    label: str
    confidence: float
    top: list[tuple[str, float]]


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / max(temperature, 1e-6)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of the true labels (Guo et al. 2017)."""
    def nll(log_t: float) -> float:
        p = _softmax(scores, float(np.exp(log_t)))
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))

    best = minimize_scalar(nll, bounds=(np.log(0.01), np.log(10.0)), method="bounded")
    return float(np.exp(best.x))


def _full_weights(svm: LinearSVC) -> tuple[np.ndarray, np.ndarray]:
    """One weight row per class (sklearn keeps a single row when there are two classes)."""
    coef, intercept = svm.coef_, svm.intercept_
    if len(svm.classes_) == 2:
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return coef, intercept


def _svm_scores(svm: LinearSVC, X, n_labels: int) -> np.ndarray:
    """Scores for all labels; a label absent from this SVM's training data scores very low."""
    coef, intercept = _full_weights(svm)
    scores = np.full((X.shape[0], n_labels), -10.0, dtype=np.float64)
    scores[:, svm.classes_] = np.asarray(X @ coef.T) + intercept
    return scores


class IntentClassifier:
    """Fit on (text, label) pairs; predict labels with calibrated confidences. Picklable without its embedder."""

    def __init__(self, embed: EmbedFn | None, *, C: float = 1.0, embedding_weight: float = 2.0,
                 holdout: float = 0.15, seed: int = 13):
        self.embed = embed
        self.C = C
        self.embedding_weight = embedding_weight
        self.holdout = holdout
        self.seed = seed
        self.labels: list[str] = []
        self.temperature = 1.0
        self._word: TfidfVectorizer | None = None
        self._char: TfidfVectorizer | None = None
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        self.metrics: dict = {}

    # pickling: the embedder is a shared service, never part of the cached model
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["embed"] = None
        return state

    @property
    def fitted(self) -> bool:
        return self._coef is not None

    @staticmethod
    def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
        word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True, dtype=np.float32)
        # min_df=1: a Chinese phrase often appears in a single example, and its character n-grams are what
        # carries it (same Banking77 accuracy as min_df=2)
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, lowercase=True,
                               dtype=np.float32)
        return word, char

    def _features(self, texts: list[str], embeddings: np.ndarray | None, word: TfidfVectorizer,
                  char: TfidfVectorizer, fit: bool = False) -> sp.csr_matrix:
        texts = [mask_identifiers(t) for t in texts]
        if fit:
            w, c = word.fit_transform(texts), char.fit_transform(texts)
        else:
            w, c = word.transform(texts), char.transform(texts)
        blocks = [w / np.sqrt(2), c / np.sqrt(2)]
        if embeddings is not None:
            blocks.append(sp.csr_matrix(np.asarray(embeddings, dtype=np.float32) * self.embedding_weight))
        return sp.hstack(blocks, format="csr")

    def _embed(self, texts: list[str]) -> np.ndarray | None:
        return None if self.embed is None else self.embed(texts)

    def fit(self, examples: list[tuple[str, str]], *, calibrate: bool = True) -> dict:
        """Train on checked examples (see intent_pack.validate_examples); returns training metrics."""
        start = time.perf_counter()
        texts = [t for t, _ in examples]
        self.labels = sorted({label for _, label in examples})
        index = {label: i for i, label in enumerate(self.labels)}
        y = np.array([index[label] for _, label in examples])
        embeddings = self._embed(texts)
        embed_seconds = time.perf_counter() - start
        metrics: dict = {"examples": len(texts), "labels": len(self.labels)}
        if calibrate and len(texts) >= 4 * len(self.labels):
            idx_fit, idx_cal = train_test_split(np.arange(len(texts)), test_size=self.holdout, stratify=y,
                                                random_state=self.seed)
            word, char = self._vectorizers()
            sub_e = None if embeddings is None else embeddings[idx_fit]
            X_fit = self._features([texts[i] for i in idx_fit], sub_e, word, char, fit=True)
            svm = LinearSVC(C=self.C).fit(X_fit, y[idx_fit])
            cal_e = None if embeddings is None else embeddings[idx_cal]
            X_cal = self._features([texts[i] for i in idx_cal], cal_e, word, char)
            scores = _svm_scores(svm, X_cal, len(self.labels))
            self.temperature = fit_temperature(scores, y[idx_cal])
            metrics["holdout_accuracy"] = float((scores.argmax(1) == y[idx_cal]).mean())
            metrics["temperature"] = self.temperature
        word, char = self._vectorizers()
        X = self._features(texts, embeddings, word, char, fit=True)
        coef, intercept = _full_weights(LinearSVC(C=self.C).fit(X, y))
        self._word, self._char = word, char
        self._coef, self._intercept = coef.astype(np.float32), intercept.astype(np.float32)
        metrics["embed_seconds"] = round(embed_seconds, 2)
        metrics["train_seconds"] = round(time.perf_counter() - start, 2)
        self.metrics = metrics
        log.info("intent classifier trained: %s", metrics)
        return metrics

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None) -> np.ndarray:
        if not self.fitted:
            raise RuntimeError("The intent classifier is not trained yet; call fit() (or NLU.start()) first")
        if embeddings is None and self.embed is not None:
            embeddings = self.embed(texts)
        X = self._features(texts, embeddings, self._word, self._char)
        scores = np.asarray(X @ self._coef.T) + self._intercept
        return _softmax(scores, self.temperature)

    def predict(self, texts: list[str], embeddings: np.ndarray | None = None, top_k: int = 3
                ) -> list[IntentPrediction]:
        probs = self.predict_proba(texts, embeddings)
        out = []
        for row in probs:
            order = np.argsort(-row)[:top_k]
            top = [(self.labels[i], float(row[i])) for i in order]
            out.append(IntentPrediction(top[0][0], top[0][1], top))
        return out
