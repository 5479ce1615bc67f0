"""The customer's chat tab and the public customer API (/chat, /poll, /feedback, /request_human, /rate, /status).

Handlers are plain functions (tests call them directly); `build_chat_tab` registers closures whose signatures
Gradio can read (a `gr.Request` and a `gr.LikeData` reach them only through their annotations, never through
functools.partial). The chat page polls for agent replies and status changes with a gr.Timer."""
import logging
import threading
from dataclasses import dataclass
from typing import Iterator

import gradio as gr

from components.console.operator_desk import ConversationNotFound
from components.ui.formatting import safe_text, sources_html
from components.ui.i18n import request_language, say, t
from components.ui import workspace_switcher as switcher
from components.ui.voice_input import (build_spoken_replies, confirmed_api_turn, confirmed_voice_turn,
                                       respond_to_voice)

log = logging.getLogger(__name__)

STARTUP_WAIT_S = 600
EXAMPLES = ("example_1", "example_2", "example_3", "example_4")

# session -> the cancel flag of the answer being streamed to it (the Stop button sets it; the dialogue then stores
# the partial answer as `interrupted`)
_cancels: dict[str, threading.Event] = {}
_cancels_lock = threading.Lock()


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


def chat_api(message: str, conversation_id: str, *, services, session_key: str = "", turn=None,
             workspace: str = "") -> dict:
    """One customer turn, answered in full: {conversation_id, reply, sources, trace, message ids, status}.
    `turn(conversation_id)` replaces the typed turn (a spoken turn, components/ui/voice_input.py); `workspace`
    names the business a new conversation belongs to (empty: the first; a conversation keeps its own)."""
    workspace = switcher.resolve_workspace(services, workspace) if workspace else ""
    _wait_until_ready(services)
    limited = _rate_limited(services, (conversation_id or "").strip() or session_key, message)
    if limited is not None:
        return {**limited, "conversation_id": conversation_id or ""}
    try:
        cid = (conversation_id or "").strip() or None
        result = turn(cid) if turn is not None else services.dialogue.chat(
            cid, message, **switcher.routing(services, workspace))
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


def chat_view(history: list, ratings: dict):
    """The chatbot's value with each rated answer's thumb kept (Gradio forgets it when the value is replaced)."""
    ratings = ratings or {}
    feedback = [ratings.get(str(i)) for i, m in enumerate(history) if m.get("role") == "assistant"]
    return gr.Chatbot(value=history, feedback_value=feedback)


def welcome_history(language: str) -> list:
    return [{"role": "assistant", "content": say("welcome", language)}]


def example_samples(language: str) -> list[list[str]]:
    return [[say(key, language)] for key in EXAMPLES]


def _session_key(request, conversation_id: str) -> str:
    return getattr(request, "session_hash", "") or (conversation_id or "").strip()


