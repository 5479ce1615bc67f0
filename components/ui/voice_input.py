"""Voice in the chat and the API: the chat's microphone / upload handler, /transcribe and /chat_audio, and the
console's player for spoken turns. Thin: the work is in components/speech (VoiceTurns, SpeechRecognizer)."""
from __future__ import annotations

import logging
from functools import partial
from typing import Iterator

import gradio as gr

from components.speech.audio_input import SpeechInputError
from components.ui import workspace_switcher as switcher
from components.ui.formatting import safe_text
from components.ui.i18n import t

log = logging.getLogger(__name__)

CONFIRM = {
    "en": "🎤 I heard: “{text}”. I'm not sure I heard it right: correct it in the box if needed and press Send, or "
          "record again.",
    "zh": "🎤 我听到的是：“{text}”。不确定是否听清了：如有错误请在输入框中修改后发送，或重新录音。",
}


def _error_message(exc: SpeechInputError) -> str:
    return "🎤 " + safe_text(exc.bilingual())


def _voice_or_error(services):
    if getattr(services, "voice", None) is None:
        raise SpeechInputError("disabled")
    return services.voice


def respond_to_voice(audio, history: list, conversation_id: str, message_ids: dict, last_seen: int,
                     ratings: dict, mode: str, language: str, request: gr.Request = None, *, services,
                     respond_stream, workspace: str = "") -> Iterator[tuple]:
    """A recording or an uploaded clip: transcribe it; a confident transcript is sent at once as the customer's
    message (what people expect of a voice button), a doubtful one goes into the text box to confirm. A new
    conversation starts in `workspace`, the business the chat talks to."""
    if not audio:
        return
    history = list(history or [])
    try:
        voice = _voice_or_error(services)
        voice.forget_held(getattr(request, "session_hash", "") or "")
        transcript = voice.transcribe(audio)
    except SpeechInputError as exc:
        history.append({"role": "assistant", "content": _error_message(exc)})
        yield gr.skip(), history, conversation_id, message_ids, last_seen, mode
        return
    if voice.needs_confirmation(transcript):
        message = CONFIRM.get(transcript.language, CONFIRM["en"]).format(text=safe_text(transcript.text))
        history.append({"role": "assistant", "content": message})
        voice.hold_for_confirmation(getattr(request, "session_hash", "") or "", transcript)
        yield transcript.text, history, conversation_id, message_ids, last_seen, mode
        return
    yield from respond_stream(transcript.text, history, conversation_id, message_ids, last_seen, ratings, mode,
                              language, request, services=services,
                              turn=voice.respond((conversation_id or "").strip() or None, transcript,
                                                 **switcher.routing(services, workspace)))


def confirmed_voice_turn(message: str, conversation_id: str, request, *, services, workspace: str = ""):
    """The spoken turn of a message sent from the box right after a doubtful transcript of this session (its
    speech metadata and recording go with it, a new conversation starts in `workspace`); None for an ordinary
    typed message."""
    voice = getattr(services, "voice", None)
    key = getattr(request, "session_hash", "") or ""
    if voice is None or not key:
        return None
    return voice.confirmed_turn(key, (conversation_id or "").strip() or None, message,
                                **switcher.routing(services, workspace))


def confirmed_api_turn(message: str, session_key: str, *, services, workspace: str = ""):
    """For /chat: after /chat_audio returned "confirm_transcript" to this client session, its next message is that
    spoken turn, as confirmed or corrected (chat_api's `turn(conversation_id)`); None for an ordinary message."""
    voice = getattr(services, "voice", None)
    if voice is None or not voice.holds(session_key):
        return None
    from components.speech.spoken_turn import final_result

    def turn(conversation_id):
        route = switcher.routing(services, switcher.resolve_workspace(services, workspace) if workspace else "")
        chunks = voice.confirmed_turn(session_key, conversation_id, message, **route)
        return services.dialogue.chat(conversation_id, message, **route) if chunks is None else final_result(chunks)

    return turn


def transcribe_api(audio, *, services) -> dict:
    """{text, language, language_probability, confidence, segments, seconds, speech_seconds, rtf, ...}"""
    try:
        return _voice_or_error(services).transcribe(audio).to_dict()
    except SpeechInputError as exc:
        raise gr.Error(exc.bilingual()) from exc


