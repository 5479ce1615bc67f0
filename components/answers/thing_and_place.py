"""A yes/no question that puts a thing somewhere ("can I leave the e-scooter at a docking station?", "are there hand
cycles at every station?") is answered only by evidence that says the thing and the place together.

The confidence model scores a unit by the words it shares with the question; a unit can share the thing's word and
the place's word and still say nothing of the thing at that place. Two such near misses, each checked on the units a
part would state (after answerability.py's checks, beside asked_subjects.py's):
- `thing_apart_from_place`: the evidence names the thing in one sentence (or list item, or ";" piece) and the place
  in others, never both in one ("If every dock at a station is full, …. Never leave a bike next to a full station. …
  Do not squeeze an e-scooter in next to the bay." for the e-scooter at a docking station): its place rule is another
  thing's. A heading naming the thing scopes every sentence under it ("E-scooters › Parking") and is not checked;
  so does one naming the whole place ("Our stores › Porto store" over "The store is at Rua … 12. Free parking is
  behind the building."), not one naming a word of it ("When the dock is full" for "a docking station").
- `bare_name_item`: the evidence only names or defines the thing (a list item opening with it: "Hand cycles, for
  riders who pedal with their arms.") and names the place nowhere, not in its heading or lead-in either: it says
  that the thing exists, not where (or when) it is.
The thing and the place are read from the question's own words ("is/are there X at Y", "can I <verb> the|my X at
Y", "do you have X at Y"; "on" and "in" as often say what a rule is of: "a fee on returns", "pay in instalments");
a place word is any word of the phrase after "at" besides "every", "each", "any" and the like, up to the next
preposition; a time ("at 1am", "at the weekend") is no place, and a rule noun ("is there a fee at …") no thing.
"""
from __future__ import annotations

import re

from components.answers.evidence_selection import ScoredUnit, terms
from components.answers.question_analysis import QuestionPart
from components.nlu.cjk_characters import has_cjk

_THING = r"(?P<thing>[a-z][\w-]*(?: [a-z][\w-]*){0,2}?)"
# "at" puts a thing at a place; "on" and "in" as often say what a rule is of ("a fee on returns", "pay in
# instalments", "the payment on my order"), and are left alone
_PLACE = r" (?:at|inside|outside|near|next to) (?P<place>[^?!.,;]+)"
_THING_AT_PLACE = [
    re.compile(r"\b(?:is|are) there (?:a |an |any |some )?" + _THING + _PLACE, re.I),
    re.compile(r"\b(?:can|could|may) (?:i|we) [a-z]+ (?:the |my |our |a |an |your )" + _THING + _PLACE, re.I),
    re.compile(r"\b(?:do|does) (?:you|the \w+) (?:have|offer|rent|hire|stock|keep) (?:a |an |any |some )?" + _THING
               + _PLACE, re.I),
]
# where the place phrase stops ("at a docking station when it rains": the when is no place)
_PLACE_END = re.compile(r"\b(?:and|or|but|when|while|if|because|so|after|before|for|with|to|on|in|at|by|"
                        r"during|from|instead)\b.*$", re.I)
# a time is no place ("at 1am", "at the weekend", "at night"): other checks read the time of a rule
_TIME = re.compile(r"\d|\b(?:weekends?|night|nights|noon|midnight|morning|evening|lunchtime|christmas|easter|"
                   r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|holidays?)\b", re.I)
_NOT_PLACE = frozenset(terms("every each any all one other some the a an my our your this that there here it them")) \
    | {"every", "each", "any", "all"}
_NOT_THING = frozenset(terms("it this that them these those one anything something everything nothing anywhere way"))
CLAUSE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_DEFINITION_MARK = r"\s*(?:[,:(]|\s[–—-]\s)"


def thing_and_place(text: str) -> tuple[set[str], set[str], str] | None:
    """The thing's words, the place's words and the thing as written, of a yes/no question putting a thing
    somewhere; or None."""
    text = (text or "").strip()
    if not text or has_cjk(text):
        return None
    for pattern in _THING_AT_PLACE:
        m = pattern.search(text)
        if not m:
            continue
        from components.answers.asked_subjects import _RULE_NOUNS

        where = _PLACE_END.sub("", m.group("place"))
        thing = {t for t in terms(m.group("thing")) if len(t) > 1}
        place = {t for t in terms(where) if len(t) > 1} - _NOT_PLACE - thing
        # "is there a fee / a limit / a minimum stay at …" asks whether a rule exists, stated without the noun
        if not thing or thing & _NOT_THING or not place or _TIME.search(where) or \
                any(w.lower() in _RULE_NOUNS for w in m.group("thing").split()):
            return None
        return thing, place, m.group("thing")
    return None


def _clauses(text: str) -> list[set[str]]:
    return [set(terms(c)) for c in CLAUSE_END.split(text or "") if c.strip()]


def thing_apart_from_place(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why evidence naming the thing and the place only in different sentences does not answer, or None."""
    asked = thing_and_place(part.text)
    if not asked or not evidence:
        return None
    thing, place, written = asked
    headings = set().union(*(set(terms(f"{e.unit.context} {e.unit.source_title}")) for e in evidence))
    if thing <= headings or place <= headings:
        return None
    clauses = [c for e in evidence for c in _clauses(e.unit.text)]
    with_thing = [c for c in clauses if thing <= c]
    with_place = [c for c in clauses if c & place]
    if not with_thing or not with_place or any(thing <= c and c & place for c in clauses):
        return None
    return f"asks about {written} there; the evidence names {written} and the place only in different sentences"


def bare_name_item(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why evidence that only names or defines the thing asked about does not say whether it is at the place, or
    None."""
    asked = thing_and_place(part.text)
    if not asked or not evidence:
        return None
    thing, place, written = asked
    words = [re.escape(w) for w in written.split()]
    words[-1] = re.sub(r"(?<=\w{3})e?s$", "", words[-1]) + r"(?:e?s)?"   # "Hand cycle," names "hand cycles"
    opening = re.compile(r"^\W*(?:an? |the )?" + r"\s+".join(words) + _DEFINITION_MARK, re.I)
    if not all(opening.match(e.unit.text or "") for e in evidence):
        return None
    said = set().union(*(set(terms(f"{e.unit.text} {e.unit.context} {e.unit.source_title}")) for e in evidence))
    if said & place:
        return None
    return f"asks whether {written} are there; the evidence only names {written}"


# how far down the ranking the unit saying the thing and the place together may stand to be answered from
PLACE_LOOK = 4


def _together(asked: tuple[set[str], set[str], str], scored: ScoredUnit) -> bool:
    thing, place, _ = asked
    return any(thing <= c and c & place for c in _clauses(scored.unit.text))


def thing_at_place_ranking(part: QuestionPart, ranked: list[ScoredUnit]) -> list[ScoredUnit] | None:
    """A part whose best unit names the thing apart from the place, or only names it (`thing_apart_from_place`,
    `bare_name_item`), is ranked without such units when the unit then first says the thing and the place in one
    sentence and stands among the best `PLACE_LOOK` ("E-scooters cannot be docked at docking stations" after the
    full-dock rule for bikes), as answerability.other_section_ranking does for another section. None otherwise."""
    asked = thing_and_place(part.text)
    if not asked or not ranked:
        return None
    if not (thing_apart_from_place(part, ranked[:1]) or bare_name_item(part, ranked[:1])):
        return None
    rest = [s for s in ranked if not (thing_apart_from_place(part, [s]) or bare_name_item(part, [s]))]
    if not rest or not any(rest[0] is s for s in ranked[:PLACE_LOOK]) or not _together(asked, rest[0]):
        return None
    return rest
