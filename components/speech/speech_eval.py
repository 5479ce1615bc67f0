"""`python app.py eval speech --audio-dir D --transcripts D/transcripts.csv --language en|zh --json`.

Every clip goes through the same `SpeechRecognizer.transcribe` the chat uses, with the app's configured languages
(the language is detected, not given), so a clip recognised as the wrong language counts against the score.
"""
from __future__ import annotations

import csv
import logging
import time
from pathlib import Path

from components.speech.audio_input import SpeechInputError
from components.speech.recognizer import SpeechRecognizer
from components.speech.transcript_scoring import error_counts, error_operations

log = logging.getLogger(__name__)


def read_transcripts(path: Path) -> list[tuple[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        rows = [(row["file"], row["text"]) for row in csv.DictReader(f)]
    if not rows:
        raise ValueError(f"{path} has no rows; it needs the columns file,text")
    return rows


def run_speech_eval(settings, audio_dir: str, transcripts: str, language: str, recognizer=None) -> dict:
    if language not in ("en", "zh"):
        raise ValueError("--language must be en or zh")
    audio_dir, rows = Path(audio_dir), read_transcripts(Path(transcripts))
    missing = [name for name, _ in rows if not (audio_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} clip(s) listed in {transcripts} are not in {audio_dir}: "
                                + ", ".join(missing[:5]))
    recognizer = recognizer or SpeechRecognizer.from_settings(settings)
    started = time.perf_counter()
    recognizer.load()
    load_seconds = time.perf_counter() - started
    edits = edits_raw = length = length_raw = 0
    audio_seconds = processing_seconds = 0.0
    wrong_language, refused, worst = 0, [], []
    operations = [0, 0, 0]  # substitutions, deletions, insertions
    for name, reference in rows:
        try:
            result = recognizer.transcribe(str(audio_dir / name))
            hypothesis, detected = result.text, result.language
            audio_seconds += result.seconds
            processing_seconds += result.processing_seconds
        except SpeechInputError as exc:
            hypothesis, detected = "", None
            refused.append({"file": name, "error": exc.code})
        (sub, dele, ins), n = error_operations(reference, hypothesis, language)
        e = sub + dele + ins
        operations = [operations[0] + sub, operations[1] + dele, operations[2] + ins]
        e_raw, n_raw = error_counts(reference, hypothesis, language, numbers=False)
        edits, length, edits_raw, length_raw = edits + e, length + n, edits_raw + e_raw, length_raw + n_raw
        wrong_language += detected != language
        worst.append({"file": name, "errors": e, "reference": reference, "hypothesis": hypothesis,
                      "language": detected})
    metric = "cer" if language == "zh" else "wer"
    worst.sort(key=lambda w: -w["errors"])
    return {
        metric: round(edits / max(length, 1), 4),
        f"{metric}_raw": round(edits_raw / max(length_raw, 1), 4),
        "errors": dict(zip(("substitutions", "deletions", "insertions"), operations)),
        "rtf": round(processing_seconds / max(audio_seconds, 1e-9), 4),
        "clips": len(rows),
        "seconds": round(audio_seconds, 1),
        "processing_seconds": round(processing_seconds, 1),
        "load_seconds": round(load_seconds, 2),
        "wrong_language": wrong_language,
        "refused": refused,
        "model": recognizer.model_name,
        "languages": list(recognizer.languages),
        "beam_size": recognizer.beam_size,
        "encoder_window": recognizer.encoder_window,
        "zh_lm_weight": recognizer.zh_lm_weight if "zh" in recognizer.languages else None,
        "threads": recognizer.threads,
        "worst": worst[:5],
    }
