"""`python app.py bench speech --json`: what voice input costs on this machine.

- `load_seconds`: loading the speech model (and warming it up) from the joined cache folder;
- real-time factor (processing time / audio length) p50/p95 on short (2 s) and long (10 s) clips cut from the
  shipped English and Mandarin clips in assets/speech (Whisper always encodes a 30 s window, so short clips cost
  nearly as much as long ones and their RTF is higher);
- `end_of_speech_to_first_token_s`: what a customer waits after they stop speaking a 5 s refund question until the
  answer's first token: transcription plus the full turn (NLU, retrieval, policy, generation) on a fresh pipeline,
  measured while a second thread keeps sending typed turns to the same pipeline (their time to first token is
  reported beside it, with the same typed turns measured alone first).
"""
from __future__ import annotations

import dataclasses
import logging
import statistics
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

from components.speech.audio_input import SAMPLE_RATE
from components.speech.recognizer import SpeechRecognizer

log = logging.getLogger(__name__)

CLIPS = {"en": ["LJ002-0031.wav", "LJ002-0026.wav", "LJ002-0069.wav", "LJ002-0044.wav"],
         "zh": ["BAC009S0150W0122.wav", "BAC009S0252W0123.wav", "BAC009S0252W0102.wav", "BAC009S0150W0114.wav"]}
QUESTION = "refund_question_en.wav"
TYPED_TURNS = ["How long do refunds take?", "Can I cancel an order that was already delivered?",
               "What payment methods do you accept?", "How do I exchange an item?"]


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as f:
        if f.getframerate() != SAMPLE_RATE or f.getnchannels() != 1:
            raise ValueError(f"{path} must be 16 kHz mono")
        return np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")


def bench_clips(clip_dir: Path) -> dict[str, list[np.ndarray]]:
    """2 s clips (the start of every clip) and one 10 s clip per language (its clips joined, cut at 10 s)."""
    short, long = [], []
    for names in CLIPS.values():
        audio = [_read(clip_dir / name) for name in names]
        short += [a[: 2 * SAMPLE_RATE] for a in audio if a.size >= 2 * SAMPLE_RATE]
        long.append(np.concatenate(audio)[: 10 * SAMPLE_RATE])
    return {"2s": short, "10s": long}


def _percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 3), "p95": round(p95, 3), "n": len(ordered)}


def run_speech_bench(settings, repeats: int = 5) -> dict:
    clip_dir = settings.assets_dir / "speech"
    started = time.perf_counter()
    recognizer = SpeechRecognizer.from_settings(settings)
    recognizer.load()
    load_seconds = time.perf_counter() - started
    result: dict = {"model": recognizer.model_name, "threads": recognizer.threads, "beam_size": recognizer.beam_size,
                    "encoder_window": recognizer.encoder_window, "load_seconds": round(load_seconds, 2)}
    for label, clips in bench_clips(clip_dir).items():
        rtfs = []
        for _ in range(repeats):
            for clip in clips:
                rtfs.append(recognizer.transcribe((SAMPLE_RATE, clip)).rtf)
        result[f"rtf_{label}"] = _percentiles(rtfs)
    result.update(_first_token_latency(settings, recognizer, clip_dir / QUESTION, repeats))
    return result


def _first_token_latency(settings, recognizer, question: Path, repeats: int) -> dict:
    from components.services import build_services
    from components.speech.spoken_turn import VoiceTurns

    with tempfile.TemporaryDirectory(prefix="kefu-speech-bench-") as tmp:
        bench_settings = dataclasses.replace(settings, data_dir=Path(tmp), cache_dir_override=settings.cache_dir,
                                             speech_enabled=False)
        services = build_services(bench_settings)
        try:
            status = services.warm_up()
            if not status.ready:
                raise RuntimeError(f"could not start the pipeline: {status.error}")
            voice = VoiceTurns(recognizer, services.dialogue, archive=None, confirm_below=0.0)
            typed_alone = [_typed_first_token(services.dialogue, text) for text in TYPED_TURNS]
            stop, typed_during = threading.Event(), []

            def keep_typing() -> None:
                i = 0
                while not stop.is_set():
                    typed_during.append(_typed_first_token(services.dialogue, TYPED_TURNS[i % len(TYPED_TURNS)]))
                    i += 1

            typist = threading.Thread(target=keep_typing, daemon=True)
            typist.start()
            spoken, transcribe, heard, stages = [], [], "", []
            try:
                for _ in range(repeats):
                    t0 = time.perf_counter()  # the recording has just ended and arrived
                    transcript = voice.transcribe(str(question))
                    transcribe.append(time.perf_counter() - t0)
                    heard = transcript.text
                    stages.append(transcript.timings_ms)
                    spoken.append(_first_token(voice.respond(None, transcript), t0))
            finally:
                stop.set()
                typist.join(120)
        finally:
            services.close()
    return {"question": {"file": question.name, "seconds": round(_read(question).size / SAMPLE_RATE, 2),
                         "heard": heard},
            "end_of_speech_to_first_token_s": _percentiles(spoken),
            "transcribe_s": _percentiles(transcribe),
            "transcribe_stages_ms_p50": {k: round(statistics.median(t[k] for t in stages), 1) for k in stages[0]}
            if stages else {},
            "typed_first_token_s_alone": _percentiles(typed_alone),
            "typed_first_token_s_during_spoken_turns": _percentiles(typed_during) if typed_during else None}


def _first_token(chunks, t0: float) -> float:
    """Seconds from t0 to the turn's first token; the turn is then finished as a customer would see it finish."""
    first = None
    for chunk in chunks:
        if first is None and chunk.kind in ("token", "final"):
            first = time.perf_counter() - t0
    return first if first is not None else time.perf_counter() - t0


def _typed_first_token(dialogue, text: str) -> float:
    return _first_token(dialogue.respond(None, text), time.perf_counter())
