"""Speech to text with faster-whisper (CTranslate2, int8 on the CPU): the one `transcribe(audio)` that the chat, the
API, the evaluator and the benchmark share.

A turn: check and decode the audio (`audio_input.py`) → Silero VAD (shipped inside faster-whisper) keeps only the
speech, and refuses silence → the language is detected among the configured ones only (Whisper may otherwise call
a Mandarin clip Japanese or Cantonese) → decoding with a short prompt in that language (a simplified-Chinese prompt
steers Whisper away from traditional characters, and OpenCC converts any that remain; a read-out digit string is
written in digits, `spoken_digits.py`) → text, segments, a
confidence (the mean token probability) and the real-time factor.

The model loads lazily, or in the background after the chat is ready (`start_in_background`); until then
`transcribe` raises SpeechInputError("not_ready") and the chat keeps answering typed messages.
"""
from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field, fields

from components.nlu.cjk_characters import HAN
from components.speech.audio_input import SAMPLE_RATE, SpeechInputError, load_audio
from components.speech.homophone_rescoring import WordLanguageModel, best_hypothesis
from components.speech.model_files import resolve_speech_model
from components.speech.spoken_digits import digits_for_read_out_numbers

log = logging.getLogger(__name__)

# a few words in the language, written the way we want the transcript written (Whisper continues the prompt's style)
LANGUAGE_PROMPTS = {
    # AISHELL dev clips, beam 5: CER 0.174-0.175 with this prompt, 0.181 with "…，使用简体中文", 0.221 without one
    "zh": "以下是普通话的句子。",
    "en": "Hello, I have a question about my order.",
}
# Silero VAD: silences longer than KEFU_SPEECH_VAD_MIN_SILENCE_MS are cut (each piece of speech keeps VAD_PAD_MS
# on both sides). AISHELL dev clips, beam 5: CER 0.175 with 100, 200 or 300 ms against 0.186 with 500 ms in the fit
# window, but 0.183 against 0.174 in the full one (within a point of noise; LJ Speech WER 0.035 both); a 150 ms pad
# 0.186, a 500 ms pad 0.198 (full window).
VAD_PAD_MS = 300
_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")
_WORD = re.compile(rf"[\w{HAN}]")


