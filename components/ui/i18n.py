"""UI strings in English and Chinese (Gradio's I18n picks the browser's language)."""
from __future__ import annotations

import gradio as gr

STRINGS = {
    "en": {
        "title": "kefu — customer service",
        "tab_chat": "Chat", "tab_kb": "Knowledge base", "tab_analytics": "Analytics", "tab_console": "Operator console",
        "chat_placeholder": "Ask about an order, a return, a refund, a payment…",
        "send": "Send", "stop": "Stop", "new_conversation": "New conversation",
        "conversation": "Conversation", "refresh": "Refresh", "transcript": "Transcript with traces",
        "conversations": "Conversations", "status_filter": "Status",
        "voice_input": "🎤 Speak or upload a voice message (English or Mandarin)",
        "spoken_turns": "🎤 Spoken turns", "play_spoken_turn": "What the customer said",
        "read_aloud": "🔊 Read answers aloud (English)",
    },
    "zh-CN": {
        "title": "kefu 智能客服",
        "tab_chat": "对话", "tab_kb": "知识库", "tab_analytics": "数据分析", "tab_console": "坐席控制台",
        "chat_placeholder": "咨询订单、退货、退款、支付……",
        "send": "发送", "stop": "停止", "new_conversation": "新对话",
        "conversation": "对话", "refresh": "刷新", "transcript": "对话记录与推理轨迹",
        "conversations": "对话列表", "status_filter": "状态",
        "voice_input": "🎤 说话或上传语音消息（英语或普通话）",
        "spoken_turns": "🎤 语音消息", "play_spoken_turn": "客户的原声",
        "read_aloud": "🔊 朗读回复（仅英语）",
    },
}
STRINGS["zh"] = STRINGS["zh-CN"]

I18N = gr.I18n(**STRINGS)


def t(key: str):
    """A translatable label."""
    return I18N(key)
