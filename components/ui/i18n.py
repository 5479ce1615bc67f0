"""Every UI string in English and Chinese.

Labels of components are `t(key)` (Gradio's I18n picks the browser's language); text the handlers write (the
welcome message, notices, action results) is `say(key, language, **values)` with the session's language from
`request_language(request)`. tests/test_ui_i18n.py fails when a key lacks a translation or a label is not
translatable."""
from __future__ import annotations

import gradio as gr

LANGUAGES = ("en", "zh-CN")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "客服 kefu · customer service",
        "tab_chat": "Chat", "tab_kb": "Knowledge base", "tab_analytics": "Analytics", "tab_console": "Operator console",
        # chat
        "chat_placeholder": "Ask about an order, a return, a refund, a payment…",
        "send": "Send", "stop": "Stop", "new_conversation": "New conversation",
        "talk_to_person": "🧑‍💼 Talk to a person", "rate_conversation": "Rate this conversation",
        "examples": "Examples", "chat_label": "kefu assistant", "chat_message": "Your message",
        "welcome": "👋 Hello! I'm kefu's assistant. I can track an order, explain returns, refunds and payments, "
                   "or connect you with a person. Try one of the examples below.",
        "example_1": "How long do refunds take?", "example_2": "Can I cancel an order that was already delivered?",
        "example_3": "Where is my order #W2611340?", "example_4": "I want to talk to a person",
        "sources": "Sources", "faq": "FAQ",
        "stopped": "⏹ stopped", "waiting_ack": "✓ Your message was passed on; a person will reply here.",
        "agent_joined": "🧑‍💼 {agent} joined the conversation.",
        "bot_resumes": "🤖 The assistant is back and will answer your next message.",
        "resolved_notice": "✅ The agent marked this conversation as resolved. Write again any time.",
        "thanks_rating": "Thank you! You rated this conversation {score}/5.",
        "send_first": "Send a message first, then ask for a person.",
        "nothing_to_rate": "There is no conversation to rate yet.",
        "starting": "⏳ kefu is starting ({stage}); your message will be answered as soon as it is ready.",
        "startup_failed": "⚠️ **Start-up failed:** {error}",
        "startup_progress": "⏳ **Starting:** {stage} — {percent}%",
        # console
        "agent": "Agent", "password": "Password", "sign_in": "Sign in", "signed_in_as": "Signed in as **{name}**",
        "protected_mode": "🔒 **Protected mode**: sign in as an agent.",
        "demo_mode": "🔓 **Demo mode**: no agent accounts exist (`python app.py agents add NAME` creates one), so "
                     "every tab is open.",
        "status_filter": "Status", "refresh": "Refresh", "conversations": "Conversations",
        "conversation": "Conversation",
        "queue": "Queue", "customer_panel": "Customer",
        "claim": "Claim", "hand_back": "Hand back to bot", "resolve": "Resolve",
        "reply_placeholder": "Reply to the customer (Enter sends, Shift+Enter new line, Ctrl+Enter adds a note)",
        "send_reply": "Send reply", "suggest": "✨ Suggest (copilot)", "teach": "📚 Teach as FAQ",
        "add_note": "Add internal note",
        "audit_log": "Audit log", "select_conversation": "Select a conversation in the queue.",
        "no_conversation": "No conversation with id {cid}.",
        "confirm_resolve": "The customer wrote last and has no reply yet. Resolve anyway?",
        "resolve_anyway": "Resolve anyway", "cancel": "Cancel",
        "claimed": "You claimed the conversation; the customer sees that you joined.",
        "handed_back": "The bot answers this conversation again.",
        "resolved": "Conversation resolved; the customer was told.",
        "sent": "Reply sent.", "note_added": "Note added (never shown to the customer).",
        "taught": "Published the FAQ “{question}”.", "publish_faq_short": "Publish FAQ",
        "teach_edit": "Edit the question and answer, then press Publish FAQ.",
        "copilot_sources": "Sources: {cites}",
        "role_customer": "Customer", "role_bot": "Bot", "role_agent": "Agent", "role_system": "System",
        "role_note": "Internal note",
        "why": "Why this answer", "rating_up": "👍 the customer liked this answer",
        "rating_down": "👎 the customer disliked this answer",
        "col_status": "Status", "col_waiting": "Waiting", "col_customer": "Customer", "col_last": "Last message",
        "col_sentiment": "Sentiment", "col_intent": "Intent", "col_agent": "Agent", "col_id": "Id",
        "col_when": "When", "col_action": "Action", "col_detail": "Detail",
        "status_all": "all", "status_waiting": "waiting", "status_human": "with an agent", "status_bot": "bot",
        "status_resolved": "resolved",
        "identity": "Identity", "verified": "verified as {customer}", "not_verified": "not verified",
        "orders": "Orders", "past_conversations": "Past conversations", "csat": "CSAT", "tags": "Tags",
        "none": "none", "language": "Language", "handoff_reason": "Handoff reason",
        "trace_nlu": "Understood", "trace_policy": "Decision", "trace_sources": "Sources",
        "trace_tools": "Order desk", "trace_redacted": "Redacted", "trace_grounding": "Answer check",
        "trace_speed": "Speed", "trace_timings": "Timings", "trace_answer": "Answer",
        # analytics
        "analytics_start": "From (YYYY-MM-DD)", "analytics_end": "Until (YYYY-MM-DD)", "domain": "Domain",
        "system": "System", "kpi_conversations": "Conversations", "kpi_resolved_by_bot": "Answers resolved by the bot",
        "kpi_containment": "Conversations without a person",
        "kpi_handoff_rate": "Handed to a person", "kpi_csat": "CSAT", "kpi_thumbs": "👍 / 👎",
        "kpi_first_response": "First response (p50)", "kpi_waiting": "Waiting for a person",
        "kpi_latency": "Answer time p50 / p95", "kpi_speed": "Generation speed", "kpi_ttft": "First token (p50)",
        "kpi_hit_rate": "Knowledge hit rate", "kpi_no_answer": "No answer",
        "chart_volume": "Volume: messages per period, by role", "chart_intents": "Intents of customer turns",
        "chart_sentiment": "Sentiment of customer turns", "chart_latency": "Answer time",
        "chart_handoffs": "Handoff funnel",
        "chart_csat": "CSAT distribution", "chart_cited": "Most cited documents", "topics": "Topics",
        "knowledge_gaps": "Knowledge gaps",
        # knowledge base
        "kb_intro": "Upload PDF, Word, HTML, Markdown, text, FAQ spreadsheets (CSV/XLSX with question and answer "
                    "columns) or JSON/JSONL. A changed file replaces its old version; an identical one is skipped.",
        "kb_files": "Files", "kb_tags": "Tags (comma separated)", "kb_preview": "Preview chunks (no indexing)",
        "kb_upload_results": "Upload results", "kb_repair": "Check and repair", "kb_indexed": "Indexed documents",
        "kb_document": "Document", "kb_show_chunks": "Show chunks", "kb_reindex": "Re-index",
        "kb_delete_confirm": "Yes, delete", "kb_chunks": "Chunks", "kb_hit_testing": "Hit testing",
        "kb_test_question": "Test question", "kb_top_k": "Top k", "kb_only_docs": "Only these documents",
        "kb_only_tags": "Only these tags", "kb_search": "Search", "kb_hits": "Hits",
        "kb_upload": "Upload and index", "kb_documents": "Documents", "kb_delete": "Delete",
        "kb_confirm_delete": "Delete {doc} from the knowledge base? This cannot be undone.",
        "kb_check": "Check consistency", "kb_consistent": "The vector index, the keyword index and the registry agree.",
        "kb_inconsistent": "They disagree: {detail}.",
        "intents_panel": "Intents (NLU): try, teach, retrain",
        "range": "Range", "preset_all_time": "All time", "preset_1": "Last 24 hours", "preset_7": "Last 7 days",
        "preset_14": "Last 14 days", "preset_30": "Last 30 days", "preset_custom": "Custom",
        "include_demo": "Include demo data",
        "analytics_hint": "*The numbers load when this tab opens; press Refresh after changing the filters.*",
        "find_gaps": "Find knowledge gaps", "draft_faq": "Draft FAQ entry", "faq_question": "FAQ question",
        "faq_answer": "FAQ answer (edit before publishing)", "publish_faq": "Publish to knowledge base",
        "bias_audit": "Bias audit (last run of python app.py eval bias)", "show_audit": "Show the last audit",
        "export": "Export", "format": "Format", "export_button": "Export conversations and turns",
        "download": "Download (conversations + turns)",
        "intents_intro": "### Intents\nTry a sentence, teach new examples, retrain a domain.",
        "intents_domain": "Domain (type a new name to create one)", "sentence": "Sentence", "analyse": "Analyse",
        "nlu_result": "NLU result", "add_examples": "Add examples", "intent_label": "Intent label",
        "examples_per_line": "Examples, one per line",
        "import_intents": "…or import a Rasa nlu.yml, a Dialogflow export .zip or a text,label .csv",
        "import_file": "Import file", "retrain": "Retrain domain", "training_metrics": "Training metrics",
        "h_doc_id": "Document id", "h_title": "Title", "h_type": "Type", "h_size": "Size", "h_chunks": "Chunks",
        "h_language": "Language", "h_indexed": "Indexed", "h_tags": "Tags", "h_file": "File", "h_status": "Status",
        "h_progress": "Progress", "h_message": "Message", "h_#": "#", "h_heading path": "Heading path",
        "h_kind": "Kind", "h_chars": "Characters", "h_text": "Text", "h_rank": "Rank", "h_fused score": "Score",
        "h_dense": "Meaning", "h_keyword": "Keywords", "h_bm25": "BM25", "h_document": "Document",
        "h_topic": "Topic", "h_questions": "Questions", "h_count": "Count", "h_signals": "Signals",
        "h_examples": "Examples", "kb_tags_example": "returns, policy", "kb_domain_example": "shop",
        "empty": "Nothing yet.",
    },
    "zh-CN": {
        "title": "客服 kefu · 智能客服",
        "tab_chat": "对话", "tab_kb": "知识库", "tab_analytics": "数据分析", "tab_console": "坐席控制台",
        "chat_placeholder": "咨询订单、退货、退款、支付……",
        "send": "发送", "stop": "停止", "new_conversation": "新对话",
        "talk_to_person": "🧑‍💼 转人工", "rate_conversation": "为本次对话评分",
        "examples": "示例", "chat_label": "kefu 智能助手", "chat_message": "您的消息",
        "welcome": "👋 您好！我是 kefu 智能助手，可以帮您查询订单，解答退货、退款和支付问题，也可以为您转接人工客服。"
                   "试试下面的示例吧。",
        "example_1": "退款需要多长时间？", "example_2": "已经送达的订单还能取消吗？",
        "example_3": "我想查询我的订单状态", "example_4": "我要转人工",
        "sources": "来源", "faq": "常见问题",
        "stopped": "⏹ 已停止", "waiting_ack": "✓ 您的消息已转给人工客服，客服会在这里回复您。",
        "agent_joined": "🧑‍💼 客服 {agent} 已加入对话。",
        "bot_resumes": "🤖 智能助手已回来，将回答您的下一条消息。",
        "resolved_notice": "✅ 客服已将本次对话标记为已解决。如有需要，欢迎随时留言。",
        "thanks_rating": "谢谢！您为本次对话打了 {score}/5 分。",
        "send_first": "请先发送一条消息，再转人工。",
        "nothing_to_rate": "还没有可以评分的对话。",
        "starting": "⏳ kefu 正在启动（{stage}），就绪后会立即回答您的消息。",
        "startup_failed": "⚠️ **启动失败：** {error}",
        "startup_progress": "⏳ **正在启动：** {stage} — {percent}%",
        "agent": "坐席", "password": "密码", "sign_in": "登录", "signed_in_as": "已登录：**{name}**",
        "protected_mode": "🔒 **受保护模式**：请以坐席身份登录。",
        "demo_mode": "🔓 **演示模式**：尚无坐席账号（`python app.py agents add NAME` 可创建），所有页面均开放。",
        "status_filter": "状态", "refresh": "刷新", "conversations": "对话列表", "conversation": "对话",
        "queue": "队列", "customer_panel": "客户",
        "claim": "接入", "hand_back": "交还机器人", "resolve": "标记解决",
        "reply_placeholder": "回复客户（Enter 发送，Shift+Enter 换行，Ctrl+Enter 添加备注）",
        "send_reply": "发送回复", "suggest": "✨ 建议回复（助手）", "teach": "📚 存为常见问题",
        "add_note": "添加内部备注",
        "audit_log": "审计日志", "select_conversation": "请在队列中选择一个对话。",
        "no_conversation": "没有编号为 {cid} 的对话。",
        "confirm_resolve": "最后一条消息来自客户，尚未回复。仍然标记为已解决吗？",
        "resolve_anyway": "仍然解决", "cancel": "取消",
        "claimed": "您已接入该对话，客户会看到您已加入。",
        "handed_back": "该对话已交还机器人回答。",
        "resolved": "对话已标记解决，并已通知客户。",
        "sent": "回复已发送。", "note_added": "备注已添加（客户看不到）。",
        "taught": "已发布常见问题“{question}”。", "publish_faq_short": "发布常见问题",
        "teach_edit": "请编辑问题和答案，然后点击“发布常见问题”。",
        "copilot_sources": "来源：{cites}",
        "role_customer": "客户", "role_bot": "机器人", "role_agent": "坐席", "role_system": "系统",
        "role_note": "内部备注",
        "why": "为什么这样回答", "rating_up": "👍 客户认可这个回答", "rating_down": "👎 客户不认可这个回答",
        "col_status": "状态", "col_waiting": "等待", "col_customer": "客户", "col_last": "最后消息",
        "col_sentiment": "情绪", "col_intent": "意图", "col_agent": "坐席", "col_id": "编号",
        "col_when": "时间", "col_action": "操作", "col_detail": "详情",
        "status_all": "全部", "status_waiting": "等待中", "status_human": "人工处理中", "status_bot": "机器人",
        "status_resolved": "已解决",
        "identity": "身份", "verified": "已验证：{customer}", "not_verified": "未验证",
        "orders": "订单", "past_conversations": "历史对话", "csat": "满意度", "tags": "标签",
        "none": "无", "language": "语言", "handoff_reason": "转人工原因",
        "trace_nlu": "理解", "trace_policy": "决策", "trace_sources": "来源",
        "trace_tools": "订单操作", "trace_redacted": "已脱敏", "trace_grounding": "答案核查",
        "trace_speed": "速度", "trace_timings": "耗时", "trace_answer": "回答",
        "analytics_start": "开始日期（YYYY-MM-DD）", "analytics_end": "结束日期（YYYY-MM-DD）", "domain": "业务域",
        "system": "系统", "kpi_conversations": "对话数", "kpi_resolved_by_bot": "机器人解决的回答",
        "kpi_containment": "无需人工的对话",
        "kpi_handoff_rate": "转人工比例", "kpi_csat": "满意度", "kpi_thumbs": "👍 / 👎",
        "kpi_first_response": "首次响应（中位数）", "kpi_waiting": "等待人工",
        "kpi_latency": "回答耗时 p50 / p95", "kpi_speed": "生成速度", "kpi_ttft": "首个词元（中位数）",
        "kpi_hit_rate": "知识库命中率", "kpi_no_answer": "未能回答",
        "chart_volume": "消息量（按角色、按时段）", "chart_intents": "客户意图", "chart_sentiment": "客户情绪",
        "chart_latency": "回答耗时", "chart_handoffs": "转人工漏斗",
        "chart_csat": "满意度分布", "chart_cited": "引用最多的文档", "topics": "话题",
        "knowledge_gaps": "知识缺口",
        "kb_intro": "可上传 PDF、Word、HTML、Markdown、纯文本、常见问题表格（含问题和答案列的 CSV/XLSX）或 "
                    "JSON/JSONL。修改过的文件会替换旧版本，相同的文件会被跳过。",
        "kb_files": "文件", "kb_tags": "标签（逗号分隔）", "kb_preview": "预览片段（不索引）",
        "kb_upload_results": "上传结果", "kb_repair": "检查并修复", "kb_indexed": "已索引文档",
        "kb_document": "文档", "kb_show_chunks": "查看片段", "kb_reindex": "重新索引",
        "kb_delete_confirm": "确认删除", "kb_chunks": "片段", "kb_hit_testing": "命中测试",
        "kb_test_question": "测试问题", "kb_top_k": "返回条数", "kb_only_docs": "仅限这些文档",
        "kb_only_tags": "仅限这些标签", "kb_search": "搜索", "kb_hits": "命中结果",
        "kb_upload": "上传并索引", "kb_documents": "文档", "kb_delete": "删除",
        "kb_confirm_delete": "确定要从知识库删除 {doc} 吗？此操作无法撤销。",
        "kb_check": "一致性检查", "kb_consistent": "向量索引、关键词索引与登记表一致。",
        "kb_inconsistent": "不一致：{detail}。",
        "intents_panel": "意图（NLU）：试用、教学、重新训练",
        "range": "时间范围", "preset_all_time": "全部时间", "preset_1": "最近 24 小时", "preset_7": "最近 7 天",
        "preset_14": "最近 14 天", "preset_30": "最近 30 天", "preset_custom": "自定义",
        "include_demo": "包含演示数据",
        "analytics_hint": "*打开本页时加载数据；修改筛选条件后请点击“刷新”。*",
        "find_gaps": "查找知识缺口", "draft_faq": "起草常见问题", "faq_question": "常见问题",
        "faq_answer": "答案（发布前请编辑）", "publish_faq": "发布到知识库",
        "bias_audit": "偏差审计（最近一次 python app.py eval bias）", "show_audit": "显示最近一次审计",
        "export": "导出", "format": "格式", "export_button": "导出对话与轮次",
        "download": "下载（对话 + 轮次）",
        "intents_intro": "### 意图\n试一句话、添加新示例、重新训练业务域。",
        "intents_domain": "业务域（输入新名称即可创建）", "sentence": "句子", "analyse": "分析",
        "nlu_result": "NLU 结果", "add_examples": "添加示例", "intent_label": "意图标签",
        "examples_per_line": "示例，每行一个",
        "import_intents": "……或导入 Rasa nlu.yml、Dialogflow 导出的 .zip 或 text,label 格式的 .csv",
        "import_file": "导入文件", "retrain": "重新训练", "training_metrics": "训练指标",
        "h_doc_id": "文档编号", "h_title": "标题", "h_type": "类型", "h_size": "大小", "h_chunks": "片段数",
        "h_language": "语言", "h_indexed": "索引时间", "h_tags": "标签", "h_file": "文件", "h_status": "状态",
        "h_progress": "进度", "h_message": "消息", "h_#": "#", "h_heading path": "标题路径",
        "h_kind": "类型", "h_chars": "字符数", "h_text": "文本", "h_rank": "排名", "h_fused score": "得分",
        "h_dense": "语义", "h_keyword": "关键词", "h_bm25": "BM25", "h_document": "文档",
        "h_topic": "话题", "h_questions": "问题", "h_count": "数量", "h_signals": "信号",
        "h_examples": "示例", "kb_tags_example": "退货, 政策", "kb_domain_example": "商城",
        "empty": "暂无数据。",
    },
}
STRINGS["zh"] = STRINGS["zh-CN"]

I18N = gr.I18n(**STRINGS)


def t(key: str):
    """A translatable label (Gradio renders it in the browser's language)."""
    if key not in STRINGS["en"]:
        raise KeyError(f"no UI string {key!r}")
    return I18N(key)


def say(key: str, language: str = "en", **values) -> str:
    """Text a handler writes, in the session's language ("en" or "zh")."""
    table = STRINGS["zh-CN"] if str(language).startswith("zh") else STRINGS["en"]
    return table[key].format(**values) if values else table[key]


def request_language(request) -> str:
    """"zh" when the browser prefers Chinese (Accept-Language), else "en"."""
    headers = getattr(request, "headers", None) or {}
    try:
        accept = headers.get("accept-language", "") or ""
    except Exception:  # a headers object without get
        accept = ""
    first = accept.split(",")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"