@dataclass
class Transcript:
    text: str
    language: str
    language_probability: float
    confidence: float                 # mean token probability of the transcript, 0..1
    segments: list[dict]
    seconds: float                    # length of the audio
    speech_seconds: float             # of which the VAD kept as speech
    processing_seconds: float
    rtf: float                        # processing_seconds / seconds
    timings_ms: dict = field(default_factory=dict)
    audio: object = field(default=None, repr=False)   # the decoded 16 kHz samples (kept for the console)

    def to_dict(self) -> dict:
        """{text, language, segments, seconds, rtf, ...}: the JSON shape of the API and the evaluator."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "audio"}


class SpeechRecognizer:
    def __init__(self, model: str = "packaged:whisper-base", cache_dir=None, languages: tuple[str, ...] = ("en", "zh"),
                 threads: int = 0, beam_size: int = 5, max_seconds: float = 120.0, max_upload_mb: float = 20.0,
                 min_speech_seconds: float = 0.3, encoder_window: str = "fit", vad_min_silence_ms: int = 200,
                 zh_lm_weight: float = 0.1):
        if not languages:
            raise ValueError("KEFU_SPEECH_LANGUAGES needs at least one language")
        self.model_name = model
        self.cache_dir = cache_dir
        self.languages = tuple(languages)
        self.threads = threads or (os.cpu_count() or 1)
        self.beam_size = beam_size
        self.max_seconds = max_seconds
        self.max_upload_mb = max_upload_mb
        self.min_speech_seconds = min_speech_seconds
        if encoder_window not in ("full", "fit"):
            raise ValueError("the encoder window must be full or fit")
        self.encoder_window = encoder_window
        self.vad_min_silence_ms = int(vad_min_silence_ms)
        # Mandarin: beam hypotheses rescored with a word language model (homophone_rescoring.py); 0 = off
        self.zh_lm_weight = float(zh_lm_weight)
        self._word_model = WordLanguageModel() if "zh" in self.languages and self.zh_lm_weight > 0 else None
        self.state = "not loaded"       # not loaded | loading | ready | failed: ...
        self.load_seconds: float | None = None
        self._model = None
        self._to_simplified = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._loaded = threading.Event()

    @classmethod
    def from_settings(cls, settings) -> "SpeechRecognizer":
        return cls(settings.speech_model, settings.cache_dir, settings.speech_language_list, settings.speech_threads,
                   settings.speech_beam_size, settings.speech_max_seconds, settings.speech_max_upload_mb,
                   settings.speech_min_speech_seconds, settings.speech_encoder_window,
                   settings.speech_vad_min_silence_ms, settings.speech_zh_lm_weight)

    # -- loading -----------------------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self._model is not None

    def load(self) -> "SpeechRecognizer":
        with self._load_lock:
            if self._model is not None:
                return self
            self.state = "loading"
            started = time.perf_counter()
            try:
                path = resolve_speech_model(self.model_name, self.cache_dir)
                self._model = _encoder_reusing_model()(path, device="cpu", compute_type="int8",
                                                       cpu_threads=self.threads)
                if "zh" in self.languages:
                    import opencc

                    self._to_simplified = opencc.OpenCC("t2s")
                if self._word_model is not None:
                    self._word_model.load()
                    self._model.model = _RescoringWhisper(self._model.model, self._model.hf_tokenizer)
                self._warm_up()
            except Exception as exc:
                self.state = f"failed: {exc}"
                log.exception("the speech model could not be loaded")
                raise
            finally:
                self._loaded.set()
            logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # it logs every clip at INFO
            self.load_seconds = round(time.perf_counter() - started, 2)
            self.state = "ready"
            log.info("speech model %s loaded in %.1f s (%d threads)", self.model_name, self.load_seconds, self.threads)
        return self

    def _warm_up(self) -> None:
        """Create the VAD session and run the encoder once, so the first customer does not pay for it."""
        import numpy as np
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.vad import get_speech_timestamps

        silence = np.zeros(SAMPLE_RATE, dtype=np.float32)
        get_speech_timestamps(silence)
        self._model.encode(pad_or_trim(self._model.feature_extractor(silence)))

    def start_in_background(self) -> threading.Thread:
        def run():
            try:
                self.load()
            except Exception:  # already logged; transcribe() reports it to the customer
                pass

        thread = threading.Thread(target=run, name="kefu-speech-load", daemon=True)
        thread.start()
        return thread

    def wait(self, timeout: float | None = None) -> bool:
        self._loaded.wait(timeout)
        return self.ready

    # -- one transcription -------------------------------------------------------------------------------------
    def transcribe(self, audio, *, lazy_load: bool = True) -> Transcript:
        """Text, language, segments, seconds and rtf of one recording. Raises SpeechInputError for bad input or
        when the model is not ready (and `lazy_load` is False)."""
        if self._model is None:
            if not lazy_load or self.state == "loading":
                raise SpeechInputError("not_ready", stage=self.state)
            if self.state.startswith("failed"):
                raise SpeechInputError("failed", stage=self.state)
            self.load()
        from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

        started = time.perf_counter()
        timings: dict[str, float] = {}
        decoded = load_audio(audio, max_seconds=self.max_seconds, max_mb=self.max_upload_mb)
        timings["decode_ms"] = _ms(started)
        with self._run_lock:
            t = time.perf_counter()
            chunks = get_speech_timestamps(decoded.samples, VadOptions(
                min_silence_duration_ms=self.vad_min_silence_ms, speech_pad_ms=VAD_PAD_MS))
            speech_samples = sum(c["end"] - c["start"] for c in chunks)
            timings["vad_ms"] = _ms(t)
            if speech_samples < self.min_speech_seconds * SAMPLE_RATE:
                raise SpeechInputError("no_speech")
            import numpy as np

            speech = np.concatenate(collect_chunks(decoded.samples, chunks)[0])
            self._model.window_frames = encoder_window_frames(speech.size) if self.encoder_window == "fit" else None
            t = time.perf_counter()
            language, probability = self._language(speech)
            timings["language_ms"] = _ms(t)
            rescoring = self._word_model is not None and language == "zh" and self.beam_size > 1
            if isinstance(self._model.model, _RescoringWhisper):
                self._model.model.choose = self._choose_mandarin if rescoring else None
            t = time.perf_counter()
            segments, _info = self._model.transcribe(
                speech, language=language, beam_size=self.beam_size, vad_filter=False,
                initial_prompt=LANGUAGE_PROMPTS.get(language), condition_on_previous_text=False,
                without_timestamps=True)
            segments = list(segments)
            self._model.forget_encoding()
            timings["decode_text_ms"] = _ms(t)
        text = self._clean(" ".join(s.text.strip() for s in segments), language)
        if not _WORD.search(text):  # music or noise: Whisper wrote only "♪" or punctuation, or nothing
            raise SpeechInputError("no_words")
        weights = [max(len(s.tokens), 1) for s in segments]
        mean_logprob = sum(s.avg_logprob * w for s, w in zip(segments, weights)) / sum(weights)
        processing = time.perf_counter() - started
        return Transcript(
            text=text, language=language, language_probability=round(probability, 4),
            confidence=round(math.exp(mean_logprob), 4),
            segments=[{"text": self._clean(s.text.strip(), language), "start": round(s.start, 2),
                       "end": round(s.end, 2), "avg_logprob": round(s.avg_logprob, 4),
                       "no_speech_prob": round(s.no_speech_prob, 4)} for s in segments],
            seconds=round(decoded.seconds, 3), speech_seconds=round(speech_samples / SAMPLE_RATE, 3),
            processing_seconds=round(processing, 3), rtf=round(processing / max(decoded.seconds, 1e-6), 4),
            timings_ms=timings, audio=decoded.samples)

    def _language(self, speech) -> tuple[str, float]:
        """The most probable of the configured languages (the probability is among those languages only)."""
        if len(self.languages) == 1:
            return self.languages[0], 1.0
        from faster_whisper.audio import pad_or_trim

        features = self._model.feature_extractor(speech)
        # the first window exactly as transcribe() will cut it, so its encoding is computed once for both
        encoded = self._model.encode(pad_or_trim(features[:, : min(features.shape[-1] - 1, 3000)]))
        probs = {token[2:-2]: p for token, p in self._model.model.detect_language(encoded)[0]}
        probs = {code: p for code, p in probs.items() if code in self.languages}
        total = sum(probs.values())
        if total <= 0:
            return self.languages[0], 0.0
        best = max(probs, key=probs.get)
        return best, probs[best] / total

    def _choose_mandarin(self, hypotheses: list[tuple[str, float]]) -> int:
        cleaned = [(self._clean(text, "zh"), score) for text, score in hypotheses]
        return best_hypothesis(cleaned, self._word_model, self.zh_lm_weight)

    def _clean(self, text: str, language: str) -> str:
        text = " ".join(text.split())
        if language == "zh":
            if self._to_simplified is not None:
                text = self._to_simplified.convert(text)
            text = digits_for_read_out_numbers(_CJK_SPACE.sub("", text))
        return text


# "fit": the speech's mel frames (100 a second) plus a 2 s margin, rounded up to whole seconds, and never under 15 s:
# on the dev clips a window cut to the speech alone made Whisper base repeat itself (Mandarin CER 0.27-0.28 with
# 1-2 s margins, 0.21 with at least 10 s); with at least 15 s the error rates stay within a point of the full
# window's (CER 0.175 against 0.183 with the 200 ms VAD, 0.186 against 0.174 with 500 ms; WER 0.035 against 0.030)
# for a 3-4 times faster transcription. The full window is 3000 frames.
WINDOW_MARGIN_FRAMES = 200
WINDOW_MIN_FRAMES = 1500
FULL_WINDOW_FRAMES = 3000


def encoder_window_frames(samples: int) -> int | None:
    """Mel frames to encode for `samples` of speech, or None when that is the full 30 s window anyway."""
    frames = samples // 160 + 1 + WINDOW_MARGIN_FRAMES
    window = max(WINDOW_MIN_FRAMES, -(-frames // 100) * 100)
    return None if window >= FULL_WINDOW_FRAMES else window


def _encoder_reusing_model():
    """WhisperModel that remembers its last encoder output: detecting the language and transcribing a clip of up
    to 30 s then run Whisper's encoder (the expensive half) once instead of twice; and that encodes only the first
    `window_frames` of faster-whisper's zero-padded 30 s window when set ("fit")."""
    import numpy as np
    from faster_whisper import WhisperModel

    class EncoderReusingWhisperModel(WhisperModel):
        _last_encoding = None
        window_frames: int | None = None  # encode only the first N mel frames of the padded 30 s window

        def encode(self, features):
            if self.window_frames and features.shape[-1] > self.window_frames:
                features = features[..., : self.window_frames]
            last = self._last_encoding
            if last is not None and last[0].shape == features.shape and np.array_equal(last[0], features):
                return last[1]
            encoded = super().encode(features)
            self._last_encoding = (np.array(features, copy=True), encoded)
            return encoded

        def forget_encoding(self) -> None:
            self._last_encoding = None

    return EncoderReusingWhisperModel