def respond_stream(message: str, history: list, conversation_id: str, message_ids: dict, last_seen: int,
                   ratings: dict, mode: str, language: str, request: gr.Request | None, *,
                   services, turn=None, workspace: str = "") -> Iterator[tuple]:
    """Echo the customer's message at once, then stream the answer into the chat history. `turn` replaces the
    typed turn's chunks (a spoken turn, components/ui/voice_input.py).

    Yields (box, chatbot, conversation_id, message_ids, last_seen, mode)."""
    history = list(history or [])
    message_ids = dict(message_ids or {})
    language = language or "en"
    limited = _rate_limited(services, _session_key(request, conversation_id), message)
    if limited is not None:
        history.append({"role": "assistant", "content": safe_text(limited["reply"])})
        yield gr.skip(), chat_view(history, ratings), conversation_id, message_ids, last_seen, mode
        return
    if not services.startup.ready:
        history.append({"role": "assistant", "content": say("starting", language, stage=services.startup.stage)})
        yield "", chat_view(history, ratings), conversation_id, message_ids, last_seen, mode
        history.pop()
        _wait_until_ready(services)
    history.append({"role": "user", "content": ("🎤 " if turn is not None else "") + safe_text(str(message or ""))})
    history.append({"role": "assistant", "content": ""})
    reply = ""
    cancel = threading.Event()
    key = _session_key(request, conversation_id)
    if key:
        with _cancels_lock:
            _cancels[key] = cancel
    try:
        chunks = turn if turn is not None else \
            services.dialogue.respond((conversation_id or "").strip() or None, message, cancel=cancel,
                                      **switcher.routing(services, workspace))
        for chunk in chunks:
            if chunk.kind == "started":
                # the message shows together with its conversation id, so "Talk to a person" works at once
                conversation_id = chunk.result.conversation_id
                yield "", chat_view(history, ratings), conversation_id, message_ids, last_seen, mode
            elif chunk.kind == "token":
                reply += chunk.text
                history[-1] = {"role": "assistant", "content": safe_text(reply)}
                yield "", chat_view(history, ratings), conversation_id, message_ids, last_seen, mode
            elif chunk.kind == "final":
                result = chunk.result
                conversation_id = result.conversation_id or conversation_id
                if result.error in ("empty", "too_long"):
                    history.pop(-2)  # the refused message was not stored; do not show it as sent
                if not result.reply and result.status in ("waiting", "human"):
                    # a person owns the conversation: their reply arrives by polling; while nobody has claimed
                    # it yet the customer hears that the message was passed on
                    if result.status == "waiting":
                        history[-1] = {"role": "assistant", "content": say("waiting_ack", language)}
                    else:
                        history.pop()
                else:
                    text = safe_text(result.reply)
                    if cancel.is_set():
                        text += f"\n\n*{say('stopped', language)}*"
                    history[-1] = {"role": "assistant", "content": text + sources_html(
                        result.sources, result.trace.get("language", language), result.reply,
                        switcher.knowledge_for(services, conversation_id))}
                    if result.bot_message_id:
                        message_ids[str(len(history) - 1)] = result.bot_message_id
                mode = result.status or mode
                yield "", chat_view(history, ratings), conversation_id, message_ids, last_seen, mode
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    finally:
        if key:
            with _cancels_lock:
                if _cancels.get(key) is cancel:
                    del _cancels[key]


def stop_answer(request: gr.Request | None) -> None:
    """The Stop button: the answer being streamed to this session ends where it is (stored as `interrupted`)."""
    key = getattr(request, "session_hash", "") or ""
    with _cancels_lock:
        cancel = _cancels.get(key)
    if cancel is not None:
        cancel.set()


def poll_into_history(history: list, conversation_id: str, last_seen: int, ratings: dict, mode: str,
                      language: str, *, services) -> tuple:
    """Append the agents' replies since message `last_seen`, and a notice when a person joins or the bot resumes.

    Returns (chatbot, last_seen, mode)."""
    if not conversation_id:
        return gr.skip(), last_seen, mode
    try:
        data = services.operators.poll(conversation_id, last_seen or 0)
    except ConversationNotFound:
        return gr.skip(), last_seen, mode
    history = list(history or [])
    changed = False
    status = data["status"]
    if status != mode and mode:
        if status == "human":
            agent = (services.store.get_conversation(conversation_id) or {}).get("assigned_agent") or ""
            history.append({"role": "assistant", "content": say("agent_joined", language, agent=safe_text(agent))})
            changed = True
        elif status == "bot" and mode in ("waiting", "human"):
            history.append({"role": "assistant", "content": say("bot_resumes", language)})
            changed = True
    # only agents' messages arrive this way: the bot's answers are streamed by respond_stream itself
    new = [m for m in data["messages"] if m["role"] == "agent"]
    for m in new:
        history.append({"role": "assistant", "content": "🧑‍💼 " + safe_text(m["text"])})
    if not new and not changed:
        return gr.skip(), last_seen, status
    return chat_view(history, ratings), max([last_seen or 0, *(m["id"] for m in new)]), status