def chat_audio_api(audio, conversation_id: str, *, services, chat_api, session_key: str = "",
                   workspace: str = "") -> dict:
    """One spoken turn: the /chat result plus `transcript`. A doubtful transcript is not answered: the result has
    error "confirm_transcript" and the text to confirm (send it with /chat if it is right)."""
    workspace = switcher.resolve_workspace(services, workspace) if workspace else ""  # an unknown id: before work
    try:
        voice = _voice_or_error(services)
        transcript = voice.transcribe(audio)
    except SpeechInputError as exc:
        raise gr.Error(exc.bilingual()) from exc
    heard = {k: v for k, v in transcript.to_dict().items() if k != "segments"}
    voice.forget_held(session_key)
    if voice.needs_confirmation(transcript):
        voice.hold_for_confirmation(session_key, transcript)
        return {"conversation_id": conversation_id or "", "transcript": heard,
                "reply": CONFIRM.get(transcript.language, CONFIRM["en"]).format(text=transcript.text),
                "sources": [], "trace": {}, "customer_message_id": None, "bot_message_id": None, "status": "bot",
                "error": "confirm_transcript"}
    result = chat_api(transcript.text, conversation_id, services=services, session_key=session_key,
                      workspace=workspace,
                      turn=lambda cid: voice.chat(cid, transcript, **switcher.routing(services, workspace)))
    return {**result, "transcript": heard}


# -- spoken replies (optional, components/speech/spoken_replies.py) --------------------------------------------
def read_answer_aloud(history: list, enabled: bool, *, reply_voice):
    """The last bot answer as audio when the customer turned "read answers aloud" on (English only)."""
    if not enabled or reply_voice is None or not history or history[-1].get("role") != "assistant":
        return None
    content = history[-1].get("content")
    text = content if isinstance(content, str) else " ".join(
        part.get("text", "") for part in content or [] if isinstance(part, dict))
    from components.nlu.language import detect_language

    if detect_language(text) != "en":
        gr.Info("Spoken replies are English only: there is no Mandarin voice yet. / 语音回复目前仅支持英语。")
        return None
    return reply_voice.synthesize(text, "en")


def build_spoken_replies(services):
    """The "read answers aloud" toggle and its player, when KEFU_SPEECH_REPLIES is on and Piper is installed."""
    if not getattr(getattr(services, "settings", None), "speech_replies", False):
        return None
    from components.speech.spoken_replies import ReplyVoice, spoken_replies_available

    missing = spoken_replies_available()
    if missing:
        log.warning("KEFU_SPEECH_REPLIES is on but Piper is not installed: %s", missing)
        return None
    with gr.Row():
        toggle = gr.Checkbox(label=t("read_aloud"), value=False, elem_id="kefu-read-aloud", scale=1)
        player = gr.Audio(label=t("read_aloud"), autoplay=True, interactive=False, type="numpy", scale=3,
                          elem_id="kefu-reply-audio", show_label=False)
    return toggle, player, partial(read_answer_aloud, reply_voice=ReplyVoice())


# -- operator console: play what the customer said ---------------------------------------------------------------
def spoken_turn_choices(conversation_id: str, *, services) -> list[tuple[str, str]]:
    """(label, recording name) of each spoken turn of the conversation, oldest first."""
    conversation_id = (conversation_id or "").strip()
    voice = services.voice
    if not conversation_id or voice is None or voice.archive is None:
        return []
    try:
        messages = services.operators.transcript(conversation_id)["messages"]
    except Exception:  # unknown conversation: nothing to play
        return []
    choices, customer_text = [], ""
    for m in messages:
        if m["role"] == "customer":
            customer_text = m["text"]
        speech = (m.get("trace") or {}).get("speech") or {}
        if m["role"] == "bot" and speech.get("audio"):
            label = (f"#{m['id'] - 1} · {speech.get('seconds', 0):.1f} s · {speech.get('language')} · "
                     f"confidence {float(speech.get('confidence') or 0):.2f} · {customer_text[:50]}")
            choices.append((label, speech["audio"]))
    return choices


def play_spoken_turn(conversation_id: str, name: str, *, services):
    if not name or services.voice is None or services.voice.archive is None:
        return None
    try:
        return services.voice.archive.read((conversation_id or "").strip(), name)
    except ValueError:
        return None


def register_voice_api(services, audio: gr.Audio, chat_api) -> None:
    """/transcribe(audio) and /chat_audio(audio, conversation_id, workspace) for gradio_client (handle_file(path))."""
    conversation_id = gr.Textbox(visible=False)
    workspace = gr.Textbox("", visible=False)
    out = gr.JSON(visible=False)
    transcribe_button, chat_button = gr.Button(visible=False), gr.Button(visible=False)

    def transcribe(audio_path):
        return transcribe_api(audio_path, services=services)

    def chat_audio(audio_path, conversation: str, business: str = "", request: gr.Request = None):
        return chat_audio_api(audio_path, conversation, services=services, chat_api=chat_api,
                              session_key=getattr(request, "session_hash", "") or "", workspace=business or "")

    transcribe_button.click(transcribe, [audio], [out], api_name="transcribe",
                            api_description="Speech to text (English or Mandarin): {text, language, confidence, "
                                            "segments, seconds, rtf, ...}. Pass handle_file(path).")
    chat_button.click(chat_audio, [audio, conversation_id, workspace], [out], api_name="chat_audio",
                      api_description="One spoken customer turn: the /chat result plus `transcript`. Empty "
                                      "conversation_id starts a new conversation, in `workspace` (empty: the "
                                      "first served business).")
