"""The audio of spoken turns, kept so an agent can play what the customer said (16 kHz mono WAV, ~32 KB a second).

A recording is saved before its turn runs (a new conversation has no id yet) as `<data_dir>/speech_audio/<name>.wav`
and moved into the conversation's folder, `speech_audio/<conversation id>/<name>.wav`, once the turn has one; the
trace stores only the name. Forgetting a customer or the retention policy deletes a conversation's folder with it.
"""
from __future__ import annotations

import re
import shutil
import uuid
import wave
from pathlib import Path

import numpy as np

from components.speech.audio_input import SAMPLE_RATE

_NAME = re.compile(r"^[0-9a-f]{32}\.wav$")
_CONVERSATION = re.compile(r"^[\w-]{1,128}$")


class SpokenAudioArchive:
    def __init__(self, root: Path):
        self.root = Path(root)

    @classmethod
    def beside(cls, sqlite_path: Path) -> "SpokenAudioArchive":
        """The archive of the data directory that holds this conversation database."""
        return cls(Path(sqlite_path).parent / "speech_audio")

    def save_pending(self, samples: np.ndarray) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex + ".wav"
        pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
        with wave.open(str(self.root / name), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(SAMPLE_RATE)
            f.writeframes(pcm.tobytes())
        return name

    def attach(self, name: str, conversation_id: str) -> None:
        folder = self._folder(conversation_id)
        folder.mkdir(parents=True, exist_ok=True)
        (self.root / self._checked(name)).replace(folder / name)

    def discard_pending(self, name: str) -> None:
        (self.root / self._checked(name)).unlink(missing_ok=True)

    def path(self, conversation_id: str, name: str) -> Path | None:
        path = self._folder(conversation_id) / self._checked(name)
        return path if path.is_file() else None

    def read(self, conversation_id: str, name: str) -> tuple[int, np.ndarray] | None:
        """(sample rate, int16 samples), as gr.Audio plays them; None when the file is gone."""
        path = self.path(conversation_id, name)
        if path is None:
            return None
        with wave.open(str(path), "rb") as f:
            return f.getframerate(), np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")

    def delete_conversation(self, conversation_id: str) -> int:
        folder = self._folder(conversation_id)
        if not folder.is_dir():
            return 0
        count = sum(1 for _ in folder.glob("*.wav"))
        shutil.rmtree(folder, ignore_errors=True)
        return count

    def _folder(self, conversation_id: str) -> Path:
        if not _CONVERSATION.match(str(conversation_id or "")):
            raise ValueError(f"not a conversation id: {conversation_id!r}")
        return self.root / conversation_id

    @staticmethod
    def _checked(name: str) -> str:
        if not _NAME.match(str(name or "")):
            raise ValueError(f"not a recording name: {name!r}")
        return name
