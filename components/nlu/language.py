"""Language of a customer message (zh / en at least). Replies are written in this language."""
from __future__ import annotations

import re

from components.nlu.cjk_characters import HAN_NO_HEXAGRAMS

_CJK = re.compile(f"[{HAN_NO_HEXAGRAMS}\uf900-\ufaff]")
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


# a question: an English clause that opens with a question word or an auxiliary, or a Chinese question word or particle
INTERROGATIVE_EN = re.compile(
    r"^\s*(and\s+|also\s+|so\s+|but\s+|then\s+)?(can|could|may|might|is|are|am|was|were|do|does|did|will|would|shall|"
    r"should|have|has|how|what|what's|whats|when|where|which|who|whom|whose|why|is there|are there)\b", re.I)
INTERROGATIVE_ZH = re.compile(r"吗|呢|么|多久|多长|哪些|哪个|哪里|哪儿|什么|怎么|怎样|如何|几[天点个次]|是否|能否|可否|有没有|能不能|"
                              r"可不可以|是不是|多少|为什么|何时")


def is_interrogative(text: str) -> bool:
    """Is the message (or a clause of it) a question? Ends with a question mark, holds a Chinese question word or
    particle, or has an English clause that opens like a question. "我的订单到哪了" is not one here: the message
    kind reads it as a request for the order desk (the sentiment reading adds 哪 for its own use)."""
    text = (text or "").strip()
    if not text:
        return False
    if text.endswith(("?", "？")):
        return True
    if INTERROGATIVE_ZH.search(text):
        return True
    # "going to turkey next week, can i use my phone there and how much": a question after a comma or an "and"
    return any(INTERROGATIVE_EN.match(clause) for clause in re.split(r"[,;:]\s*|\s+and\s+|\s+but\s+", text))
