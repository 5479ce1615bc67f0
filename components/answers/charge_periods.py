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
from components.answers.money_amounts import PERIOD as _PERIOD, sums
from components.answers.question_analysis import QuestionPart


def period_mentions(text: str) -> list[re.Match]:
    """Where `text` names a period ("per month", "每年"), each match's `lastgroup` the period it names."""
    return list(_PERIOD.finditer(text or ""))


def asked_period(text: str) -> str | None:
    """The one period a part asks a sum for ("per month" → "month"), or None when it names none or several."""
    periods = {m.lastgroup for m in _PERIOD.finditer(text or "")}
    return periods.pop() if len(periods) == 1 else None


def sum_periods(text: str) -> list[str | None]:
    """The period of each sum of money in `text` (None for a sum with no period word in its clause): the period word
    nearest to the sum within its clause, before or after it (`money_amounts.period_word`)."""
    return [s.period for s in sums(text)]


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
