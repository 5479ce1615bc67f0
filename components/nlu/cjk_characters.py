"""Which characters are Chinese: the one place that writes the CJK ideograph ranges, for every module that asks "does
this text hold Chinese?" (`has_cjk`) or "where are its Chinese runs?" (`CJK_RUN`, `cjk_runs`), or builds a pattern
of its own around them (`HAN` inside a character class: rf"[{HAN}]{{2,6}}").

Modules read a few ranges, and each keeps the one it read before, so that no reading changes:
- `HAN` (U+3400-U+9FFF): CJK Unified Ideographs with Extension A; the answers, the knowledge base and the
  dialogue read this one;
- `HAN_WITH_COMPATIBILITY`: `HAN` and the CJK Compatibility Ideographs (U+F900-U+FAFF): the keyword index, the
  chunker, the loaders and the document vocabulary count those as Chinese too;
- `HAN_NO_HEXAGRAMS` (U+3400-U+4DBF, U+4E00-U+9FFF): `HAN` without the Yijing hexagram symbols (U+4DC0-U+4DFF),
  as the intent classifier, the sentiment data and the desks read it;
- `HAN_UNIFIED` (U+4E00-U+9FFF): the Unified Ideographs alone (no Extension A), as the UI's word count, the
  injection guard, the bias audit, the knowledge-gap report and the name patterns read it.
"""
from __future__ import annotations

import re

HAN = "\u3400-\u9fff"
HAN_WITH_COMPATIBILITY = HAN + "\uf900-\ufaff"
HAN_NO_HEXAGRAMS = "\u3400-\u4dbf\u4e00-\u9fff"
HAN_UNIFIED = "\u4e00-\u9fff"

CJK = re.compile(f"[{HAN}]")
CJK_RUN = re.compile(f"[{HAN}]+")


def has_cjk(text: str | None) -> bool:
    """Does the text hold a Chinese character (`HAN`)?"""
    return bool(CJK.search(text or ""))


def cjk_runs(text: str | None) -> list[str]:
    """The text's runs of Chinese characters, in order ("Plus 月度会员多少钱" -> ["月度会员多少钱"])."""
    return CJK_RUN.findall(text or "")
