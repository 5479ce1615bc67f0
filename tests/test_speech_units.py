"""Voice input without the model: scoring, audio checks, the packaged model's join, the archive, spoken turns
through the dialogue manager (with fakes), settings."""
from __future__ import annotations

import hashlib
from functools import partial
import wave

import numpy as np
import pytest

from components.dialogue.dialogue_manager import DialogueManager
from components.settings import Settings
from components.speech.audio_archive import SpokenAudioArchive
from components.speech.audio_input import SAMPLE_RATE, SpeechInputError, load_audio
from components.speech.homophone_rescoring import WordLanguageModel, best_hypothesis
from components.speech.model_files import PackagedWhisper, _join_parts
from components.speech.recognizer import Transcript, _RescoringWhisper
from components.speech.spoken_turn import VoiceTurns
from components.speech.transcript_scoring import error_counts, normalize_chinese, normalize_english
from components.storage.conversation_store import ConversationStore
from fakes import FakeEngine, FakeKnowledge, hit


def write_wav(path, samples: np.ndarray, rate: int = SAMPLE_RATE):
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


# -- Mandarin rescoring with jieba's word model (the real dictionary) ---------------------------------------------
@pytest.fixture(scope="module")
def word_model():
    return WordLanguageModel().load()


def test_the_word_model_prefers_real_words(word_model):
    assert word_model.logprob("决定房价上涨") > word_model.logprob("决定访价上涨")
    assert word_model.symbols("80%是危险 临界点。") == "#是危险临界点"


@pytest.mark.parametrize("hypotheses, best", [
    ([("就是决定访价上涨", -0.20), ("就是决定房价上涨", -0.22)], 1),       # homophone: the word wins
    ([("就是决定访价上涨", -0.20), ("就是决定房价上涨", -2.50)], 0),       # unless the audio says otherwise
    ([("精神病一失恨伏", -0.50), ("精神病", -0.52)], 0),                  # never a shorter, likelier sentence
    ([("订单号12345", -0.30), ("订单号12346", -0.31)], 0),                # digits are the acoustics' call
    ([("其中有两个是内音的指标。", -0.20), ("其中有两个是内因的指标", -0.23)], 1),  # punctuation does not count
])
def test_best_hypothesis(word_model, hypotheses, best):
    assert best_hypothesis(hypotheses, word_model, 0.1) == best
    assert best_hypothesis(hypotheses, word_model, 0.0) == 0


class _FakeWhisper:
    def __init__(self):
        self.calls = []

    def generate(self, features, prompts, **options):
        from types import SimpleNamespace

        self.calls.append(options)
        n = options.get("num_hypotheses", 1)
        return [SimpleNamespace(sequences_ids=[[i] for i in range(n)], scores=[-0.1 * (i + 1) for i in range(n)],
                                no_speech_prob=0.01)]


class _FakeTokenizer:
    def token_to_id(self, token):
        return 50257

    def decode(self, ids):
        return "".join(f"h{i}" for i in ids)


def test_the_rescoring_model_keeps_the_chosen_beam_hypothesis_and_leaves_sampling_alone():
    model = _RescoringWhisper(_FakeWhisper(), _FakeTokenizer())
    model.choose = lambda hypotheses: [text for text, _ in hypotheses].index("h2")
    result = model.generate(None, [[1]], beam_size=5)[0]
    assert result.sequences_ids == [[2]] and result.scores == [pytest.approx(-0.3)] and result.no_speech_prob == 0.01
    assert model.calls[-1]["num_hypotheses"] == 5
    sampled = model.generate(None, [[1]], beam_size=1, sampling_temperature=0.2)[0]
    assert "num_hypotheses" not in model.calls[-1] and sampled.sequences_ids == [[0]]
    model.choose = None
    assert model.generate(None, [[1]], beam_size=5)[0].sequences_ids == [[0]]


# -- scoring ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, words", [
    ("Previous to that date, 700 or 800", "previous to that date seven hundred or eight hundred"),
    ("In 1850 and 1905, 2,500 men.", "in eighteen fifty and nineteen oh five two thousand five hundred men"),
    ("Mr. Akerman's time", "mr akermans time"),
])
def test_english_normalisation(text, words):
    assert normalize_english(text) == words.split()


