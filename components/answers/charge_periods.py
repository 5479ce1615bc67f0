"""Which period a sum of money is charged for: a month, a year, a week, a day, a night.

"Plus 每个月多少钱？" asks a monthly sum; the unit ranked first ("每年额度为 20,000 欧元": a yearly allowance) holds an
amount and shares the asked words, so the value checks and the confidence model pass it. Its sum is per year, not
per month: another value of the kind asked. So a sum is read with the period word nearest to it in its clause
("€5 a month", "Monthly fee: €5", "每年 50 欧元", "每晚 120 欧元"), and the part's own period word names the period
asked:
- `other_period`: the part asks an amount for one period ("how much is it per month?", "年费多少？"), and every sum
  the evidence states (a unit stating none adds nothing) is read with another period → the evidence states another
  value of the asked kind. A sum with no period word near it, or a part naming no period or several ("monthly or
  yearly?"), decides nothing: only a sum the evidence itself gives for another period stops it.
"""
from __future__ import annotations

import re

from components.answers.evidence_selection import ScoredUnit
from components.answers.question_analysis import QuestionPart

# each period by the words that name it, English and Chinese
_PERIODS = {
    "month": r"\bper month\b|\ba month\b|\bmonthly\b|\b(?:each|every) month\b|/\s?month\b|/\s?mo\b|每个?月|月费|按月|包月",
    "year": r"\bper (?:year|annum)\b|\ba year\b|\byearly\b|\bannual(?:ly)?\b|\b(?:each|every) year\b|/\s?year\b|"
            r"/\s?yr\b|每年|年费|按年|包年",
    "week": r"\bper week\b|\ba week\b|\bweekly\b|\b(?:each|every) week\b|/\s?week\b|每周|每星期|按周",
    "day": r"\bper day\b|\ba day\b|\bdaily\b|\b(?:each|every) day\b|/\s?day\b|每天|每日|按天|按日",
    "night": r"\bper night\b|\ba night\b|\bnightly\b|\b(?:each|every) night\b|/\s?night\b|每晚|每夜",
}
_PERIOD = re.compile("|".join(f"(?P<{k}>{v})" for k, v in _PERIODS.items()), re.I)
_SUM = re.compile(r"[$€£¥￥]\s?\d+(?:[.,]\d+)*|\d[\d,.]*\s?(?:usd|eur|gbp|dollars?|euros?|pounds?|元|美元|欧元|英镑|镑|"
                  r"港币|人民币|美金)", re.I)
_CLAUSE = re.compile(r"[.;!?。；！？\n]|,\s|，")


def period_mentions(text: str) -> list[re.Match]:
    """Where `text` names a period ("per month", "每年"), each match's `lastgroup` the period it names."""
    return list(_PERIOD.finditer(text or ""))


def asked_period(text: str) -> str | None:
    """The one period a part asks a sum for ("per month" → "month"), or None when it names none or several."""
    periods = {m.lastgroup for m in _PERIOD.finditer(text or "")}
    return periods.pop() if len(periods) == 1 else None


def sum_periods(text: str) -> list[str | None]:
    """The period of each sum of money in `text` (None for a sum with no period word in its clause): the period word
    nearest to the sum within its clause, before or after it."""
    text = text or ""
    out = []
    for m in _SUM.finditer(text):
        starts = [c.end() for c in _CLAUSE.finditer(text, 0, m.start())]
        start = starts[-1] if starts else 0
        end_match = _CLAUSE.search(text, m.end())
        end = end_match.start() if end_match else len(text)
        near = [(min(abs(p.start() - m.end()), abs(m.start() - p.end())), p.lastgroup)
                for p in _PERIOD.finditer(text, start, end)]
        out.append(min(near)[1] if near else None)
    return out


def other_period(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why the evidence states sums for another period than the one the part asks for (a year for a month), or
    None."""
    if not evidence or "amount" not in part.types or "yes_no" in part.types:
        return None
    period = asked_period(part.text)
    periods = [p for e in evidence for p in sum_periods(e.unit.text)]
    if period is None or not periods or any(p is None or p == period for p in periods):
        return None
    return (f"asks for a sum per {period}; the sums the evidence states are per "
            f"{' and per '.join(sorted(set(periods)))} (another period)")
