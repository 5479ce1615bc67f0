"""Which variant of the same product a customer asks for when exchanging or changing an item: the item's own
options with the values the customer named put in, checked against what is in stock. Pure: no database access."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from components.orders.desk_signals import named_option_values, none_options, yes_no_options


_SAME = re.compile(r"\b(same|identical)\b.{0,20}\b(one|item|model|kind|variant|options?|thing|chair|again)\b|"
                   r"\b(a )?(new|fresh|replacement) one\b|\bexact same\b|一样的|同款|相同的", re.IGNORECASE)


@dataclass
class VariantChoice:
    kind: str                   # chosen | unavailable | ambiguous | unchanged | none
    item_id: str | None = None  # the new item (kind "chosen"), or the out-of-stock one asked for ("unavailable")
    changes: dict = field(default_factory=dict)          # option -> new value the customer named
    candidates: list[dict] = field(default_factory=list)  # available variants that fit what was said


def wanted_changes(text: str, item: dict, variants: list[dict]) -> dict:
    """option -> value the customer wants instead of the item's current one (the last mention wins, so "a black
    one... no, actually white" asks for white). Values equal to the item's own describe the item, not a change.
    A value several options share ("black": frame or lens colour) goes to the option named next to it ("black
    frame"), else to the first of the item's options that has it."""
    keys_of: dict[str, list[str]] = {}
    for variant in variants:
        for key, value in variant.get("options", {}).items():
            keys_of.setdefault(str(value), [])
            if key not in keys_of[str(value)]:
                keys_of[str(value)].append(key)
    order = list(item.get("options", {}))
    current = {k: str(v) for k, v in item.get("options", {}).items()}
    lowered = text.lower()
    mentions: list[tuple[int, str, str]] = []
    for position, value in named_option_values(text, variants):
        keys = sorted(keys_of.get(value, []), key=lambda k: order.index(k) if k in order else len(order))
        if len(keys) > 1:
            near = lowered[max(0, position - 20):position + len(value) + 20]
            named = [k for k in keys if any(w in near for w in k.lower().split() if w not in ("color", "colour"))]
            keys = named or keys
            differing = [k for k in keys if current.get(k) != value]
            keys = differing[:1] or keys[:1]
        mentions += [(position, key, value) for key in keys]
    mentions += yes_no_options(text, variants) + none_options(text, variants)
    changes: dict[str, str] = {}
    for _, key, value in sorted(mentions):
        if current.get(key) != value:
            changes[key] = value
    return changes


def choose_variant(text: str, item: dict, variants: list[dict], cheapest: bool = False,
                   item_ids: list[str] | tuple = ()) -> VariantChoice:
    """The variant `text` asks `item` to become. `item_ids`: ten-digit ids the customer wrote (a new item id
    of this product wins over option words)."""
    by_id = {v["item_id"]: v for v in variants}
    for item_id in item_ids:
        if item_id in by_id and item_id != item["item_id"]:
            variant = by_id[item_id]
            kind = "chosen" if variant.get("available") else "unavailable"
            return VariantChoice(kind, item_id, dict(variant["options"]),
                                 [v for v in variants if v.get("available") and v["item_id"] != item["item_id"]])
    changes = wanted_changes(text, item, variants)
    if not changes:
        same = by_id.get(item["item_id"])
        if same is not None and _SAME.search(text):  # a replacement: the very same variant again
            return VariantChoice("chosen" if same.get("available") else "unavailable", item["item_id"], {},
                                 [v for v in variants if v.get("available")])
        return VariantChoice("none")
    fitting = [v for v in variants if v["item_id"] != item["item_id"]
               and all(str(v["options"].get(k)) == value for k, value in changes.items())]
    available = [v for v in fitting if v.get("available")]
    target = {**{k: str(v) for k, v in item["options"].items()}, **changes}
    exact = next((v for v in fitting if {k: str(x) for k, x in v["options"].items()} == target), None)
    if cheapest and available:
        best = min(available, key=lambda v: v["price"])
        return VariantChoice("chosen", best["item_id"], changes, available)
    if exact is not None:
        return VariantChoice("chosen" if exact.get("available") else "unavailable", exact["item_id"], changes,
                             available)
    if not available:
        return VariantChoice("unavailable", None, changes, [])
    # closest to the item: keeps most of the options the customer did not ask to change
    def kept(variant: dict) -> int:
        return sum(str(variant["options"].get(k)) == v for k, v in item["options"].items() if k not in changes)
    best_kept = max(kept(v) for v in available)
    closest = [v for v in available if kept(v) == best_kept]
    if len(closest) == 1:
        return VariantChoice("chosen", closest[0]["item_id"], changes, available)
    return VariantChoice("ambiguous", None, changes, closest)