@pytest.mark.parametrize("text, chars", [
    ("预计在3月份，8.5折。", "预计在三月份八点五折"),
    ("2015年 80%", "二零一五年百分之八十"),
    ("13854964069 幺二", "一三八五四九六四零六九一二"),
    ("10 15 105 1005 20", "十十五一百零五一千零五二十"),
])
def test_chinese_normalisation(text, chars):
    assert normalize_chinese(text) == chars


def test_error_counts_words_and_characters():
    assert error_counts("the cat sat", "The cat, sat!", "en") == (0, 3)
    assert error_counts("the cat sat", "a cat", "en") == (2, 3)
    assert error_counts("就是根据情况", "就是根据情况。", "zh") == (0, 6)
    assert error_counts("三月份", "3月份", "zh") == (0, 3)
    assert error_counts("三月份", "3月份", "zh", numbers=False) == (1, 3)


def test_error_operations_tell_misheard_from_dropped_and_made_up():
    from components.speech.transcript_scoring import edit_operations, error_operations

    assert edit_operations("灵异档案", "零翼档案") == (2, 0, 0)        # two homophones
    assert edit_operations("九八幺二八六四二", "九八幺二八六四") == (0, 1, 0)
    assert edit_operations("灵显", "林显了") == (1, 0, 1)
    assert error_operations("the cat sat", "the the cat sat down", "en") == ((0, 0, 2), 3)


@pytest.mark.parametrize("heard, written", [
    ("我的订单号是八二七三六四五", "我的订单号是8273645"),        # the desk finds a seven-digit order id
    ("电话幺三八五四九六四零六九", "电话13854964069"),
    ("二零一五年三月", "二零一五年三月"),                      # a year (four digits) stays as read
    ("一五一十地说，三三两两，一一核对", "一五一十地说，三三两两，一一核对"),  # words with numerals stay
    ("百分之八十是一万二千三百", "百分之八十是一万二千三百"),      # counted numbers stay
])
def test_read_out_digit_strings_are_written_in_digits(heard, written):
    from components.speech.spoken_digits import digits_for_read_out_numbers
    from components.orders.desk_signals import read_signals

    assert digits_for_read_out_numbers(heard) == written
    assert normalize_chinese(written) == normalize_chinese(heard)  # the scoring sees the same characters
    if "订单" in heard:  # the order desk reads the id from the written transcript, not from the heard one
        assert read_signals(written).order_ids == ["#W8273645"] and not read_signals(heard).order_ids


# -- audio checks ----------------------------------------------------------------------------------------------
LIMITS = {"max_seconds": 60.0, "max_mb": 5.0}


def test_wav_is_decoded_to_16k_mono(tmp_path):
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(22050 * 2) / 22050)
    decoded = load_audio(str(write_wav(tmp_path / "a.wav", tone, rate=22050)), **LIMITS)
    assert decoded.samples.dtype == np.float32 and abs(decoded.seconds - 2.0) < 0.05
    assert 0.2 < np.abs(decoded.samples).max() < 0.35


def test_numpy_pair_is_resampled(tmp_path):
    decoded = load_audio((8000, np.zeros(8000, dtype=np.int16)), **LIMITS)
    assert decoded.samples.size == SAMPLE_RATE


@pytest.mark.parametrize("name, content, code", [
    ("question.txt", b"How long do refunds take?", "unsupported_format"),
    ("broken.wav", b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(range(256)) * 40, "unreadable"),
    ("random.mp3", np.random.default_rng(0).bytes(50_000), "unreadable"),
    ("empty.wav", b"", "empty"),
])
def test_bad_files_get_a_clear_refusal(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SpeechInputError) as err:
        load_audio(str(path), **LIMITS)
    assert err.value.code == code
    assert err.value.message_en and err.value.message_zh and "Traceback" not in err.value.bilingual()


