"""Trained NLU models on disk: pickles written atomically, unreadable ones reported and rebuilt."""
from __future__ import annotations

import logging
import pickle
from pathlib import Path

log = logging.getLogger(__name__)


def load_model(path: Path, what: str):
    """The pickled model at `path`, or None when there is none or it cannot be read (then it is rebuilt)."""
    if not path.exists():
        return None
    try:
        with path.open("rb") as fh:
            model = pickle.load(fh)
    except Exception as exc:  # noqa: BLE001 - any unreadable cache is rebuilt
        log.warning("rebuilding unreadable %s cache %s: %s", what, path, exc)
        return None
    log.info("loaded cached %s from %s", what, path.name)
    return model


def save_model(path: Path, model) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
