"""A list item that only names a thing ("Sleep aids;", "Weight-loss treatments") says nothing by itself: what the list
is of is in its lead-in ("Some products can be sold only to customers aged 18 or over: …"). Stated alone it answers
"can I buy sleep aids?" with "Sleep aids;", which a customer reads as a yes. evidence_units makes each item a unit
(with the lead-in as its context, matched but not said) and the lead-in with its items one `list` unit; the bare item
matches a question naming the thing best and ranks first. `item_with_lead_in` puts the list unit holding the item in
its place, so the reply states the rule the item is listed under. An item that states something of its own (a value,
a labelled clause "Lisbon store: 10:00 to 20:00", a sentence) is kept as it is.
"""
from __future__ import annotations

import re
from typing import Callable

from components.answers.evidence_selection import ScoredUnit
from components.nlu.cjk_characters import has_cjk

BARE_WORDS = 5   # at most this many words, and no digit or label, make an item that only names a thing


def bare_item(text: str) -> bool:
    """Does a list item only name a thing ("Sleep aids;", "hair-loss treatments")?"""
    words = re.findall(r"[\w'’-]+", text or "")
    return bool(words) and len(words) <= BARE_WORDS and not re.search(r"\d|[:：]", text) \
        and not has_cjk(text)


def _item_words(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s'’-]", " ", text.lower())).strip()


def list_holding(item: ScoredUnit, ranked: list[ScoredUnit],
                 also: Callable[[ScoredUnit], bool] = lambda s: True) -> ScoredUnit | None:
    """The list unit (lead-in and items) of `item`'s document among `ranked` that holds the item, and for which
    `also` holds (number_conditions.with_stated_condition: one whose lead-in settles the customer's number)."""
    words, doc = _item_words(item.unit.text), item.unit.doc_id
    return next((s for s in ranked if s is not item and s.unit.kind == "list" and s.unit.doc_id == doc and
                 re.search(r"(?<![\w-])" + re.escape(words) + r"(?![\w-])", _item_words(s.unit.text)) and also(s)),
                None)


def item_with_lead_in(ranked: list[ScoredUnit]) -> list[ScoredUnit]:
    """`ranked` with its best unit, a bare list item, replaced by the list unit (lead-in and items) of the same
    document that holds it, at the item's score; `ranked` as it was when the best unit is no bare item or no such
    list unit was retrieved."""
    if not ranked or ranked[0].unit.kind != "list_item" or not bare_item(ranked[0].unit.text):
        return ranked
    whole = list_holding(ranked[0], ranked[1:])
    if whole is None:
        return ranked
    return [ScoredUnit(whole.unit, ranked[0].score, ranked[0].parts), *(r for r in ranked[1:] if r is not whole)]