def test_a_100_mb_upload_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.wav"
    with open(path, "wb") as f:
        f.truncate(100 * 1000 * 1000)  # sparse: costs no disk
    with pytest.raises(SpeechInputError) as err:
        load_audio(str(path), **LIMITS)
    assert err.value.code == "too_large" and "100 MB" in err.value.message_en and "5 MB" in err.value.message_en


def test_a_ten_minute_recording_is_refused_from_its_header(tmp_path):
    path = write_wav(tmp_path / "long.wav", np.zeros(8000 * 600), rate=8000)  # 10 minutes at 8 kHz, 9.6 MB
    with pytest.raises(SpeechInputError) as err:
        load_audio(str(path), max_seconds=120, max_mb=20)
    assert err.value.code == "too_long" and "10 min 00 s" in err.value.message_en and "2 min" in err.value.message_en


def test_decoding_stops_at_the_limit_whatever_the_header_says(tmp_path):
    from components.speech.audio_input import _decode

    path = write_wav(tmp_path / "five.wav", np.zeros(SAMPLE_RATE * 5))
    with pytest.raises(SpeechInputError) as err:
        _decode(path, max_seconds=2)  # what happens when a header understates the length: decoding stops at 2 s
    assert err.value.code == "too_long"
    with pytest.raises(SpeechInputError):
        load_audio((SAMPLE_RATE, np.zeros(SAMPLE_RATE * 40, dtype=np.int16)), max_seconds=30, max_mb=20)


# -- the packaged model's two halves ---------------------------------------------------------------------------
def _fake_parts(tmp_path, monkeypatch):
    halves = [b"first half " * 1000, b"second half " * 1000]
    for i, half in enumerate(halves, 1):
        data = tmp_path / "site" / f"fake_whisper_part{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"model.bin.part{i}").write_bytes(half)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (tmp_path / "site" / "fake_whisper_part1" / "data" / name).write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    joined = b"".join(halves)
    return joined, (("fake_whisper_part1", "model.bin.part1"), ("fake_whisper_part2", "model.bin.part2"))


def test_parts_are_joined_and_verified(tmp_path, monkeypatch):
    joined, parts = _fake_parts(tmp_path, monkeypatch)
    spec = PackagedWhisper(parts, ("config.json", "tokenizer.json", "vocabulary.txt"),
                           hashlib.sha256(joined).hexdigest(), len(joined))
    target = tmp_path / "cache" / "whisper"
    _join_parts(spec, target)
    assert (target / "model.bin").read_bytes() == joined and (target / "vocabulary.txt").is_file()


def test_a_corrupt_part_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    joined, parts = _fake_parts(tmp_path, monkeypatch)
    spec = PackagedWhisper(parts, ("config.json",), hashlib.sha256(joined + b"x").hexdigest(), len(joined))
    target = tmp_path / "cache" / "whisper"
    with pytest.raises(ValueError, match="checksum"):
        _join_parts(spec, target)
    assert not target.exists() and not list((tmp_path / "cache").iterdir())


# -- the archive and spoken turns ------------------------------------------------------------------------------
def test_the_fitted_encoder_window_is_at_least_15_s_with_a_2_s_margin():
    from components.speech.recognizer import encoder_window_frames

    assert encoder_window_frames(5 * SAMPLE_RATE) == 1500
    assert encoder_window_frames(14 * SAMPLE_RATE) == 1700  # 1401 frames + 200, rounded up to a whole second
    assert encoder_window_frames(28 * SAMPLE_RATE) is None  # as long as the full 30 s window: nothing to cut


def test_archive_files_a_recording_under_its_conversation(tmp_path):
    archive = SpokenAudioArchive(tmp_path / "speech_audio")
    name = archive.save_pending(np.full(SAMPLE_RATE, 0.25, dtype=np.float32))
    archive.attach(name, "c_abc")
    rate, samples = archive.read("c_abc", name)
    assert rate == SAMPLE_RATE and samples.size == SAMPLE_RATE and abs(samples[0] - 8192) <= 1
    for bad in ("../kefu.sqlite3", "x.wav"):
        with pytest.raises(ValueError):
            archive.path("c_abc", bad)
    with pytest.raises(ValueError):
        archive.path("../..", name)
    assert archive.delete_conversation("c_abc") == 1 and archive.read("c_abc", name) is None


