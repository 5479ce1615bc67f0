"""Voice input on the real model: the packaged Whisper base on shipped clips, bad audio, and a spoken refund
question answered end to end by the real pipeline."""
from __future__ import annotations

import csv
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from components.speech import SpeechInputError, SpeechRecognizer, VoiceTurns
from components.speech.audio_archive import SpokenAudioArchive
from components.speech.audio_input import SAMPLE_RATE
from components.speech.speech_eval import run_speech_eval

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT / "assets" / "speech"
TRADITIONAL_ONLY = set("們這個會來說對時國過還樣點機關開後麼與實現產變價經濟貸")


@pytest.fixture(scope="module")
def recognizer(model_cache_dir):
    return SpeechRecognizer(cache_dir=model_cache_dir).load()


def _rows(language):
    with open(CLIPS / "transcripts.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["language"] == language]


def test_packaged_model_is_joined_once_with_its_checksum(recognizer, model_cache_dir):
    from components.speech.model_files import PACKAGED_SPEECH_MODELS, sha256_of

    folder = next((model_cache_dir / "speech").glob("whisper-base-*"))
    assert sha256_of(folder / "model.bin") == PACKAGED_SPEECH_MODELS["whisper-base"].sha256
    assert recognizer.ready and recognizer.load_seconds is not None


@pytest.mark.parametrize("language, metric, bar", [("en", "wer", 0.10), ("zh", "cer", 0.20)])
def test_shipped_clips_are_transcribed_within_the_bars(recognizer, tmp_path, language, metric, bar):
    rows = _rows(language)
    table = tmp_path / "transcripts.csv"
    with open(table, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "text"])
        writer.writerows((r["file"], r["text"]) for r in rows)
    result = run_speech_eval(None, str(CLIPS), str(table), language, recognizer=recognizer)
    assert result["clips"] == len(rows) and result["wrong_language"] == 0, result
    assert result[metric] <= bar, result
    assert 0 < result["rtf"] < 5 and result["seconds"] > 10


def test_mandarin_comes_out_in_simplified_characters(recognizer):
    result = recognizer.transcribe(str(CLIPS / "BAC009S0252W0123.wav"))
    assert result.language == "zh" and re.search(r"[\u4e00-\u9fff]{8}", result.text), result.text
    assert not TRADITIONAL_ONLY & set(result.text), result.text
    assert " " not in result.text
    assert {"text", "language", "segments", "seconds", "rtf"} <= set(result.to_dict())


def test_a_read_out_mandarin_number_is_written_in_digits(recognizer):
    """九六八七七八五七 read digit by digit: the transcript holds a digit string the desk can read (Whisper base
    writes this clip in Chinese numerals, and drops one of the two sevens)."""
    result = recognizer.transcribe(str(CLIPS / "BAC009S0252W0102.wav"))
    assert re.fullmatch(r"\d{7,8}", result.text.rstrip("。")), result.text


def test_the_word_model_picks_the_real_word_among_homophones(recognizer, monkeypatch):
    """"决定房价上涨": Whisper base's beam ranks the homophone 访价 first on this AISHELL clip; jieba's word model
    (homophone_rescoring.py) picks the beam's hypothesis with 房价, a word, at the default weight."""
    clip = str(CLIPS / "BAC009S0150W0122.wav")
    assert recognizer.zh_lm_weight > 0
    rescored = recognizer.transcribe(clip).text
    monkeypatch.setattr(recognizer, "zh_lm_weight", 0.0)
    plain = recognizer.transcribe(clip).text
    assert "房价" in rescored and "访价" in plain, (rescored, plain)
    assert len(rescored) == len(plain)


def _noise(kind: str, seconds: float = 4.0) -> np.ndarray:
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    if kind == "silence":
        return np.zeros(t.size, dtype=np.float32)
    if kind == "hiss":
        return (0.2 * rng.standard_normal(t.size)).astype(np.float32)
    # "music": a piano-like arpeggio, no voice
    notes = [261.6, 329.6, 392.0, 523.3]
    out = np.zeros(t.size)
    for i, start in enumerate(np.arange(0, seconds, 0.25)):
        idx = (t >= start) & (t < start + 0.5)
        out[idx] += 0.25 * np.sin(2 * np.pi * notes[i % 4] * t[idx]) * np.exp(-4 * (t[idx] - start))
    return out.astype(np.float32)


@pytest.mark.parametrize("kind", ["silence", "hiss", "music"])
def test_no_speech_gets_a_clear_message_or_a_confirmation(recognizer, kind):
    """Silence, noise and music never become a customer message: refused, or doubtful enough to ask first."""
    try:
        result = recognizer.transcribe((SAMPLE_RATE, _noise(kind)))
    except SpeechInputError as exc:
        assert exc.code in ("no_speech", "no_words"), exc.code
        return
    assert result.confidence < 0.5, result.to_dict()


def test_corrupt_upload_is_refused_not_crashed(recognizer, tmp_path):
    bad = tmp_path / "voice.m4a"
    bad.write_bytes(b"\x00\x00\x00\x18ftypM4A " + np.random.default_rng(1).bytes(30_000))
    with pytest.raises(SpeechInputError) as err:
        recognizer.transcribe(str(bad))
    assert err.value.code == "unreadable"


def test_spoken_refund_question_gets_the_refund_answer(recognizer, real_services, tmp_path):
    """The question spoken by a Piper voice, through the real pipeline: the refund article answers it."""
    archive = SpokenAudioArchive(tmp_path / "speech_audio")
    voice = VoiceTurns(recognizer, real_services.dialogue, archive, confirm_below=0.5)
    transcript = voice.transcribe(str(CLIPS / "refund_question_en.wav"))
    assert "refund" in transcript.text.lower() and transcript.language == "en", transcript.text
    assert not voice.needs_confirmation(transcript)
    result = voice.chat(None, transcript)
    assert result.trace["policy"]["action"] in ("knowledge_answer", "curated_answer"), result.trace["policy"]
    assert any("refund" in (s.get("title") or "").lower() or "refund" in s.get("doc_id", "").lower()
               for s in result.sources), result.sources
    assert re.search(r"refund|business days", result.reply, re.I), result.reply
    speech = result.trace["speech"]
    assert speech["spoken"] and speech["confidence"] > 0.5 and speech["timings_ms"]["transcribe_ms"] > 0
    with wave.open(str(archive.path(result.conversation_id, speech["audio"])), "rb") as kept:
        assert abs(kept.getnframes() / kept.getframerate() - transcript.seconds) < 0.05
    stored = real_services.store.messages(result.conversation_id)
    assert stored[-1]["trace"]["speech"]["audio"] == speech["audio"]
