"""Operator console as an inbox: the queue on the left (urgent first), the open conversation in the middle as chat
bubbles that update live (customer, bot with its folded "why", agent, internal notes) with the composer at the
bottom, and the customer panel on the right. Enter sends, Ctrl+Enter adds an internal note. Plus the agent API.

The data comes from components/console/conversation_view.py; this module only lays out and formats."""
import time

import gradio as gr
import pandas as pd

from components.analytics.chart_text import handoff_reason_name
from components.console.conversation_view import customer_facts, queue_rows, signature, timeline
from components.console.operator_desk import ConversationNotFound
from components.ui import workspace_switcher as switcher
from components.ui.access import current_agent, login, logout
from components.ui.formatting import safe_text, trace_items
from components.ui.i18n import request_language, say, t
from components.ui.voice_input import play_spoken_turn, spoken_turn_choices

# the queue fits its column at 1280 px without scrolling sideways: widths are shares of the column, long text is cut
# with "…", the sentiment is an icon in front of the last customer message, a customer not yet known shows the
# conversation's short id
COLUMN_KEYS = ["col_status", "col_waiting", "col_customer", "col_last", "col_intent", "col_agent"]
COLUMN_WIDTHS = ["15%", "10%", "17%", "30%", "14%", "14%"]
LAST_MESSAGE_CHARS = 48
STATUSES = ["all", "waiting", "human", "bot", "resolved"]
SENTIMENT_ICONS = {"negative": "😠", "neutral": "😐", "positive": "🙂"}
STATUS_ICONS = {"waiting": "🔴", "human": "🟢", "bot": "🤖", "resolved": "✅"}

CONSOLE_CSS = """
#kefu-transcript {height: 560px; overflow-y: auto; display: flex; flex-direction: column-reverse;
                  border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px;}
.kefu-bubbles {display: flex; flex-direction: column; gap: 6px;}
.kefu-bubble {max-width: 82%; padding: 6px 10px; border-radius: 12px; line-height: 1.4; white-space: pre-wrap;
              word-wrap: break-word;}
.kefu-bubble .kefu-meta {font-size: 11px; opacity: .65; white-space: normal;}
.kefu-customer {align-self: flex-start; background: var(--background-fill-secondary);
                border: 1px solid var(--border-color-primary);}
.kefu-bot {align-self: flex-end; background: #e8f0fe; color: #111;}
.kefu-agent {align-self: flex-end; background: #e6f4ea; color: #111;}
.kefu-note {align-self: center; background: #fff7d6; color: #111; border: 1px dashed #d4b106; font-size: 13px;}
.kefu-system {align-self: center; font-size: 12px; opacity: .7;}
.kefu-bubble details {white-space: normal; font-size: 12px; margin-top: 4px;}
.kefu-bubble details ul {margin: 2px 0 0 14px; padding: 0;}
.kefu-panel dt {font-size: 11px; opacity: .65; margin-top: 6px;}
.kefu-panel dd {margin: 0;}
#kefu-conversations th, #kefu-conversations th *, #kefu-conversations .body-cell,
#kefu-conversations .body-cell * {font-family: "Source Sans Pro", "Noto Color Emoji", "Apple Color Emoji",
                                  "Segoe UI Emoji", ui-sans-serif, system-ui, sans-serif !important;
                                  font-size: 13px !important;}
#kefu-conversations th * {font-size: 12px !important;}
#kefu-conversations th, #kefu-conversations .body-cell {padding-left: 2px !important; padding-right: 2px !important;}
"""

# Ctrl+Enter in the reply box adds an internal note instead of sending (the capture listener runs before Gradio's
# own Enter handling)
KEYBOARD_JS = """
<script>
document.addEventListener('keydown', (e) => {
  const box = e.target.closest && e.target.closest('#kefu-agent-reply');
  if (box && e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault(); e.stopImmediatePropagation();
    const note = document.querySelector('#kefu-agent-note');
    if (note) note.click();
  }
}, true);
</script>
"""


def _guard(fn, *args):
    try:
        return fn(*args)
    except (ValueError, ConversationNotFound) as exc:
        raise gr.Error(str(exc)) from exc