class FakeRecognizer:
    model_name, languages, state, ready, load_seconds = "fake", ("en", "zh"), "ready", True, 0.1

    def __init__(self, transcript):
        self.transcript = transcript

    def transcribe(self, audio, lazy_load=True):
        return self.transcript


def transcript(text="How long do refunds take?", confidence=0.9) -> Transcript:
    return Transcript(text=text, language="en", language_probability=0.99, confidence=confidence,
                      segments=[{"text": text}], seconds=2.0, speech_seconds=1.6, processing_seconds=0.8, rtf=0.4,
                      timings_ms={"vad_ms": 5.0}, audio=np.zeros(SAMPLE_RATE, dtype=np.float32))


@pytest.fixture
def voice(tmp_path):
    settings = Settings(data_dir=tmp_path)
    store = ConversationStore(settings.sqlite_path)
    dialogue = DialogueManager(settings, store, engine=FakeEngine(), knowledge=FakeKnowledge([hit()]))
    turns = VoiceTurns(FakeRecognizer(transcript()), dialogue, SpokenAudioArchive(settings.speech_audio_dir),
                       confirm_below=0.5)
    yield turns
    store.close()


def test_a_spoken_turn_runs_the_ordinary_pipeline_and_its_trace_says_so(voice):
    result = voice.chat(None, voice.transcribe("clip.wav"))
    speech = result.trace["speech"]
    assert speech["spoken"] is True and speech["confidence"] == 0.9 and speech["language"] == "en"
    assert speech["timings_ms"]["transcribe_ms"] == 800.0 and speech["rtf"] == 0.4
    assert result.trace["policy"]["action"] == "knowledge_answer" and "5 to 7" in result.reply
    # the recording is filed under the conversation and the stored trace names it
    assert voice.archive.read(result.conversation_id, speech["audio"]) is not None
    stored = voice.dialogue.store.messages(result.conversation_id)
    assert stored[0]["text"] == "How long do refunds take?" and stored[1]["trace"]["speech"]["audio"] == speech["audio"]


def test_a_refused_transcript_keeps_no_recording(voice):
    result = voice.chat(None, transcript(text="x" * 5000))
    assert result.error == "too_long" and not result.conversation_id
    assert not list(voice.archive.root.glob("**/*.wav"))


def test_low_confidence_asks_to_confirm(voice):
    assert voice.needs_confirmation(transcript(confidence=0.3))
    assert not voice.needs_confirmation(transcript(confidence=0.7))


def _final(chunks):
    return [c.result for c in chunks if c.kind == "final"][-1]


def test_a_confirmed_doubtful_transcript_keeps_its_speech_metadata(voice):
    doubtful = transcript(text="How long do refunds tak", confidence=0.3)
    voice.hold_for_confirmation("session-1", doubtful)
    assert voice.confirmed_turn("session-2", None, "How long do refunds take?") is None  # another customer
    result = _final(voice.confirmed_turn("session-1", None, "How long do refunds take?"))
    speech = result.trace["speech"]
    assert speech["spoken"] is True and speech["confirmed"] is True and speech["edited"] is True
    assert speech["heard"] == "How long do refunds tak" and speech["confidence"] == 0.3
    assert voice.archive.read(result.conversation_id, speech["audio"]) is not None
    assert voice.dialogue.store.messages(result.conversation_id)[0]["text"] == "How long do refunds take?"
    # held once: the next message of that session is an ordinary typed turn
    assert voice.confirmed_turn("session-1", result.conversation_id, "thanks") is None


def test_a_confirmation_sent_unchanged_is_not_edited_and_a_new_recording_replaces_it(voice):
    voice.hold_for_confirmation("s", transcript(confidence=0.3))
    speech = _final(voice.confirmed_turn("s", None, " How long do refunds take? ")).trace["speech"]
    assert speech["confirmed"] is True and speech["edited"] is False and "heard" not in speech
    voice.hold_for_confirmation("s", transcript(confidence=0.3))
    voice.forget_held("s")
    assert voice.confirmed_turn("s", None, "How long do refunds take?") is None


