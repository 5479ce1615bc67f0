"""Entities in a customer message: order id, email, zip code, item ids, the customer's name (English and Chinese).

Order ids follow the demo shop (tau-bench retail): "#W" and seven digits; "W1234567" and "w1234567" are accepted and
normalised to "#W1234567". Item ids are ten digits, zip codes five.
"""
from __future__ import annotations

import re
import unicodedata

_ORDER_ID = re.compile(r"(?<![A-Za-z0-9])#?\s?[Ww](\d{7})(?!\d)")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])"
                    r"([A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
_ITEM_ID = re.compile(r"(?<![\d#A-Za-z])(\d{10})(?!\d)")
_ZIP = re.compile(r"(?<![\d#A-Za-z$.,])(\d{5})(?:-\d{4})?(?![\d.,])")
_ZIP_CUE = re.compile(r"zip|postal|postcode|邮编|邮政编码", re.IGNORECASE)

# "my name is Yusuf Rossi", "I'm Yusuf Rossi", "this is Yusuf Rossi", "name: Yusuf Rossi"
_NAME_EN = re.compile(
    r"\b(?:my name is|my name's|name is|name:|i am|i'm|im|this is|call me)\s+"
    r"([A-Za-z][A-Za-z'\-]+(?:\s+[A-Za-z][A-Za-z'\-]+){0,2})", re.IGNORECASE)
_NAME_STOP = {"and", "my", "zip", "the", "from", "with", "at", "in", "email", "order", "here", "not", "looking",
              "trying", "calling", "writing", "waiting", "a", "an", "so", "very", "really", "still", "having",
              "going", "sorry", "fine", "good", "ok", "okay", "interested", "unhappy", "happy", "angry", "upset",
              "frustrated", "done", "sure", "but", "postal", "code", "i", "you", "your", "it", "is", "was", "to",
              "for", "of", "on", "about", "just", "also", "please", "thanks", "thank", "want", "would", "need",
              "can", "could", "will", "live", "living", "again", "new", "back", "glad"}
# "我叫张三", "我的名字是张三", "我是张三" (a name is 2-4 characters, or Latin words)
_NAME_ZH = re.compile(r"(?:我叫|我的名字是|我的名字叫|名字是|姓名是|姓名[:：]|我是)\s*"
                      r"([A-Za-z][A-Za-z'\-]+(?:\s+[A-Za-z][A-Za-z'\-]+){0,2}|[\u4e00-\u9fff·]{2,4})")
_ZH_NOT_NAME = ("客户", "顾客", "会员", "用户", "买家", "新", "老", "第一次", "来", "想", "要", "在", "不", "很", "非常")


def _english_name(text: str) -> str | None:
    for match in _NAME_EN.finditer(text):
        words = []
        for word in match.group(1).split():
            if word.lower() in _NAME_STOP:
                break
            words.append(word)
        cue = match.group(0).lower()
        # "I am"/"this is" often precede something else ("I am waiting"): accept them only for 2+ words
        # written with capitals, "my name is" for any words
        weak_cue = not ("name" in cue or "call me" in cue)
        if not words or (weak_cue and (len(words) < 2 or not all(w[0].isupper() for w in words))):
            continue
        return " ".join(w[:1].upper() + w[1:].lower() if w.islower() or w.isupper() else w for w in words)
    return None


def _chinese_name(text: str) -> str | None:
    match = _NAME_ZH.search(text)
    if not match:
        return None
    name = match.group(1).strip()
    if name.startswith(_ZH_NOT_NAME):
        return None
    if re.match(r"[A-Za-z]", name):
        return " ".join(w[:1].upper() + w[1:] for w in name.split())
    return name


def extract_entities(text: str) -> dict[str, str]:
    """Entities found in `text` as strings; several item ids are joined with commas under "item_ids"."""
    text = unicodedata.normalize("NFKC", text or "")
    found: dict[str, str] = {}
    orders = [f"#W{digits}" for digits in _ORDER_ID.findall(text)]
    if orders:
        found["order_id"] = orders[0]
        if len(orders) > 1:
            found["order_ids"] = ",".join(dict.fromkeys(orders))
    email = _EMAIL.search(text)
    if email:
        found["email"] = email.group(1).lower()
    # order ids and emails are taken out before looking for bare numbers
    rest = _EMAIL.sub(" ", _ORDER_ID.sub(" ", text))
    items = _ITEM_ID.findall(rest)
    if items:
        found["item_id"] = items[0]
        found["item_ids"] = ",".join(dict.fromkeys(items))
    zips = _ZIP.findall(_ITEM_ID.sub(" ", rest))
    if zips and (len(zips) == 1 or _ZIP_CUE.search(text)):
        found["zip"] = zips[0]
    name = _english_name(text) or _chinese_name(text)
    if name:
        found["name"] = name
        parts = name.split()
        if len(parts) >= 2:
            found["first_name"], found["last_name"] = parts[0], parts[-1]
    return found
