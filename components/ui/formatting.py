"""Turn core data into safe display text. Customer text is always shown as text: HTML is escaped and Markdown
images (which would load remote URLs) are neutralised."""
from __future__ import annotations

import html
import json
import logging
import re

from components.nlu.cjk_characters import HAN_UNIFIED

log = logging.getLogger(__name__)

_MD_IMAGE = re.compile(r"!\[")


def safe_text(text: str) -> str:
    escaped = html.escape(text or "", quote=False)
    return _MD_IMAGE.sub(r"!&#8203;[", escaped)


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")
_WORD = re.compile(f"[A-Za-z0-9]+|[{HAN_UNIFIED}]")


def readable_title(title: str, language: str = "en") -> str:
    """'faq' → 'FAQ' (常见问题), 'change-shipping-address' → 'Change shipping address'; a title the business wrote
    with capitals of its own ("kefu Plus membership › Plans") keeps its case, a brand written in lower case too."""
    from components.ui.i18n import say

    text = re.sub(r"[-_]+", " ", str(title or "")).strip()
    text = re.sub(r"\.(md|txt|pdf|docx?|html?|csv|jsonl?)$", "", text, flags=re.I)
    if text.lower() in ("faq", "faqs"):
        return say("faq", language)
    if not text:
        return "?"
    return text if text != text.lower() else text[:1].upper() + text[1:]


def cited_sentence(answer: str, passage: str) -> str:
    """The passage's sentence that shares the most words with the answer (what the answer rests on)."""
    words = {w.lower() for w in _WORD.findall(answer or "")}
    best, best_score = "", 0
    for sentence in _SENTENCE_END.split(passage or ""):
        sentence = re.sub(r"[*#>]+", "", sentence).strip()
        if len(sentence) < 8:
            continue
        score = len(words & {w.lower() for w in _WORD.findall(sentence)})
        if score > best_score:
            best, best_score = sentence, score
    return best


def sources_html(sources: list[dict], language: str = "en", answer: str = "", knowledge=None) -> str:
    """The sources under a bot answer: readable titles; each opens to the sentence the answer cites."""
    if not sources:
        return ""
    from components.ui.i18n import say

    items = []
    for i, s in enumerate(sources, 1):
        title = safe_text(readable_title(s.get("title") or s.get("doc_id", ""), language))
        sentence = ""
        if knowledge is not None and s.get("doc_id"):
            try:
                passage = " ".join(c.get("text", "") for c in knowledge.chunks(s["doc_id"]))
                sentence = cited_sentence(answer, passage)
            except Exception:  # a deleted document: the title alone
                log.debug("no passage for %s", s.get("doc_id"), exc_info=True)
        body = f"“{safe_text(sentence[:400])}”" if sentence else title
        items.append(f"<details><summary>[{i}] {title}</summary>{body}</details>")
    return f"\n\n<sub>📚 {say('sources', language)}:</sub>" + "".join(items)


def _num(value, digits: int = 2) -> str:
    """Rounded for people: 1.1547911950000298 → 1.15; integers stay integers."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(round(value))) if abs(value) >= 100 else f"{value:.{digits}f}"
    return safe_text(str(value))


def _words(name: str) -> str:
    return safe_text(str(name or "").replace("_", " "))


def trace_items(trace: dict | None, language: str = "en") -> list[str]:
    """One bot turn's trace (the 'glass box') as short readable lines (HTML-escaped), numbers rounded."""
    from components.ui.i18n import say

    if not trace:
        return ["—"]
    lines = []
    speech = trace.get("speech") or {}
    if speech:
        lines.append(f"- **Spoken** 🎤: {float(speech.get('seconds') or 0):.1f} s of audio, language "
                     f"{speech.get('language')}, transcript confidence {float(speech.get('confidence') or 0):.2f}, "
                     f"transcribed in {(speech.get('timings_ms') or {}).get('transcribe_ms')} ms "
                     f"(RTF {speech.get('rtf')})")
    nlu = trace.get("nlu") or {}
    if nlu:
        extra = f" · {_words('out_of_scope')}" if nlu.get("out_of_scope") else ""
        emotions = f" · {', '.join(_words(e) for e in nlu.get('emotions') or [])}" if nlu.get("emotions") else ""
        lines.append(f"<b>{say('trace_nlu', language)}</b>: {_words(nlu.get('intent'))} "
                     f"({_num(float(nlu.get('confidence') or 0))}){extra} · {_words(nlu.get('sentiment'))} · "
                     f"{_words(nlu.get('language'))}{emotions}")
    policy = trace.get("policy") or {}
    if policy:
        lines.append(f"<b>{say('trace_policy', language)}</b>: {_words(policy.get('action'))} — "
                     f"{safe_text(str(policy.get('reason') or ''))}")
    hits = (trace.get("retrieval") or {}).get("hits") or []
    if hits:
        lines.append(f"<b>{say('trace_sources', language)}</b>: " + "; ".join(
            f"{safe_text(readable_title(h.get('title') or h.get('doc_id'), language))} {_num(float(h.get('score') or 0))}"
            for h in hits[:4]))
    answer = trace.get("answer") or {}
    if answer:
        evidence = "; ".join(safe_text(str(e))[:160] for e in (answer.get("evidence") or [])[:2])
        lines.append(f"<b>{say('trace_answer', language)}</b>: {_words(answer.get('mode'))}"
                     + (f" — “{evidence}”" if evidence else ""))
        corrections = answer.get("corrections") or []
        if corrections:
            lines.append(f"<b>{say('trace_spelling', language)}</b>: " + ", ".join(
                f"{safe_text(str(c.get('from')))} → {safe_text(str(c.get('to')))}" for c in corrections))
    verdict = answer.get("verdict") or {}
    grounding = trace.get("grounding") or {}
    if verdict or grounding:
        rejected = (verdict and not verdict.get("ok")) or grounding.get("replaced")
        reason = verdict.get("reason") or grounding.get("reason") or ""
        lines.append(f"<b>{say('trace_grounding', language)}</b>: " + ("✗ " + safe_text(str(reason)) if rejected
                                                                        else "✓"))
    for call in trace.get("tool_calls") or []:
        result = call.get("result", call.get("error"))
        lines.append(f"<b>{say('trace_tools', language)}</b>: {_words(call.get('name'))} → "
                     f"{safe_text(json.dumps(result, ensure_ascii=False)[:160])}")
    redactions = trace.get("redactions") or []
    if redactions:
        lines.append(f"<b>{say('trace_redacted', language)}</b>: " +
                     ", ".join(safe_text(str(r.get("token"))) for r in redactions))
    gen = trace.get("generation") or {}
    if gen.get("mode") == "generated":
        parts = [f"{_num(gen[k])} {unit}" for k, unit in (("decode_tok_s", "tok/s"), ("ttft_s", "s first token"),
                                                          ("tokens", "tokens")) if gen.get(k) is not None]
        lines.append(f"<b>{say('trace_speed', language)}</b>: " + " · ".join(parts))
    timings = trace.get("timings_ms") or {}
    if timings.get("total_ms") is not None:
        lines.append(f"<b>{say('trace_timings', language)}</b>: {_num(float(timings['total_ms']) / 1000)} s")
    return lines or ["—"]


def trace_markdown(trace: dict | None) -> str:
    """The trace as a Markdown list (the copilot panel and exports of one turn)."""
    return "\n".join(f"- {line}" for line in trace_items(trace))
