"""First stage of every turn: turn raw customer input into clean text, or a polite refusal a person can act on."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# C0/C1 control characters except tab and newline; also zero-width and bidi override characters that
# can hide text (kept: ordinary RTL letters, emoji)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@dataclass
class GuardedInput:
    text: str
    ok: bool
    problem: str | None = None      # machine-readable: empty | too_long
    message: str | None = None      # what the customer is told when not ok
    removed_control_chars: int = 0


def guard_input(raw: object, *, max_chars: int, language: str = "en") -> GuardedInput:
    text = "" if raw is None else str(raw)
    text = unicodedata.normalize("NFC", text)
    cleaned, removed = _CONTROL.subn("", text)
    cleaned = cleaned.replace("\r\n", "\n").strip()
    zh = language == "zh"
    if not cleaned:
        return GuardedInput("", False, "empty",
                            "消息是空的：请输入您的问题。" if zh else
                            "Your message is empty: please type a question, for example \"Where is my order?\"",
                            removed)
    if len(cleaned) > max_chars:
        return GuardedInput("", False, "too_long",
                            f"消息有 {len(cleaned):,} 个字符，上限是 {max_chars:,}。请缩短后再发送。" if zh else
                            f"Your message is {len(cleaned):,} characters long; the limit is {max_chars:,}. "
                            "Please shorten it (or upload long documents in the Knowledge base tab).",
                            removed)
    return GuardedInput(cleaned, True, removed_control_chars=removed)