class _RescoringWhisper:
    """The CTranslate2 Whisper model, except that a beam-search `generate` asks for the beam's hypotheses and keeps
    the one `choose(hypotheses)` picks from [(text, mean token log-probability)], best first (None: the first, as
    plain beam search). Sampling (the temperature fallback) is left alone. faster-whisper reads only
    `sequences_ids[0]`, `scores[0]` and `no_speech_prob` of the result."""

    def __init__(self, model, tokenizer):
        self._model = model
        self._tokenizer = tokenizer
        self.choose = None

    def __getattr__(self, name):
        return getattr(self._model, name)

    def generate(self, features, prompts, **options):
        choose = self.choose
        if choose is None or "sampling_temperature" in options or options.get("beam_size", 1) < 2:
            return self._model.generate(features, prompts, **options)
        options["num_hypotheses"] = options["beam_size"]
        results = self._model.generate(features, prompts, **options)
        chosen = []
        for result in results:
            end = self._tokenizer.token_to_id("<|endoftext|>")
            texts = [self._tokenizer.decode([t for t in ids if t < end]) for ids in result.sequences_ids]
            best = choose(list(zip(texts, result.scores)))
            chosen.append(_Generation([result.sequences_ids[best]], [result.scores[best]], result.no_speech_prob))
        return chosen


@dataclass
class _Generation:
    sequences_ids: list
    scores: list
    no_speech_prob: float


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
