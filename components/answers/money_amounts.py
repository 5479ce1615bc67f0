"""Sums of money in a text: each with its value, currency and span, and the charge word and the period word that
belong to it ("a penalty of €250", "€5.99 a month", "每年 50 欧元").

Five checks read money: whether evidence states a sum at all (`evidence_selection.has_value`, `answerability.no_value`),
which charge a sum is (`charge_kinds`), which period it is charged for (`charge_periods`), and the customer's own sum
against a limit the evidence states (`number_conditions`: "my basket is only €8" against "free delivery from €30").
They read it here, one way:
- a sum is a number written with its currency: a sign before it ("€250", "$ 12.99", "¥80", "€12k"), a currency name
  after it ("25 euros", "50 cents", "120 元", "20 港币", "30 块"); a bare number is none ("room 12", "2 screens"), and
  so is "50 pounds" (a weight as often as a sum: `number_conditions` reads it as lb; "£50" is the sum);
- its value reads "1,299.00" and "1.299,00" as one thousand two hundred and ninety-nine, "12,50" as twelve and a half,
  "€12k" as twelve thousand; currencies are named, never converted;
- `FREE` is what says a thing costs nothing ("free", "no fee", "waived", 免费, 不收取): the value of a price, but no sum
  of its own; a free span of time ("about two months free", "30 days free") says how long, not how much, so
  `free_of_charge` leaves it out;
- the words that belong to a sum are read in its clause (`clause_span`: a sentence, or its piece cut at ";", ", " or
  "，"; a decimal point cuts nothing, nor a comma between two sums: "an excess of £0, £100 or £250"): its charge word
  is the nearest among the `CHARGE_BEFORE` words before it, else the `CHARGE_AFTER` words after it ("we charge a
  penalty of €250", "a €30 deposit"; "costs", "charge" say only that it is paid); its period word is the nearest
  period named in the clause, before or after ("Monthly fee: €5", "€5 a month", "每年 50 欧元"). The two differ on
  purpose: a charge is named before its sum ("an admin fee of €35 per fine" is a fee, not a fine), a period mostly
  after it ("£4.99 a month or £49 a year").
`asks_money` tells a question that asks for a sum ("how much is Premium for a year?", "what does it cost?") from one
asking how much of something else ("how much data", "how much notice").
"""
from __future__ import annotations

import dataclasses
import re

# a number as written in a sum: digits with "," or "." groups ("1,299.00", "12,50"); a trailing mark is no digit
_NUMBER = r"\d+(?:[.,]\d+)*"
_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "￥": "CNY"}
_NAMES = {"usd": "USD", "dollar": "USD", "dollars": "USD", "eur": "EUR", "euro": "EUR", "euros": "EUR",
          "gbp": "GBP", "cent": "cent", "cents": "cent",
          "元": "CNY", "块": "CNY", "人民币": "CNY", "美元": "USD", "美金": "USD", "欧元": "EUR", "英镑": "GBP",
          "镑": "GBP", "港币": "HKD", "法郎": "CHF", "卢比": "INR", "比索": "MXN"}
_SIGN = "[$€£¥￥]"
_ENGLISH_NAME = r"usd|eur|gbp|dollars?|euros?|cents?"
_CHINESE_NAME = "人民币|美元|美金|欧元|英镑|港币|法郎|卢比|比索|元|镑|块"
SUM = re.compile(rf"(?P<sign>{_SIGN})\s?(?P<before>{_NUMBER})(?P<k1>\s?k\b)?|"
                 rf"(?P<after>{_NUMBER})(?P<k2>\s?k)?\s?(?:(?P<name>{_ENGLISH_NAME})\b|(?P<zh>{_CHINESE_NAME}))", re.I)
# what says a thing costs nothing: the value of a price, no sum ("不收货" is no charge waived)
FREE = re.compile(r"\bfree\b|\bno (?:fee|charge|cost)s?\b|\bwaived?\b|免费|不收取|不收(?!购|货|到)|免收|无需支付", re.I)
# a span of time that is free ("about two months free", "30 days free"): how long, not how much; a free trial is
# free ("a 7-day free trial": the trial costs nothing)
_SPAN_COUNT = r"\d[\d,.]*|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
FREE_SPAN = re.compile(rf"\b(?:{_SPAN_COUNT})[\s-]?(?:days?|weeks?|months?|years?|nights?)\s+free\b(?!\s+trial)", re.I)

# the kinds of charge, each by the words that name it (a price by its many names)
CHARGE_KINDS = {
    "price": "fee fees charge charges cost costs price prices surcharge surcharges",
    "penalty": "penalty penalties fine fines",
    "deposit": "deposit deposits pre-authorisation pre-authorization",
    "excess": "excess excesses deductible deductibles",
    "refund": "refund refunds refunded compensation voucher vouchers credit",
}
CHARGE_OF = {w: kind for kind, words in CHARGE_KINDS.items() for w in words.split()}
# beside a sum, these say only that it is paid ("A no-show costs $5", "we charge a penalty of €250"): the noun near it
# names the charge
PAID = frozenset("cost costs charge charges charged".split())
CHARGE_BEFORE, CHARGE_AFTER = 6, 2   # how many words before / after a sum its charge word may stand
WORD = re.compile(r"[a-z][\w-]*", re.I)

