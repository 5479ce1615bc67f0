"""The customer's chat tab and the public customer API (/chat, /poll, /feedback, /request_human, /rate, /status).

Handlers are plain functions: tests call them directly. The chat page polls for agent replies with a gr.Timer, so
an agent's message appears without a reload."""
import logging
from dataclasses import dataclass
from functools import partial
from typing import Iterator

import gradio as gr

from components.console.operator_desk import ConversationNotFound
from components.ui.formatting import safe_text, sources_markdown
from components.ui.i18n import t
from components.ui.voice_input import build_spoken_replies, register_voice_api, respond_to_voice

log = logging.getLogger(__name__)

STARTUP_WAIT_S = 600


def _wait_until_ready(services) -> None:
    if not services.startup.wait(STARTUP_WAIT_S):
        raise gr.Error(f"kefu is not ready: {services.startup.stage}. Check the server log, fix the problem and restart.")


def _rate_limited(services, key: str, message: str) -> dict | None:
    """None when the customer may send; else the polite answer (nothing is stored)."""
    from components.nlu.language import detect_language
    from components.privacy.rate_limiter import rate_limit_message

    wait = services.rate_limiter.check(key) if services.rate_limiter is not None and key else None
    if wait is None:
        return None
    return {"conversation_id": "", "reply": rate_limit_message(wait, detect_language(str(message or ""))),
            "sources": [], "trace": {"policy": {"action": "rate_limited", "reason": f"retry in {wait:.1f} s"}},
            "customer_message_id": None, "bot_message_id": None, "status": "bot", "error": "rate_limited"}


def chat_api(message: str, conversation_id: str, *, services, session_key: str = "", turn=None) -> dict:
    """One customer turn, answered in full: {conversation_id, reply, sources, trace, message ids, status}.
    `turn(conversation_id)` replaces the typed turn (a spoken turn, components/ui/voice_input.py)."""
    _wait_until_ready(services)
    limited = _rate_limited(services, (conversation_id or "").strip() or session_key, message)
    if limited is not None:
        return {**limited, "conversation_id": conversation_id or ""}
    try:
        cid = (conversation_id or "").strip() or None
        result = turn(cid) if turn is not None else services.dialogue.chat(cid, message)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    return result.to_dict()


def _customer_call(fn, *args):
    try:
        return fn(*args)
    except ConversationNotFound:
        raise gr.Error("No such conversation. Start a new one by leaving conversation_id empty.") from None
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc


def respond_stream(message: str, history: list, conversation_id: str, message_ids: dict, last_seen: int,
                   request: gr.Request = None, *, services, turn=None) -> Iterator[tuple]:
    """Echo the customer's message at once, then stream the answer into the chat history. `turn` replaces the
    typed turn's chunks (a spoken turn, components/ui/voice_input.py)."""
    history = list(history or [])
    message_ids = dict(message_ids or {})
    limited = _rate_limited(services, getattr(request, "session_hash", "") or conversation_id, message)
    if limited is not None:
        history.append({"role": "assistant", "content": safe_text(limited["reply"])})
        yield gr.skip(), history, conversation_id, message_ids, last_seen
        return
    if not services.startup.ready:
        history.append({"role": "assistant", "content": f"⏳ kefu is starting ({services.startup.stage}); "
                                                        "your message will be answered as soon as it is ready."})
        yield "", history, conversation_id, message_ids, last_seen
        history.pop()
        _wait_until_ready(services)
    history.append({"role": "user", "content": ("🎤 " if turn is not None else "") + safe_text(str(message or ""))})
    history.append({"role": "assistant", "content": ""})
    reply = ""
    try:
        if turn is None:
            turn = services.dialogue.respond((conversation_id or "").strip() or None, message)
        for chunk in turn:
            if chunk.kind == "started":
                # the message shows together with its conversation id, so "Talk to a person" works at once
                conversation_id = chunk.result.conversation_id
                yield "", history, conversation_id, message_ids, last_seen
            elif chunk.kind == "token":
                reply += chunk.text
                history[-1] = {"role": "assistant", "content": safe_text(reply)}
                yield "", history, conversation_id, message_ids, last_seen
            elif chunk.kind == "final":
                result = chunk.result
                conversation_id = result.conversation_id or conversation_id
                if result.error in ("empty", "too_long"):
                    history.pop(-2)  # the refused message was not stored; do not show it as sent
                if not result.reply and result.status in ("waiting", "human"):
                    history.pop()    # a person owns the conversation: their reply arrives by polling
                else:
                    history[-1] = {"role": "assistant", "content": safe_text(result.reply) + sources_markdown(
                        result.sources, result.trace.get("language", "en"))}
                    if result.bot_message_id:
                        message_ids[str(len(history) - 1)] = result.bot_message_id
                yield "", history, conversation_id, message_ids, last_seen
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc


