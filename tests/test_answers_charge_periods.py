"""A sum asked for one period is not answered by sums for another (components/answers/charge_periods.py; issue #15:
"Plus 每个月多少钱？" answered with a yearly allowance is a confident wrong answer)."""
from __future__ import annotations

from components.answers.answerability import unanswered
from components.answers.charge_periods import asked_period, other_period, sum_periods
from tests.fakes import last_part, scored_unit


def scored(text, language="en"):
    return scored_unit(text, title="Fees", doc="fees", language=language)


def part(text):
    return last_part(text)


def test_the_period_asked_and_the_period_of_each_sum():
    assert asked_period("how much is Gold per month?") == "month"
    assert asked_period("Gold 年费多少？") == "year"
    assert asked_period("what does Gold cost, monthly or yearly?") is None
    assert asked_period("how much is Gold?") is None
    assert sum_periods("Gold costs €8 a month or €80 a year.") == ["month", "year"]
    assert sum_periods("每年上限为 9,000 欧元，按月付费 6 欧元。") == ["year", "month"]
    assert sum_periods("Joining costs €20.") == [None]


def test_sums_for_another_period_do_not_answer():
    yearly = scored("The yearly allowance is €9,000 per account.")
    monthly = scored("Gold costs €8 a month.")
    both = scored("Gold costs €8 a month or €80 a year.")
    bare = scored("Joining costs €20.")
    asked = part("how much is Gold per month?")
    assert "another period" in other_period(asked, [yearly])
    assert "another period" in unanswered(asked, [yearly], [yearly, monthly])
    assert other_period(asked, [monthly]) is None
    assert other_period(asked, [both]) is None
    assert other_period(asked, [yearly, bare]) is None      # a sum with no period decides nothing
    assert other_period(part("how much is Gold?"), [yearly]) is None
    assert other_period(part("Gold 每个月多少钱？"), [scored("每年额度为 9,000 欧元。", "zh")])
    assert other_period(part("Gold 每个月多少钱？"), [scored("按月付费：Gold 每月 8 欧元。", "zh")]) is None
