"""Analytics tab: KPI tiles, six plotly charts, knowledge gaps with FAQ drafts, and exports.

Handlers are module-level functions taking the services first (callable in tests with plain arguments); the tab
binds them and, in protected mode, wraps them with `agent_only`. Also registers the `analytics(start, end)` API.
"""
from __future__ import annotations

import datetime as dt
import html
import logging
import tempfile

import gradio as gr

from components.analytics import kpis as kpi
from components.analytics.chart_text import handoff_reason_name
from components.analytics.charts import CHART_NAMES
from components.analytics.dashboard import refresh_dashboard
from components.analytics.export import export_history, export_stamp
from components.analytics.knowledge_gaps import GapTopic, draft_faq, find_knowledge_gaps, publish_faq, topics_table
from components.nlu.bias_audit import audit_markdown, load_latest_audit
from components.ui import workspace_switcher as switcher
from components.ui.access import agent_only, current_agent
from components.ui.i18n import request_language, say, t

log = logging.getLogger(__name__)

PRESETS = {"All time": None, "Last 24 hours": 1, "Last 7 days": 7, "Last 14 days": 14, "Last 30 days": 30,
           "Custom": None}


# ------------------------------------------------------------------------------------------------ handlers
def _filter(start: str, end: str, domain: str, include_demo: bool, workspace: str | None = None
            ) -> kpi.AnalyticsFilter:
    """`workspace`: the id (empty: every row, as before workspaces; the tab always passes the picked one)."""
    try:
        return kpi.AnalyticsFilter.from_inputs(start, end, domain, include_demo, workspace or None)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc


def _knowledge(services, workspace: str | None):
    hub = getattr(services, "workspaces", None)
    return hub.get(workspace or None).knowledge if hub is not None else services.knowledge


def dashboard_view(services, start: str = "", end: str = "", domain: str = kpi.ALL_DOMAINS,
                   include_demo: bool = True, language: str = "en", workspace: str | None = None) -> tuple:
    """(notice markdown, KPI tiles HTML, system tiles HTML, six figures in CHART_NAMES order)."""
    board = refresh_dashboard(services.store, _filter(start, end, domain, include_demo, workspace), language)
    notice = f"**{board.notice}**" if board.notice else ""
    figures = [board.figures[name] for name in CHART_NAMES]
    return (notice, kpi_tiles_html(board.kpis, language), system_tiles_html(board.kpis, language), *figures)


def analytics_api(services, start: str = "", end: str = "", workspace: str = "") -> dict:
    """The `analytics(start, end, workspace)` endpoint: one workspace's KPIs as JSON (ISO dates, empty = all time,
    demo data included; empty workspace = the first)."""
    try:
        return kpi.kpis_for(services.store, start, end, workspace=switcher.resolve_workspace(services, workspace))
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc


def compare_api(services, start: str = "", end: str = "") -> dict:
    """Every served workspace's headline KPIs side by side."""
    try:
        return {"workspaces": kpi.compare_workspaces(services.store, switcher.served(services), start, end)}
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc


COMPARE_COLUMNS = ("workspace", "conversations", "containment_rate", "handoff_rate", "csat", "no_answer_rate",
                   "first_response_p50_s")


def compare_view(services, start: str = "", end: str = "", include_demo: bool = True):
    rows = kpi.compare_workspaces(services.store, switcher.served(services), start, end, include_demo)
    import pandas as pd

    return pd.DataFrame([{c: row.get(c) for c in COMPARE_COLUMNS} for row in rows], columns=list(COMPARE_COLUMNS))


