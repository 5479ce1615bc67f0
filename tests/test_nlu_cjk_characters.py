"""The one place that says which characters are Chinese (components/nlu/cjk_characters.py)."""
from __future__ import annotations

import re

from components.nlu.cjk_characters import (CJK, HAN, HAN_NO_HEXAGRAMS, HAN_UNIFIED, HAN_WITH_COMPATIBILITY, cjk_runs,
                                           has_cjk)


def test_chinese_text_and_its_runs():
    assert has_cjk("Plus 月度会员多少钱？")
    assert not has_cjk("how much is Plus monthly?") and not has_cjk(None) and not has_cjk("")
    assert has_cjk("\u3400") and has_cjk("\u9fff") and not has_cjk("\uf900")   # Extension A in, compatibility out
    assert cjk_runs("Plus 月度会员 or 年度会员?") == ["月度会员", "年度会员"]
    assert CJK.pattern == f"[{HAN}]"


def test_the_ranges_modules_read_apart():
    hexagram, compatibility, extension_a = "\u4dc0", "\uf900", "\u3400"
    assert re.search(f"[{HAN}]", hexagram) and not re.search(f"[{HAN_NO_HEXAGRAMS}]", hexagram)
    assert re.search(f"[{HAN_WITH_COMPATIBILITY}]", compatibility) and not re.search(f"[{HAN}]", compatibility)
    assert not re.search(f"[{HAN_UNIFIED}]", extension_a) and re.search(f"[{HAN_NO_HEXAGRAMS}]", extension_a)
