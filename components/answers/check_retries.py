"""When a check rightly stops a part's best unit: the unit behind it.

A check of answerability.py stops the best unit for a reason of its own: it speaks of holidays only
(`other_day`), the sum it states is about something else (`value_subject`), it is another section's rule
(`other_section`). The unit the part is about often stands right behind it ("what time does the phone line open on
a sunday?": the holiday chat row first, the phone row with its weekend hours second). The part is then ranked again
without every unit the *same* check stops, that unit first, and answered from that ranking as any part is (its own
confidence, every check), only when the unit behind the stop
- stands among the part's best `LOOK`: further down it matches the part too poorly to be what it asks;
- passes every check on its own (the first such unit is taken, over a neighbour another check stops: "学生会员多少钱？"
  → the price row third, behind the cancellation rule second); the composer checks the units it would state
  together, and a neighbour can make a set pass that its first unit alone fails ("年卡不能暂停" stated with a
  free-minutes row for "年卡每月多少钱？");
- is of the same document as the stopped unit: the check found the right subject matter there, only not the asked
  case of it; a unit of another document first after the stop is another topic's rule that happens to share words
  ("can I phone to book on Saturday?" → a booking rule of another page);
- says a word of the part that the stopped unit does not (the asked day, the asked section's word, the named thing):
  it answers what the check found missing, not merely nothing the check can object to (a unit naming no day passes
  `other_day` without saying anything of the asked day).
Without the stopped unit the ranking loses the score it held (its runner-up margin and share now read against a
lower unit): the ranking behind the stop is answered from `BEHIND_FLOOR`, near the threshold only, by its first unit
alone (`PartAnswer.lifted` is `behind_a_stop`), as sub_threshold_lifts.py's `sibling_document` is. ("what time does
the phone line open on a sunday?": the phone row behind the holiday row reads 0.766 against 0.77.)
The specific re-rankings (answerability.asked_day_ranking, other_section_ranking, echo_ranking,
charge_kinds.other_charge_ranking, case_scopes.other_scope_ranking) keep their own conditions and come first; this
one serves every check alike when none of them applies.
"""
from __future__ import annotations

from typing import Callable

from components.answers.answerability import QUESTION_WORDS, subject_terms
from components.answers.evidence_selection import ScoredUnit, terms

LOOK = 3   # how far down the part's ranking the unit behind the stopped one may stand
BEHIND_A_STOP = "behind_a_stop"   # PartAnswer.lifted: answered under the threshold from the ranking behind the stop
BEHIND_FLOOR = 0.72   # the re-ranked part's confidence from which it is answered (near the threshold only)

Check = Callable[[list[ScoredUnit]], "str | None"]


def said_words(scored: ScoredUnit) -> set[str]:
    return set(terms(f"{scored.unit.source_title} {scored.unit.context} {scored.unit.text}"))


def asked_words(text: str) -> set[str]:
    """The part's words a unit may say: its subject words and the days it names (question words aside)."""
    return (subject_terms(text) | set(terms(text))) - QUESTION_WORDS


def retry_ranking(part, ranked: list[ScoredUnit], check: Check, passes: Callable[[ScoredUnit], bool],
                  focus: Callable[[ScoredUnit], ScoredUnit] = lambda s: s) -> list[ScoredUnit] | None:
    """The part's ranking behind its stopped best unit (module docstring): the first of the next units among the best
    `LOOK` that `check` lets through and that `passes` every check alone, first, then the rest without the units
    `check` stops, when that unit is of the stopped unit's document and says a word of the part the stopped unit does
    not; None otherwise. `focus`: a unit as the reply would state it (a table row narrowed to the asked column)."""
    if not ranked or not check([focus(ranked[0])]):
        return None
    stopped = ranked[0]
    first = next((s for s in ranked[1:LOOK] if not check([focus(s)]) and passes(focus(s))), None)
    if first is None or first.unit.doc_id != stopped.unit.doc_id:
        return None
    if not (asked_words(part.text) & said_words(focus(first))) - said_words(focus(stopped)):
        return None
    return [first] + [s for s in ranked if s is not first and not check([focus(s)])]
