"""Benchmarks behind `python app.py eval intents` and `python app.py eval sentiment`. Plain keyword arguments in,
JSON-serialisable dict out."""
from __future__ import annotations

import logging
import time

import numpy as np
from sklearn.metrics import f1_score

from components.nlu.intent_classifier import IntentClassifier, intent_embedding
from components.nlu.intent_pack import normalise_text, read_examples, validate_examples
from components.nlu.language import detect_language
from components.nlu.sentiment import SentimentAnalyzer

log = logging.getLogger(__name__)

SENTIMENT_LABELS = ("negative", "neutral", "positive")


def _embedder(settings):
    from components.embedder import SentenceEmbedder

    return SentenceEmbedder.from_settings(settings)


def run_intent_eval(settings, *, train: str, test: str, text_col: str = "text", label_col: str = "label",
                    oos_label: str | None = None, oos_threshold: float | None = None, embedder=None) -> dict:
    """Train the shipped intent classifier on `train` (no cache) and score it on `test`.

    With `oos_label`, examples of that label are trained as a class like any other; a test example counts as
    out of scope when it is predicted as that label or its confidence is below the NLU's threshold, and the
    result adds `in_scope_accuracy` (right label and not flagged) and `oos_recall`.
    """
    train_rows = validate_examples(read_examples(train, text_col=text_col, label_col=label_col), name=str(train))
    # every test row counts (no de-duplication), only texts that are empty after normalising are skipped
    test_rows = [(normalise_text(text), label.strip())
                 for text, label in read_examples(test, text_col=text_col, label_col=label_col)
                 if normalise_text(text)]
    if not test_rows:
        raise ValueError(f"{test} has no examples")
    threshold = float(getattr(settings, "nlu_oos_threshold", 0.5) if oos_threshold is None else oos_threshold)
    embedder = embedder if embedder is not None else _embedder(settings)
    embed, views = intent_embedding(embedder)
    model = IntentClassifier(embed, views=views)
    started = time.perf_counter()
    fit_metrics = model.fit(train_rows)
    train_seconds = time.perf_counter() - started
    texts = [t for t, _ in test_rows]
    gold = [label for _, label in test_rows]
    started = time.perf_counter()
    predictions = model.predict(texts)
    predict_ms = (time.perf_counter() - started) * 1000 / len(texts)
    predicted = [p.label for p in predictions]
    result = {
        "accuracy": round(float(np.mean([p == g for p, g in zip(predicted, gold)])), 4),
        "macro_f1": round(float(f1_score(gold, predicted, average="macro", zero_division=0)), 4),
        "train_seconds": round(train_seconds, 2),
        "embed_seconds": fit_metrics.get("embed_seconds"),
        "n_train": len(train_rows),
        "n_test": len(test_rows),
        "n_labels": len(model.labels),
        "holdout_accuracy": fit_metrics.get("holdout_accuracy"),
        "temperature": round(model.temperature, 4),
        "predict_ms_per_example_batched": round(predict_ms, 3),
    }
    unseen = sorted(set(gold) - set(model.labels))
    if unseen:
        result["test_labels_not_in_train"] = unseen
    if oos_label:
        flagged = [p.label == oos_label or p.confidence < threshold for p in predictions]
        in_scope = [i for i, g in enumerate(gold) if g != oos_label]
        oos = [i for i, g in enumerate(gold) if g == oos_label]
        result["oos_threshold"] = threshold
        result["in_scope_accuracy"] = round(float(np.mean(
            [predicted[i] == gold[i] and not flagged[i] for i in in_scope])), 4) if in_scope else None
        result["oos_recall"] = round(float(np.mean([flagged[i] for i in oos])), 4) if oos else None
    return result


def run_sentiment_eval(settings, *, test: str, text_col: str = "text", label_col: str = "label") -> dict:
    """Score the shipped sentiment component (no training on `test`) on a CSV with negative/neutral/positive."""
    rows = read_examples(test, text_col=text_col, label_col=label_col)
    gold = [label.strip().lower() for _, label in rows]
    bad = sorted(set(gold) - set(SENTIMENT_LABELS))
    if bad:
        raise ValueError(f"{test}: labels must be negative, neutral or positive; found {bad[:5]}")
    analyzer = SentimentAnalyzer()
    started = time.perf_counter()
    predicted = [analyzer.analyze(text, detect_language(text)).label for text, _ in rows]
    ms = (time.perf_counter() - started) * 1000 / max(1, len(rows))
    per_class = f1_score(gold, predicted, labels=list(SENTIMENT_LABELS), average=None, zero_division=0)
    return {
        "accuracy": round(float(np.mean([p == g for p, g in zip(predicted, gold)])), 4),
        "macro_f1": round(float(np.mean(per_class)), 4),
        "negative_f1": round(float(per_class[0]), 4),
        "neutral_f1": round(float(per_class[1]), 4),
        "positive_f1": round(float(per_class[2]), 4),
        "n_test": len(rows),
        "ms_per_example": round(ms, 3),
    }


DEFAULT_LATENCY_TEXTS = (
    "where is my order #W2611340", "I want to cancel my order", "我想查询我的订单状态", "我要退货",
    "this is the third time I ask, where is my refund?", "can I change the shipping address",
    "转人工", "my email is mei.kovacs8232@example.com", "how long does delivery take", "谢谢，再见",
)


def measure_parse_latency(nlu, texts: list[str] | tuple[str, ...] = DEFAULT_LATENCY_TEXTS, repeats: int = 5) -> dict:
    """Per-turn NLU time (ms) over `texts` × `repeats`, after one warm-up pass: p50, p95, max, per stage p50."""
    for text in texts:
        nlu.parse(text)
    totals: list[float] = []
    stages: dict[str, list[float]] = {}
    for _ in range(repeats):
        for text in texts:
            started = time.perf_counter()
            result = nlu.parse(text)
            totals.append((time.perf_counter() - started) * 1000)
            for stage, ms in result.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
    return {"n": len(totals), "p50_ms": round(float(np.percentile(totals, 50)), 2),
            "p95_ms": round(float(np.percentile(totals, 95)), 2), "max_ms": round(max(totals), 2),
            "stage_p50_ms": {k: round(float(np.percentile(v, 50)), 2) for k, v in stages.items()}}


def run_nlu_latency(settings, *, repeats: int = 5) -> dict:
    """Start the shipped NLU (cached classifiers) and time `parse` on English and Chinese turns."""
    from components.nlu import NLU

    nlu = NLU(settings, _embedder(settings))
    nlu.start()
    return measure_parse_latency(nlu, repeats=repeats)