def ask_for_person(history: list, conversation_id: str, ratings: dict, language: str, *, services) -> tuple:
    """Returns (chatbot, mode)."""
    if not conversation_id:
        raise gr.Error(say("send_first", language))
    result = _customer_call(services.operators.request_human, conversation_id, language)
    history = list(history or [])
    if result.get("message"):
        history.append({"role": "assistant", "content": safe_text(result["message"])})
    return chat_view(history, ratings), result.get("status") or "waiting"


def rating_of(liked) -> int | None:
    """LikeData.liked → the stored rating: 1 (👍), -1 (👎), None (a thumb taken back or another option)."""
    if liked is True or liked == "Like":
        return 1
    if liked is False or liked == "Dislike":
        return -1
    return None


def rate_answer(message_ids: dict, conversation_id: str, ratings: dict, evt: gr.LikeData, *, services) -> dict:
    """A thumb on a bot answer: stored on the message; returns the thumbs to keep on screen."""
    index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    ratings = dict(ratings or {})
    message_id = (message_ids or {}).get(str(index))
    rating = rating_of(evt.liked)
    if message_id and conversation_id and rating is not None:
        _customer_call(services.operators.feedback, conversation_id, message_id, rating)
        ratings[str(index)] = "Like" if rating == 1 else "Dislike"
    return ratings


def rate_conversation(conversation_id: str, score: int, language: str, *, services) -> str:
    if not conversation_id:
        raise gr.Error(say("nothing_to_rate", language))
    if score is None:
        return ""
    _customer_call(services.operators.rate_conversation, conversation_id, int(score))
    return say("thanks_rating", language, score=int(score))


@dataclass
class ChatTab:
    chatbot: gr.Chatbot
    conversation_id: gr.State
    voice: gr.Audio  # the input of /transcribe and /chat_audio (registered outside gr.Tabs by app_ui)


