"""Analytics tab: KPI tiles and plotly charts over the conversation store."""
from __future__ import annotations

import gradio as gr
import plotly.express as px

from components.analytics import kpis
from components.ui.i18n import t


def analytics_view(include_demo: bool, *, services) -> tuple[str, object]:
    s = kpis.summary(services.store, include_demo)
    if s["conversations"] == 0:
        text = "**No conversations yet.** Chat in the *Chat* tab (or run `python app.py demo-history`) and refresh."
    else:
        text = (f"**Conversations** {s['conversations']} · **Messages** {s['messages']} "
                f"(customer {s['customer_messages']}, bot {s['bot_messages']}, agent {s['agent_messages']}) · "
                f"**Waiting for a human** {s['waiting_for_human']}")
    frame = kpis.messages_per_day(services.store, include_demo)
    fig = px.bar(frame, x="day", y="messages", color="role", title="Messages per day",
                 labels={"day": "", "messages": "messages"})
    fig.update_layout(height=360, margin=dict(l=20, r=20, t=50, b=20))
    return text, fig


def build_analytics_tab(services) -> None:
    from functools import partial

    with gr.Tab(t("tab_analytics"), id="analytics"):
        include_demo = gr.Checkbox(True, label="Include demo data")
        refresh = gr.Button(t("refresh"), size="sm")
        tiles = gr.Markdown()
        chart = gr.Plot(elem_id="kefu-volume-chart")
    handler = partial(analytics_view, services=services)
    refresh.click(handler, [include_demo], [tiles, chart], api_visibility="private")
    include_demo.change(handler, [include_demo], [tiles, chart], api_visibility="private")
    return handler, include_demo, tiles, chart
