"""A follow-up about a new subject answered by the counterpart of the evidence the previous answer stated.

"How long will the Lisbon store keep my click and collect order?" is answered confidently by "A pick-up order is
held for 7 days" (the Lisbon store's page); "What about in Porto?" asks the same thing of another subject, and its
answer is the same statement with another value: "A pick-up order is held for 10 days" on the Porto store's page.
Ranked on the follow-up's few words, that unit is often first or near it but under the confidence threshold (the
follow-up's question shares little with it beyond the subject's name). The previous answer is evidence of where the
answer stands and how it is worded, so a part of the follow-up that is not confident takes its `counterpart` when
- the follow-up swaps the subject ("Porto" for "Lisbon"; not a question that merely goes on from the last);
- the previous answer stated evidence (or abstained: see below) and this part's own confidence is at least
  `FLOOR`;
- the unit is among the part's own best `LOOK` units (its own ranking points to it);
- it comes from the section the previous evidence came from, or from the section titled like it with the new
  subject in place of the old ("Porto store › What you can do in the Porto store" for the Lisbon one);
- it says what the previous evidence said, with another value (their words, less numbers and the two subjects'
  names, mostly the same both ways; "held for 10 days" for "held for 7 days"), or, for a table row, it has the same
  columns (the Premium row beside the Standard row), or it is the cell under the new subject's column beside the
  previous one under the old subject's ("Meeting-room credits per month: Flex: 4" for "and with flex?" after
  "…: Fixed Desk: 8"); or it is the same row, with a column of the new subject; or
  it is the very unit the previous answer stated, ranked first again, and its own text names the new subject
  ("$25 per flight on domestic flights and 10% of the adult fare on long-haul flights" for "and on long haul?");
- an unconfident previous answer (it abstained) counts only through its best unit, and only when this part's own
  best unit is its counterpart (both rankings put the pair first);
- it names the new subject (its text, its context or its section's title) and holds a value of the kind the part
  asks for, when it asks for one;
- and the answerability checks (answerability.py) and `followups.about_previous_subject` pass, as for any unit.
A subject the documents do not have has no such unit (no section names it), so the follow-up still abstains.
"""
from __future__ import annotations

import re

from components.answers.evidence_selection import ScoredUnit, has_value, terms

LOOK = 3          # how far down the part's own ranking the counterpart may stand
FLOOR = 0.5       # the part's own confidence below which the previous answer is no help (the threshold is ~0.77)
SAME_WORDS = 0.7  # the share of their words (less numbers and the subjects' names) two statements of one thing share


def previous_units(parts) -> list[dict]:
    """What a follow-up in the next turn needs of the units an answer stated (`PartAnswer`s): where each came from
    and what it said; for an answer that stated nothing, each part's best unit (`"stated": False`)."""
    stated = [e for p in parts for e in p.evidence]
    units = stated or [p.candidates[0] for p in parts if p.candidates]
    return [{"doc_id": e.unit.doc_id, "source_title": e.unit.source_title, "kind": e.unit.kind,
             "text": e.unit.text[:400], "stated": bool(stated)} for e in units][:4]


def _words(text: str, drop: set[str]) -> set[str]:
    return {t for t in terms(text) if not re.search(r"\d", t)} - drop


def _row_keys(text: str) -> list[str]:
    return [p.split(": ", 1)[0].strip().lower() for p in text.split("; ")]


def _values(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)?", text))


def parallel_section(previous_title: str, title: str, replaced: str, subject: str) -> bool:
    """`title` is `previous_title` with the previous subject's words in place of the new one's ("… Porto store ›
    What you can do in the Porto store" for "… Lisbon store › What you can do in the Lisbon store")."""
    old, new = set(terms(replaced)) - set(terms(subject)), set(terms(subject)) - set(terms(replaced))
    before, after = set(terms(previous_title)), set(terms(title))
    return bool(old and new and old <= before and new <= after and not new & before
                and before - old == after - new)


def _pieces(text: str) -> list[str]:
    return [p for p in re.split(r"(?<=[.!?;。；])\s*", text or "") if _values(p)]