def gaps_view(services, start: str = "", end: str = "", domain: str = kpi.ALL_DOMAINS,
              include_demo: bool = True, language: str = "en", workspace: str | None = None) -> tuple:
    """(topics table, topic dropdown update, topics as plain dicts for the session, status markdown)."""
    flt = _filter(start, end, domain, include_demo, workspace)
    if services.embedder is None:
        raise gr.Error(say("gaps_no_embedder", language))
    topics = find_knowledge_gaps(services.store, services.embedder, flt)
    if not topics:
        status = say("gaps_none", language)
        return _topics_frame([], language), gr.update(choices=[], value=None), [], status
    choices = [_topic_choice(t_) for t_ in topics]
    status = say("gaps_found", language, topics=len(topics), questions=sum(t_.count for t_ in topics))
    return (_topics_frame(topics, language), gr.update(choices=choices, value=choices[0]),
            [t_.to_dict() for t_ in topics], status)


def _topics_frame(topics: list, language: str):
    """The topics table, visible, with headers in the session's language."""
    frame = topics_table(topics)
    frame.columns = [say("h_" + c, language) for c in frame.columns]
    return gr.Dataframe(value=frame, visible=True)


def draft_view(services, choice: str, topics: list[dict], language: str = "en",
               workspace: str | None = None) -> tuple[str, str, str]:
    """(question, answer, note) for the chosen topic."""
    topic = _find_topic(choice, topics, language)
    ready = getattr(services.startup, "ready", False)
    hub = getattr(services, "workspaces", None)
    dialogue = hub.get(workspace or None).dialogue if hub is not None else getattr(services, "dialogue", None)
    answers = getattr(dialogue, "answers", None) if ready else None
    draft = draft_faq(topic, answers=answers, knowledge=_knowledge(services, workspace))
    mode = say("draft_evidence" if draft["mode"] == "evidence" else "draft_template", language)
    return draft["question"], draft["answer"], f"*{mode}*\n\n```\n{draft['note']}\n```"


def publish_view(services, question: str, answer: str, choice: str, topics: list[dict], request=None,
                 workspace: str | None = None) -> str:
    agent = current_agent(services, request, workspace or switcher.default_workspace(services))
    language = request_language(request)
    topic = _find_topic(choice, topics, language) if choice and topics else None
    try:
        result = publish_faq(_knowledge(services, workspace), question, answer, agent=agent, store=services.store,
                             topic=topic)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    return say("faq_published", language, doc_id=result["doc_id"])


def export_view(services, fmt: str, start: str = "", end: str = "", domain: str = kpi.ALL_DOMAINS,
                include_demo: bool = True, workspace: str | None = None) -> list[str]:
    flt = _filter(start, end, domain, include_demo, workspace)
    out = tempfile.mkdtemp(prefix=f"kefu-export-{export_stamp()}-")
    try:
        result = export_history(services.store, out, fmt=fmt, flt=flt)
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc
    return [result["files"]["conversations"], result["files"]["turns"]]


def bias_audit_view(services) -> str:
    """The last `python app.py eval bias` result as Markdown."""
    return audit_markdown(load_latest_audit(services.settings))


