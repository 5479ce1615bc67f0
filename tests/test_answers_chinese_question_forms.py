"""Chinese question forms read as documents write them (components/answers/chinese_question_forms.py): a period
said with a measure word (每个月 → 每月) and the 钱 of "多少钱" as a question word (issue #15, Chinese questions)."""
from __future__ import annotations

import pytest

from components.answers.chinese_question_forms import every_period_as_written, without_price_question_word
from components.answers.cross_language import gloss
from components.answers.evidence_selection import terms


@pytest.mark.parametrize("text, expected", [
    ("Plus 每个月多少钱？", "Plus 每月多少钱？"),
    ("每一年能用几次？", "每年能用几次？"),
    ("每个星期开几天？", "每周开几天？"),
    ("加床每个晚上多少钱", "加床每晚多少钱"),
    ("每个人可以带几个朋友？", "每个人可以带几个朋友？"),   # a person, not a period
    ("每个订单只能用一次吗", "每个订单只能用一次吗"),
])
def test_a_period_said_with_a_measure_word_is_read_as_documents_write_it(text, expected):
    assert every_period_as_written(text) == expected


def test_a_monthly_price_question_shares_the_price_tables_words():
    # jieba cuts 每个月 into 每个 / 月; the table writes 每月
    asked = set(terms(every_period_as_written("固定座位每个月多少钱？")))
    assert "每月" in asked and "每个" not in asked
    assert "每月" in asked & set(terms("价格：固定座位: 每月 300 欧元"))


@pytest.mark.parametrize("text", ["Plus 每月多少钱？", "学生会员多少钱？", "托管一天几块钱"])
def test_the_money_of_how_much_money_is_a_question_word(text):
    assert "钱" not in terms(text)
    assert "钱" not in without_price_question_word(text)


def test_money_that_is_asked_about_stays():
    assert "钱" in terms("退货的钱可以退到别的卡上吗？")


def test_how_much_money_does_not_gloss_to_money_or_refund():
    documents = set(terms("Monthly fee: Plus €5. Money back: a refund within 5 days."))
    words = gloss("Plus 每月多少钱？", lambda t: t in documents, terms).text.split()
    assert "monthly" in words
    assert "money" not in words and "refund" not in words


def test_a_price_question_by_its_period_meets_the_fee_named_by_the_period():
    # invented: a gym's price table writes the monthly fee 月费; the customer asks what it costs 每月
    assert "每月" in set(terms(every_period_as_written("Gold 每个月多少钱？"))) & set(terms("月费：Gold: 39 欧元"))
    assert "每年" in set(terms("年费多少？")) & set(terms("价格：Gold: 每年 390 欧元"))
    assert "每月" not in set(terms("年费：Gold: 390 欧元"))
