"""Language of a customer message (zh / en at least). Replies are written in this language."""
from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """'zh' when Chinese characters make up a real share of the letters, else 'en'."""
    cjk = len(_CJK.findall(text or ""))
    latin_words = len(re.findall(r"[A-Za-z]+", text or ""))
    if cjk == 0:
        return "en"
    # one CJK character carries roughly a word; compare characters with Latin words
    return "zh" if cjk >= max(1, latin_words) * 0.5 else "en"


# what says nothing about the language: redaction tokens ([EMAIL_1]), e-mails, order numbers, numbers, and the
# month names and am/pm of a date or time ("born March 3, 1990", "10 am")
_NO_LANGUAGE = re.compile(r"\[[A-Z_]+\d*\]|\S+@\S+|#?\s?[Ww]\s?\d+|\d+|\b(january|february|march|april|may|june|"
                          r"july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|"
                          r"nov|dec|am|pm)\b", re.I)


def carries_language(text: str) -> bool:
    """Does the message show its language: a Chinese character, or an English word of three letters or more that is
    not part of a date, a number or an identifier? "31570922 1979-11-03 5566", "#W1234567", "[EMAIL_1]" and
    "March 3, 1990" do not; a reply to them keeps the conversation's language."""
    text = text or ""
    return bool(_CJK.search(text)) or bool(re.search(r"[A-Za-z]{3,}", _NO_LANGUAGE.sub(" ", text)))
