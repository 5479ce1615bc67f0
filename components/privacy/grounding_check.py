"""Is a generated knowledge answer supported by the passages it was written from? A cheap, explainable check.

Two signals, both computed in well under a millisecond:
- numbers: every number in the reply (amounts, percentages, durations, counts; English and Chinese number words
  included) must appear in some passage, or in the customer's own question. An invented "30 days" or "$15 fee"
  is the typical failure of a small model and the most harmful one.
- overlap: the share of the reply's content words (English: stemmed words that are not stop words or service
  phrasing; Chinese: character bigrams) that occur in the passages.

A reply fails when it holds an unsupported number, when fewer than two of its content words are in the passages
(apologies, a bare "yes, there is", a cut-off sentence), or when its overlap is below the language's threshold.
The caller replaces a failed answer by a clarification or a handoff and keeps the result in the turn's trace.

Tuned on SmolLM2-135M answers to kb/ questions (tests/test_privacy_grounding.py). What it cannot see: a reply that
reuses the passage's words for a wrong claim ("verify by sending a verification email", "pay with a debit card").
"""
from __future__ import annotations

import re

# below this share of content words found in the passages, a reply is taken as not grounded
MIN_OVERLAP = {"en": 0.5, "zh": 0.35}
# replies with fewer content terms than this are not judged by their overlap share...
MIN_TERMS = 4
# ...but every reply must say at least this many things (content words) that the passages contain
MIN_SUPPORTED_TERMS = 2

_EN_STOP = set("""
a about above after again all also am an and any are as at be been before being below between both but by can
cannot could did do does doing down during each few for from further had has have having he her here hers him his
how i if in into is it its itself just let me more most my no nor not now of off on once only or other our ours out
over own same she should so some such than that the their theirs them then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your yours yourself
yes ok okay sure also via within without however therefore thus may might must shall get gets got make made one
""".split())
# customer-service phrasing: says nothing about the policy, so it neither supports nor undermines grounding
_EN_SERVICE = set("""
hello hi hey dear thank thanks please sorry happy glad help helping assist assistance question questions contact
reach feel free let know need anything else further customer customers service team support today great welcome
kindly sincerely regards hope understand information info detail details answer reply note sure certainly
absolutely course able provide like would want wish apologize apologies inconvenience shop store kefu demo
""".split())
_ZH_FUNCTION = set("的了是在和与及或也都就还而且但如果您你我们他她它这那个些吗呢吧啊哦请把被让给对于从到为以可会能要需")

_EN_NUMBERS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "once": 1, "twice": 2, "single": 1, "double": 2, "half": 0.5,
}
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百千]+")
_UNITS = (r"(?:business\s+days?|working\s+days?|days?|hours?|minutes?|weeks?|months?|years?|%|percent|"
          r"dollars?|usd|cents?|个工作日|工作日|天|小时|分钟|周|星期|个月|月|年|元|美元|块)")
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[$€£¥]?\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?!\d)")
_TOKEN = re.compile(r"\[(?:EMAIL|PHONE|CARD|CN_ID|IBAN|ADDRESS)_\d+\]|\[\d{1,2}\]|#W\d{7}|<[^>]{1,40}>")
_ENUMERATOR = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)、](?=\s*\S)", re.M)


def _strip_enumeration(text: str) -> str:
    """Remove list numbering ("1. ... 2. ...", inline or one per line) when the reply counts 1, 2, ... in order."""
    markers = list(_ENUMERATOR.finditer(text))
    expected, drop = 1, []
    for match in markers:
        if int(match.group(1)) == expected:
            drop.append(match)
            expected += 1
    if expected <= 2:  # a lone "1." is not a list
        return text
    for match in reversed(drop):
        text = text[:match.start()] + " " + text[match.end():]
    return text


def _zh_numeral(text: str) -> float | None:
    """一 2, 十五 15, 二十 20, 三十五 35, 一百 100; None when it is not a plain numeral."""
    if text in ("十",):
        return 10
    total, current = 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "千":
            total += (current or 1) * 1000
            current = 0
        else:
            return None
    return total + current


def _category(prefix: str, unit: str) -> str | None:
    """percent | money | duration | None, from a currency sign before the number or the unit after it."""
    unit = unit.strip().lower()
    if prefix.strip() or unit.startswith(("dollar", "usd", "cent", "元", "美元", "块")):
        return "money"
    if unit.startswith(("%", "percent")):
        return "percent"
    if unit:
        return "duration"
    return None


# "5 to 7 business days": the 5 is a duration too
_RANGE_TAIL = re.compile(r"\s*(?:to|-|–|~|or|至|到|或)\s*(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+|"
                         r"(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|fourteen|fifteen|twenty|"
                         r"thirty|sixty|ninety))\s?(?=" + _UNITS + ")", re.I)


def _unit_after(text: str, end: int) -> tuple[str, str]:
    """(unit, how to write it after the number) for the number ending at `end`; ("", "") when it has none."""
    tail = text[end:end + 40]
    unit = re.match(r"\s?" + _UNITS, tail, re.I)
    if unit:
        return unit.group(0).strip(), unit.group(0)
    ranged = _RANGE_TAIL.match(tail)
    if ranged:
        unit = re.match(_UNITS, tail[ranged.end():], re.I)
        if unit:
            return unit.group(0), " " + unit.group(0)
    return "", ""