def build_chat_tab(services) -> ChatTab:
    with gr.Tab(t("tab_chat"), id="chat"):
        status = gr.Markdown("")  # start-up progress, filled by the start-up timer in the browser's language
        # each message its own bubble: notices (passed on, an agent joined, the bot is back) and an agent's reply
        # are not merged into the bot's answer
        chatbot = gr.Chatbot(welcome_history("en"), height=520, label=t("chat_label"), sanitize_html=True,
                             elem_id="kefu-chatbot", feedback_options=("Like", "Dislike"),
                             group_consecutive_messages=False)
        conversation_id = gr.State("")
        message_ids = gr.State({})
        last_seen = gr.State(0)
        ratings = gr.State({})
        mode = gr.State("")  # the conversation's status as the chat last saw it (bot, waiting, human, resolved)
        language = gr.State("en")
        workspace = gr.State("")  # the business this chat talks to: ?workspace=ID, or the dropdown in demo mode
        picker = switcher.build_dropdown(services)
        # in the app, the message box and Send open when the page's load event has set the conversation's language
        # and business: a message typed before it would go to the default business and come back with its welcome
        loads = gr.context.Context.root_block is not None
        with gr.Row():
            box = gr.Textbox(placeholder=t("chat_placeholder"), label=t("chat_message"), show_label=False, scale=8,
                             elem_id="kefu-chat-input", interactive=not loads)
            send = gr.Button(t("send"), variant="primary", scale=1, elem_id="kefu-send", interactive=not loads)
            stop = gr.Button(t("stop"), scale=1, elem_id="kefu-stop")
        examples = gr.Dataset(components=[box], samples=example_samples("en"),
                              label=t("examples"), elem_id="kefu-examples")
        with gr.Row():
            new = gr.Button(t("new_conversation"), size="sm", elem_id="kefu-new-conversation")
            person = gr.Button(t("talk_to_person"), size="sm", elem_id="kefu-request-human")
            csat = gr.Radio([1, 2, 3, 4, 5], label=t("rate_conversation"), scale=2, elem_id="kefu-csat")
            csat_done = gr.Markdown(elem_id="kefu-csat-done")
        voice = gr.Audio(sources=["microphone", "upload"], type="filepath", label=t("voice_input"),
                         elem_id="kefu-voice", visible=getattr(services, "voice", None) is not None)
        spoken_replies = build_spoken_replies(services)
        startup_timer = gr.Timer(2.0, active=not services.startup.ready)
        poll_timer = gr.Timer(1.5)

    def picked_now(ws: str, picked: str, history: list, cid: str, ids: dict, seen: int, rated: dict,
                   current: str, lang: str) -> tuple:
        """The business the dropdown shows when a message is sent. A message sent right after choosing another
        business goes to the chosen one in a new conversation: before the switch event has run, the chat's
        business (a state, kept on the server) is still the previous one; after it, the chat the browser sent is
        still the previous business's, while the conversation (a state too) is already a new one."""
        if picked and switcher.resolve_workspace(services, picked) != switcher.resolve_workspace(services, ws):
            ws = switcher.resolve_workspace(services, picked)
            return ws, *start_over(lang, ws)[:6]
        if not cid and history:  # no conversation yet: the chat shows nothing but this business's welcome
            history = start_over(lang, ws)[0]
        return ws, history, cid, ids, seen, rated, current

    def respond(message: str, history: list, cid: str, ids: dict, seen: int, rated: dict, current: str,
                lang: str, request: gr.Request, ws: str = "", picked: str = ""):
        ws, history, cid, ids, seen, rated, current = picked_now(ws, picked, history, cid, ids, seen, rated,
                                                                 current, lang)
        yield from respond_stream(message, history, cid, ids, seen, rated, current, lang, request,
                                  services=services, workspace=ws,
                                  turn=confirmed_voice_turn(message, cid, request, services=services,
                                                            workspace=ws))

    def voiced(audio, history: list, cid: str, ids: dict, seen: int, rated: dict, current: str, lang: str,
               request: gr.Request, ws: str = "", picked: str = ""):
        ws, history, cid, ids, seen, rated, current = picked_now(ws, picked, history, cid, ids, seen, rated,
                                                                 current, lang)
        def in_workspace(*args, **kwargs):
            return respond_stream(*args, **kwargs, workspace=ws)

        yield from respond_to_voice(audio, history, cid, ids, seen, rated, current, lang, request,
                                    services=services, respond_stream=in_workspace, workspace=ws)

    def stop_clicked(request: gr.Request) -> None:
        stop_answer(request)

    def person_clicked(history: list, cid: str, rated: dict, lang: str):
        return ask_for_person(history, cid, rated, lang, services=services)

    def liked(ids: dict, cid: str, rated: dict, evt: gr.LikeData) -> dict:
        return rate_answer(ids, cid, rated, evt, services=services)

    def rated_conversation(cid: str, score: int, lang: str) -> str:
        return rate_conversation(cid, score, lang, services=services)

    def polled(history: list, cid: str, seen: int, rated: dict, current: str, lang: str):
        return poll_into_history(history, cid, seen, rated, current, lang, services=services)

    def opened(request: gr.Request):
        lang = request_language(request)
        ws = switcher.workspace_from_request(services, request)
        return (lang, switcher.welcome_history(services, ws, lang),
                gr.Dataset(samples=switcher.example_samples(services, ws, lang)), ws,
                gr.Dropdown(choices=switcher.choices(services, lang), value=ws),  # the businesses' names in its language
                gr.Textbox(interactive=True), gr.Button(interactive=True))

    def start_over(lang: str, ws: str):
        return switcher.welcome_history(services, ws, lang), "", {}, 0, {}, "", None, ""

    def switched(ws: str, lang: str):
        """Another business: a new conversation with its welcome and examples."""
        ws = switcher.resolve_workspace(services, ws)
        return (ws, *start_over(lang, ws), gr.Dataset(samples=switcher.example_samples(services, ws, lang)))

    io = [box, chatbot, conversation_id, message_ids, last_seen, ratings, mode, language, workspace, picker]
    out = [box, chatbot, conversation_id, message_ids, last_seen, mode]
    submit_event = box.submit(respond, io, out, api_visibility="private")
    click_event = send.click(respond, io, out, api_visibility="private")
    stop.click(stop_clicked, None, None, api_visibility="private", show_progress="hidden")
    voice_events = [trigger(voiced, [voice, *io[1:]], out, api_visibility="private")
                    for trigger in (voice.stop_recording, voice.upload)]
    for event in voice_events:  # the clip is handled: clear the player for the next one
        event.then(lambda: None, None, voice, api_visibility="private", show_progress="hidden")
    if spoken_replies is not None:
        toggle, player, speak = spoken_replies
        for event in (submit_event, click_event, *voice_events):
            event.then(speak, [chatbot, toggle], [player], api_visibility="private", show_progress="hidden")
    examples.click(lambda sample: sample[0], [examples], [box], api_visibility="private")
    new.click(start_over, [language, workspace], [chatbot, conversation_id, message_ids, last_seen, ratings, mode,
                                                  csat, csat_done], api_visibility="private")
    picker.input(switched, [picker, language], [workspace, chatbot, conversation_id, message_ids, last_seen, ratings,
                                                mode, csat, csat_done, examples], api_visibility="private")
    # asking for a person stops the bot's answer in progress (its later updates would replace the chat without the
    # "a person will join" message)
    person.click(person_clicked, [chatbot, conversation_id, ratings, language], [chatbot, mode],
                 api_visibility="private", cancels=[submit_event, click_event])
    chatbot.like(liked, [message_ids, conversation_id, ratings], [ratings], api_visibility="private")
    csat.change(rated_conversation, [conversation_id, csat, language], [csat_done], api_visibility="private")
    def startup_tick(request: gr.Request):
        return _status_text(services, request_language(request)), gr.Timer(active=not services.startup.ready)

    startup_timer.tick(startup_tick, None, [status, startup_timer], api_visibility="private", show_progress="hidden")
    poll_timer.tick(polled, [chatbot, conversation_id, last_seen, ratings, mode, language],
                    [chatbot, last_seen, mode], api_visibility="private", show_progress="hidden")
    root = gr.context.Context.root_block
    if root is not None:
        root.load(opened, None, [language, chatbot, examples, workspace, picker, box, send], api_visibility="private",
                  show_progress="hidden")
    return ChatTab(chatbot, conversation_id, voice)


