"""Intent classifier: kernel ridge regression over sentence embeddings plus a linear SVM over word and character
n-grams, each with a calibrated softmax.

The embeddings carry paraphrases; the n-grams carry exact wording, misspellings and Chinese (no spaces, and the
packaged embedder is an English model). For an English message the scores of both models are added (the SVM's
with weight `ngram_weight`). A Chinese message is scored by its own linear SVM over character 1-4-grams, jieba
word 1-2-grams and toneless pinyin syllable 1-3-grams, term frequencies without idf (C=0.2), calibrated separately;
a pack of Chinese messages alone is not embedded at all. Tuned on the CIC Chinese e-commerce intents (12,000
messages, 118 intents): on a held-out 20 % (seed 17) the earlier route (word 1-2 + char_wb 2-5) scored 0.484, a
plain character 1-4-gram SVM 0.496, characters + jieba words at C=0.3 0.501 (0.487 with balanced class weights,
0.473 at C=1); on the first of five stratified folds (seed 17) C=0.2 scores 0.534, C=0.3 0.530, C=0.5 0.523,
against 0.519 for the character SVM. On the first three folds: characters + words 0.532 / 0.530 / 0.516, + pinyin
0.536 / 0.537 / 0.519 (a customer's homophone typo, 在/再, 的/得, 帐/账, shares its syllables with the right
word), and without idf 0.542 / 0.540 / 0.525; on all five 0.532 against 0.525 (see docs/measurements-history.md for what else was tried). CIC's training labels are noisy
on purpose (it comes from a data-centric benchmark), hence the low absolute numbers and the low C.

With `views=2` the embedding function returns the sentence vector and the mean-pooled layer 4 of the same encoder
side by side (`SentenceEmbedder.embed_with_layers`), and the kernel is the sum of one RBF per view.

Everything was chosen by 5-fold cross-validation on the train splits (the test splits were not used to choose
anything). Banking77: sentence vector + layer 4 with `ngram_weight` 0.3 scores 0.9394, against 0.9354 for the
sentence vector alone (best weight 0.75 for it), 0.930 for the earlier single SVM over [n-grams, embedding] and
0.903 for the n-gram SVM alone. E-commerce pack (Bitext plus the Chinese examples, Chinese routed to the n-grams):
0.9823 against 0.9814. Layers 2 or 3 instead of 4 score within 0.001; weights 0.2-0.5 within 0.0015.

Scores become probabilities through a softmax whose temperature is fitted on a held-out split, so `confidence`
means "how often a prediction this sure is right" and can drive the out-of-scope decision.
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.svm import LinearSVC

from components.nlu import fast_tfidf
from components.nlu.cjk_characters import HAN_NO_HEXAGRAMS
from components.nlu.emotions import cue_words_en
from components.nlu.intent_text import SpellingCorrector, english_words, intent_text
from components.nlu.kernel_ridge import EmbeddingKernelRidge
from components.nlu.language import detect_language

log = logging.getLogger(__name__)

EmbedFn = Callable[[list[str]], np.ndarray]
FEATURES_VERSION = "tfidf-w12-cwb25-masked-svm+emb-krr-rbf-views+zh-tf-c14-jieba12-py13+reading-v18"
# Chinese messages: a linear SVM over character 1-4-grams, jieba word 1-2-grams and pinyin syllable 1-3-grams (chosen
# by cross-validation on the CIC Chinese e-commerce intents, see the module docstring); its C
ZH_C = 0.2
# the n-gram SVM's weight in the blend, by the number of embedding views (chosen by cross-validation, see above)
NGRAM_WEIGHTS = {1: 0.75, 2: 0.3}
# the kernel matrix is n×n float32: above this many examples the kernel model learns from a stratified sample
# (the n-gram SVM always sees every example)
MAX_KERNEL_EXAMPLES = 12_000
# fewer held-out English examples than this: the blend's temperature is fitted on every held-out example
_MIN_CALIBRATION_ROWS = 20

# identifiers say nothing about the intent: n-gram features see a placeholder instead of "#W2611340"
_IDENTIFIERS = [
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), " emailaddress "),
    # one placeholder for every long number: which id a sentence names says nothing about its intent
    (re.compile(r"(?<![A-Za-z0-9])#?[Ww]\d{7}(?!\d)|#[Ww]?\d{5,}|\d{5,}"), " idnumber "),
]


_CJK = re.compile(f"[{HAN_NO_HEXAGRAMS}]")
# jieba's tokens for a text without Chinese characters: words and numbers, runs of the marks jieba keeps together,
# any other mark alone (the same tokens as jieba.lcut on all 17,345 English examples of the shipped packs and
# Bitext's test split, in a fraction of the time: the Chinese route also learns from the English examples)
_NON_CHINESE_TOKENS = re.compile(r"[A-Za-z0-9]+(?:\.\d+)?%?|([+#&._%\-])\1*|[^\sA-Za-z0-9]")


def _jieba_words(text: str) -> list[str]:
    if not _CJK.search(text):
        return [m.group(0) for m in _NON_CHINESE_TOKENS.finditer(text)]
    import jieba

    return [w for w in jieba.lcut(text) if w.strip()]


_CJK_RUN = re.compile(f"[{HAN_NO_HEXAGRAMS}]+")


def pinyin_syllables(text: str) -> list[str]:
    """The toneless pinyin of the text's Chinese characters, a syllable per character (pypinyin reads each run of
    characters whole, so a polyphone takes its reading in the word: 银行 → yin hang). Other characters give none:
    the character and word n-grams carry them."""
    from pypinyin import lazy_pinyin

    return [syllable for run in _CJK_RUN.findall(text) for syllable in lazy_pinyin(run)]


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


# hidden layers read beside the sentence vector when the embedder can give them (see the module docstring)
INTENT_LAYERS = (4,)


def intent_embedding(embedder) -> tuple[EmbedFn | None, int]:
    """The embedding function the classifier reads, and how many views each of its vectors holds: the sentence
    vector and layer 4 when the embedder gives layer views (the packaged MiniLM on its bfloat16 path), otherwise
    the sentence vector alone."""
    if embedder is None:
        return None, 1
    if getattr(embedder, "layer_views", False):
        return (lambda texts: embedder.embed_with_layers(texts, INTENT_LAYERS)), 1 + len(INTENT_LAYERS)
    return embedder.embed, 1


def _stratified_sample(idx: np.ndarray, y: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """At most `limit` of `idx`, each label keeping its share (and at least one example)."""
    if len(idx) <= limit:
        return idx
    rng = np.random.default_rng(seed)
    share = limit / len(idx)
    keep = []
    for label in np.unique(y[idx]):
        members = idx[y[idx] == label]
        keep.append(rng.choice(members, size=max(1, int(len(members) * share)), replace=False))
    return np.sort(np.concatenate(keep))


class IntentClassifier:
    """Fit on (text, label) pairs; predict labels with calibrated confidences. Picklable without its embedder."""

    def __init__(self, embed: EmbedFn | None, *, views: int = 1, C: float = 1.0, ngram_weight: float | None = None,
                 gamma: float = 2.0, ridge: float = 0.2, holdout: float = 0.15, seed: int = 13,
                 max_kernel_examples: int = MAX_KERNEL_EXAMPLES):
        self.embed = embed
        self.C = C
        self.views = views
        self.ngram_weight = NGRAM_WEIGHTS.get(views, 0.3) if ngram_weight is None else ngram_weight
        self.gamma = gamma
        self.ridge = ridge
        self.holdout = holdout
        self.seed = seed
        self.max_kernel_examples = max_kernel_examples
        self.labels: list[str] = []
        self.temperature = 1.0          # of the scores that answer English messages (the blend, if embeddings)
        self.ngram_temperature = 1.0    # of the n-gram SVM alone (Chinese messages, no embeddings)
        self._word: TfidfVectorizer | None = None
        self._char: TfidfVectorizer | None = None
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        self._kernel: EmbeddingKernelRidge | None = None
        self._zh_char: TfidfVectorizer | None = None
        self._zh_word: TfidfVectorizer | None = None
        self._zh_pinyin: TfidfVectorizer | None = None
        self._zh_coef: np.ndarray | None = None
        self._zh_intercept: np.ndarray | None = None
        self.zh_temperature = 1.0
        self.speller: SpellingCorrector | None = None
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

    def _ngrams(self, texts: list[str], fit: bool = False) -> sp.csr_matrix:
        texts = [mask_identifiers(t) for t in texts]
        if fit:
            self._word, self._char = self._vectorizers()
            w, c = self._word.fit_transform(texts), self._char.fit_transform(texts)
        else:
            w, c = fast_tfidf.transform(self._word, texts), fast_tfidf.transform(self._char, texts)
        return sp.hstack([w, c], format="csr") / np.sqrt(2)

    def _zh_ngrams(self, texts: list[str], fit: bool = False) -> sp.csr_matrix:
        texts = [mask_identifiers(t) for t in texts]
        if fit:
            # term frequencies without idf: 0.006-0.012 better on CIC's folds than with it
            common = dict(sublinear_tf=True, use_idf=False, lowercase=True, dtype=np.float32)
            self._zh_char = TfidfVectorizer(analyzer="char", ngram_range=(1, 4), **common)
            self._zh_word = TfidfVectorizer(tokenizer=_jieba_words, token_pattern=None, ngram_range=(1, 2), **common)
            self._zh_pinyin = TfidfVectorizer(tokenizer=pinyin_syllables, token_pattern=None, ngram_range=(1, 3),
                                              **common)
            blocks = [v.fit_transform(texts) for v in (self._zh_char, self._zh_word, self._zh_pinyin)]
        else:
            blocks = [fast_tfidf.transform(v, texts) for v in (self._zh_char, self._zh_word, self._zh_pinyin)]
        return sp.hstack(blocks, format="csr") / np.sqrt(len(blocks))

    def _embed(self, texts: list[str]) -> np.ndarray | None:
        return None if self.embed is None else self.embed(texts)

    def reading(self, texts: list[str]) -> list[str]:
        """What the classifier reads of each message (intent_text.py): names, gendered words, greetings, fillers
        and dialect particles neutralised; English words it never saw in training corrected when one edit away."""
        out = []
        for text in texts:
            language = "zh" if detect_language(text) == "zh" else "en"
            # spelling first, so that a misspelt filler ("Plaese") is recognised as one
            spelled = self.speller.correct(text) if self.speller is not None and language == "en" else text
            out.append(intent_text(spelled, language))
        return out

    def spelled(self, text: str) -> str:
        """`text` with the reading's spelling corrections only (English), for the emotion cues."""
        if self.speller is None or detect_language(text) == "zh":
            return text
        return self.speller.correct(text)

    @staticmethod
    def _chinese(texts: list[str]) -> np.ndarray:
        return np.array([detect_language(t) == "zh" for t in texts], dtype=bool)

    def fit(self, examples: list[tuple[str, str]], *, calibrate: bool = True) -> dict:
        """Train on checked examples (see intent_pack.validate_examples); returns training metrics."""
        start = time.perf_counter()
        # the classifier learns from what it will read: the examples without greetings, fillers and punctuation
        texts = [intent_text(t, "zh" if detect_language(t) == "zh" else "en") for t, _ in examples]
        self.labels = sorted({label for _, label in examples})
        n_labels = len(self.labels)
        index = {label: i for i, label in enumerate(self.labels)}
        y = np.array([index[label] for _, label in examples])
        chinese = self._chinese(texts)
        self.speller = SpellingCorrector([t for t, c in zip(texts, chinese) if not c], extra_words=cue_words_en(),
                                         general_words=english_words())
        # the packaged embedder is an English model: a pack of Chinese messages alone is read by n-grams only
        embeddings = None if chinese.all() else self._embed(texts)
        embed_seconds = time.perf_counter() - start
        metrics: dict = {"examples": len(texts), "labels": n_labels}
        # the vocabulary and IDF come from every text (no labels involved); the held-out rows only calibrate
        X = self._ngrams(texts, fit=True)
        all_rows = np.arange(len(texts))
        calibrating = calibrate and len(texts) >= 4 * n_labels
        if calibrating:
            idx_fit, idx_cal = train_test_split(all_rows, test_size=self.holdout, stratify=y,
                                                random_state=self.seed)
        else:
            idx_fit, idx_cal = all_rows, all_rows[:0]

        # the n-gram SVMs (held-out and final) train on worker threads while this thread fits the kernel model:
        # liblinear is single-threaded and lets go of the GIL, the factorisation uses one BLAS thread
        Z = self._zh_ngrams(texts, fit=True) if chinese.any() else None
        with ThreadPoolExecutor(2, thread_name_prefix="kefu-intent-svm") as pool:
            final_job = pool.submit(LinearSVC(C=self.C).fit, X, y)
            sub_job = pool.submit(LinearSVC(C=self.C).fit, X[idx_fit], y[idx_fit]) if calibrating else None
            zh_job = None if Z is None else pool.submit(LinearSVC(C=ZH_C).fit, Z, y)
            zh_sub_job = None if Z is None or not calibrating else pool.submit(LinearSVC(C=ZH_C).fit, Z[idx_fit],
                                                                                y[idx_fit])
            kernel = sub_kernel = None
            if embeddings is not None:
                # one factorisation serves both: rows of the fit split first, then the held-out ones
                limit = self.max_kernel_examples
                k_fit = _stratified_sample(idx_fit, y, int(limit * len(idx_fit) / len(texts)), self.seed)
                k_cal = _stratified_sample(idx_cal, y, limit - len(k_fit), self.seed)
                order = np.concatenate([k_fit, k_cal])
                kernel = EmbeddingKernelRidge(gamma=self.gamma, ridge=self.ridge, views=self.views)
                sub_kernel = kernel.fit(embeddings[order], y[order], n_labels,
                                        n_sub=len(k_fit) if calibrating else None)
            final_svm = final_job.result()
            sub_svm = None if sub_job is None else sub_job.result()
            zh_svm = None if zh_job is None else zh_job.result()
            zh_sub_svm = None if zh_sub_job is None else zh_sub_job.result()
        self._kernel = kernel
        if zh_svm is not None:
            coef, intercept = _full_weights(zh_svm)
            self._zh_coef, self._zh_intercept = coef.astype(np.float32), intercept.astype(np.float32)
        else:
            self._zh_char = self._zh_word = self._zh_pinyin = self._zh_coef = self._zh_intercept = None

        if calibrating:
            svm_cal = _svm_scores(sub_svm, X[idx_cal], n_labels)
            self.ngram_temperature = fit_temperature(svm_cal, y[idx_cal])
            predicted = svm_cal.argmax(1)
            self.temperature = self.ngram_temperature
            if kernel is not None:
                blend_cal = kernel.score_with(sub_kernel, embeddings[idx_cal]) + self.ngram_weight * svm_cal
                english = ~self._chinese([texts[i] for i in idx_cal])
                rows = english if english.sum() >= _MIN_CALIBRATION_ROWS else np.ones_like(english)
                self.temperature = fit_temperature(blend_cal[rows], y[idx_cal][rows])
                predicted = np.where(english, blend_cal.argmax(1), predicted)
                metrics["ngram_temperature"] = self.ngram_temperature
            if zh_sub_svm is not None:
                zh_cal = _svm_scores(zh_sub_svm, Z[idx_cal], n_labels)
                zh_rows = chinese[idx_cal]
                rows = zh_rows if zh_rows.sum() >= _MIN_CALIBRATION_ROWS else np.ones_like(zh_rows)
                self.zh_temperature = fit_temperature(zh_cal[rows], y[idx_cal][rows])
                predicted = np.where(zh_rows, zh_cal.argmax(1), predicted)
                metrics["zh_temperature"] = self.zh_temperature
            metrics["holdout_accuracy"] = float((predicted == y[idx_cal]).mean())
            metrics["temperature"] = self.temperature

        coef, intercept = _full_weights(final_svm)
        self._coef, self._intercept = coef.astype(np.float32), intercept.astype(np.float32)
        metrics["embed_seconds"] = round(embed_seconds, 2)
        metrics["train_seconds"] = round(time.perf_counter() - start, 2)
        self.metrics = metrics
        log.info("intent classifier trained: %s", metrics)
        return metrics

    def predict_proba(self, texts: list[str], embeddings: np.ndarray | None = None,
                      readings: list[str] | None = None) -> np.ndarray:
        """`embeddings`, when given, are of `reading(texts)` (what NLU.parse embeds), not of the raw texts;
        `readings`, when given, are `reading(texts)` already computed."""
        if not self.fitted:
            raise RuntimeError("The intent classifier is not trained yet; call fit() (or NLU.start()) first")
        texts = self.reading(texts) if readings is None else list(readings)
        ngram_scores = np.asarray(self._ngrams(texts) @ self._coef.T) + self._intercept
        chinese = self._chinese(texts)
        if self._kernel is None:
            probs = _softmax(ngram_scores, self.temperature)
        else:
            if embeddings is None and self.embed is not None and not chinese.all():
                embeddings = self.embed(texts)
            probs = _softmax(ngram_scores, self.ngram_temperature)
            if embeddings is not None and not chinese.all():
                blend = self._kernel.scores(embeddings) + self.ngram_weight * ngram_scores
                probs[~chinese] = _softmax(blend[~chinese], self.temperature)
        if self._zh_coef is not None and chinese.any():
            zh_texts = [t for t, c in zip(texts, chinese) if c]
            zh_scores = np.asarray(self._zh_ngrams(zh_texts) @ self._zh_coef.T) + self._zh_intercept
            probs[chinese] = _softmax(zh_scores, self.zh_temperature)
        return probs

    def predict(self, texts: list[str], embeddings: np.ndarray | None = None, top_k: int = 3,
                readings: list[str] | None = None) -> list[IntentPrediction]:
        probs = self.predict_proba(texts, embeddings, readings)
        out = []
        for row in probs:
            order = np.argsort(-row)[:top_k]
            top = [(self.labels[i], float(row[i])) for i in order]
            out.append(IntentPrediction(top[0][0], top[0][1], top))
        return out
