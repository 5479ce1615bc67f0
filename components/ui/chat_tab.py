"""The customer's chat tab and the public `/chat` API. Handlers are plain functions: tests call them directly."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Iterator

import gradio as gr

from components.ui.formatting import safe_text, sources_markdown
from components.ui.i18n import t

log = logging.getLogger(__name__)

STARTUP_WAIT_S = 600


def _wait_until_ready(services) -> None:
    if not services.startup.wait(STARTUP_WAIT_S):
        raise gr.Error(f"kefu is not ready: {services.startup.stage}. Check the server log, fix the problem and restart.")


def chat_api(message: str, conversation_id: str, *, services) -> dict:
    """One customer turn, answered in full: {conversation_id, reply, sources, trace, message ids, status}."""
    _wait_until_ready(services)
    try:
        result = services.dialogue.chat((conversation_id or "").strip() or None, message)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    return result.to_dict()


def respond_stream(message: str, history: list, conversation_id: str, *, services) -> Iterator[tuple]:
    """Echo the customer's message at once, then stream the answer into the chat history."""
    history = list(history or [])
    if not services.startup.ready:
        history.append({"role": "assistant", "content": f"⏳ kefu is starting ({services.startup.stage}); "
                                                        "your message will be answered as soon as it is ready."})
        yield "", history, conversation_id
        history.pop()
        _wait_until_ready(services)
    history.append({"role": "user", "content": safe_text(str(message or ""))})
    history.append({"role": "assistant", "content": ""})
    yield "", history, conversation_id
    reply = ""
    try:
        for chunk in services.dialogue.respond((conversation_id or "").strip() or None, message):
            if chunk.kind == "token":
                reply += chunk.text
                history[-1] = {"role": "assistant", "content": safe_text(reply)}
                yield "", history, conversation_id
            elif chunk.kind == "final":
                result = chunk.result
                conversation_id = result.conversation_id or conversation_id
                if result.error in ("empty", "too_long"):
                    history.pop(-2)  # the refused message was not stored; do not show it as sent
                content = safe_text(result.reply) + sources_markdown(result.sources, result.trace.get("language", "en"))
                if not result.reply and result.status in ("waiting", "human"):
                    content = "🧑‍💼 …"
                history[-1] = {"role": "assistant", "content": content}
                yield "", history, conversation_id
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc


def new_conversation() -> tuple[list, str]:
    return [], ""


@dataclass
class ChatTab:
    chatbot: gr.Chatbot
    conversation_id: gr.State


def build_chat_tab(services) -> ChatTab:
    with gr.Tab(t("tab_chat"), id="chat"):
        status = gr.Markdown(_status_text(services))
        chatbot = gr.Chatbot(height=520, label="kefu", sanitize_html=True, feedback_options=None,
                             elem_id="kefu-chatbot")
        conversation_id = gr.State("")
        with gr.Row():
            box = gr.Textbox(placeholder=t("chat_placeholder"), show_label=False, scale=8, elem_id="kefu-chat-input",
                             max_length=services.settings.message_max_chars * 5)
            send = gr.Button(t("send"), variant="primary", scale=1, elem_id="kefu-send")
            stop = gr.Button(t("stop"), scale=1)
        new = gr.Button(t("new_conversation"), size="sm")
        gr.Examples(["How long do refunds take?", "Can I cancel an order that was already delivered?",
                     "我想查询我的订单状态", "I want to talk to a person"], inputs=box)
        timer = gr.Timer(2.0, active=not services.startup.ready)

    handler = partial(respond_stream, services=services)
    submit_event = box.submit(handler, [box, chatbot, conversation_id], [box, chatbot, conversation_id],
                              api_visibility="private")
    click_event = send.click(handler, [box, chatbot, conversation_id], [box, chatbot, conversation_id],
                             api_visibility="private")
    stop.click(None, cancels=[submit_event, click_event])
    new.click(new_conversation, None, [chatbot, conversation_id], api_visibility="private")
    timer.tick(lambda: (_status_text(services), gr.Timer(active=not services.startup.ready)), None, [status, timer],
               api_visibility="private", show_progress="hidden")
    def chat(message: str, conversation_id: str = "") -> dict:
        return chat_api(message, conversation_id, services=services)

    gr.api(chat, api_name="chat",
           api_description="One customer turn. Empty conversation_id starts a new conversation. Returns JSON with "
                           "conversation_id, reply, sources [{title, doc_id, score}] and trace.")
    return ChatTab(chatbot, conversation_id)


def _status_text(services) -> str:
    s = services.startup
    if s.ready:
        return ""
    if s.error:
        return f"⚠️ **Start-up failed:** {safe_text(s.error)}"
    return f"⏳ **Starting:** {safe_text(s.stage)} — {s.fraction * 100:.0f}%"