# each period by the words that name it, English and Chinese
PERIODS = {
    "month": r"\bper month\b|\ba month\b|\bmonthly\b|\b(?:each|every) month\b|/\s?month\b|/\s?mo\b|每个?月|月费|按月|包月",
    "year": r"\bper (?:year|annum)\b|\ba year\b|\byearly\b|\bannual(?:ly)?\b|\b(?:each|every) year\b|/\s?year\b|"
            r"/\s?yr\b|每年|年费|按年|包年",
    "week": r"\bper week\b|\ba week\b|\bweekly\b|\b(?:each|every) week\b|/\s?week\b|每周|每星期|按周",
    "day": r"\bper day\b|\ba day\b|\bdaily\b|\b(?:each|every) day\b|/\s?day\b|每天|每日|按天|按日",
    "night": r"\bper night\b|\ba night\b|\bnightly\b|\b(?:each|every) night\b|/\s?night\b|每晚|每夜",
}
PERIOD = re.compile("|".join(f"(?P<{k}>{v})" for k, v in PERIODS.items()), re.I)

# a clause ends at a sentence mark, ";", a line, ", " or "，"; a point between digits ("€1.50") ends nothing, nor a
# comma between two sums ("a voluntary excess of £0, £100, £250 or £500", "$25 (Classic), $30 (Gold)": one charge
# word for the list)
_CLAUSE_END = re.compile(r"(?<!\d)\.|\.(?!\d)|[;!?。；！？\n]|(?<![\d*_)]),\s|,\s(?![*_]*[$€£¥￥]?\d)|，")

# a question asking for a sum: by a word of paying ("cost", "fee", "pay"), or "how much is / are / would …" ("How
# much is Premium for a year?"; not "how much data do I get", "how much notice"); in Chinese by "多少钱" / "几块钱"
# (how much money) or a word of charging (价格, 费用, 收费, 月费, 年费; not 多少次, 多少天)
_ASKS_MONEY = re.compile(r"\b(?:pay|paid|cost|costs|price|prices|fee|fees|charge|charges|charged)\b|"
                         r"\bhow much(?:'s| is| are| was| were| would| will)\b|"
                         r"多少钱|几块钱|价格|价钱|费用|收费|月费|年费|手续费", re.I)


@dataclasses.dataclass(frozen=True)
class Sum:
    """A sum of money in a text: its value, currency ("EUR", "USD", "GBP", "CNY", "HKD", … or "cent") and span, with
    the charge kind ("price", "penalty", "deposit", "excess", "refund") and the period ("month", "year", "week",
    "day", "night") that belong to it, or None."""
    value: float
    currency: str
    start: int
    end: int
    text: str
    charge: str | None = None
    period: str | None = None


def number_value(text: str) -> float:
    """The value of a number as written in a sum: "1,299.00" and "1.299,00" → 1299, "12,50" → 12.5, "1,000" → 1000."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", text) and ("," in text or text.count(".") > 1):
        return float(text.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d+,\d{1,2}", text):
        return float(text.replace(",", "."))
    return float(text.replace(",", ""))


def clause_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The clause of `text` around `start`..`end`: from the clause end before it to the one after it."""
    ends = [c.end() for c in _CLAUSE_END.finditer(text) if c.end() <= start]
    after = _CLAUSE_END.search(text, end)
    return (ends[-1] if ends else 0), (after.start() if after else len(text))


def charge_word(text: str, start: int, end: int) -> str | None:
    """The kind of charge named nearest to the span in its clause: among the `CHARGE_BEFORE` words before it, else
    the `CHARGE_AFTER` words after it; "costs", "charge" name none."""
    clause_start, clause_end = clause_span(text, start, end)
    before = [w.lower() for w in WORD.findall(text[clause_start:start])][-CHARGE_BEFORE:]
    after = [w.lower() for w in WORD.findall(text[end:clause_end])][:CHARGE_AFTER]
    return next((CHARGE_OF[w] for w in reversed(before) if w in CHARGE_OF and w not in PAID), None) or \
        next((CHARGE_OF[w] for w in after if w in CHARGE_OF and w not in PAID), None)


def period_word(text: str, start: int, end: int) -> str | None:
    """The period named nearest to the span in its clause, before or after it."""
    clause_start, clause_end = clause_span(text, start, end)
    near = [(min(abs(p.start() - end), abs(start - p.end())), p.lastgroup)
            for p in PERIOD.finditer(text, clause_start, clause_end)]
    return min(near)[1] if near else None


def sums(text: str) -> list[Sum]:
    """Every sum of money in `text`, in order, with its charge and period words."""
    text = text or ""
    found = []
    for m in SUM.finditer(text):
        if m.group("sign"):
            value, currency, k = number_value(m.group("before")), _SIGNS[m.group("sign")], m.group("k1")
        else:
            value, k = number_value(m.group("after")), m.group("k2")
            currency = _NAMES[(m.group("name") or m.group("zh")).lower()]
        found.append(Sum(value * (1000 if k else 1), currency, m.start(), m.end(), m.group(0),
                         charge_word(text, m.start(), m.end()), period_word(text, m.start(), m.end())))
    return found


# how many free things there are ("每月免费股票和 ETF 交易次数": the number of free trades a month): how many, not how much
FREE_COUNT_ZH = re.compile(r"免费[^，。；;:：\d]{0,12}?(?:次数|天数|名额|时长)")


def free_of_charge(text: str) -> bool:
    """True when `text` says a thing costs nothing ("free", "no fee", "免费"), besides a free span of time ("about
    two months free": how long, not how much) or a count of free things ("免费交易次数")."""
    return bool(FREE.search(FREE_COUNT_ZH.sub(" ", FREE_SPAN.sub(" ", text or ""))))


def asks_money(text: str) -> bool:
    """True when a question asks for a sum of money by a word of paying or "how much is …"."""
    return bool(_ASKS_MONEY.search(text or ""))
