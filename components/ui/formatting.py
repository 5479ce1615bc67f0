"""Turn core data into safe display text. Customer text is always shown as text: HTML is escaped and Markdown
images (which would load remote URLs) are neutralised."""
from __future__ import annotations

import html
import json
import re

_MD_IMAGE = re.compile(r"!\[")


def safe_text(text: str) -> str:
    escaped = html.escape(text or "", quote=False)
    return _MD_IMAGE.sub(r"!&#8203;[", escaped)


def sources_markdown(sources: list[dict], language: str = "en") -> str:
    if not sources:
        return ""
    label = "来源" if language == "zh" else "Sources"
    items = "; ".join(f"[{i}] {safe_text(s.get('title') or s.get('doc_id', ''))} ({float(s.get('score') or 0):.2f})"
                      for i, s in enumerate(sources, 1))
    return f"\n\n<sub>📚 {label}: {items}</sub>"


def trace_markdown(trace: dict | None) -> str:
    """A compact, human-readable view of one bot turn's trace (the 'glass box')."""
    if not trace:
        return "_no trace stored for this turn_"
    lines = []
    speech = trace.get("speech") or {}
    if speech:
        lines.append(f"- **Spoken** 🎤: {float(speech.get('seconds') or 0):.1f} s of audio, language "
                     f"{speech.get('language')}, transcript confidence {float(speech.get('confidence') or 0):.2f}, "
                     f"transcribed in {(speech.get('timings_ms') or {}).get('transcribe_ms')} ms "
                     f"(RTF {speech.get('rtf')})")
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
