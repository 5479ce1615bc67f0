"""Word and character error rates, after the normalisation the evaluation promises.

English: lower-case, punctuation removed, numbers written as words ("700" → "seven hundred", "1850" → "eighteen
fifty": the LJ Speech transcripts spell numbers out, Whisper writes digits). Chinese: punctuation and spaces removed,
Arabic numerals read out in Chinese ("3月" → "三月", "80%" → "百分之八十", "2015年" and long digit strings digit by
digit, "8.5" → "八点五") and the telephone "幺" read as "一" (AISHELL reads numbers that way). `raw` scores skip the
number rules, so the effect of the normalisation is visible in the evaluation's output.
"""
from __future__ import annotations

import re
import unicodedata

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ZH_DIGITS = "零一二三四五六七八九"


def _english_number(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + _english_number(rest))
    for size, name in ((10 ** 9, "billion"), (10 ** 6, "million"), (1000, "thousand")):
        if n >= size:
            rest = n % size
            return _english_number(n // size) + " " + name + ("" if rest == 0 else " " + _english_number(rest))
    return str(n)


def _english_digits(match: re.Match) -> str:
    text = match.group(0).replace(",", "")
    n = int(text)
    if len(text) == 4 and 1100 <= n <= 1999 and n % 100 != 0:  # a year, read the way the speaker reads it
        rest = n % 100
        return _english_number(n // 100) + " " + ("oh " + _ONES[rest] if rest < 10 else _english_number(rest))
    return _english_number(n)


def normalize_english(text: str, numbers: bool = True) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    if numbers:
        text = re.sub(r"\d{1,3}(?:,\d{3})+|\d+", _english_digits, text)
    text = re.sub(r"[^\w\s']|_", " ", text).replace("'", "")
    return text.split()


def _chinese_cardinal(n: int) -> str:
    if n == 0:
        return "零"
    units = [(10 ** 8, "亿"), (10 ** 4, "万"), (1000, "千"), (100, "百"), (10, "十")]
    out, zero_pending = "", False
    for size, name in units:
        q, n = divmod(n, size)
        if q:
            if zero_pending:
                out += "零"
            out += (_chinese_cardinal(q) if q >= 10 else _ZH_DIGITS[q]) + name
            zero_pending = False
        elif out:
            zero_pending = True
    if n:
        out += ("零" if zero_pending else "") + _ZH_DIGITS[n]
    return out[1:] if out.startswith("一十") else out


def _chinese_number(match: re.Match) -> str:
    whole, fraction, percent, year = match.group(1), match.group(2), match.group(3), match.group(4)
    if year or len(whole) >= 5 or (len(whole) > 1 and whole.startswith("0")):
        spoken = "".join(_ZH_DIGITS[int(d)] for d in whole)
    else:
        spoken = _chinese_cardinal(int(whole))
    if fraction:
        spoken += "点" + "".join(_ZH_DIGITS[int(d)] for d in fraction)
    return ("百分之" + spoken if percent else spoken) + (year or "")


def normalize_chinese(text: str, numbers: bool = True) -> str:
    text = unicodedata.normalize("NFKC", text)
    if numbers:
        text = re.sub(r"(\d+)(?:\.(\d+))?(%)?(年)?", _chinese_number, text).replace("幺", "一")
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith(("P", "S"))))


def edit_operations(reference: list | str, hypothesis: list | str) -> tuple[int, int, int]:
    """(substitutions, deletions, insertions) of one cheapest alignment: substituted words or characters are
    misheard ones (homophones), deletions dropped ones, insertions made-up or repeated ones."""
    n, m = len(reference), len(hypothesis)
    cost = [list(range(m + 1))] + [[i] + [0] * m for i in range(1, n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1,
                             cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]))
    ops, i, j = [0, 0, 0], n, m
    while i or j:
        if i and j and cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            ops[0] += reference[i - 1] != hypothesis[j - 1]
            i, j = i - 1, j - 1
        elif i and cost[i][j] == cost[i - 1][j] + 1:
            ops[1], i = ops[1] + 1, i - 1
        else:
            ops[2], j = ops[2] + 1, j - 1
    return ops[0], ops[1], ops[2]


def edit_distance(reference: list | str, hypothesis: list | str) -> int:
    return sum(edit_operations(reference, hypothesis))


def error_counts(reference: str, hypothesis: str, language: str, numbers: bool = True) -> tuple[int, int]:
    """(edits, reference length) in words for English, in characters for Chinese."""
    edits, length = error_operations(reference, hypothesis, language, numbers)
    return sum(edits), length


def error_operations(reference: str, hypothesis: str, language: str,
                     numbers: bool = True) -> tuple[tuple[int, int, int], int]:
    """((substitutions, deletions, insertions), reference length) after the language's normalisation."""
    if language == "zh":
        ref, hyp = normalize_chinese(reference, numbers), normalize_chinese(hypothesis, numbers)
    else:
        ref, hyp = normalize_english(reference, numbers), normalize_english(hypothesis, numbers)
    return edit_operations(ref, hyp), len(ref)