def poll_into_history(history: list, conversation_id: str, last_seen: int, *, services) -> tuple:
    """Append the replies a human agent sent since message `last_seen` to the chat."""
    if not conversation_id:
        return gr.skip(), last_seen
    try:
        data = services.operators.poll(conversation_id, last_seen or 0)
    except ConversationNotFound:
        return gr.skip(), last_seen
    # only agents' messages arrive this way: the bot's answers are streamed by respond_stream itself
    new = [m for m in data["messages"] if m["role"] == "agent"]
    if not new:
        return gr.skip(), last_seen
    history = list(history or [])
    for m in new:
        history.append({"role": "assistant", "content": "🧑‍💼 " + safe_text(m["text"])})
    return history, max(m["id"] for m in new)


def ask_for_person(history: list, conversation_id: str, last_seen: int, *, services) -> tuple:
    if not conversation_id:
        raise gr.Error("Send a message first, then ask for a person.")
    result = _customer_call(services.operators.request_human, conversation_id)
    history = list(history or [])
    if result.get("message"):
        history.append({"role": "assistant", "content": safe_text(result["message"])})
    return history, last_seen


def rate_answer(message_ids: dict, conversation_id: str, evt: gr.LikeData, *, services) -> None:
    index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    message_id = (message_ids or {}).get(str(index))
    if message_id and conversation_id:
        _customer_call(services.operators.feedback, conversation_id, message_id, 1 if evt.liked else -1)


def rate_conversation(conversation_id: str, score: int, *, services) -> str:
    if not conversation_id:
        raise gr.Error("There is no conversation to rate yet.")
    _customer_call(services.operators.rate_conversation, conversation_id, int(score))
    return f"Thank you! You rated this conversation {int(score)}/5."


@dataclass
class ChatTab:
    chatbot: gr.Chatbot
    conversation_id: gr.State


