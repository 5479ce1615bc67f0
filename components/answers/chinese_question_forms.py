"""Chinese question forms read as the words help documents write.

Customers and help articles say the same thing in different forms, and jieba cuts the customer's form into words
that meet nothing:
- `every_period_as_written`: "每个月" (every month, with the measure word 个) is cut 每个 / 月, and 每个 glosses to
  "each", where a price table writes "每月" (one word, glossed "monthly": "Monthly fee: Plus: €5"). So "每个月",
  "每一个月", "每一年", "每个星期", "每个礼拜", "每一天", "每个晚上" are read as the documents' 每月, 每年, 每周, 每天, 每晚
  (the question text itself, as the Chinese numerals of `chinese_counts_as_digits`).
- `without_price_question_word`: "多少钱" (how much money, i.e. what does it cost) is cut 多少 / 钱; 多少 is a question
  word, but 钱 stays a content word, glosses to "money" and is folded with "refund" by the term normaliser, so "Plus
  每个月多少钱？" read as a question about refunds. 钱 in "多少钱", "几块钱" asks for a sum, as "how much" does in English
  (where it is a stopword); the answer type (an amount) is read from the question text, which keeps it. Only the
  terms (evidence_selection.terms) and the dictionary gloss (cross_language.gloss) read the question without it;
  钱 elsewhere ("退货的钱可以退到…") is still the thing asked about.
- `PERIOD_FEES`: "Premium 每月多少钱？" asks the monthly fee, and a price table writes it "月费：Premium: 14.99 欧元": jieba
  cuts 每月 and 月费 as two words that meet nothing, so the row matched only the plan's name and stayed under the
  threshold. 月费 / 年费 (the fee for a month, a year) are the term 每月 / 每年 for the term normaliser
  (evidence_selection.normalize_term), as 付款 is 支付: the question's period meets the fee named by it, and "月费多少"
  meets "每月 15 英镑".
"""
from __future__ import annotations

import re

_PERIOD_WRITTEN = {"月": "月", "年": "年", "周": "周", "星期": "周", "礼拜": "周", "天": "天", "日": "日", "晚": "晚",
                   "晚上": "晚"}
# 每 + a measure word (个, 一, 一个) + the period; not 每个人, 每个订单 (a person, an order: no period)
_EVERY_PERIOD = re.compile(r"每(?:一个|一|个)(晚上|星期|礼拜|月|年|周|天|日|晚)")
# a fee named by its period, and the period word a price question asks it by
PERIOD_FEES = {"月费": "每月", "年费": "每年"}
# 钱 asked as a sum: 多少钱, 几块钱
_PRICE_MONEY = re.compile(r"(?<=多少)钱|(?<=几块)钱")


def every_period_as_written(text: str) -> str:
    """"Plus 每个月多少钱？" -> "Plus 每月多少钱？": a period said with a measure word, as documents write it."""
    return _EVERY_PERIOD.sub(lambda m: "每" + _PERIOD_WRITTEN[m.group(1)], text or "")


def without_price_question_word(text: str) -> str:
    """"学生会员多少钱？" -> "学生会员多少？": the 钱 that only asks for a sum left out of the words that are matched."""
    return _PRICE_MONEY.sub("", text or "")