def _says_the_same(previous: dict, unit, drop: set[str]) -> bool:
    """The unit states what the previous evidence stated, of another subject: a table row with the same columns, or
    a statement of a value worded as one of the previous evidence's with another value ("A pick-up order is held
    for 10 days" for "... held for 7 days"), and none worded so with the same value (the previous subject's fact)."""
    if unit.kind == "row" and previous.get("kind") == "row":
        keys, previous_keys = _row_keys(unit.text), _row_keys(previous["text"])
        return len(keys) >= 2 and keys == previous_keys
    if previous.get("kind") == "row":
        return False
    found = False
    for mine in _pieces(unit.text):
        for theirs in _pieces(previous["text"]):
            a, b = _words(mine, drop), _words(theirs, drop)
            # the same words both ways (a longer piece holding the previous statement and more is not its like)
            if not a or not b or len(a & b) / max(len(a), len(b)) < SAME_WORDS:
                continue
            if _values(mine) == _values(theirs):
                return False
            found = True
    return found


# a cell of a table with one row per column heading: "Meeting-room credits per month: Flex: 4" (heading, name, value)
_CELL = re.compile(r"^\s*(?P<heading>[^:;]+):\s*(?P<name>[^:;]+):\s*(?P<value>[^:;]+?)\s*$")


def one_column_apart(text: str, previous: str, new: set[str], old: set[str]) -> bool:
    """Two cells of one row of a table: the same heading, the first under the new subject's column and the other
    under the old one's ("Meeting-room credits per month: Flex: 4" beside "Meeting-room credits per month: Fixed Desk:
    8" for "and with flex?" after the fixed desk's); `new`, `old`: the words of the new subject and of the one it
    replaced, each column's name holding its own and none of the other's."""
    mine, theirs = _CELL.match(text or ""), _CELL.match(previous or "")
    if not new or not old or not mine or not theirs or \
            mine.group("heading").strip().lower() != theirs.group("heading").strip().lower():
        return False
    a, b = set(terms(mine.group("name"))), set(terms(theirs.group("name")))
    return new <= a and not old & a and old & b and not new & b and mine.group("value") != theirs.group("value")


def counterpart(part, ranked: list[ScoredUnit], confidence: float, followup: dict | None) -> ScoredUnit | None:
    """The unit of this part's own ranking that answers the follow-up as the previous evidence answered the previous
    question, by the rules above, or None. `followup`: the composer's follow-up info, with the previous answer's
    `units` (`previous_units`)."""
    if not followup or followup.get("continuation") or not followup.get("units") or confidence < FLOOR:
        return None
    subject, replaced = followup.get("subject") or "", followup.get("replaced") or ""
    new = set(terms(subject)) - set(terms(followup.get("previous") or ""))
    if not new:
        return None
    drop = new | set(terms(replaced))
    types = [t for t in part.types if t not in ("yes_no", "general")]
    for rank, mine in enumerate(ranked[:LOOK]):
        unit = mine.unit
        said = set(terms(f"{unit.text} {unit.context} {unit.source_title}"))
        # a swapped name is said in full ("Gold" of "Gold card"); a subject without one ("and if it's damage to my
        # house?") by one of its words at least
        if not (new <= said if replaced else new & said):
            continue
        # a count is any number here ("up to 2 make-up classes" beside the previous "up to 4")
        if types and not has_value(types[0], unit) and not (types[0] == "count" and _values(unit.text)):
            continue
        for previous in followup["units"]:
            if not previous.get("stated", True) and rank > 0:
                continue   # the previous question's best unit, unconfident: both rankings must put the pair first
            same_section = unit.doc_id == previous.get("doc_id") and unit.source_title == previous.get("source_title")
            if not same_section and not (replaced and parallel_section(previous.get("source_title") or "",
                                                                       unit.source_title, replaced, subject)):
                continue
            if _says_the_same(previous, unit, drop) and unit.text != previous.get("text"):
                return mine
            if unit.kind == "row" and previous.get("kind") == "row" and replaced and one_column_apart(
                    unit.text, previous.get("text") or "", new, set(terms(replaced)) - set(terms(subject))):
                return mine
            # the same unit, which states the new subject's value too: a row with a column of it ("Standard: £250;
            # Premium: £150"), or, stated with confidence before, a sentence of both ("$25 per flight on domestic
            # flights and 10% of the adult fare on long-haul flights")
            if unit.kind == "row" and replaced and unit.text == previous.get("text") and new <= set(terms(unit.text)):
                return mine
            if (unit.kind != "row" and previous.get("stated", True) and rank == 0 and previous.get("text")
                    and previous["text"] in unit.text and new <= set(terms(unit.text))):
                return mine   # the very sentence, or the passage holding it
    return None