def queue_table(status: str, *, services, language: str = "en", workspace: str = "") -> tuple[pd.DataFrame, list[str]]:
    """The queue of one workspace (empty: the first) as a table (readable columns) and the conversation ids of its
    rows."""
    rows = queue_rows(services.operators, services.store, None if status in (None, "", "all") else status,
                      switcher.resolve_workspace(services, workspace))
    data = [[f"{STATUS_ICONS.get(r['status'], '')} {say('queue_' + r['status'], language)}"
             if r["status"] in ("waiting", "human", "bot", "resolved")
             else r["status"], r["waiting"], r["customer"] or short_id(r["conversation_id"]),
             _last_message(r), (r["intent"] or "").replace("_", " "), r["assigned_agent"] or ""] for r in rows]
    headers = [say(k, language) for k in COLUMN_KEYS]
    return pd.DataFrame(data, columns=headers), [r["conversation_id"] for r in rows]


def short_id(conversation_id: str) -> str:
    """"#077aaf" for c_077aafa12d67…: enough to tell conversations apart on screen."""
    return "#" + conversation_id.removeprefix("c_")[:6]


def _queue_key(queue: pd.DataFrame, ids: list[str]) -> str:
    return str(hash((tuple(map(tuple, queue.values.tolist())), tuple(ids), tuple(queue.columns))))


def _last_message(row: dict) -> str:
    """The sentiment icon and the start of the last customer message."""
    text = row["last_customer_message"]
    text = text if len(text) <= LAST_MESSAGE_CHARS else text[:LAST_MESSAGE_CHARS - 1].rstrip() + "…"
    icon = SENTIMENT_ICONS.get(row["sentiment"] or "", "")
    return f"{icon} {text}" if icon else text


def _bubble(item: dict, language: str) -> str:
    when = time.strftime("%H:%M", time.localtime(item["created_at"]))
    kind = item["kind"]
    text = safe_text(item.get("text") or "")
    if kind == "note":
        who = f"📝 {say('role_note', language)} · {safe_text(item['agent'])}"
    elif kind == "agent":
        who = f"🧑‍💼 {say('role_agent', language)}" + (f" · {safe_text((item.get('trace') or {}).get('agent', ''))}"
                                                     if (item.get("trace") or {}).get("agent") else "")
    else:
        who = {"customer": "🧑 ", "bot": "🤖 ", "system": "⚙️ "}.get(kind, "") + say(f"role_{kind}", language)
    state = item.get("state") or "complete"
    flags = ""
    if state == "interrupted":
        flags += f" · {say('stopped', language)}"
    elif state not in ("complete",):
        flags += f" · {safe_text(state)}"
    rating = item.get("rating")
    if rating:
        flags += " · " + say("rating_up" if rating == 1 else "rating_down", language)
    why = ""
    if kind == "bot" and item.get("trace"):
        why = ("<details><summary>" + say("why", language) + "</summary><ul>" +
               "".join(f"<li>{line}</li>" for line in trace_items(item["trace"], language)) + "</ul></details>")
    return (f'<div class="kefu-bubble kefu-{kind}"><div class="kefu-meta">{who} · {when}{flags}</div>'
            f"{text}{why}</div>")


def transcript_html(transcript: dict | None, language: str = "en") -> str:
    if transcript is None:
        return f'<div class="kefu-bubbles"><div class="kefu-system">{say("select_conversation", language)}</div></div>'
    bubbles = "".join(_bubble(item, language) for item in timeline(transcript))
    return f'<div class="kefu-bubbles">{bubbles}</div>'


def header_markdown(transcript: dict | None, language: str = "en") -> str:
    if transcript is None:
        return ""
    c = transcript["conversation"]
    status = say(f"status_{c['status']}", language) if c["status"] in ("waiting", "human", "bot", "resolved") \
        else c["status"]
    return (f"**{safe_text(c.get('customer') or short_id(c['id']))}** · {STATUS_ICONS.get(c['status'], '')} {status}"
            + (f" · {say('role_agent', language)} {safe_text(c['assigned_agent'])}" if c.get("assigned_agent") else "")
            + (f" · {say('handoff_reason', language)}: {safe_text(handoff_reason_name(c['handoff_reason'], language))}"
               if c.get("handoff_reason") else ""))


