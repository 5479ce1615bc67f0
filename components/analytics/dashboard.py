"""One dashboard refresh: load the scope once, compute every KPI and every chart."""
from __future__ import annotations

from dataclasses import dataclass

from components.analytics.charts import NO_DATA, all_charts
from components.analytics.kpis import AnalyticsFilter, AnalyticsFrames, compute_kpis, load_frames
from components.storage.conversation_store import ConversationStore


@dataclass
class Dashboard:
    kpis: dict
    figures: dict
    frames: AnalyticsFrames
    notice: str = ""  # explanatory empty state ("" when there is data)


def refresh_dashboard(store: ConversationStore, flt: AnalyticsFilter | None = None) -> Dashboard:
    frames = load_frames(store, flt or AnalyticsFilter())
    kpis = compute_kpis(frames)
    notice = ""
    if frames.empty:
        notice = NO_DATA
    elif kpis["bot_messages"] and kpis["untraced_bot_turns"] == kpis["bot_messages"]:
        notice = "The bot turns in this range have no traces, so only counts are shown."
    return Dashboard(kpis, all_charts(frames), frames, notice)
