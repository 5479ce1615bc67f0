"""The dashboard's plotly figures, built from `AnalyticsFrames`. Pure: data in, figures out.

Every chart has an explanatory empty state (a blank figure whose title says why and what to do), so an empty
database, an empty range, or turns without traces never raise. Figures are built with plotly.graph_objects
from pre-aggregated numbers (plotly.express is several times slower at 100k rows).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.analytics.chart_text import CHART_TEXT, chart_words, handoff_reason_name
from components.analytics.kpis import AnalyticsFrames, cited_documents

HEIGHT = 340
SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9aa0a6", "positive": "#2ca02c"}
ROLE_COLORS = {"customer": "#1f77b4", "bot": "#ff7f0e", "agent": "#9467bd", "system": "#7f7f7f"}
NO_DATA = CHART_TEXT["en"]["no_data"]
NO_TRACES = CHART_TEXT["en"]["no_traces"]

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


def volume_chart(frames: AnalyticsFrames, language: str = "en") -> go.Figure:
    w = chart_words(language)
    title = w["volume"]
    if frames.empty or frames.turns.empty:
        return empty_figure(title, w["no_data"])
    turns = frames.turns
    bucket, unit = _bucket(turns.created_at)
    counts = pd.crosstab(bucket, turns.role)
    fig = go.Figure()
    for role in [r for r in ROLE_COLORS if r in counts.columns]:
        fig.add_bar(x=_dates(counts.index), y=counts[role].to_numpy(), name=w[role], marker_color=ROLE_COLORS[role],
                    width=_bar_width_ms(unit))
    conv_bucket, _ = _bucket(frames.conversations.created_at)
    started = conv_bucket.value_counts().sort_index()
    fig.add_scatter(x=_dates(started.index), y=started.to_numpy(), name=w["conversations_started"],
                    mode="lines+markers", line=dict(color="#111111"))
    return _layout(fig, title, barmode="stack", yaxis_title=w["count"],
                   xaxis=_time_axis(np.concatenate([counts.index.to_numpy(dtype=float),
                                                    started.index.to_numpy(dtype=float)]), unit, w))


def _bar_width_ms(unit: str) -> float:
    """A bar 80 % of its bucket wide, in ms on a date axis: left to itself plotly sizes the bars of a single bucket
    a millisecond wide, so they do not show."""
    return (3600.0 if unit == "hour" else 86400.0) * 1000 * 0.8


def _time_axis(buckets: np.ndarray, unit: str, w: dict) -> dict:
    """Ticks on whole hours or days, and at least three buckets wide: with one bucket plotly would zoom to a
    millisecond ("00:59:59.9996 … 01:00:00.0004")."""
    size = 3600.0 if unit == "hour" else 86400.0
    low, high = float(buckets.min()), float(buckets.max())
    if high - low < 2 * size:
        low, high = low - size, high + size
    edges = _dates([low - size / 2, high + size / 2])
    return dict(type="date", range=[edges[0].isoformat(), edges[1].isoformat()], dtick=size * 1000,
                tickformat=w[f"{unit}_format"], title=w[unit])


def intent_chart(frames: AnalyticsFrames, top: int = 15, language: str = "en") -> go.Figure:
    w = chart_words(language)
    title = w["intents"]
    if frames.empty:
        return empty_figure(title, w["no_data"])
    intents = frames.bot_turns.intent.dropna()
    if intents.empty:
        return empty_figure(title, w["no_traces"])
    counts = intents.value_counts().head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=counts.to_numpy(), y=counts.index.astype(str), orientation="h",
                           marker_color="#1f77b4"))
    return _layout(fig, title, xaxis_title=w["turns"], showlegend=False)


def _traced_bot_turns(frames: AnalyticsFrames, column: str, w: dict):
    """Bot turns whose trace has `column`, or the empty-state message to show instead (no data / no traces)."""
    if frames.empty:
        return w["no_data"]
    bot = frames.bot_turns
    bot = bot[bot[column].notna()]
    return w["no_traces"] if bot.empty else bot


def sentiment_chart(frames: AnalyticsFrames, language: str = "en") -> go.Figure:
    w = chart_words(language)
    title = w["sentiment"]
    bot = _traced_bot_turns(frames, "sentiment", w)
    if isinstance(bot, str):
        return empty_figure(title, bot)
    bucket, unit = _bucket(bot.created_at)
    counts = pd.crosstab(bucket, bot.sentiment)
    shares = counts.div(counts.sum(axis=1), axis=0)
    fig = go.Figure()
    for label, color in SENTIMENT_COLORS.items():
        if label in shares.columns:
            fig.add_bar(x=_dates(shares.index), y=shares[label].to_numpy(), name=w[label], marker_color=color,
                        width=_bar_width_ms(unit), customdata=counts[label].to_numpy(), hovertemplate=w["share_hover"])
    return _layout(fig, title, barmode="stack", xaxis=_time_axis(shares.index.to_numpy(dtype=float), unit, w),
                   yaxis=dict(tickformat=".0%", title=w["share"]))


def handoff_funnel_chart(frames: AnalyticsFrames, language: str = "en") -> go.Figure:
    w = chart_words(language)
    title = w["handoff_funnel"]
    conv = frames.conversations
    if frames.empty or not conv.engaged.any():
        return empty_figure(title, w["no_data"])
    engaged = conv[conv.engaged]
    stages = [(w["stage_conversations"], len(engaged)),
              (w["stage_handed"], int(engaged.handed_over.sum())),
              (w["stage_claimed"], int((engaged.handed_over & engaged.claimed).sum())),
              (w["stage_resolved"], int((engaged.handed_over & engaged.resolved_by_agent).sum()))]
    fig = go.Figure(go.Funnel(y=[s[0] for s in stages], x=[s[1] for s in stages], textinfo="value+percent initial",
                              marker=dict(color=["#1f77b4", "#d62728", "#9467bd", "#2ca02c"])))
    reasons = engaged.handoff_reason_effective.dropna().value_counts()
    if not len(reasons):
        return _layout(fig, title, showlegend=False)
    lines = _wrap([f"{handoff_reason_name(k, language)} {v}" for k, v in reasons.items()], f"{w['reasons']}: ")
    # below the funnel, inside a bottom margin grown to hold every line (the chart's own height stays)
    fig.add_annotation(text="<br>".join(lines), x=1, y=0, yshift=-REASON_GAP_PX, xref="paper", yref="paper",
                       showarrow=False, xanchor="right", yanchor="top", align="right", font=dict(size=REASON_FONT_PX))
    fig = _layout(fig, title, showlegend=False)
    fig.update_layout(margin=dict(b=20 + REASON_GAP_PX + len(lines) * (REASON_FONT_PX + 5)))
    return fig


REASON_FONT_PX, REASON_GAP_PX, REASON_LINE_CHARS = 11, 6, 56


def _wrap(parts: list[str], lead: str) -> list[str]:
    """`lead` and the comma-separated parts in lines of at most REASON_LINE_CHARS display columns (a CJK character
    counts two), so the note fits half the page's width instead of running off the chart's left edge."""
    lines, line = [], lead.rstrip()
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else "")
        if line and _columns(line) + 1 + _columns(piece) > REASON_LINE_CHARS:
            lines.append(line)
            line = piece
        else:
            line = f"{line} {piece}" if line else piece
    return lines + [line]


def _columns(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def latency_chart(frames: AnalyticsFrames, language: str = "en") -> go.Figure:
    w = chart_words(language)
    title = w["latency"]
    bot = _traced_bot_turns(frames, "total_ms", w)
    if isinstance(bot, str):
        return empty_figure(title, bot)
    seconds = bot.total_ms.to_numpy(dtype=float) / 1000.0
    upper = max(float(np.quantile(seconds, 0.99)), 0.05)
    edges = np.linspace(0, upper, 41)
    fig = go.Figure()
    kinds = np.where(bot.generation_mode.to_numpy(dtype=object) == "generated", "generated", "other")
    for kind, color in (("generated", "#ff7f0e"), ("other", "#1f77b4")):
        values = np.clip(seconds[kinds == kind], 0, upper)
        if len(values):
            counts, _ = np.histogram(values, bins=edges)
            fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=edges[1] - edges[0], name=w[kind],
                        marker_color=color)
    p50, p95 = np.quantile(seconds, [0.5, 0.95])
    for value, label in ((p50, "p50"), (p95, "p95")):
        fig.add_vline(x=min(value, upper), line_dash="dash", annotation_text=f"{label} {value:.2f}s")
    return _layout(fig, title, barmode="stack", xaxis_title=w["seconds"],
                   yaxis_title=w["turns"])


def top_documents_chart(frames: AnalyticsFrames, top: int = 10, language: str = "en") -> go.Figure:
    w = chart_words(language)
    title = w["top_documents"]
    if frames.empty:
        return empty_figure(title, w["no_data"])
    cited = cited_documents(frames.turns, top)
    if cited.empty:
        return empty_figure(title, w["no_citations"])
    cited = cited.iloc[::-1]
    fig = go.Figure(go.Bar(x=cited.citations.to_numpy(), y=cited.title.astype(str), orientation="h",
                           hovertext=cited.doc_id, marker_color="#2ca02c"))
    return _layout(fig, title, xaxis_title=w["citations"], showlegend=False)


def all_charts(frames: AnalyticsFrames, language: str = "en") -> dict[str, go.Figure]:
    """Every chart, its words in `language` ("en" or "zh")."""
    return {"volume": volume_chart(frames, language), "intents": intent_chart(frames, language=language),
            "sentiment": sentiment_chart(frames, language), "handoff_funnel": handoff_funnel_chart(frames, language),
            "latency": latency_chart(frames, language), "top_documents": top_documents_chart(frames, language=language)}
