"""Turn core data into safe display text. Customer text is always shown as text: HTML is escaped and Markdown
images (which would load remote URLs) are neutralised."""
from __future__ import annotations

import html
import json
import logging
import re

log = logging.getLogger(__name__)

_MD_IMAGE = re.compile(r"!\[")


def safe_text(text: str) -> str:
    escaped = html.escape(text or "", quote=False)
    return _MD_IMAGE.sub(r"!&#8203;[", escaped)


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")
_WORD = re.compile(r"[A-Za-z0-9]+|[\u4e00-\u9fff]")


def readable_title(title: str, language: str = "en") -> str:
    """'faq' → 'FAQ' (常见问题), 'change-shipping-address' → 'Change shipping address'."""
    from components.ui.i18n import say

    text = re.sub(r"[-_]+", " ", str(title or "")).strip()
    text = re.sub(r"\.(md|txt|pdf|docx?|html?|csv|jsonl?)$", "", text, flags=re.I)
    if text.lower() in ("faq", "faqs"):
        return say("faq", language)
    return text[:1].upper() + text[1:] if text else "?"


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


def trace_markdown(trace: dict | None) -> str:
    """A compact, human-readable view of one bot turn's trace (the 'glass box')."""
    if not trace:
        return "_no trace stored for this turn_"
    lines = []
    nlu = trace.get("nlu") or {}
    if nlu:
        lines.append(f"- **NLU**: intent `{nlu.get('intent')}` ({float(nlu.get('confidence') or 0):.2f})"
                     f"{' · out of scope' if nlu.get('out_of_scope') else ''} · sentiment {nlu.get('sentiment')}"
                     f" · language {nlu.get('language')}"
                     + (f" · emotions {', '.join(nlu.get('emotions') or [])}" if nlu.get("emotions") else ""))
    policy = trace.get("policy") or {}
    if policy:
        lines.append(f"- **Policy**: `{policy.get('action')}` — {safe_text(str(policy.get('reason')))}")
    retrieval = trace.get("retrieval") or {}
    for hit in (retrieval.get("hits") or [])[:4]:
        lines.append(f"  - chunk `{hit.get('chunk_id')}` from *{safe_text(str(hit.get('title')))}* "
                     f"score {float(hit.get('score') or 0):.3f}")
    for call in trace.get("tool_calls") or []:
        lines.append(f"- **Tool** `{call.get('name')}` {safe_text(json.dumps(call.get('arguments'), ensure_ascii=False))}"
                     f" → {safe_text(json.dumps(call.get('result', call.get('error')), ensure_ascii=False)[:300])}")
    for r in trace.get("redactions") or []:
        lines.append(f"- **Redacted** {r.get('type')} → `{r.get('token')}`")
    gen = trace.get("generation") or {}
    if gen:
        lines.append("- **Generation**: " + ", ".join(f"{k} {v}" for k, v in gen.items() if v is not None))
    timings = trace.get("timings_ms") or {}
    if timings:
        lines.append("- **Timings (ms)**: " + ", ".join(f"{k.removesuffix('_ms')} {v}" for k, v in timings.items()))
    return "\n".join(lines)