def register_customer_api(services) -> None:
    ops = services.operators

    def chat(message: str, conversation_id: str = "", workspace: str = "", request: gr.Request = None) -> dict:
        session_key = getattr(request, "session_hash", "") or ""
        return chat_api(message, conversation_id, services=services, session_key=session_key, workspace=workspace,
                        turn=confirmed_api_turn(message, session_key, services=services, workspace=workspace))

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
                "protected": services.accounts.protected, "workspaces": switcher.served(services),
                "speech": services.voice.status() if getattr(services, "voice", None) is not None else None}

    gr.api(chat, api_name="chat",
           api_description="One customer turn. Empty conversation_id starts a new conversation, in `workspace` (empty: "
                           "the first served business). Returns JSON with conversation_id, reply, sources [{title, "
                           "doc_id, score}] and trace.")
    gr.api(poll, api_name="poll", api_description="Messages after message id `after`: [{id, role, text}].")
    gr.api(feedback, api_name="feedback", api_description="Rate a bot answer: rating 1 (up) or -1 (down).")
    gr.api(request_human, api_name="request_human", api_description="Ask for a human agent.")
    gr.api(rate, api_name="rate", api_description="Rate the whole conversation 1-5 (CSAT).")
    gr.api(status, api_name="status", api_description="Start-up progress: stage, fraction, ready, error.")


def _status_text(services, language: str = "en") -> str:
    s = services.startup
    if s.ready:
        return " · ".join(f"ℹ️ {safe_text(note)}" for note in getattr(s, "notes", []))
    if s.error:
        return say("startup_failed", language, error=safe_text(s.error))
    return say("startup_progress", language, stage=safe_text(s.stage), percent=f"{s.fraction * 100:.0f}")