def test_a_rate_limited_confirmation_keeps_the_held_transcript_for_the_next_try(voice):
    """The chat tab: the confirming message is refused by the rate limiter (nothing stored); sent again once
    allowed, it is still the spoken turn with its speech metadata."""
    from types import SimpleNamespace

    from components.privacy.rate_limiter import RateLimiter
    from components.ui.chat_tab import respond_stream
    from components.ui.voice_input import confirmed_voice_turn

    now = [0.0]
    limiter = RateLimiter(per_minute=1, burst=1, clock=lambda: now[0])
    services = SimpleNamespace(voice=voice, dialogue=voice.dialogue, rate_limiter=limiter, knowledge=None,
                               startup=SimpleNamespace(ready=True, wait=lambda timeout: True))
    request = SimpleNamespace(session_hash="session-1")
    assert limiter.check("session-1") is None  # the customer's one message of this minute is used up

    def send(message):
        turn = confirmed_voice_turn(message, "", request, services=services)
        return list(respond_stream(message, [], "", {}, 0, {}, "bot", "en", request, services=services, turn=turn))

    voice.hold_for_confirmation("session-1", transcript(text="How long do refunds tak", confidence=0.3))
    refused = send("How long do refunds take?")
    assert len(refused) == 1 and "try again" in str(refused[0][1].value[-1]["content"])
    assert voice.holds("session-1")
    now[0] += 61.0
    cid = send("How long do refunds take?")[-1][2]
    stored = voice.dialogue.store.messages(cid)
    assert stored[0]["text"] == "How long do refunds take?"
    speech = stored[1]["trace"]["speech"]
    assert speech["confirmed"] and speech["edited"] and speech["heard"] == "How long do refunds tak"
    assert not voice.holds("session-1")


def test_spoken_turns_start_their_conversation_in_the_chat_s_workspace(voice):
    """With several businesses served, a spoken first turn (sent at once, confirmed in the chat or through /chat,
    or through /chat_audio) goes to the business the chat or the client names, like a typed one."""
    from types import SimpleNamespace

    from components.ui.chat_tab import chat_api, respond_stream
    from components.ui.voice_input import chat_audio_api, confirmed_api_turn, confirmed_voice_turn, respond_to_voice

    real, routed = voice.dialogue, []

    class RecordingRouter:  # the workspace router's signature: respond(cid, text, *, workspace=None, **kwargs)
        def respond(self, cid, text, *, workspace=None, **kwargs):
            routed.append(workspace)
            yield from real.respond(cid, text, **kwargs)

    voice.dialogue = RecordingRouter()
    hub = SimpleNamespace(registry=SimpleNamespace(get=lambda ws: SimpleNamespace(id=ws or "shop")),
                          for_conversation=lambda cid: SimpleNamespace(knowledge=None))
    services = SimpleNamespace(voice=voice, dialogue=voice.dialogue, rate_limiter=None, workspaces=hub,
                               startup=SimpleNamespace(ready=True, wait=lambda timeout: True))
    request = SimpleNamespace(session_hash="s-bank")
    stream = partial(respond_stream, workspace="bank")
    list(respond_to_voice("clip.wav", [], "", {}, 0, {}, "bot", "en", request, services=services,
                          respond_stream=stream, workspace="bank"))
    voice.hold_for_confirmation("s-bank", transcript(confidence=0.3))
    list(stream("How long do refunds take?", [], "", {}, 0, {}, "bot", "en", request, services=services,
                turn=confirmed_voice_turn("How long do refunds take?", "", request, services=services,
                                          workspace="bank")))
    voice.hold_for_confirmation("api-bank", transcript(confidence=0.3))
    chat_api("How long do refunds take?", "", services=services, session_key="api-bank", workspace="bank",
             turn=confirmed_api_turn("How long do refunds take?", "api-bank", services=services, workspace="bank"))
    chat_audio_api("clip.wav", "", services=services, chat_api=chat_api, session_key="api-2", workspace="bank")
    assert routed == ["bank", "bank", "bank", "bank"]