def panel_html(facts: dict | None, language: str = "en") -> str:
    if facts is None:
        return ""
    none = say("none", language)
    identity = say("verified", language, customer=safe_text(facts["customer"])) if facts["customer"] \
        else say("not_verified", language)
    records = "<br>".join(f"{safe_text(r['id'])} · {safe_text(r['status'])}" for r in facts["records"]) or none
    title = facts.get("records_title")  # the workspace desk's (en, zh); the shop's orders otherwise
    records_label = safe_text(title[1] if language == "zh" else title[0]) if title else say("orders", language)
    past = "<br>".join(f"{safe_text(short_id(p['id']))} · {safe_text(say('status_' + p['status'], language))}"
                       for p in facts["past"]) or none
    csat = f"{facts['csat']}/5" if facts["csat"] else none
    tags = ", ".join(safe_text(tag.replace("_", " ")) for tag in facts["tags"]) or none
    rows = [(say("identity", language), identity), (records_label, records),
            (say("past_conversations", language), past), (say("csat", language), csat),
            (say("tags", language), tags), (say("language", language), safe_text(facts["language"]) or none)]
    return '<dl class="kefu-panel">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def conversation_desk(services, conversation: dict):
    """The desk of the conversation's workspace (its customer panel reads that desk's records, not the shop's)."""
    hub = getattr(services, "workspaces", None)
    if hub is not None:
        try:
            return hub.get(conversation.get("workspace_id") or None, seed=False).desk
        except ValueError:  # a workspace this app no longer serves: no records shown
            return None
    return getattr(services, "desk", None)


def open_conversation(conversation_id: str, *, services, language: str = "en") -> tuple[str, str, str, str]:
    """(header, transcript HTML, customer panel HTML, signature) of one conversation."""
    conversation_id = (conversation_id or "").strip()
    if not conversation_id:
        return "", transcript_html(None, language), "", ""
    try:
        data = services.operators.transcript(conversation_id)
    except ConversationNotFound:
        return (say("no_conversation", language, cid=safe_text(conversation_id)), transcript_html(None, language),
                "", "")
    facts = customer_facts(data, services.store, conversation_desk(services, data["conversation"]), language)
    return header_markdown(data, language), transcript_html(data, language), panel_html(facts, language), \
        signature(data)


def audit_table(*, services, language: str = "en") -> pd.DataFrame:
    rows = services.store.audit_log(200)
    return pd.DataFrame([[time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r["at"])), r["agent"], r["action"],
                          (r["conversation_id"] or "")[:8], r["detail"]] for r in rows],
                        columns=[say(k, language) for k in ("col_when", "col_agent", "col_action", "col_id",
                                                             "col_detail")])


