"""A spoken customer turn: transcribe, decide whether to ask the customer to confirm, then run the transcript through
the dialogue manager's ordinary turn with the speech metadata in its trace. Shared by the chat tab and the API.

What the trace records (`trace["speech"]`): that the turn was spoken, the detected language and its probability,
the transcript's confidence, the audio's length, the recogniser's timings and real-time factor, and the name of the
kept recording (the console plays it).
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Iterator

from components.speech.audio_archive import SpokenAudioArchive
from components.speech.recognizer import SpeechRecognizer, Transcript

log = logging.getLogger(__name__)

HOLD_SECONDS = 15 * 60   # a doubtful transcript waits this long for the customer to confirm it
HOLD_MAX = 1000          # at most this many waiting at once (the oldest is dropped)


class VoiceTurns:
    def __init__(self, recognizer: SpeechRecognizer, dialogue, archive: SpokenAudioArchive | None,
                 confirm_below: float = 0.5, preload: bool = True):
        self.recognizer = recognizer
        self.dialogue = dialogue
        self.archive = archive
        self.confirm_below = confirm_below
        self.preload = preload
        self._held: dict[str, tuple[Transcript, float]] = {}
        self._held_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, dialogue) -> "VoiceTurns":
        archive = SpokenAudioArchive(settings.speech_audio_dir) if settings.speech_keep_audio else None
        return cls(SpeechRecognizer.from_settings(settings), dialogue, archive, settings.speech_confirm_below,
                   settings.speech_preload)

    def status(self) -> dict:
        return {"state": self.recognizer.state, "ready": self.recognizer.ready,
                "languages": list(self.recognizer.languages), "model": self.recognizer.model_name,
                "load_seconds": self.recognizer.load_seconds}

    def transcribe(self, audio) -> Transcript:
        """Raises SpeechInputError (bad audio, or the model still loading when it is preloaded in the background)."""
        return self.recognizer.transcribe(audio, lazy_load=not self.preload)

    def needs_confirmation(self, transcript: Transcript) -> bool:
        return transcript.confidence < self.confirm_below

    def hold_for_confirmation(self, key: str, transcript: Transcript) -> None:
        """Keep a doubtful transcript (and its audio) until the customer of session `key` sends the text box."""
        if not key:
            return
        now = time.time()
        with self._held_lock:
            for old in [k for k, (_, at) in self._held.items() if now - at > HOLD_SECONDS]:
                del self._held[old]
            while len(self._held) >= HOLD_MAX:
                del self._held[next(iter(self._held))]
            self._held[key] = (transcript, now)

    def holds(self, key: str) -> bool:
        """A doubtful transcript of session `key` is waiting (and has not expired)."""
        with self._held_lock:
            held = self._held.get(key) if key else None
            return held is not None and time.time() - held[1] <= HOLD_SECONDS

    def forget_held(self, key: str) -> None:
        """A new recording replaces a transcript that was waiting for confirmation."""
        with self._held_lock:
            self._held.pop(key, None)

    def confirmed_turn(self, key: str, conversation_id: str | None, text: str, **kwargs) -> Iterator | None:
        """The turn for a message sent after a doubtful transcript of the same session: the customer's text (as
        confirmed or corrected) with the recording's speech metadata, marked confirmed (and edited, with what
        was heard, when the text differs). None when nothing was held for `key`.

        The held transcript is taken only when the turn runs (its first chunk is asked for): a confirming message
        that is refused before that (rate-limited) leaves it held for the customer's next try."""
        if not str(text or "").strip() or not self.holds(key):
            return None
        return self._confirmed_chunks(key, conversation_id, str(text), **kwargs)

    def _confirmed_chunks(self, key: str, conversation_id: str | None, text: str, **kwargs) -> Iterator:
        with self._held_lock:
            held = self._held.pop(key, None)
        if held is None or time.time() - held[1] > HOLD_SECONDS:  # taken or expired meanwhile: a typed turn
            yield from self.dialogue.respond(conversation_id, text, **kwargs)
            return
        heard = held[0]
        confirmed = {"confirmed": True, "edited": text.strip() != heard.text.strip()}
        if confirmed["edited"]:
            confirmed["heard"] = heard.text
        yield from self.respond(conversation_id, dataclasses.replace(heard, text=text), confirmation=confirmed,
                                **kwargs)

    def respond(self, conversation_id: str | None, transcript: Transcript, confirmation: dict | None = None,
                **kwargs) -> Iterator:
        """The dialogue manager's turn chunks for a transcript the customer did not need to confirm (or did)."""
        audio_name = None
        if self.archive is not None and transcript.audio is not None:
            try:
                audio_name = self.archive.save_pending(transcript.audio)
            except OSError:
                log.exception("could not keep the recording of a spoken turn; the turn goes on without it")
        speech = {**speech_trace(transcript, audio_name), **(confirmation or {})}
        conversation = None
        try:
            for chunk in self.dialogue.respond(conversation_id, transcript.text, speech=speech, **kwargs):
                if chunk.result is not None and chunk.result.conversation_id:
                    conversation = chunk.result.conversation_id
                yield chunk
        finally:
            if audio_name:
                try:
                    if conversation:
                        self.archive.attach(audio_name, conversation)
                    else:  # the turn was refused before it had a conversation: nothing refers to the recording
                        self.archive.discard_pending(audio_name)
                except OSError:
                    log.exception("could not file the recording %s", audio_name)

    def chat(self, conversation_id: str | None, transcript: Transcript, **kwargs):
        return final_result(self.respond(conversation_id, transcript, **kwargs))


def final_result(chunks: Iterator):
    """The turn's result, once its chunks have all run."""
    result = None
    for chunk in chunks:
        if chunk.kind == "final":
            result = chunk.result
    return result


def speech_trace(transcript: Transcript, audio_name: str | None) -> dict:
    return {"spoken": True, "language": transcript.language,
            "language_probability": transcript.language_probability, "confidence": transcript.confidence,
            "seconds": transcript.seconds, "speech_seconds": transcript.speech_seconds, "rtf": transcript.rtf,
            "timings_ms": {**transcript.timings_ms, "transcribe_ms": round(transcript.processing_seconds * 1000, 1)},
            "audio": audio_name, "at": time.time()}