def preset_range(preset: str, now: dt.datetime | None = None) -> tuple:
    """(start, end) for a preset: "Last 7 days" = today and the six days before (UTC); "Last 24 hours" a time;
    "Custom" keeps what is typed."""
    if preset == "Custom":
        return gr.update(), gr.update()
    days = PRESETS.get(preset)
    if not days:
        return "", ""
    now = now or dt.datetime.now(dt.timezone.utc)
    if days == 1:
        return (now - dt.timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M"), ""
    return (now.date() - dt.timedelta(days=days - 1)).isoformat(), ""


def _topic_choice(topic: GapTopic) -> str:
    return f"#{topic.topic_id} · {topic.label[:70]} ({topic.count})"


def _find_topic(choice: str, topics: list[dict], language: str = "en") -> GapTopic:
    if not choice or not topics:
        raise gr.Error(say("gaps_first", language))
    for data in topics:
        if _topic_choice(GapTopic(**data)) == choice:
            return GapTopic(**data)
    raise gr.Error(say("topic_gone", language))


# ------------------------------------------------------------------------------------------------ KPI tiles
def _pct(v) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def _sec(v) -> str:
    return "—" if v is None else (f"{v * 1000:.0f} ms" if v < 1 else f"{v:.2f} s")


def _tiles(tiles: list[tuple[str, str, str]], elem_id: str) -> str:
    cards = "".join(
        f'<div class="kefu-tile"><div class="kefu-tile-label">{html.escape(label)}</div>'
        f'<div class="kefu-tile-value">{html.escape(value)}</div>'
        f'<div class="kefu-tile-sub">{html.escape(sub)}</div></div>' for label, value, sub in tiles)
    return f'<div class="kefu-tiles" id="{elem_id}">{cards}</div>'


TILE_STYLE = ("<style>.kefu-tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:8px}"
              ".kefu-tile{border:1px solid var(--border-color-primary);border-radius:8px;padding:8px 10px}"
              ".kefu-tile-label{font-size:12px;opacity:.75}.kefu-tile-value{font-size:22px;font-weight:600}"
              ".kefu-tile-sub{font-size:11px;opacity:.7}</style>")


def kpi_tiles_html(k: dict, language: str = "en") -> str:
    """The business KPIs a support lead reads first (conversations, resolved by the bot, handoffs, CSAT...)."""
    zh = language == "zh"
    none = say("none", language)
    reasons = ", ".join(f"{handoff_reason_name(r, language)} {n}"
                        for r, n in k["handoff_reasons"].items()) or none
    tiles = [
        (say("kpi_conversations", language), f"{k['conversations']:,}",
         f"{k['messages']:,} {'条消息' if zh else 'messages'}"),
        (say("kpi_resolved_by_bot", language), _pct(k.get("resolved_by_bot_rate")),
         (f"{k.get('resolved_by_bot_turns', 0):,} / {k.get('bot_answers', 0):,} 个回答未被点踩、未被核查否决、未转人工"
          if zh else f"{k.get('resolved_by_bot_turns', 0):,} of {k.get('bot_answers', 0):,} answers: no 👎, "
          "not rejected, no handoff after")),
        (say("kpi_containment", language), _pct(k["containment_rate"]),
         f"{k['contained_conversations']:,} / {k['engaged_conversations']:,}"),
        (say("kpi_handoff_rate", language), _pct(k["handoff_rate"]), reasons),
        (say("kpi_csat", language), "—" if k["csat"] is None else f"{k['csat']:.2f} / 5",
         f"{k['csat_responses']} {'个评分' if zh else 'ratings'}"),
        (say("kpi_thumbs", language), f"👍 {k['thumbs_up']} · 👎 {k['thumbs_down']}", _pct(k["thumbs_up_ratio"])),
        (say("kpi_first_response", language), _sec(k["first_response_p50_s"]),
         f"p95 {_sec(k['first_response_p95_s'])}"),
        (say("kpi_waiting", language), f"{k['waiting_for_human']:,}", ""),
        (say("kpi_hit_rate", language), _pct(k["knowledge_hit_rate"]),
         f"{k['knowledge_questions']:,} {'个知识问题' if zh else 'knowledge questions'}"),
        (say("kpi_no_answer", language), _pct(k["no_answer_rate"]), f"{k['no_answer_turns']:,}"),
    ]
    untraced = (f'<div class="kefu-tile-sub">{say("untraced_turns", language, count=k["untraced_bot_turns"])}'
                "</div>") if k["untraced_bot_turns"] else ""
    return f"{TILE_STYLE}{_tiles(tiles, 'kefu-kpi-tiles')}{untraced}"


def system_tiles_html(k: dict, language: str = "en") -> str:
    """Engine figures (for whoever runs the server, not for the support lead)."""
    tiles = [
        (say("kpi_latency", language), f"{_sec(k['answer_latency_p50_s'])} / {_sec(k['answer_latency_p95_s'])}", ""),
        (say("kpi_speed", language),
         "—" if k["generation_tok_s_p50"] is None else f"{k['generation_tok_s_p50']:.1f} tok/s",
         f"{k['generated_answers']} answers"),
        (say("kpi_ttft", language), _sec(k["ttft_p50_s"]), ""),
    ]
    return f"{TILE_STYLE}{_tiles(tiles, 'kefu-system-tiles')}"


# ------------------------------------------------------------------------------------------------ layout
def build_analytics_tab(services):
    domain_choices = [(t("domain_all"), kpi.ALL_DOMAINS)]  # labelled like the other filters; the value stays "all"
    try:
        domain_choices += [(name, name) for name in kpi.domains(services.store)]
    except Exception:  # the database may be unreadable at build time; the tab still renders
        log.exception("reading the analytics domains failed")
    with gr.Tab(t("tab_analytics"), id="analytics") as tab:
        with gr.Row():
            preset = gr.Dropdown([(t("preset_" + str(v or k).replace(" ", "_").lower()), k) for k, v in PRESETS.items()],
                                 value="All time", label=t("range"), scale=1)
            start = gr.Textbox(label=t("analytics_start"), placeholder="YYYY-MM-DD", scale=1)
            end = gr.Textbox(label=t("analytics_end"), placeholder="YYYY-MM-DD", scale=1)
            domain = gr.Dropdown(domain_choices, value=kpi.ALL_DOMAINS, label=t("domain"), allow_custom_value=True,
                                 scale=1, elem_id="kefu-analytics-domain")
            include_demo = gr.Checkbox(True, label=t("include_demo"), scale=1)
            workspace = switcher.build_dropdown(services, elem_id="kefu-analytics-workspace", agents=True)
            refresh = gr.Button(t("refresh"), variant="primary", scale=1)
        notice = gr.Markdown(t("analytics_hint"))
        tiles = gr.HTML(elem_id="kefu-kpis")
        with gr.Accordion(t("system"), open=False, elem_id="kefu-system"):
            system_tiles = gr.HTML()
        plots = []
        for pair in (("volume", "intents"), ("sentiment", "handoff_funnel"), ("latency", "top_documents")):
            with gr.Row():
                for name in pair:
                    plots.append(gr.Plot(elem_id=f"kefu-chart-{name}", show_label=False))
        with gr.Accordion(t("knowledge_gaps"), open=True):
            with gr.Row():
                find_gaps = gr.Button(t("find_gaps"), scale=0)
                gaps_status = gr.Markdown()
            gaps = gr.Dataframe(visible=False, interactive=False,
                                wrap=True, label=t("topics"), elem_id="kefu-topics")
            topics_state = gr.State([])
            with gr.Row():
                topic = gr.Dropdown([], label=t("h_topic"), scale=3)
                draft = gr.Button(t("draft_faq"), scale=1)
            faq_question = gr.Textbox(label=t("faq_question"))
            faq_answer = gr.Textbox(label=t("faq_answer"), lines=5)
            faq_note = gr.Markdown()
            with gr.Row():
                publish = gr.Button(t("publish_faq"), variant="primary", scale=0)
                publish_status = gr.Markdown()
        with gr.Accordion(t("workspace"), open=False, visible=len(switcher.served(services)) > 1):
            compare = gr.Button(t("refresh"), scale=0, elem_id="kefu-compare-workspaces")
            compared = gr.Dataframe(interactive=False, wrap=True, elem_id="kefu-compare-table")
        with gr.Accordion(t("bias_audit"), open=False):
            show_audit = gr.Button(t("show_audit"), scale=0)
            audit_table = gr.Markdown()
        with gr.Accordion(t("export"), open=False):
            with gr.Row():
                fmt = gr.Radio(["parquet", "csv"], value="parquet", label=t("format"), scale=1)
                export = gr.Button(t("export_button"), scale=1)
            files = gr.File(file_count="multiple", label=t("download"), interactive=False)

    filters = [start, end, domain, include_demo, workspace]

    def show_dashboard(start: str, end: str, domain: str, include_demo: bool, request: gr.Request,
                       workspace: str = ""):
        workspace = switcher.resolve_workspace(services, workspace)
        current_agent(services, request, workspace)  # protected mode: agents of this workspace only
        return dashboard_view(services, start, end, domain, include_demo, request_language(request), workspace)

    def show_gaps(start: str, end: str, domain: str, include_demo: bool, request: gr.Request, workspace: str = ""):
        workspace = switcher.resolve_workspace(services, workspace)
        current_agent(services, request, workspace)  # protected mode: agents of this workspace only
        return gaps_view(services, start, end, domain, include_demo, request_language(request), workspace)

    def make_draft(choice: str, topics: list, request: gr.Request, workspace: str = ""):
        workspace = switcher.resolve_workspace(services, workspace)
        current_agent(services, request, workspace)  # protected mode: agents of this workspace only
        return draft_view(services, choice, topics, request_language(request), workspace)

    def make_export(fmt: str, start: str, end: str, domain: str, include_demo: bool, workspace: str = ""):
        return export_view(services, fmt, start, end, domain, include_demo,
                           switcher.resolve_workspace(services, workspace))

    def publish_entry(question: str, answer: str, choice: str, topics: list, request: gr.Request = None,
                      workspace: str = ""):
        return publish_view(services, question, answer, choice, topics, request,
                            switcher.resolve_workspace(services, workspace))

    def analytics(start: str = "", end: str = "", workspace: str = "") -> dict:
        return analytics_api(services, start, end, workspace)

    def analytics_compare(start: str = "", end: str = "") -> dict:
        return compare_api(services, start, end)

    def show_compare(start: str, end: str, include_demo: bool):
        return compare_view(services, start, end, include_demo)

    dashboard_outputs = [notice, tiles, system_tiles, *plots]
    guarded_dashboard = show_dashboard
    refresh.click(guarded_dashboard, filters, dashboard_outputs, api_visibility="private")
    tab.select(guarded_dashboard, filters, dashboard_outputs, api_visibility="private")
    preset.change(preset_range, [preset], [start, end], api_visibility="private").then(
        guarded_dashboard, filters, dashboard_outputs, api_visibility="private")
    include_demo.change(guarded_dashboard, filters, dashboard_outputs, api_visibility="private")
    domain.change(guarded_dashboard, filters, dashboard_outputs, api_visibility="private")
    workspace.input(guarded_dashboard, filters, dashboard_outputs, api_visibility="private")
    compare.click(agent_only(services, show_compare), [start, end, include_demo], [compared], api_visibility="private")
    find_gaps.click(show_gaps, filters, [gaps, topic, topics_state, gaps_status],
                    api_visibility="private")
    draft.click(make_draft, [topic, topics_state, workspace], [faq_question, faq_answer, faq_note],
                api_visibility="private")
    publish.click(publish_entry, [faq_question, faq_answer, topic, topics_state, workspace], [publish_status],
                  api_visibility="private")
    def last_audit():
        return bias_audit_view(services)

    show_audit.click(agent_only(services, last_audit), [], [audit_table], api_visibility="private")
    export.click(agent_only(services, make_export), [fmt, *filters], [files], api_visibility="private")
    with tab:  # inside the tab: gr.Tabs may only hold tabs
        gr.api(agent_only(services, analytics), api_name="analytics",
               api_description="KPIs as JSON for a date range (ISO dates, empty = all time) in one workspace "
                               "(empty: the first): conversations, messages, containment_rate, handoff_rate, "
                               "handoff_reasons, csat, first_response_p50_s, first_response_p95_s, no_answer_rate "
                               "and more.")
        gr.api(agent_only(services, analytics_compare), api_name="analytics_compare",
               api_description="Every served workspace's headline KPIs side by side for a date range.")
    return tab