def build_console_tab(services) -> None:
    ops = services.operators
    with gr.Tab(t("tab_console"), id="console"):
        with gr.Row(equal_height=True):
            gr.Markdown(t("protected_mode") if services.accounts.protected else t("demo_mode"))
            agent_name = gr.Textbox(label=t("agent"), scale=1, elem_id="kefu-agent-name")
            agent_password = gr.Textbox(label=t("password"), type="password", scale=1, elem_id="kefu-agent-password")
            login_btn = gr.Button(t("sign_in"), scale=0, elem_id="kefu-agent-login")
            signed_in = gr.Markdown(elem_id="kefu-agent-status")
        with gr.Row():
            with gr.Column(scale=7, min_width=420, elem_id="kefu-queue-column"):
                with gr.Row():
                    status = gr.Dropdown([(t("status_" + s), s) for s in STATUSES], value="all",
                                         label=t("status_filter"), scale=3)
                    workspace = switcher.build_dropdown(services, elem_id="kefu-console-workspace", agents=True)
                    refresh = gr.Button(t("refresh"), size="sm", scale=1)
                table = gr.Dataframe(headers=[t(k) for k in COLUMN_KEYS], interactive=False, label=t("queue"),
                                     elem_id="kefu-conversations", max_height=620, wrap=False,
                                     column_widths=COLUMN_WIDTHS)
                row_ids = gr.State([])
                queue_key = gr.State("")  # what the queue table shows (redrawn only when it changes)
            with gr.Column(scale=7, min_width=440, elem_id="kefu-conversation-column"):
                with gr.Row(equal_height=True):
                    header = gr.Markdown(elem_id="kefu-conversation-header")
                    selected = gr.Textbox(label=t("conversation"), elem_id="kefu-selected-conversation", scale=0,
                                          min_width=160, max_lines=1)
                transcript = gr.HTML("", elem_id="kefu-transcript")
                with gr.Row(visible=False) as spoken_row:  # shown when the open conversation has spoken turns
                    spoken = gr.Dropdown(choices=[], label=t("spoken_turns"), scale=2, elem_id="kefu-spoken-turns")
                    player = gr.Audio(label=t("play_spoken_turn"), type="numpy", interactive=False, scale=3,
                                      elem_id="kefu-spoken-player")
                shown = gr.State("")  # signature of what the transcript shows (redrawn only when it changes)
                with gr.Row(visible=False, elem_id="kefu-resolve-confirm") as confirm_row:
                    gr.Markdown(t("confirm_resolve"))
                    resolve_yes = gr.Button(t("resolve_anyway"), variant="stop", scale=0, elem_id="kefu-resolve-yes")
                    resolve_no = gr.Button(t("cancel"), scale=0, elem_id="kefu-resolve-no")
                reply = gr.Textbox(placeholder=t("reply_placeholder"), label=t("send_reply"), show_label=False,
                                   lines=1, max_lines=6, elem_id="kefu-agent-reply")
                with gr.Row():
                    send_btn = gr.Button(t("send_reply"), variant="primary", elem_id="kefu-agent-send", scale=2)
                    note_btn = gr.Button(t("add_note"), elem_id="kefu-agent-note", scale=1)
                    suggest_btn = gr.Button(t("suggest"), elem_id="kefu-copilot", scale=1)
                    teach_btn = gr.Button(t("teach"), elem_id="kefu-teach", scale=1)
                with gr.Row():
                    claim_btn = gr.Button(t("claim"), variant="primary", elem_id="kefu-claim", size="sm")
                    hand_back_btn = gr.Button(t("hand_back"), elem_id="kefu-hand-back", size="sm")
                    resolve_btn = gr.Button(t("resolve"), elem_id="kefu-resolve", size="sm")
                action_result = gr.Markdown(elem_id="kefu-action-result")
                copilot_sources = gr.Markdown()
                with gr.Group(visible=False, elem_id="kefu-teach-panel") as teach_panel:
                    teach_question = gr.Textbox(label=t("faq_question"), lines=1, elem_id="kefu-teach-question")
                    teach_answer = gr.Textbox(label=t("faq_answer"), lines=3, elem_id="kefu-teach-answer")
                    publish_btn = gr.Button(t("publish_faq_short"), variant="primary", size="sm",
                                            elem_id="kefu-teach-publish")
            with gr.Column(scale=3, min_width=220, elem_id="kefu-customer-column"):
                panel_title = gr.Markdown(elem_id="kefu-customer-title")
                panel = gr.HTML(elem_id="kefu-customer-panel")
        with gr.Accordion(t("audit_log"), open=False) as audit_accordion:
            audit = gr.Dataframe(interactive=False, elem_id="kefu-audit")
            audit_refresh = gr.Button(t("refresh"), size="sm")
        timer = gr.Timer(1.0)

    def agent_language(request) -> str:
        current_agent(services, request)
        return request_language(request)

    def do_login(name: str, password: str, request: gr.Request):
        login(services, name, password, request)
        return say("signed_in_as", request_language(request), name=safe_text(name.strip())), ""

    def agent_for(request, conversation_id: str) -> str:
        """The agent, who must have a role in the conversation's workspace (components/workspaces/)."""
        return current_agent(services, request, services.store.workspace_of((conversation_id or "").strip()))

    def show_queue(status_value: str, request: gr.Request, ws: str = ""):
        current_agent(services, request, switcher.resolve_workspace(services, ws))
        queue, ids = queue_table(status_value, services=services, language=request_language(request), workspace=ws)
        return queue, ids, _queue_key(queue, ids)

    def show(conversation_id: str, request: gr.Request):
        agent_for(request, conversation_id)
        language = request_language(request)
        head, body, facts, sig = open_conversation(conversation_id, services=services, language=language)
        title = f"#### {say('customer_panel', language)}" if facts else ""
        choices = spoken_turn_choices(conversation_id, services=services)
        return (head, body, title, facts, sig, gr.Row(visible=False),
                gr.Dropdown(choices=choices, value=choices[-1][1] if choices else None), gr.Row(visible=bool(choices)))

    def pick(ids: list, evt: gr.SelectData, request: gr.Request):
        """A click on a queue row opens that conversation in the same round trip."""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not ids or not 0 <= row < len(ids):
            return (gr.skip(),) * 9
        return ids[row], *show(ids[row], request)

    def live(status_value: str, conversation_id: str, last: str, last_queue: str, request: gr.Request, ws: str = ""):
        """Every second: the queue and the open conversation, each sent only when it changed (redrawing a table
        of 200 rows every second kept the browser busy, and a click waited behind it)."""
        ws = switcher.resolve_workspace(services, ws)
        current_agent(services, request, ws)
        language = request_language(request)
        queue, ids = queue_table(status_value, services=services, language=language, workspace=ws)
        key = _queue_key(queue, ids)
        queue_out = (gr.skip(), gr.skip(), last_queue) if key == last_queue else (queue, ids, key)
        if services.store.workspace_of((conversation_id or "").strip()) not in (None, ws):
            return *queue_out, gr.skip(), gr.skip(), gr.skip(), last  # picked in another workspace
        if not (conversation_id or "").strip():
            return *queue_out, gr.skip(), gr.skip(), gr.skip(), last
        try:
            sig = signature(ops.transcript(conversation_id.strip()))
        except ConversationNotFound:
            return *queue_out, gr.skip(), gr.skip(), gr.skip(), last
        if sig == last:
            return *queue_out, gr.skip(), gr.skip(), gr.skip(), last
        head, body, facts, sig = open_conversation(conversation_id, services=services, language=language)
        return *queue_out, head, body, facts, sig

    def act(action, done_key):
        def handler(conversation_id: str, request: gr.Request):
            agent = agent_for(request, conversation_id)
            _guard(action, conversation_id.strip(), agent)
            language = request_language(request)
            head, body, facts, sig = open_conversation(conversation_id, services=services, language=language)
            return f"✅ {say(done_key, language)}", head, body, facts, sig, gr.Row(visible=False)
        return handler

    resolve_now = act(ops.resolve, "resolved")

    def ask_resolve(conversation_id: str, request: gr.Request):
        """Resolve at once, or first ask when the customer wrote last and got no reply."""
        agent_for(request, conversation_id)
        if _guard(ops.awaits_reply, conversation_id.strip()):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Row(visible=True)
        return resolve_now(conversation_id, request)

    def write(action, icon: str, done_key: str):
        """The composer's two ways out: a reply to the customer, or an internal note."""
        def handler(conversation_id: str, text: str, request: gr.Request):
            _guard(action, conversation_id.strip(), agent_for(request, conversation_id), text)
            language = request_language(request)
            head, body, facts, sig = open_conversation(conversation_id, services=services, language=language)
            return "", f"{icon} {say(done_key, language)}", head, body, facts, sig
        return handler

    send = write(ops.agent_reply, "✅", "sent")
    add_note = write(ops.add_note, "📝", "note_added")

    def suggest(conversation_id: str, request: gr.Request):
        agent_for(request, conversation_id)
        language = request_language(request)
        result = _guard(ops.suggest_reply, conversation_id.strip())
        cites = "; ".join(f"[{i}] {safe_text(s['title'])}" for i, s in enumerate(result["sources"], 1))
        return result["draft"], (say("copilot_sources", language, cites=cites) if cites else result.get("note", ""))

    def teach_from_ui(conversation_id: str, request: gr.Request):
        agent = agent_for(request, conversation_id)
        draft = _guard(ops.teach, conversation_id.strip(), agent)
        return gr.update(visible=True), draft["question"], draft["answer"], \
            "📚 " + say("teach_edit", request_language(request))

    def publish_from_ui(conversation_id: str, question: str, answer: str, request: gr.Request):
        agent = agent_for(request, conversation_id)
        result = _guard(ops.publish_taught, conversation_id.strip(), agent, question, answer)
        return gr.update(visible=False), "📚 " + say("taught", request_language(request),
                                                     question=safe_text(result["question"]))

    def show_audit(request: gr.Request):
        return audit_table(services=services, language=agent_language(request))

    view = [header, transcript, panel, shown]
    login_btn.click(do_login, [agent_name, agent_password], [signed_in, agent_password], api_visibility="private")
    for trigger in (refresh.click, status.change, workspace.input):
        trigger(show_queue, [status, workspace], [table, row_ids, queue_key], api_visibility="private",
                show_progress="hidden")
    timer.tick(live, [status, selected, shown, queue_key, workspace], [table, row_ids, queue_key, *view],
               api_visibility="private", show_progress="hidden")
    root = gr.context.Context.root_block  # fill the queue when the page opens, not only on the first tick
    if root is not None:
        root.load(show_queue, [status, workspace], [table, row_ids, queue_key], api_visibility="private",
                  show_progress="hidden")
    shown_view = [header, transcript, panel_title, panel, shown, confirm_row, spoken, spoken_row]
    # a row click opens the conversation in one round trip; a typed id opens on Enter
    table.select(pick, [row_ids], [selected, *shown_view], api_visibility="private", show_progress="hidden")
    selected.submit(show, [selected], shown_view, api_visibility="private", show_progress="hidden")

    def play(conversation_id: str, name: str, request: gr.Request):
        current_agent(services, request)
        return play_spoken_turn(conversation_id, name, services=services)

    spoken.change(play, [selected, spoken], [player], api_visibility="private", show_progress="hidden")
    acted = [action_result, *view, confirm_row]
    claim_btn.click(act(ops.claim, "claimed"), [selected], acted, api_visibility="private")
    hand_back_btn.click(act(ops.hand_back, "handed_back"), [selected], acted, api_visibility="private")
    resolve_btn.click(ask_resolve, [selected], acted, api_visibility="private")
    resolve_yes.click(resolve_now, [selected], acted, api_visibility="private")
    resolve_no.click(lambda: gr.Row(visible=False), None, [confirm_row], api_visibility="private")
    for trigger in (send_btn.click, reply.submit):
        trigger(send, [selected, reply], [reply, action_result, *view], api_visibility="private")
    note_btn.click(add_note, [selected, reply], [reply, action_result, *view], api_visibility="private")
    suggest_btn.click(suggest, [selected], [reply, copilot_sources], api_visibility="private")
    teach_btn.click(teach_from_ui, [selected], [teach_panel, teach_question, teach_answer, action_result],
                    api_visibility="private")
    publish_btn.click(publish_from_ui, [selected, teach_question, teach_answer], [teach_panel, action_result],
                      api_visibility="private")
    audit_refresh.click(show_audit, None, [audit], api_visibility="private")
    audit_accordion.expand(show_audit, None, [audit], api_visibility="private")  # filled when opened


