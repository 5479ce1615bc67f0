"""Reading identity details out of a message: an id of a given shape, a birth date, a card's last four digits.

Each reader is `(text, awaiting_identity) -> value | None`; a birth date or bare digits count only while the desk
waits for the identity, or when the message says what they are ("born ...", "尾号 ...").
"""
from __future__ import annotations

import re
from typing import Callable

from components.workspaces.desks.desk_dates import read_dates, strip_dates

_BIRTH_WORDS = re.compile(r"\b(born|birth|dob|birthday|date of birth)\b|出生|生日", re.I)
_LAST4_SAID = re.compile(r"(?:last (?:four|4)(?: digits)?|ending(?: in| with)?|ends? (?:in|with)|card(?: number)?|"
                         r"尾号|后四位|末四位|卡号)\D{0,14}?(?<!\d)(\d{4})(?!\d)", re.I)
_FOUR = re.compile(r"(?<![\d-])(\d{4})(?![\d-])")


def id_reader(pattern: str, normalise: Callable[[str], str] = str.upper):
    """A reader for an id matching `pattern` (one group: the id)."""
    compiled = re.compile(pattern, re.I)

    def read(text: str, awaiting: bool) -> str | None:
        match = compiled.search(strip_dates(text or ""))
        return normalise(match.group(1)) if match else None
    return read


def read_birth_date(text: str, awaiting: bool, has_id: Callable[[str], bool] = lambda _: False) -> str | None:
    if not (awaiting or _BIRTH_WORDS.search(text or "") or has_id(text or "")):
        return None
    dates = read_dates(text or "")
    return dates[0] if dates else None


def last4_reader(id_pattern: str):
    """The last four digits of a card: said as such, or a lone 4-digit number while verifying."""
    other_id = re.compile(id_pattern, re.I)

    def read(text: str, awaiting: bool) -> str | None:
        plain = other_id.sub(" ", strip_dates(text or ""))
        said = _LAST4_SAID.search(plain)
        if said:
            return said.group(1)
        if awaiting:
            lone = _FOUR.findall(plain)
            if len(lone) == 1:
                return lone[0]
        return None
    return read