def test_the_api_confirmation_of_a_doubtful_clip_keeps_its_speech_metadata(voice):
    """/chat_audio answers "confirm_transcript"; the same client session's next /chat is that spoken turn."""
    from types import SimpleNamespace

    from components.ui.chat_tab import chat_api
    from components.ui.voice_input import chat_audio_api, confirmed_api_turn

    voice.recognizer = FakeRecognizer(transcript(text="How long do refunds tak", confidence=0.3))
    services = SimpleNamespace(voice=voice, dialogue=voice.dialogue, rate_limiter=None,
                               startup=SimpleNamespace(wait=lambda timeout: True))
    asked = chat_audio_api("clip.wav", "", services=services, chat_api=chat_api, session_key="client-1")
    assert asked["error"] == "confirm_transcript" and asked["transcript"]["text"] == "How long do refunds tak"
    assert confirmed_api_turn("hello", "client-2", services=services) is None  # another client: a typed turn
    result = chat_api("How long do refunds take?", "", services=services, session_key="client-1",
                      turn=confirmed_api_turn("How long do refunds take?", "client-1", services=services))
    speech = result["trace"]["speech"]
    assert speech["confirmed"] and speech["edited"] and speech["heard"] == "How long do refunds tak"
    assert "5 to 7" in result["reply"]
    assert confirmed_api_turn("thanks", "client-1", services=services) is None


def test_forgetting_a_conversation_deletes_its_recordings(voice):
    from components.privacy.data_rights import _delete_conversations

    result = voice.chat(None, voice.transcribe("clip.wav"))
    counts = _delete_conversations(voice.dialogue.store, None, [result.conversation_id])
    assert counts["recordings"] == 1 and not list(voice.archive.root.glob("**/*.wav"))


@pytest.mark.parametrize("overrides, message", [
    ({"speech_languages": "en,fr"}, "KEFU_SPEECH_LANGUAGES"),
    ({"speech_languages": " , "}, "KEFU_SPEECH_LANGUAGES"),
    ({"speech_beam_size": 0}, "KEFU_SPEECH_BEAM_SIZE"),
    ({"speech_encoder_window": "half"}, "KEFU_SPEECH_ENCODER_WINDOW"),
    ({"speech_max_seconds": 0}, "KEFU_SPEECH_MAX_SECONDS"),
    ({"speech_confirm_below": 1.5}, "KEFU_SPEECH_CONFIRM_BELOW"),
    ({"upload_max_mb": 0}, "KEFU_UPLOAD_MAX_MB"),
    ({"speech_vad_min_silence_ms": -1}, "KEFU_SPEECH_VAD_MIN_SILENCE_MS"),
    ({"speech_zh_lm_weight": -0.1}, "KEFU_SPEECH_ZH_LM_WEIGHT"),
])
def test_bad_speech_settings_are_named(overrides, message):
    with pytest.raises(ValueError, match=message):
        Settings(**overrides)


def test_spoken_replies_read_the_answer_without_sources_and_markup():
    from components.speech.spoken_replies import ReplyVoice

    answer = "Refunds take **5-7** business days [1].\n\n<sub>📚 Sources: [1] Refunds (0.80)</sub>"
    assert ReplyVoice.speakable(answer) == "Refunds take 5-7 business days."
    assert len(ReplyVoice.speakable("A short sentence. " * 100)) <= 600


def test_spoken_replies_synthesise_english_only():
    pytest.importorskip("piper", reason="Piper is an optional extra (requirements-voice-replies.txt, GPL-3.0)")
    from components.speech.spoken_replies import ReplyVoice

    voice = ReplyVoice()
    rate, samples = voice.synthesize("Refunds take five to seven business days.", "en")
    assert rate == 22050 and samples.dtype == np.int16 and samples.size > rate  # more than a second of speech
    assert voice.synthesize("退款需要五到七个工作日。", "zh") is None
