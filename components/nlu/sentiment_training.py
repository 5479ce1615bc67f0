"""Train the learned sentiment model on the shipped corpora, or load it from the cache (keyed by the corpora, the
model version and the embedder), the way the intent classifiers are cached."""
from __future__ import annotations

import hashlib
from pathlib import Path

from components.nlu.model_cache import load_model, save_model
from components.nlu.sentiment_data import corpora_fingerprint, training_corpora
from components.nlu.sentiment_model import MODEL_VERSION, EmbedFn, LearnedSentiment


def load_or_train(assets_dir: Path, pack: Path, cache_dir: Path, embed: EmbedFn | None, views: int,
                  embedder_name: str | None) -> tuple[LearnedSentiment, dict]:
    """The model and its training metrics ({"cached": True, ...} when it came from the cache)."""
    key = hashlib.sha256(f"{MODEL_VERSION}|{embedder_name}|views={views}|{embed is not None}|"
                         f"{corpora_fingerprint(assets_dir, pack)}".encode()).hexdigest()[:20]
    path = Path(cache_dir) / f"sentiment-{key}.pkl"
    model = load_model(path, "sentiment model")
    if model is not None:
        return model, {**model.metrics, "cached": True}
    english, requests, chinese = training_corpora(assets_dir, pack)
    model = LearnedSentiment()
    metrics = model.fit(english, requests, chinese, embed=embed, views=views)
    save_model(path, model)
    return model, {**metrics, "cached": False}
