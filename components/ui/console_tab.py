"""Operator console: the live queue, the glass-box transcript, takeover (claim, reply, hand back, resolve), notes,
copilot drafts, teach-to-FAQ, and the audit log; plus the agent API endpoints."""
import json
import time

import gradio as gr
import pandas as pd

from components.console.operator_desk import ConversationNotFound
from components.ui.access import agent_only, current_agent, login, logout
from components.ui.formatting import safe_text, trace_markdown
from components.ui.i18n import t
from components.ui.voice_input import play_spoken_turn, spoken_turn_choices

COLUMNS = ["conversation", "status", "waiting", "customer", "sentiment", "intent", "last message", "agent"]
STATUSES = ["all", "waiting", "human", "bot", "resolved"]


def _guard(fn, *args):
    try:
        return fn(*args)
    except (ValueError, ConversationNotFound) as exc:
        raise gr.Error(str(exc)) from exc


def queue_table(status: str, *, services) -> pd.DataFrame:
    rows = services.operators.queue(status)
    data = [[r["conversation_id"], r["status"], f"{int(r['waiting_s'])} s" if r["waiting_s"] else "",
             r["customer"] or "—", r["sentiment"] or "", r["intent"] or "", r["last_message"][:80],
             r["assigned_agent"] or ""] for r in rows]
    return pd.DataFrame(data, columns=COLUMNS)


def transcript_markdown(conversation_id: str, *, services) -> str:
    conversation_id = (conversation_id or "").strip()
    if not conversation_id:
        return "_Select a conversation in the list._"
    try:
        data = services.operators.transcript(conversation_id)
    except ConversationNotFound:
        return f"No conversation with id `{safe_text(conversation_id)}`."
    c = data["conversation"]
    head = (f"### {safe_text(c['id'])} · **{c['status']}**"
            + (f" · agent {safe_text(c['assigned_agent'])}" if c.get("assigned_agent") else "")
            + (f" · handoff: {c['handoff_reason']}" if c.get("handoff_reason") else "")
            + (f" · CSAT {c['csat']}/5" if c.get("csat") else ""))
    out = [head]
    for m in data["messages"]:
        when = time.strftime("%H:%M:%S", time.localtime(m["created_at"]))
        who = {"customer": "🧑 Customer", "bot": "🤖 Bot", "agent": "🧑‍💼 Agent", "system": "⚙️ System"}[m["role"]]
        state = "" if m["state"] == "complete" else f" _({m['state']})_"
        rating = {1: " 👍", -1: " 👎"}.get(m.get("rating"), "")
        out.append(f"**{who}** <sub>{when} · #{m['id']}</sub>{state}{rating}\n\n{safe_text(m['text'])}")
        if m["role"] == "bot":
            out.append(f"<details><summary>why this answer</summary>\n\n{trace_markdown(m['trace'])}\n\n</details>")
    if data["notes"]:
        out.append("#### Internal notes")
        out.extend(f"- **{safe_text(n['agent'])}**: {safe_text(n['text'])}" for n in data["notes"])
    return "\n\n".join(out)


def select_row(table: pd.DataFrame, evt: gr.SelectData) -> str:
    row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    return str(table.iloc[row]["conversation"])


def audit_table(*, services) -> pd.DataFrame:
    rows = services.store.audit_log(200)
    return pd.DataFrame([[time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["at"])), r["agent"], r["action"],
                          r["conversation_id"] or "", r["detail"]] for r in rows],
                        columns=["when", "agent", "action", "conversation", "detail"])


