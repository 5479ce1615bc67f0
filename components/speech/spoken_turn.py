"""A spoken customer turn: transcribe, decide whether to ask the customer to confirm, then run the transcript through
the dialogue manager's ordinary turn with the speech metadata in its trace. Shared by the chat tab and the API.

What the trace records (`trace["speech"]`): that the turn was spoken, the detected language and its probability,
the transcript's confidence, the audio's length, the recogniser's timings and real-time factor, and the name of the
kept recording (the console plays it).
"""
from __future__ import annotations

import logging
import time
from typing import Iterator

from components.speech.audio_archive import SpokenAudioArchive
from components.speech.recognizer import SpeechRecognizer, Transcript

log = logging.getLogger(__name__)


class VoiceTurns:
    def __init__(self, recognizer: SpeechRecognizer, dialogue, archive: SpokenAudioArchive | None,
                 confirm_below: float = 0.5, preload: bool = True):
        self.recognizer = recognizer
        self.dialogue = dialogue
        self.archive = archive
        self.confirm_below = confirm_below
        self.preload = preload

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

    def respond(self, conversation_id: str | None, transcript: Transcript, **kwargs) -> Iterator:
        """The dialogue manager's turn chunks for a transcript the customer did not need to confirm."""
        audio_name = None
        if self.archive is not None and transcript.audio is not None:
            try:
                audio_name = self.archive.save_pending(transcript.audio)
            except OSError:
                log.exception("could not keep the recording of a spoken turn; the turn goes on without it")
        speech = speech_trace(transcript, audio_name)
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

    def chat(self, conversation_id: str | None, transcript: Transcript):
        result = None
        for chunk in self.respond(conversation_id, transcript):
            if chunk.kind == "final":
                result = chunk.result
        return result


def speech_trace(transcript: Transcript, audio_name: str | None) -> dict:
    return {"spoken": True, "language": transcript.language,
            "language_probability": transcript.language_probability, "confidence": transcript.confidence,
            "seconds": transcript.seconds, "speech_seconds": transcript.speech_seconds, "rtf": transcript.rtf,
            "timings_ms": {**transcript.timings_ms, "transcribe_ms": round(transcript.processing_seconds * 1000, 1)},
            "audio": audio_name, "at": time.time()}