def _numbers(text: str) -> list[tuple[str, float, str | None]]:
    """(surface form, value, category) of every number: digits, English and Chinese number words.

    category is percent, money or duration when a unit or currency sign says so (a range "5 to 7 days" gives
    both ends the unit), else None."""
    found: list[tuple[str, float, str | None]] = []
    for match in _NUMBER.finditer(text):
        whole = match.group(1).replace(",", "")
        value = float(f"{whole}.{match.group(2)}" if match.group(2) else whole)
        prefix = re.match(r"[$€£¥]?", match.group(0)).group(0)
        unit, written = _unit_after(text, match.end())
        surface = (match.group(0) + written).strip()
        if text[max(0, match.start() - 3):match.start()] == "百分之":
            unit = "%"
        found.append((surface, value, _category(prefix, unit)))
    for match in re.finditer(r"\b(" + "|".join(_EN_NUMBERS) + r")\b", text, re.I):
        word = match.group(1).lower()
        unit, written = _unit_after(text, match.end())
        # "one" and "once" are usually not a quantity ("one of our agents"): count them only before a unit
        if word in ("one", "once", "single", "half") and not unit:
            continue
        found.append(((match.group(0) + written).strip(), float(_EN_NUMBERS[word]), _category("", unit)))
    for match in _ZH_NUMBER.finditer(text):
        if text.startswith("分之", match.end()) and match.group(0).endswith("百"):
            continue  # the 百 of 百分之 (percent)
        value = _zh_numeral(match.group(0))
        unit, written = _unit_after(text, match.end())
        percent = text[max(0, match.start() - 3):match.start()] == "百分之"
        # a lone 一/两 is mostly an article ("一个问题", "一下"); count it only before a unit
        if value is None or (match.group(0) in ("一", "两") and not unit and not percent):
            continue
        surface = ("百分之" if percent else "") + match.group(0) + written.strip()
        found.append((surface, float(value), "percent" if percent else _category("", unit)))
    return found


def _supported(value: float, category: str | None, known: set[tuple[float, str | None]]) -> bool:
    """A percentage needs a percentage in the sources, a duration a duration; a bare number any number; an amount
    of money an amount or a bare number (prices are often written without a currency)."""
    if category is None:
        return any(v == value for v, _ in known)
    if category == "money":
        return (value, "money") in known or (value, None) in known
    return (value, category) in known


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ments", "ment", "ingly", "ings", "ing", "edly", "ies", "ied", "ed", "es",
                   "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def _terms(text: str, *, for_reply: bool) -> set[str]:
    """English: stemmed content words; Chinese: character bigrams without function characters."""
    lowered = text.lower()
    words = re.findall(r"[a-z][a-z'-]+", lowered)
    terms = {_stem(w.strip("'-")) for w in words
             if w not in _EN_STOP and len(w) >= 3 and (not for_reply or w not in _EN_SERVICE)}
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        for i in range(len(run) - 1):
            pair = run[i:i + 2]
            if pair[0] in _ZH_FUNCTION or pair[1] in _ZH_FUNCTION:
                continue
            terms.add(pair)
    return terms


def check_grounding(reply: str, passages: list[str], *, language: str, question: str = "") -> dict:
    """{grounded, reason, unsupported_numbers, overlap} for a reply written from `passages`.

    `question` (optional): the customer's message; its numbers and words are not counted as invented.
    """
    reply = _strip_enumeration(_TOKEN.sub(" ", str(reply or "")))
    sources = "\n".join(str(p) for p in passages or [])
    if not reply.strip():
        return {"grounded": False, "reason": "the reply is empty", "unsupported_numbers": [], "overlap": 0.0}
    if not sources.strip():
        return {"grounded": False, "reason": "no passage to support the reply", "unsupported_numbers": [],
                "overlap": 0.0}
    known = {(value, category) for _, value, category in _numbers(_TOKEN.sub(" ", sources))}
    known |= {(value, category) for _, value, category in _numbers(_TOKEN.sub(" ", str(question or "")))}
    unsupported: list[str] = []
    for surface, value, category in _numbers(reply):
        if not _supported(value, category, known) and surface not in unsupported:
            unsupported.append(surface)

    reply_terms = _terms(reply, for_reply=True)
    # restating the customer's question is not a claim: its words count as supported too
    source_terms = _terms(sources, for_reply=False) | _terms(str(question or ""), for_reply=False)
    supported_terms = len(reply_terms & source_terms)
    overlap = supported_terms / len(reply_terms) if reply_terms else 0.0
    lang = "zh" if language == "zh" else "en"
    needed = MIN_OVERLAP[lang]
    if unsupported:
        grounded = False
        reason = f"numbers in the reply that appear in no passage: {', '.join(unsupported[:5])}"
    elif supported_terms < MIN_SUPPORTED_TERMS:
        grounded = False
        reason = (f"the reply says too little that the passages support ({supported_terms} of its content words "
                  "are in them): an apology, a bare yes or no, or a cut-off sentence")
    elif len(reply_terms) >= MIN_TERMS and overlap < needed:
        grounded = False
        reason = (f"only {overlap:.0%} of the reply's content words appear in the passages "
                  f"(at least {needed:.0%} needed)")
    else:
        grounded = True
        reason = (f"{overlap:.0%} of the reply's content words appear in the passages and every number is "
                  "in a passage")
    return {"grounded": grounded, "reason": reason, "unsupported_numbers": unsupported,
            "overlap": round(overlap, 3)}