def build_console_tab(services) -> None:
    ops = services.operators
    with gr.Tab(t("tab_console"), id="console"):
        mode = ("🔒 **Protected mode**: sign in as an agent." if services.accounts.protected else
                "🔓 **Demo mode**: no agent accounts exist (`python app.py agents add NAME` creates one), so "
                "every tab is open.")
        with gr.Row():
            gr.Markdown(mode)
            agent_name = gr.Textbox(label="Agent", scale=1, elem_id="kefu-agent-name")
            agent_password = gr.Textbox(label="Password", type="password", scale=1, elem_id="kefu-agent-password")
            login_btn = gr.Button("Sign in", scale=0, elem_id="kefu-agent-login")
            signed_in = gr.Markdown(elem_id="kefu-agent-status")
        with gr.Row():
            status = gr.Dropdown(STATUSES, value="all", label=t("status_filter"), scale=1)
            refresh = gr.Button(t("refresh"), size="sm", scale=0)
        table = gr.Dataframe(headers=COLUMNS, interactive=False, label=t("conversations"),
                             elem_id="kefu-conversations", max_height=320)
        selected = gr.Textbox(label=t("conversation"), elem_id="kefu-selected-conversation")
        with gr.Row():
            claim_btn = gr.Button("Claim", variant="primary", elem_id="kefu-claim")
            hand_back_btn = gr.Button("Hand back to bot", elem_id="kefu-hand-back")
            resolve_btn = gr.Button("Resolve", elem_id="kefu-resolve")
        with gr.Row():
            with gr.Column(scale=3):
                transcript = gr.Markdown(elem_id="kefu-transcript")
                with gr.Row(visible=services.voice is not None):
                    spoken = gr.Dropdown(choices=[], label=t("spoken_turns"), scale=2, elem_id="kefu-spoken-turns")
                    player = gr.Audio(label=t("play_spoken_turn"), type="numpy", interactive=False, scale=3,
                                      elem_id="kefu-spoken-player")
            with gr.Column(scale=2):
                reply = gr.Textbox(label="Reply to the customer", lines=4, elem_id="kefu-agent-reply")
                with gr.Row():
                    send_btn = gr.Button("Send reply", variant="primary", elem_id="kefu-agent-send")
                    suggest_btn = gr.Button("✨ Suggest (copilot)", elem_id="kefu-copilot")
                    teach_btn = gr.Button("📚 Teach as FAQ", elem_id="kefu-teach")
                copilot_sources = gr.Markdown()
                with gr.Group(visible=False, elem_id="kefu-teach-panel") as teach_panel:
                    teach_question = gr.Textbox(label="FAQ question (edit before publishing)", lines=1,
                                                elem_id="kefu-teach-question")
                    teach_answer = gr.Textbox(label="FAQ answer (edit before publishing)", lines=3,
                                              elem_id="kefu-teach-answer")
                    publish_btn = gr.Button("Publish FAQ", variant="primary", size="sm", elem_id="kefu-teach-publish")
                note = gr.Textbox(label="Internal note (never shown to the customer)", lines=2)
                note_btn = gr.Button("Add note", size="sm")
                action_result = gr.Markdown(elem_id="kefu-action-result")
        with gr.Accordion("Audit log", open=False):
            audit = gr.Dataframe(interactive=False, elem_id="kefu-audit")
            audit_refresh = gr.Button(t("refresh"), size="sm")
        timer = gr.Timer(3.0)

    def do_login(name: str, password: str, request: gr.Request):
        login(services, name, password, request)
        return f"Signed in as **{safe_text(name.strip())}**", ""

    def show_queue(status_value: str):
        return queue_table(status_value, services=services)

    def show(conversation_id: str):
        return transcript_markdown(conversation_id, services=services)

    def act(action):
        def handler(conversation_id: str, request: gr.Request):
            agent = current_agent(services, request)
            result = _guard(action, conversation_id.strip(), agent)
            return (f"✅ {action.__name__.replace('_', ' ')}: {safe_text(json.dumps(result, ensure_ascii=False))}",
                    transcript_markdown(conversation_id, services=services))
        return handler

    def send(conversation_id: str, text: str, request: gr.Request):
        agent = current_agent(services, request)
        _guard(ops.agent_reply, conversation_id.strip(), agent, text)
        return "", "✅ sent", transcript_markdown(conversation_id, services=services)

    def suggest(conversation_id: str, request: gr.Request):
        current_agent(services, request)
        result = _guard(ops.suggest_reply, conversation_id.strip())
        cites = "; ".join(f"[{i}] {safe_text(s['title'])}" for i, s in enumerate(result["sources"], 1))
        return result["draft"], (f"Sources: {cites}" if cites else result.get("note", ""))

    def teach_from_ui(conversation_id: str, request: gr.Request):
        agent = current_agent(services, request)
        draft = _guard(ops.teach, conversation_id.strip(), agent)
        return (gr.update(visible=True), draft["question"], draft["answer"],
                "📚 Edit the question and answer, then press *Publish FAQ*.")

    def publish_from_ui(conversation_id: str, question: str, answer: str, request: gr.Request):
        agent = current_agent(services, request)
        result = _guard(ops.publish_taught, conversation_id.strip(), agent, question, answer)
        return gr.update(visible=False), f"📚 Published the FAQ *{safe_text(result['question'])}*"

    def note_from_ui(conversation_id: str, text: str, request: gr.Request):
        agent = current_agent(services, request)
        _guard(ops.add_note, conversation_id.strip(), agent, text)
        return "", transcript_markdown(conversation_id, services=services)

    login_btn.click(do_login, [agent_name, agent_password], [signed_in, agent_password], api_visibility="private")
    guarded_queue = agent_only(services, show_queue)
    for trigger in (refresh.click, status.change, timer.tick):
        trigger(guarded_queue, [status], [table], api_visibility="private", show_progress="hidden")
    root = gr.context.Context.root_block  # fill the queue when the page opens, not only on the first tick
    if root is not None:
        root.load(guarded_queue, [status], [table], api_visibility="private", show_progress="hidden")
    table.select(select_row, [table], [selected], api_visibility="private")
    selected.change(agent_only(services, show), [selected], [transcript], api_visibility="private")

    def spoken_turns(conversation_id: str):
        choices = spoken_turn_choices(conversation_id, services=services)
        return gr.Dropdown(choices=choices, value=choices[-1][1] if choices else None)

    selected.change(agent_only(services, spoken_turns), [selected], [spoken], api_visibility="private",
                    show_progress="hidden")
    spoken.change(agent_only(services, lambda cid, name: play_spoken_turn(cid, name, services=services)),
                  [selected, spoken], [player], api_visibility="private", show_progress="hidden")
    claim_btn.click(act(ops.claim), [selected], [action_result, transcript], api_visibility="private")
    hand_back_btn.click(act(ops.hand_back), [selected], [action_result, transcript], api_visibility="private")
    resolve_btn.click(act(ops.resolve), [selected], [action_result, transcript], api_visibility="private")
    send_btn.click(send, [selected, reply], [reply, action_result, transcript], api_visibility="private")
    suggest_btn.click(suggest, [selected], [reply, copilot_sources], api_visibility="private")
    teach_btn.click(teach_from_ui, [selected], [teach_panel, teach_question, teach_answer, action_result],
                    api_visibility="private")
    publish_btn.click(publish_from_ui, [selected, teach_question, teach_answer], [teach_panel, action_result],
                      api_visibility="private")
    note_btn.click(note_from_ui, [selected, note], [note, transcript], api_visibility="private")
    audit_refresh.click(agent_only(services, lambda: audit_table(services=services)), None, [audit],
                        api_visibility="private")