def build_chat_tab(services) -> ChatTab:
    with gr.Tab(t("tab_chat"), id="chat"):
        status = gr.Markdown(_status_text(services))
        chatbot = gr.Chatbot(height=520, label="kefu", sanitize_html=True, elem_id="kefu-chatbot",
                             feedback_options=("Like", "Dislike"))
        conversation_id = gr.State("")
        message_ids = gr.State({})
        last_seen = gr.State(0)
        with gr.Row():
            box = gr.Textbox(placeholder=t("chat_placeholder"), show_label=False, scale=8, elem_id="kefu-chat-input")
            send = gr.Button(t("send"), variant="primary", scale=1, elem_id="kefu-send")
            stop = gr.Button(t("stop"), scale=1)
        with gr.Row():
            new = gr.Button(t("new_conversation"), size="sm")
            person = gr.Button("🧑‍💼 Talk to a person / 转人工", size="sm", elem_id="kefu-request-human")
            csat = gr.Radio([1, 2, 3, 4, 5], label="Rate this conversation", scale=2)
            csat_done = gr.Markdown()
        voice = gr.Audio(sources=["microphone", "upload"], type="filepath", label=t("voice_input"),
                         elem_id="kefu-voice", visible=services.voice is not None)
        spoken_replies = build_spoken_replies(services)
        gr.Examples(["How long do refunds take?", "Can I cancel an order that was already delivered?",
                     "我想查询我的订单状态", "I want to talk to a person"], inputs=box)
        startup_timer = gr.Timer(2.0, active=not services.startup.ready)
        poll_timer = gr.Timer(2.0)

    handler = partial(respond_stream, services=services)
    io = [box, chatbot, conversation_id, message_ids, last_seen]
    submit_event = box.submit(handler, io, io, api_visibility="private")
    click_event = send.click(handler, io, io, api_visibility="private")
    voice_events = [trigger(partial(respond_to_voice, services=services, respond_stream=respond_stream),
                            [voice, *io[1:]], io, api_visibility="private")
                    for trigger in (voice.stop_recording, voice.upload)]
    for event in voice_events:  # the clip is handled: clear the player for the next one
        event.then(lambda: None, None, voice, api_visibility="private", show_progress="hidden")
    register_voice_api(services, voice, chat_api)
    if spoken_replies is not None:
        toggle, player, speak = spoken_replies
        for event in (submit_event, click_event, *voice_events):
            event.then(speak, [chatbot, toggle], [player], api_visibility="private", show_progress="hidden")
    stop.click(None, cancels=[submit_event, click_event, *voice_events])
    new.click(lambda: ([], "", {}, 0), None, [chatbot, conversation_id, message_ids, last_seen],
              api_visibility="private")
    # asking for a person stops the bot's answer in progress (its later updates would replace the chat without the
    # "a person will join" message)
    person.click(partial(ask_for_person, services=services), [chatbot, conversation_id, last_seen],
                 [chatbot, last_seen], api_visibility="private", cancels=[submit_event, click_event])
    chatbot.like(partial(rate_answer, services=services), [message_ids, conversation_id], None,
                 api_visibility="private")
    csat.change(partial(rate_conversation, services=services), [conversation_id, csat], [csat_done],
                api_visibility="private")
    startup_timer.tick(lambda: (_status_text(services), gr.Timer(active=not services.startup.ready)), None,
                       [status, startup_timer], api_visibility="private", show_progress="hidden")
    poll_timer.tick(partial(poll_into_history, services=services), [chatbot, conversation_id, last_seen],
                    [chatbot, last_seen], api_visibility="private", show_progress="hidden")
    return ChatTab(chatbot, conversation_id)


def register_customer_api(services) -> None:
    ops = services.operators

    def chat(message: str, conversation_id: str = "", request: gr.Request = None) -> dict:
        return chat_api(message, conversation_id, services=services,
                        session_key=getattr(request, "session_hash", "") or "")

    def poll(conversation_id: str, after: int = 0) -> dict:
        return _customer_call(ops.poll, conversation_id, int(after or 0))

    def feedback(conversation_id: str, message_id: int, rating: int) -> dict:
        return _customer_call(ops.feedback, conversation_id, int(message_id), int(rating))

    def request_human(conversation_id: str) -> dict:
        return _customer_call(ops.request_human, conversation_id)

    def rate(conversation_id: str, score: int) -> dict:
        return _customer_call(ops.rate_conversation, conversation_id, int(score))

    def status() -> dict:
        return {**services.startup.to_dict(), "model": services.settings.model,
                "protected": services.accounts.protected,
                "speech": services.voice.status() if services.voice is not None else None}

    gr.api(chat, api_name="chat",
           api_description="One customer turn. Empty conversation_id starts a new conversation. Returns JSON with "
                           "conversation_id, reply, sources [{title, doc_id, score}] and trace.")
    gr.api(poll, api_name="poll", api_description="Messages after message id `after`: [{id, role, text}].")
    gr.api(feedback, api_name="feedback", api_description="Rate a bot answer: rating 1 (up) or -1 (down).")
    gr.api(request_human, api_name="request_human", api_description="Ask for a human agent.")
    gr.api(rate, api_name="rate", api_description="Rate the whole conversation 1-5 (CSAT).")
    gr.api(status, api_name="status", api_description="Start-up progress: stage, fraction, ready, error.")


def _status_text(services) -> str:
    s = services.startup
    if s.ready:
        return ""
    if s.error:
        return f"⚠️ **Start-up failed:** {safe_text(s.error)}"
    return f"⏳ **Starting:** {safe_text(s.stage)} — {s.fraction * 100:.0f}%"
