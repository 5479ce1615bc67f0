"""Check and decode one piece of customer audio before it reaches the recogniser.

Every refusal is a `SpeechInputError` with a code (for the trace and the API) and a message a person can act on, in
English and Chinese. The checks run cheapest first: the file's size and type, then the container's declared length
(a 10-minute file is refused before it is decoded), then the decode itself (PyAV, the FFmpeg libraries that
faster-whisper already uses), resampled to 16 kHz mono float32.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
AUDIO_EXTENSIONS = (".wav", ".mp3", ".m4a", ".mp4", ".aac", ".ogg", ".oga", ".opus", ".webm", ".flac", ".amr",
                    ".3gp", ".wma", ".mka")

MESSAGES = {
    "not_ready": ("Voice input is still loading ({stage}). Please type your message meanwhile.",
                  "语音输入仍在加载（{stage}），请先输入文字。"),
    "disabled": ("Voice input is turned off on this server. Please type your message.",
                 "本服务器未开启语音输入，请输入文字。"),
    "failed": ("Voice input could not start ({stage}). Please type your message.",
               "语音输入无法启动（{stage}），请输入文字。"),
    "empty": ("No audio arrived. Record again or choose an audio file.", "没有收到音频，请重新录音或选择音频文件。"),
    "unsupported_format": ("“{name}” is not an audio file kefu can read. Send WAV, MP3, M4A, OGG/Opus, WebM or FLAC.",
                           "无法识别“{name}”的格式，请发送 WAV、MP3、M4A、OGG/Opus、WebM 或 FLAC 音频。"),
    "too_large": ("The audio file is {mb:.0f} MB; the limit is {limit:.0f} MB. Send a shorter recording.",
                  "音频文件有 {mb:.0f} MB，上限为 {limit:.0f} MB，请发送更短的录音。"),
    "too_long": ("The recording is {seconds} long; the limit is {limit}. Please ask your question in a shorter "
                 "recording.", "录音长 {seconds}，上限为 {limit}，请用更短的录音提问。"),
    "unreadable": ("The audio file could not be read (it may be damaged or not really audio). Record again or "
                   "send another file.", "无法读取该音频文件（可能已损坏或不是音频），请重新录音或换一个文件。"),
    "no_speech": ("I could not hear any speech in the recording. Please speak closer to the microphone and try "
                  "again, or type your message.", "录音中没有听到说话声，请靠近麦克风再试一次，或直接输入文字。"),
    "no_words": ("I could not make out any words (there may be music or noise). Please try again in a quieter "
                 "place, or type your message.", "没有听清任何词语（可能有音乐或噪音），请在安静的地方再试一次，或直接输入文字。"),
}


class SpeechInputError(ValueError):
    """Audio that cannot be transcribed, with a code and a bilingual message for the customer."""

    def __init__(self, code: str, **details):
        english, chinese = MESSAGES[code]
        self.code = code
        self.details = details
        self.message_en = english.format(**details)
        self.message_zh = chinese.format(**details)
        super().__init__(self.message_en)

    def message(self, language: str = "en") -> str:
        return self.message_zh if language == "zh" else self.message_en

    def bilingual(self) -> str:
        return f"{self.message_en}\n\n{self.message_zh}"


@dataclass
class DecodedAudio:
    samples: np.ndarray        # float32, mono, 16 kHz
    seconds: float
    source: str                # file name, or "array"


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def load_audio(audio, *, max_seconds: float, max_mb: float) -> DecodedAudio:
    """`audio` is a file path or a (sample_rate, samples) pair as gr.Audio(type="numpy") gives it."""
    if audio is None or (isinstance(audio, str) and not audio.strip()):
        raise SpeechInputError("empty")
    if isinstance(audio, (tuple, list)) and len(audio) == 2:
        return _from_array(int(audio[0]), np.asarray(audio[1]), max_seconds)
    path = Path(str(audio))
    if not path.is_file():
        raise SpeechInputError("empty")
    size_mb = path.stat().st_size / 1e6
    if size_mb > max_mb:
        raise SpeechInputError("too_large", mb=size_mb, limit=max_mb)
    if path.stat().st_size == 0:
        raise SpeechInputError("empty")
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        raise SpeechInputError("unsupported_format", name=path.name[-60:])
    import av  # the FFmpeg libraries faster-whisper depends on

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise SpeechInputError("unreadable")
            stream = container.streams.audio[0]
            declared = (float(stream.duration * stream.time_base) if stream.duration and stream.time_base
                        else container.duration / 1e6 if container.duration else None)
            if declared is not None and declared > max_seconds:
                raise SpeechInputError("too_long", seconds=_clock(declared), limit=_clock(max_seconds))
        samples = _decode(path, max_seconds)
    except SpeechInputError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise SpeechInputError("unreadable") from exc
    if samples.size == 0:
        raise SpeechInputError("unreadable")
    return DecodedAudio(samples, samples.size / SAMPLE_RATE, path.name)


def _decode(path: Path, max_seconds: float) -> np.ndarray:
    """Decode and resample to 16 kHz mono; stops (and refuses) as soon as the audio passes `max_seconds`, so a file
    whose header understates its length cannot make us decode an hour."""
    import av

    limit = int(max_seconds * SAMPLE_RATE)
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    pieces, total = [], 0
    with av.open(str(path), metadata_errors="ignore") as container:
        for frame in container.decode(audio=0):
            frame.pts = None
            for out in resampler.resample(frame):
                array = out.to_ndarray().reshape(-1)
                pieces.append(array)
                total += array.size
            if total > limit:
                raise SpeechInputError("too_long", seconds=f"> {_clock(max_seconds)}", limit=_clock(max_seconds))
        for out in resampler.resample(None):
            pieces.append(out.to_ndarray().reshape(-1))
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    return (np.concatenate(pieces).astype(np.float32) / 32768.0)


def _from_array(rate: int, samples: np.ndarray, max_seconds: float) -> DecodedAudio:
    if samples.size == 0 or rate <= 0:
        raise SpeechInputError("empty")
    if samples.ndim == 2:  # (frames, channels)
        samples = samples.mean(axis=1)
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max + 1)
    samples = samples.astype(np.float32)
    seconds = samples.size / rate
    if seconds > max_seconds:
        raise SpeechInputError("too_long", seconds=_clock(seconds), limit=_clock(max_seconds))
    if rate != SAMPLE_RATE:
        positions = np.arange(0, samples.size, rate / SAMPLE_RATE)
        samples = np.interp(positions, np.arange(samples.size), samples).astype(np.float32)
    return DecodedAudio(samples, samples.size / SAMPLE_RATE, "array")
