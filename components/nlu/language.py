"""Language of a customer message (zh / en at least). Replies are written in this language."""
from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """'zh' when Chinese characters make up a real share of the letters, else 'en'."""
    cjk = len(_CJK.findall(text or ""))
    latin_words = len(re.findall(r"[A-Za-z]+", text or ""))
    if cjk == 0:
        return "en"
    # one CJK character carries roughly a word; compare characters with Latin words
    return "zh" if cjk >= max(1, latin_words) * 0.5 else "en"
