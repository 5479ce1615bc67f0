"""Dates and times as customers write them, in English and Chinese, read into ISO strings.

`read_dates("born 1985-03-14")` -> ["1985-03-14"]; "March 14, 1985", "14 March 1985", "1985/3/14", "1985年3月14日"
read the same. Without a year ("January 12", "1月12日") the `default_year` is used. `read_time("3:30 pm")` ->
"15:30"; "10am", "15:00", "上午10点", "下午3点半", "10点30分" too. Pure functions.
"""
from __future__ import annotations

import re
from datetime import date

_MONTHS = {name: i + 1 for i, names in enumerate([
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
    ("december", "dec")]) for name in names}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?!\d)")
_ZH_FULL = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_ZH_SHORT = re.compile(r"(?<![\d年])(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_EN_MDY = re.compile(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+((?:19|20)\d{2}))?(?!\d)", re.I)
_EN_DMY = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+((?:19|20)\d{2}))?(?!\d)",
                     re.I)
_DMY_SLASH = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})(?!\d)")

_TIME_EN = re.compile(r"(?<![\d:])(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)|(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])",
                      re.I)
_TIME_ZH = re.compile(r"(上午|早上|中午|下午|晚上)?\s*(\d{1,2})\s*[点點时](?:\s*(半|(\d{1,2})\s*分?))?")
_ZH_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10,
           "十一": 11, "十二": 12}


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _zh_numbers(text: str) -> str:
    """"三点" -> "3点", "十一点" -> "11点" (only before 点/月/号/日, where a Chinese numeral is a number)."""
    return re.sub(r"(十[一二]|[一二两三四五六七八九十])(?=\s*[点點时月号日])", lambda m: str(_ZH_NUM[m.group(1)]), text)


def read_dates(text: str, default_year: int | None = None) -> list[str]:
    """Every date in `text`, in order of appearance, as YYYY-MM-DD (impossible dates are left out)."""
    text = _zh_numbers(text or "")
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match, value: str | None) -> None:
        if value and not any(s < match.end() and match.start() < e for s, e in taken):
            found.append((match.start(), value))
            taken.append((match.start(), match.end()))

    for m in _ISO.finditer(text):
        add(m, _iso(m.group(1), m.group(2), m.group(3)))
    for m in _ZH_FULL.finditer(text):
        add(m, _iso(m.group(1), m.group(2), m.group(3)))
    for m in _DMY_SLASH.finditer(text):
        add(m, _iso(m.group(3), m.group(2), m.group(1)))
    for m in _EN_MDY.finditer(text):
        year = m.group(3) or default_year
        add(m, _iso(year, _MONTHS[m.group(1).lower().rstrip(".")], m.group(2)) if year else None)
    for m in _EN_DMY.finditer(text):
        year = m.group(3) or default_year
        add(m, _iso(year, _MONTHS[m.group(2).lower().rstrip(".")], m.group(1)) if year else None)
    if default_year:
        for m in _ZH_SHORT.finditer(text):
            add(m, _iso(default_year, m.group(1), m.group(2)))
    return [value for _, value in sorted(found)]


def strip_dates(text: str) -> str:
    """`text` without its dates (so a year is not read as, say, the last four digits of a card)."""
    text = _zh_numbers(text or "")
    for pattern in (_ISO, _ZH_FULL, _DMY_SLASH, _EN_MDY, _EN_DMY, _ZH_SHORT):
        text = pattern.sub(" ", text)
    return text


def read_time(text: str) -> str | None:
    """The first time of day in `text` as HH:MM (24-hour), or None."""
    text = _zh_numbers(strip_dates(text or ""))
    m = _TIME_EN.search(text)
    if m:
        if m.group(3):
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            pm = m.group(3).lower().startswith("p")
            if hour > 12:
                return None
            hour = (hour % 12) + (12 if pm else 0)
        else:
            hour, minute = int(m.group(4)), int(m.group(5))
        return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None
    m = _TIME_ZH.search(text)
    if m:
        part, hour = m.group(1), int(m.group(2))
        minute = 30 if m.group(3) == "半" else int(m.group(4) or 0)
        if part in ("下午", "晚上") and hour < 12:
            hour += 12
        if part == "中午" and hour < 6:
            hour += 12
        return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else None
    return None
