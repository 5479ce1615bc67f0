"""Every word the dashboard's charts show (titles, axis names, legends, stages, empty states), in English and
Chinese. The charts are core code (no gradio), so their words live here rather than in components/ui/i18n.py;
tests/test_ui_i18n.py checks both tables have the same keys and renders every chart in Chinese."""
from __future__ import annotations

CHART_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "no_data": "No conversations in this range. Widen the dates, include demo data, or run "
                   "`python app.py demo-history`.",
        "no_traces": "The conversations in this range have no bot turns with traces yet.",
        "no_traces_notice": "The bot turns in this range have no traces, so only counts are shown.",
        "no_citations": "No answer in this range cited a knowledge document.",
        "volume": "Volume: messages per period, by role", "intents": "Intents of customer turns (top 15)",
        "sentiment": "Customer sentiment over time (share of turns)", "handoff_funnel": "Handoff funnel",
        "latency": "Answer latency per bot turn (seconds, guard to last token)",
        "top_documents": "Most cited knowledge documents",
        "count": "count", "turns": "turns", "share": "share", "citations": "citations", "hour": "hour", "day": "day",
        "seconds": "seconds (last bin includes slower)", "conversations_started": "conversations started",
        "customer": "customer", "bot": "bot", "agent": "agent", "system": "system",
        "negative": "negative", "neutral": "neutral", "positive": "positive",
        "share_hover": "%{y:.0%} (%{customdata} turns)",
        "stage_conversations": "Conversations", "stage_handed": "Handed to a human",
        "stage_claimed": "Claimed by an agent", "stage_resolved": "Resolved by an agent", "reasons": "reasons",
        "generated": "generated answer", "other": "other (FAQ, order desk, handoff…)",
        "hour_format": "%b %d %H:%M", "day_format": "%b %d",
        "reason_customer_request": "customer asked", "reason_negative_sentiment": "upset customer",
        "reason_repeated_failure": "bot could not answer", "reason_order_desk": "order desk",
        "reason_emotion_trend": "rising frustration", "reason_emergency": "emergency",
        "reason_refuse": "refused topic", "reason_workspace_rule": "workspace rule",
    },
    "zh": {
        "no_data": "此时间范围内没有对话。请放宽日期、包含演示数据，或运行 `python app.py demo-history`。",
        "no_traces": "此时间范围内的对话还没有带追踪记录的机器人回复。",
        "no_traces_notice": "此时间范围内的机器人回复没有追踪记录，因此只显示数量。",
        "no_citations": "此时间范围内没有回答引用知识库文档。",
        "volume": "消息量：每个时段各角色的消息数", "intents": "客户消息的意图（前 15 个）",
        "sentiment": "客户情绪随时间变化（消息占比）", "handoff_funnel": "转人工漏斗",
        "latency": "每个机器人回复的耗时（秒，从安全检查到最后一个字）",
        "top_documents": "引用最多的知识库文档",
        "count": "数量", "turns": "消息数", "share": "占比", "citations": "引用次数", "hour": "小时", "day": "日期",
        "seconds": "秒（最后一格包含更慢的）", "conversations_started": "新对话",
        "customer": "客户", "bot": "机器人", "agent": "坐席", "system": "系统",
        "negative": "负面", "neutral": "中性", "positive": "正面",
        "share_hover": "%{y:.0%}（%{customdata} 条消息）",
        "stage_conversations": "对话", "stage_handed": "转给人工", "stage_claimed": "坐席已接手",
        "stage_resolved": "坐席已解决", "reasons": "原因",
        "generated": "模型生成的回答", "other": "其他（常见问题、订单服务、转人工…）",
        "hour_format": "%m-%d %H:%M", "day_format": "%m-%d",
        "reason_customer_request": "客户要求", "reason_negative_sentiment": "客户不满",
        "reason_repeated_failure": "机器人无法回答", "reason_order_desk": "订单服务",
        "reason_emotion_trend": "情绪持续恶化", "reason_emergency": "紧急情况",
        "reason_refuse": "不予回答的话题", "reason_workspace_rule": "业务规则",
    },
}


def chart_words(language: str = "en") -> dict[str, str]:
    """The charts' words in "en" or "zh" (anything starting with zh is Chinese)."""
    return CHART_TEXT["zh" if str(language or "").lower().startswith("zh") else "en"]


def handoff_reason_name(reason: str, language: str = "en") -> str:
    """A handoff reason as a person says it ("customer_request" → "customer asked" / "客户要求")."""
    return chart_words(language).get(f"reason_{reason}", str(reason).replace("_", " "))
