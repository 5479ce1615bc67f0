"""The dashboard's plotly figures, built from `AnalyticsFrames`. Pure: data in, figures out.

Every chart has an explanatory empty state (a blank figure whose title says why and what to do), so an empty
database, an empty range, or turns without traces never raise. Figures are built with plotly.graph_objects
from pre-aggregated numbers (plotly.express is several times slower at 100k rows).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.analytics.kpis import AnalyticsFrames, cited_documents

HEIGHT = 340
SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9aa0a6", "positive": "#2ca02c"}
ROLE_COLORS = {"customer": "#1f77b4", "bot": "#ff7f0e", "agent": "#9467bd", "system": "#7f7f7f"}
NO_DATA = "No conversations in this range. Widen the dates, include demo data, or run `python app.py demo-history`."
NO_TRACES = "The conversations in this range have no bot turns with traces yet."

CHART_NAMES = ("volume", "intents", "sentiment", "handoff_funnel", "latency", "top_documents")


def empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, height=HEIGHT, margin=dict(l=20, r=20, t=50, b=20),
                      xaxis=dict(visible=False), yaxis=dict(visible=False),
                      annotations=[dict(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                                        font=dict(size=13))])
    return fig


def _layout(fig: go.Figure, title: str, **kwargs) -> go.Figure:
    fig.update_layout(title=title, height=HEIGHT, margin=dict(l=20, r=20, t=50, b=20),
                      legend=dict(orientation="h", y=-0.15), **kwargs)
    return fig


def _bucket(times: pd.Series) -> tuple[pd.Series, str]:
    """Start of the UTC day (or hour, when the data spans less than two days) of each time, in unix seconds.

    Bucketing on numbers and converting only the few bucket labels to dates is much faster than flooring
    100k timezone-aware timestamps."""
    span = float(times.max() - times.min()) if len(times) else 0.0
    size, unit = (3600.0, "hour") if span < 2 * 86400 else (86400.0, "day")
    return (times // size) * size, unit


def _dates(index) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(index, dtype=float), unit="s", utc=True)


def volume_chart(frames: AnalyticsFrames) -> go.Figure:
    title = "Volume: messages per period, by role"
    if frames.empty or frames.turns.empty:
        return empty_figure(title, NO_DATA)
    turns = frames.turns
    bucket, unit = _bucket(turns.created_at)
    counts = pd.crosstab(bucket, turns.role)
    fig = go.Figure()
    for role in [r for r in ROLE_COLORS if r in counts.columns]:
        fig.add_bar(x=_dates(counts.index), y=counts[role].to_numpy(), name=role, marker_color=ROLE_COLORS[role],
                    width=(3600.0 if unit == "hour" else 86400.0) * 1000 * 0.8)  # ms on a date axis
    conv_bucket, _ = _bucket(frames.conversations.created_at)
    started = conv_bucket.value_counts().sort_index()
    fig.add_scatter(x=_dates(started.index), y=started.to_numpy(), name="conversations started", mode="lines+markers",
                    line=dict(color="#111111"))
    return _layout(fig, title, barmode="stack", yaxis_title="count",
                   xaxis=_time_axis(np.concatenate([counts.index.to_numpy(dtype=float),
                                                    started.index.to_numpy(dtype=float)]), unit))


def _time_axis(buckets: np.ndarray, unit: str) -> dict:
    """Ticks on whole hours or days, and at least three buckets wide: with one bucket plotly would zoom to a
    millisecond ("00:59:59.9996 … 01:00:00.0004")."""
    size = 3600.0 if unit == "hour" else 86400.0
    low, high = float(buckets.min()), float(buckets.max())
    if high - low < 2 * size:
        low, high = low - size, high + size
    edges = _dates([low - size / 2, high + size / 2])
    return dict(type="date", range=[edges[0].isoformat(), edges[1].isoformat()], dtick=size * 1000,
                tickformat="%b %d %H:%M" if unit == "hour" else "%b %d", title=unit)


def intent_chart(frames: AnalyticsFrames, top: int = 15) -> go.Figure:
    title = "Intents of customer turns (top 15)"
    if frames.empty:
        return empty_figure(title, NO_DATA)
    intents = frames.bot_turns.intent.dropna()
    if intents.empty:
        return empty_figure(title, NO_TRACES)
    counts = intents.value_counts().head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=counts.to_numpy(), y=counts.index.astype(str), orientation="h",
                           marker_color="#1f77b4"))
    return _layout(fig, title, xaxis_title="turns", showlegend=False)


def _traced_bot_turns(frames: AnalyticsFrames, column: str):
    """Bot turns whose trace has `column`, or the empty-state message to show instead (no data / no traces)."""
    if frames.empty:
        return NO_DATA
    bot = frames.bot_turns
    bot = bot[bot[column].notna()]
    return NO_TRACES if bot.empty else bot


def sentiment_chart(frames: AnalyticsFrames) -> go.Figure:
    title = "Customer sentiment over time (share of turns)"
    bot = _traced_bot_turns(frames, "sentiment")
    if isinstance(bot, str):
        return empty_figure(title, bot)
    bucket, unit = _bucket(bot.created_at)
    counts = pd.crosstab(bucket, bot.sentiment)
    shares = counts.div(counts.sum(axis=1), axis=0)
    fig = go.Figure()
    for label, color in SENTIMENT_COLORS.items():
        if label in shares.columns:
            fig.add_bar(x=_dates(shares.index), y=shares[label].to_numpy(), name=label, marker_color=color,
                        customdata=counts[label].to_numpy(), hovertemplate="%{y:.0%} (%{customdata} turns)")
    return _layout(fig, title, barmode="stack", xaxis_title=unit, yaxis=dict(tickformat=".0%", title="share"))


def handoff_funnel_chart(frames: AnalyticsFrames) -> go.Figure:
    title = "Handoff funnel"
    conv = frames.conversations
    if frames.empty or not conv.engaged.any():
        return empty_figure(title, NO_DATA)
    engaged = conv[conv.engaged]
    stages = [("Conversations", len(engaged)),
              ("Handed to a human", int(engaged.handed_over.sum())),
              ("Claimed by an agent", int((engaged.handed_over & engaged.claimed).sum())),
              ("Resolved by an agent", int((engaged.handed_over & engaged.resolved_by_agent).sum()))]
    fig = go.Figure(go.Funnel(y=[s[0] for s in stages], x=[s[1] for s in stages], textinfo="value+percent initial",
                              marker=dict(color=["#1f77b4", "#d62728", "#9467bd", "#2ca02c"])))
    reasons = engaged.handoff_reason_effective.dropna().value_counts()
    if len(reasons):
        detail = ", ".join(f"{k} {v}" for k, v in reasons.items())
        fig.add_annotation(text=f"reasons: {detail}", x=1, y=-0.12, xref="paper", yref="paper", showarrow=False,
                           xanchor="right", font=dict(size=11))
    return _layout(fig, title, showlegend=False)


def latency_chart(frames: AnalyticsFrames) -> go.Figure:
    title = "Answer latency per bot turn (seconds, guard to last token)"
    bot = _traced_bot_turns(frames, "total_ms")
    if isinstance(bot, str):
        return empty_figure(title, bot)
    seconds = bot.total_ms.to_numpy(dtype=float) / 1000.0
    upper = max(float(np.quantile(seconds, 0.99)), 0.05)
    edges = np.linspace(0, upper, 41)
    fig = go.Figure()
    kinds = np.where(bot.generation_mode.to_numpy(dtype=object) == "generated", "generated answer",
                     "other (FAQ, order desk, handoff…)")
    for kind, color in (("generated answer", "#ff7f0e"), ("other (FAQ, order desk, handoff…)", "#1f77b4")):
        values = np.clip(seconds[kinds == kind], 0, upper)
        if len(values):
            counts, _ = np.histogram(values, bins=edges)
            fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=edges[1] - edges[0], name=kind,
                        marker_color=color)
    p50, p95 = np.quantile(seconds, [0.5, 0.95])
    for value, label in ((p50, "p50"), (p95, "p95")):
        fig.add_vline(x=min(value, upper), line_dash="dash", annotation_text=f"{label} {value:.2f}s")
    return _layout(fig, title, barmode="stack", xaxis_title="seconds (last bin includes slower)",
                   yaxis_title="turns")


def top_documents_chart(frames: AnalyticsFrames, top: int = 10) -> go.Figure:
    title = "Most cited knowledge documents"
    if frames.empty:
        return empty_figure(title, NO_DATA)
    cited = cited_documents(frames.turns, top)
    if cited.empty:
        return empty_figure(title, "No answer in this range cited a knowledge document.")
    cited = cited.iloc[::-1]
    fig = go.Figure(go.Bar(x=cited.citations.to_numpy(), y=cited.title.astype(str), orientation="h",
                           hovertext=cited.doc_id, marker_color="#2ca02c"))
    return _layout(fig, title, xaxis_title="citations", showlegend=False)


def all_charts(frames: AnalyticsFrames) -> dict[str, go.Figure]:
    return {"volume": volume_chart(frames), "intents": intent_chart(frames), "sentiment": sentiment_chart(frames),
            "handoff_funnel": handoff_funnel_chart(frames), "latency": latency_chart(frames),
            "top_documents": top_documents_chart(frames)}
