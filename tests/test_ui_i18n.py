"""Every UI string in English and Chinese: the tables agree, and no component in components/ui/ is given a literal
(untranslatable) label, placeholder, button text, accordion title or Markdown heading."""
from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from components.ui.i18n import STRINGS, request_language, say

UI = Path(__file__).resolve().parent.parent / "components" / "ui"
SAME_IN_BOTH = {"h_#", "h_bm25", "kpi_thumbs"}  # symbols and names that read the same in Chinese
TEXT_KEYWORDS = ("label", "placeholder", "info")
TEXT_CALLS = {"Button": 0, "Accordion": 0, "Tab": 0, "Markdown": 0}


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_has_both_languages_with_the_same_placeholders():
    en, zh = STRINGS["en"], STRINGS["zh-CN"]
    assert set(en) == set(zh), f"missing in zh-CN: {set(en) - set(zh)}; missing in en: {set(zh) - set(en)}"
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert _fields(en[key]) == _fields(zh[key]), key
        if key not in SAME_IN_BOTH and re.search(r"[A-Za-z]{3}", en[key]):
            assert re.search(r"[\u4e00-\u9fff]", zh[key]), f"{key}: the Chinese text has no Chinese: {zh[key]!r}"


def _literal(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "f-string"
    return None


def _literal_ui_texts(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "gr"):
            continue
        for keyword in node.keywords:
            text = _literal(keyword.value) if keyword.arg in TEXT_KEYWORDS else None
            if text and re.search(r"[A-Za-z]{3}", text) and not re.fullmatch(r"[A-Z_]+|YYYY-MM-DD|track_order", text):
                found.append(f"{path.name}:{node.lineno} {keyword.arg}={text!r}")
        if node.func.attr in TEXT_CALLS and node.args:
            text = _literal(node.args[0])
            if text and re.search(r"[A-Za-z]{3}", text):
                found.append(f"{path.name}:{node.lineno} gr.{node.func.attr}({text!r})")
    return found


@pytest.mark.parametrize("path", sorted(UI.glob("*.py")), ids=lambda p: p.name)
def test_no_literal_ui_text(path):
    assert _literal_ui_texts(path) == []


def test_the_check_catches_a_literal_label(tmp_path):
    bad = tmp_path / "bad_tab.py"
    bad.write_text('import gradio as gr\nbox = gr.Textbox(label="Order number")\ngr.Button("Save")\n')
    assert len(_literal_ui_texts(bad)) == 2


def test_handler_text_follows_the_browser_language():
    class Request:
        headers = {"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"}

    assert request_language(Request()) == "zh"
    assert request_language(None) == "en"
    assert say("bot_resumes", "zh") == STRINGS["zh-CN"]["bot_resumes"]
    assert "5/5" in say("thanks_rating", "en", score=5)


# -- the analytics charts (core code: their words are in components/analytics/chart_text.py) ---------------------
ENGLISH_WORD = re.compile(r"(?<![%{\w])[A-Za-z]{3,}")
CHART_NAMES_OK = {"FAQ", "python", "app", "demo", "history"}  # `python app.py demo-history` is a command


def _chart_chrome(fig) -> list[str]:
    """The words of a figure a person reads that are not data: title, axis titles, legend names, annotations,
    funnel stages."""
    layout = fig.layout
    texts = [layout.title.text, layout.xaxis.title.text, layout.yaxis.title.text]
    texts += [a.text for a in layout.annotations or ()]
    for trace in fig.data:
        texts.append(trace.name)
        if trace.type == "funnel":
            texts += list(trace.y)
        texts.append(getattr(trace, "hovertemplate", None))
    return [text for text in texts if text]


def test_chart_words_have_both_languages():
    from components.analytics.chart_text import CHART_TEXT

    assert set(CHART_TEXT["en"]) == set(CHART_TEXT["zh"])
    for key, text in CHART_TEXT["zh"].items():
        assert text.strip(), key
        if re.search(r"[A-Za-z]{3}", CHART_TEXT["en"][key]) and not key.endswith("_format"):
            assert re.search(r"[\u4e00-\u9fff]", text), f"{key}: {text!r}"


def test_every_handoff_reason_the_code_gives_has_a_name_in_both_languages():
    """The funnel names each handoff reason; a reason added in code without words would show as raw English in 中文."""
    from components.analytics.chart_text import CHART_TEXT

    root = Path(__file__).resolve().parents[1] / "components"
    reasons = {"emergency", "refuse"}  # the workspace safety verdict kinds, passed on as handoff reasons
    for path in root.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        reasons |= set(re.findall(r"handoff_reason=\"([a-z_]+)\"", source))
        reasons |= set(re.findall(r"hand_off\(\w+, \"([a-z_]+)\"", source))
    assert {"customer_request", "order_desk", "emotion_trend"} <= reasons
    for language in ("en", "zh"):
        missing = sorted(r for r in reasons if f"reason_{r}" not in CHART_TEXT[language])
        assert not missing, f"{language}: no words for handoff reasons {missing}"


@pytest.mark.parametrize("data", ["empty", "no_traces", "full"])
def test_every_chart_reads_chinese(tmp_path, data):
    """Titles, axis names, legends, stages and empty states of every chart, drawn for a Chinese session."""
    from components.analytics.dashboard import refresh_dashboard
    from components.storage.conversation_store import ConversationStore
    from tests.test_analytics_kpis import build_store

    if data == "full":
        store = build_store(tmp_path / "k.sqlite3")
    else:
        store = ConversationStore(tmp_path / "k.sqlite3")
        if data == "no_traces":
            cid = store.create_conversation()
            store.add_message(cid, "customer", "hello")
            store.add_message(cid, "bot", "hi")
    try:
        board = refresh_dashboard(store, language="zh")
        english = {name: [text for text in _chart_chrome(fig)
                          if [w for w in ENGLISH_WORD.findall(text) if w not in CHART_NAMES_OK]]
                   for name, fig in board.figures.items()}
        assert {name: texts for name, texts in english.items() if texts} == {}
        assert not board.notice or re.search(r"[\u4e00-\u9fff]", board.notice)
        assert all(_chart_chrome(fig) for fig in board.figures.values())
        # and the same charts in English say it in English
        board = refresh_dashboard(store, language="en")
        assert all(ENGLISH_WORD.search(" ".join(_chart_chrome(fig))) for fig in board.figures.values())
    finally:
        store.close()
