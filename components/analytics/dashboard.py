"""One dashboard refresh: load the scope once, compute every KPI and every chart."""
from __future__ import annotations

from dataclasses import dataclass

from components.analytics.chart_text import chart_words
from components.analytics.charts import all_charts
from components.analytics.kpis import AnalyticsFilter, AnalyticsFrames, compute_kpis, load_frames
from components.storage.conversation_store import ConversationStore


@dataclass
class Dashboard:
    kpis: dict
    figures: dict
    frames: AnalyticsFrames
    notice: str = ""  # explanatory empty state ("" when there is data)


def refresh_dashboard(store: ConversationStore, flt: AnalyticsFilter | None = None,
                      language: str = "en") -> Dashboard:
    """`language` ("en" or "zh") is that of the charts' words and the notice."""
    frames = load_frames(store, flt or AnalyticsFilter())
    words = chart_words(language)
    kpis = compute_kpis(frames)
    notice = ""
    if frames.empty:
        notice = words["no_data"]
    elif kpis["bot_messages"] and kpis["untraced_bot_turns"] == kpis["bot_messages"]:
        notice = words["no_traces_notice"]
    return Dashboard(kpis, all_charts(frames, language), frames, notice)
