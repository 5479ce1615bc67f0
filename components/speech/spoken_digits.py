"""Digit strings a Mandarin speaker reads out, written as digits in the transcript.

Whisper base writes a read-out number sometimes in Arabic digits ("13740052246") and sometimes in Chinese numerals
("一三零七三七零五三二一"), and the telephone "幺" for one. The order desk and the NLU look for digits (an order id
is seven, a phone number eleven), so a run of five or more Chinese digit characters — a digit-by-digit reading, never
a counted number (those have 十/百/千/万 between) and not a year or a date (four digits at most) — becomes digits:
"我的订单号是八二七三六四五" → "我的订单号是8273645". Words with repeated numerals ("一一", "三三两两", "七七八八")
are shorter or broken by another character and stay as they are. The scoring normalisation reads digit strings of
five or more back digit by digit, so the conversion changes no error rate.
"""
from __future__ import annotations

import re

_DIGIT_VALUES = {"零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
                 "七": "7", "八": "8", "九": "9"}
MIN_RUN = 5
_RUN = re.compile(f"[{''.join(_DIGIT_VALUES)}]{{{MIN_RUN},}}")


def digits_for_read_out_numbers(text: str) -> str:
    """Each run of at least MIN_RUN Chinese digit characters written as Arabic digits; the rest unchanged."""
    return _RUN.sub(lambda m: "".join(_DIGIT_VALUES[ch] for ch in m.group(0)), text)
