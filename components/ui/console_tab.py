"""Operator console: the list of conversations and each transcript with its per-turn trace."""
from __future__ import annotations

import time
from functools import partial

import gradio as gr
import pandas as pd

from components.ui.formatting import safe_text, trace_markdown
from components.ui.i18n import t

COLUMNS = ["conversation", "status", "customer", "messages", "last message", "intent", "sentiment", "updated"]


def conversation_table(status: str, *, services) -> pd.DataFrame:
    rows = services.store.list_conversations(status=None if status in ("", "all", None) else status)
    now = time.time()
    data = [[r["id"], r["status"], r["customer"] or "—", r["message_count"], (r["last_message"] or "")[:80],
             r["last_intent"] or "", r["last_sentiment"] or "", f"{int(now - r['updated_at'])} s ago"] for r in rows]
    return pd.DataFrame(data, columns=COLUMNS)


def transcript_markdown(conversation_id: str, *, services) -> str:
    conversation_id = (conversation_id or "").strip()
    if not conversation_id:
        return "_Select a conversation in the list._"
    conversation = services.store.get_conversation(conversation_id)
    if conversation is None:
        return f"No conversation with id `{safe_text(conversation_id)}`."
    out = [f"### {safe_text(conversation_id)} · status **{conversation['status']}**"
           + (f" · handoff: {conversation['handoff_reason']}" if conversation.get("handoff_reason") else "")]
    for m in services.store.messages(conversation_id):
        when = time.strftime("%H:%M:%S", time.localtime(m["created_at"]))
        who = {"customer": "🧑 Customer", "bot": "🤖 Bot", "agent": "🧑‍💼 Agent", "system": "⚙️ System"}[m["role"]]
        state = "" if m["state"] == "complete" else f" _({m['state']})_"
        out.append(f"**{who}** <sub>{when} · #{m['id']}</sub>{state}\n\n{safe_text(m['text'])}")
        if m["role"] == "bot":
            out.append(f"<details><summary>why</summary>\n\n{trace_markdown(m['trace'])}\n\n</details>")
    return "\n\n".join(out)


def select_row(table: pd.DataFrame, evt: gr.SelectData) -> str:
    row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
    return str(table.iloc[row]["conversation"])


def build_console_tab(services) -> None:
    with gr.Tab(t("tab_console"), id="console"):
        with gr.Row():
            status = gr.Dropdown(["all", "bot", "waiting", "human", "resolved"], value="all", label=t("status_filter"),
                                 scale=1)
            refresh = gr.Button(t("refresh"), size="sm", scale=1)
        table = gr.Dataframe(conversation_table("all", services=services), interactive=False,
                             label=t("conversations"), elem_id="kefu-conversations")
        selected = gr.Textbox(label=t("conversation"), elem_id="kefu-selected-conversation")
        transcript = gr.Markdown(elem_id="kefu-transcript")
        timer = gr.Timer(3.0)
    list_handler = partial(conversation_table, services=services)
    show = partial(transcript_markdown, services=services)
    refresh.click(list_handler, [status], [table], api_visibility="private")
    status.change(list_handler, [status], [table], api_visibility="private")
    timer.tick(list_handler, [status], [table], api_visibility="private", show_progress="hidden")
    table.select(select_row, [table], [selected], api_visibility="private")
    selected.change(show, [selected], [transcript], api_visibility="private")