def register_agent_api(services) -> None:
    """JSON endpoints for agents (protected in protected mode)."""
    ops = services.operators

    def api_login(name: str, password: str, request: gr.Request) -> dict:
        return {"token": login(services, name, password, request), "agent": name.strip()}

    def api_logout(request: gr.Request) -> dict:
        logout(request)
        return {"ok": True}

    def conversations(status: str = "", request: gr.Request = None) -> dict:
        current_agent(services, request)
        return {"conversations": ops.queue(status or None)}

    def conversation(conversation_id: str, request: gr.Request = None) -> dict:
        current_agent(services, request)
        return _guard(ops.transcript, conversation_id)

    def claim(conversation_id: str, request: gr.Request = None) -> dict:
        return _guard(ops.claim, conversation_id, current_agent(services, request))

    def agent_reply(conversation_id: str, text: str, request: gr.Request = None) -> dict:
        return _guard(ops.agent_reply, conversation_id, current_agent(services, request), text)

    def hand_back(conversation_id: str, request: gr.Request = None) -> dict:
        return _guard(ops.hand_back, conversation_id, current_agent(services, request))

    def resolve(conversation_id: str, request: gr.Request = None) -> dict:
        return _guard(ops.resolve, conversation_id, current_agent(services, request))

    def suggest_reply(conversation_id: str, request: gr.Request = None) -> dict:
        current_agent(services, request)
        return _guard(ops.suggest_reply, conversation_id)

    def teach(conversation_id: str, request: gr.Request = None) -> dict:
        """A FAQ draft {question, answer} from the last agent reply; nothing is published."""
        return _guard(ops.teach, conversation_id, current_agent(services, request))

    def publish_faq(conversation_id: str, question: str, answer: str, request: gr.Request = None) -> dict:
        """Publish the (edited) draft as a curated FAQ entry."""
        return _guard(ops.publish_taught, conversation_id, current_agent(services, request), question, answer)

    def add_note(conversation_id: str, text: str, request: gr.Request = None) -> dict:
        return _guard(ops.add_note, conversation_id, current_agent(services, request), text)

    for fn, name in ((api_login, "login"), (api_logout, "logout"), (conversations, "conversations"),
                     (conversation, "conversation"), (claim, "claim"), (agent_reply, "agent_reply"),
                     (hand_back, "hand_back"), (resolve, "resolve"), (suggest_reply, "suggest_reply"),
                     (teach, "teach"), (publish_faq, "publish_faq"), (add_note, "add_note")):
        gr.api(fn, api_name=name)