def register_agent_api(services) -> None:
    """JSON endpoints for agents (protected in protected mode)."""
    ops = services.operators

    def api_login(name: str, password: str, request: gr.Request) -> dict:
        return {"token": login(services, name, password, request), "agent": name.strip()}

    def api_logout(request: gr.Request) -> dict:
        logout(request)
        return {"ok": True}

    def agent(request, conversation_id: str) -> str:
        """The calling agent, with a role in the conversation's workspace (components/workspaces/)."""
        return current_agent(services, request, services.store.workspace_of((conversation_id or "").strip()))

    def conversations(status: str = "", workspace: str = "", request: gr.Request = None) -> dict:
        """One workspace's queue (empty: the first)."""
        workspace = switcher.resolve_workspace(services, workspace)
        current_agent(services, request, workspace)
        return {"conversations": ops.queue(status or None, workspace=workspace)}

    def conversation(conversation_id: str, request: gr.Request = None) -> dict:
        agent(request, conversation_id)
        return _guard(ops.transcript, conversation_id)

    def claim(conversation_id: str, request: gr.Request = None) -> dict:
        return _guard(ops.claim, conversation_id, agent(request, conversation_id))

    def agent_reply(conversation_id: str, text: str, request: gr.Request = None) -> dict:
        return _guard(ops.agent_reply, conversation_id, agent(request, conversation_id), text)

    def hand_back(conversation_id: str, request: gr.Request = None) -> dict:
        return _guard(ops.hand_back, conversation_id, agent(request, conversation_id))

    def resolve(conversation_id: str, request: gr.Request = None) -> dict:
        return _guard(ops.resolve, conversation_id, agent(request, conversation_id))

    def suggest_reply(conversation_id: str, request: gr.Request = None) -> dict:
        agent(request, conversation_id)
        return _guard(ops.suggest_reply, conversation_id)

    def teach(conversation_id: str, request: gr.Request = None) -> dict:
        """A FAQ draft {question, answer} from the last agent reply; nothing is published."""
        return _guard(ops.teach, conversation_id, agent(request, conversation_id))

    def publish_faq(conversation_id: str, question: str, answer: str, request: gr.Request = None) -> dict:
        """Publish the (edited) draft as a curated FAQ entry in the conversation's workspace."""
        return _guard(ops.publish_taught, conversation_id, agent(request, conversation_id), question, answer)

    def add_note(conversation_id: str, text: str, request: gr.Request = None) -> dict:
        return _guard(ops.add_note, conversation_id, agent(request, conversation_id), text)

    for fn, name in ((api_login, "login"), (api_logout, "logout"), (conversations, "conversations"),
                     (conversation, "conversation"), (claim, "claim"), (agent_reply, "agent_reply"),
                     (hand_back, "hand_back"), (resolve, "resolve"), (suggest_reply, "suggest_reply"),
                     (teach, "teach"), (publish_faq, "publish_faq"), (add_note, "add_note")):
        gr.api(fn, api_name=name)
