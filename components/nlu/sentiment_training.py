"""Train the learned sentiment model on the shipped corpora, or load it from the cache (keyed by the corpora, the
model version and the embedder), the way the intent classifiers are cached."""
from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path

from components.nlu.sentiment_data import corpora_fingerprint, training_corpora
from components.nlu.sentiment_model import MODEL_VERSION, EmbedFn, LearnedSentiment

log = logging.getLogger(__name__)


def load_or_train(assets_dir: Path, pack: Path, cache_dir: Path, embed: EmbedFn | None, views: int,
                  embedder_name: str | None) -> tuple[LearnedSentiment, dict]:
    """The model and its training metrics ({"cached": True, ...} when it came from the cache)."""
    key = hashlib.sha256(f"{MODEL_VERSION}|{embedder_name}|views={views}|{embed is not None}|"
                         f"{corpora_fingerprint(assets_dir, pack)}".encode()).hexdigest()[:20]
    path = Path(cache_dir) / f"sentiment-{key}.pkl"
    if path.exists():
        try:
            with path.open("rb") as fh:
                model = pickle.load(fh)
            log.info("loaded cached sentiment model from %s", path.name)
            return model, {**model.metrics, "cached": True}
        except Exception as exc:  # noqa: BLE001 - any unreadable cache is rebuilt
            log.warning("rebuilding unreadable sentiment model cache %s: %s", path, exc)
    english, requests, chinese = training_corpora(assets_dir, pack)
    model = LearnedSentiment()
    metrics = model.fit(english, requests, chinese, embed=embed, views=views)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return model, {**metrics, "cached": False}
