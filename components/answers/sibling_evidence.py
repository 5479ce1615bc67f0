"""A part of a multi-part question answered by the evidence stated for another part of it.

"When does the autumn term start, and what's the last day to enrol?": the term table's row ("Term: Autumn; Classes:
13 September to 19 November 2027; Enrolment closes: 6 September 2027") answers both parts, and the first part's
ranking is confident of it; the second part, ranked on its own few words, may rank the same row first without
reaching the threshold, and would be said to be unknown. Two parts of one question whose rankings agree on a unit
that one of them is confident in are stronger evidence than either ranking alone, so the unconfident part takes
that unit (`sibling_unit`) when
- the unit is among the part's own best `LOOK` units (its own ranking points to it too), or, when no such unit is,
  it is the part's own best unit and comes from the section of a sentence the other part states ("What's your
  customer service number, and can I call on a Sunday?": the contact table's phone row, under the same heading as
  "The member service phone line is closed on Sundays"); another row of a table row the other part states is
  another case (the spring term's row beside the autumn term's);
- the unit states the part's most specific word (the highest IDF of its known words, not a question word; "enrol"
  is stated by "Enrolment"), which the other part's question does not hold (that part's answer would state it
  anyway); or any word of the part, when the part asks for a value and the unit holds one of that kind;
- the unit's text states every word of the part that the part's own best unit's text states (it answers no less
  of the part:
  "what's the minimum grocery order, and from how much is delivery free?" is not answered by "Grocery delivery is
  free on orders of €50 or more" while its own best unit says "The minimum grocery order is €20");
- the unit holds a value of the kind the part asks for ("how much", "when" ...), when it asks for one; and a unit
  other than the part's own best answers more of the part than that best does, when the best holds such a value
  too (`_no_more_than_own_best`: the other part's "takes returns 24 hours a day" is no opening time while the
  part's own best is the opening-hours row);
- and the answerability checks (answerability.py) pass for it, as for any stated unit.
The reply then states the unit (narrowed to the columns the part names) under this part too.

A part whose own best unit is another unit of the document a sibling part is confidently answered from
(`in_sibling_document`) is about that document's subject too: "How long do I have to report a car accident, and how
soon will a claims handler call me?" is one claim's steps; "What's the young driver fee, and how long do I need to
have held my licence to rent a compact?" one page of who can drive. The question's two parts agreeing on one
document is evidence neither ranking has alone, so the composer answers such a part from a lower confidence
(`sub_threshold_lifts.SIBLING_FLOOR`) with that one unit, every answerability check still applying. A unit the sibling states
(or one holding it) is no such evidence: it answers the sibling, and this part would repeat it.
"""
from __future__ import annotations

from typing import Callable

from components.answers.answerability import said_terms, subject_terms
from components.answers.evidence_selection import ScoredUnit, entity_names, has_value, terms

LOOK = 3


def in_sibling_document(ranked: list[ScoredUnit], siblings: list[list[ScoredUnit]],
                        same: Callable[[str, str], bool]) -> bool:
    """Whether the part's best unit comes from a document a sibling part's evidence is stated from, without being
    (or holding, or being held by: `same`) a unit stated there."""
    if not ranked:
        return False
    best = ranked[0].unit
    stated = [e.unit for evidence in siblings for e in evidence]
    return any(u.doc_id == best.doc_id for u in stated) and not any(same(best.text, u.text) for u in stated)


def _key(scored: ScoredUnit) -> tuple:
    unit = scored.unit
    return unit.chunk_id, unit.position, unit.kind, unit.doc_id


def specific_word(text: str, idf: Callable[[str], float], known: Callable[[str], bool]) -> str | None:
    """The part's most specific word the knowledge base uses (its highest IDF), or None."""
    asked = subject_terms(text) | set(terms(" ".join(entity_names(text))))
    words = [t for t in dict.fromkeys(terms(text)) if t in asked and known(t)]
    return max(words, key=idf) if words else None


def says(word: str, said: set[str]) -> bool:
    """`word` is among the unit's terms, or one of them begins with it or it with one ("enrol" / "enrolment",
    which the stemmer keeps apart), four letters at least."""
    return word in said or len(word) >= 4 and any(len(t) >= 4 and (t.startswith(word) or word.startswith(t))
                                                  for t in said)


def _weaker_than_own_best(unit: ScoredUnit, best: ScoredUnit, asked: set[str]) -> bool:
    """Does the part's own best unit state a word of the part that `unit` does not? Then `unit` answers less of the
    part than its own best does: "what's the minimum grocery order, and from how much is delivery free?": the
    free-delivery sentence states "grocery" and an amount, but not "minimum", which the part's own best unit ("The
    minimum grocery order is €20") states."""
    if unit is best:
        return False
    said, own = set(terms(unit.unit.text)), set(terms(best.unit.text))   # their own words: both may sit under a
    return any(says(t, own) and not says(t, said) for t in asked)        # heading that names the part


def _no_more_than_own_best(unit: ScoredUnit, best: ScoredUnit, asked: set[str], types: list[str]) -> bool:
    """Does the part's own best unit state a value of the kind asked and every word of the part that `unit` states?
    Then `unit` answers no more of the part than its own best, which its own ranking prefers; the sibling's support
    is for the sibling's question: "What time does the branch open, and can I return the car there at night?" is
    not answered, for the opening time, by "The branch takes returns 24 hours a day" while its own best unit is the
    branches table's row "Opening hours: every day 6:00 to 23:30"."""
    if unit is best or not types or not has_value(types[0], best.unit):
        return False
    said, own = set(terms(unit.unit.text)), set(terms(best.unit.text))
    return all(says(t, own) for t in asked if says(t, said))


def sibling_unit(part, ranked: list[ScoredUnit], siblings: list[tuple[object, list[ScoredUnit]]],
                 idf: Callable[[str], float], known: Callable[[str], bool]) -> ScoredUnit | None:
    """The unit of this part's own ranking (`ranked`, unfocused) that answers it with a sibling part's support, by
    the rules above, or None. `siblings`: (the sibling's QuestionPart, the units it states)."""
    word = specific_word(part.text, idf, known)
    if word is None or not ranked:
        return None
    asked = subject_terms(part.text) | set(terms(" ".join(entity_names(part.text))))
    types = [t for t in part.types if t not in ("yes_no", "general")]
    for sibling, stated in siblings:
        if word in set(terms(sibling.text)):
            continue
        keys = {_key(e) for e in stated}
        # the sibling's section backs this part's own best unit only, and not another row of the sibling's table
        # (the spring term's row beside the autumn term's: another case of the same thing)
        sections = {(e.unit.doc_id, e.unit.source_title) for e in stated if e.unit.kind != "row"}
        same_unit = [m for m in ranked[:LOOK] if _key(m) in keys]
        best = ranked[0]
        same_section = [best] if not same_unit and (best.unit.doc_id, best.unit.source_title) in sections else []
        for mine in same_unit + same_section:
            said = said_terms(mine)
            if types and not has_value(types[0], mine.unit):
                continue
            if _weaker_than_own_best(mine, best, asked) or _no_more_than_own_best(mine, best, asked, types):
                continue
            if says(word, said) or (types and any(says(t, said) for t in asked)):
                return mine
    return None
