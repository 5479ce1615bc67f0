"""When a part whose best unit scores under the calibrated threshold is answered anyway, by that unit alone.

The confidence model (evidence_selection.SelectionModel) reads word and meaning features that mean the same in any
business; between `LIFT_FLOOR` and the threshold (0.77) it is right about half the time (session 19, 215 such parts
of seventeen dev sets whose checks pass: best unit right 107, wrong 83, an abstention expected 25). Refits of the model
never did better on the pipeline (sessions 9-18), so these parts are answered only for a reason the evidence and the
question show in so many words, recorded in the trace (`PartAnswer.lifted`):
- `condition_settled`: the best unit states a condition the customer's own number settles ("between the ages of 18
  and 74" for "my dad is 76"), and it is the most particular such rule near the top (number_conditions.settled_first);
  from `SETTLED_FLOOR` when that condition is on an age, a time of day or a count of people (number_conditions.
  on_own_measure: "we're a team of 3" against "It needs at least 5 riders" at 0.43, "at 1am" against "between 00:00
  and 05:00" at 0.40), from `LIFT_FLOOR` otherwise (a span of time is of anything: "pause for 2 months" against
  "rejoin within 10 months"; an object's size: "a 65 inch TV" against the mounting service for 65 inches and over);
  never when the customer's number is past every window of time the unit states (number_conditions.past_a_window:
  "within 30 days of delivery, if unopened" for "it's been 40 days since I got my thermometer");
- `named_agreed`: the customer names a thing in capitals ("Platinum", "CarePlan Max", "Old Town"), the best unit
  states every such name, it ranks first by meaning (the embedder) and by the question's words alike (two rankings
  that share no feature), and it says at least half of what the part asks about besides the names
  (answerability.subject_terms): the rule or table row of the named thing. Measured on the collected rows before
  it was written: 6 right, 0 wrong, 0 abstentions expected, on six businesses; without the subject-words share, the
  store named for "is the Northgate store wheelchair accessible?" (its address row) would be stated; at confidence
  0.25 to 0.5, "can I pay cash when I collect my order in Porto?" (an abstention expected), so the floor stays 0.5.
  Tried and not kept (precision far from 1 on the rows): the names the documents write capitalised but the
  customer did not (18 right / 7 wrong), the two rankings alone (35 / 15), the margin to the runner-up, the section's
  heading naming the asked subject, the asked value kind stated by the best unit only.
- `sibling_document`: a part of a multi-part question whose best unit is another unit of the document a sibling
  part is confidently answered from (sibling_evidence.in_sibling_document; the composer knows the siblings), from
  `SIBLING_FLOOR` up: near the threshold only. From 0.5 it answered three parts right (at 0.73-0.76) and one wrong (at
  0.70: another hotel's train, beside the shuttle the part asked about, in the same section) over the eighteen dev
  sets, session 19.
The first two lifts first ask `states_named`: the best unit states every word of the part that the candidates write as a name
(a condition settled for a resort is no rule of the city hotel named).
"""
from __future__ import annotations

import re

from components.answers.answerability import subject_terms
from components.answers.evidence_selection import entity_names, terms
from components.answers.followups import name_candidates, written_as_name
from components.answers.number_conditions import on_own_measure, past_a_window, settled_first

SIBLING_DOCUMENT = "sibling_document"
SIBLING_FLOOR = 0.72  # the part's own confidence from which a sibling part's document lifts it
LIFT_FLOOR = 0.5      # the part's own confidence below which no lift applies (the ranking is too unsure of the subject)
SETTLED_FLOOR = 0.35  # the same for `condition_settled` on an age, a time of day or a count of people
#                       (number_conditions.on_own_measure): not a span of time nor an object's size
LOOK = 20             # how far down the ranking the names, and the two rankings' firsts, are read
SUBJECT_SHARE = 0.5   # the share of the part's subject words (besides its names) the lifted unit must say


def states_named(part_text: str, ranked: list, look: int = LOOK) -> bool:
    """Does the best unit state every word of the part that the candidates write as a name ("kelmouth" for the
    Kelmouth hotel, "flexible" for a Flexible booking)?"""
    texts = [f"{r.unit.source_title} {r.unit.context} {r.unit.text}" for r in ranked[:look]]
    names = [w for w in name_candidates(part_text) if written_as_name(w, texts)]
    return all(re.search(r"\b" + re.escape(w) + r"\b", texts[0], re.I) for w in names) if texts else False


def named_agreed(part_text: str, ranked: list, look: int = LOOK) -> bool:
    """The customer's own capitalised names ("Basic", "KVCU Send") are all stated by the best unit (its text, heading
    or title), which is first by meaning and by words among the top `look`, and says at least `SUBJECT_SHARE` of the
    part's other content words."""
    names = entity_names(part_text)
    if not names or not ranked:
        return False
    best = ranked[0]
    said = set(terms(f"{best.unit.source_title} {best.unit.context} {best.unit.text}"))
    if not all(set(terms(name)) <= said for name in names):
        return False
    top = ranked[:look]
    if max(top, key=lambda s: s.parts.get("dense", 0.0)) is not best or \
            max(top, key=lambda s: s.parts.get("words", 0.0)) is not best:
        return False
    subject = subject_terms(part_text)
    return not subject or len(subject & said) / len(subject) >= SUBJECT_SHARE


def lift_reason(part_text: str, confidence: float, threshold: float, ranked: list, numbers: list) -> str | None:
    """Why a part between `LIFT_FLOOR` and `threshold` is answered by its best unit alone, or None."""
    if not ranked or not SETTLED_FLOOR <= confidence < threshold or not states_named(part_text, ranked):
        return None
    if settled_first(numbers, ranked) and not past_a_window(numbers, ranked[0].unit.text) and \
            (confidence >= LIFT_FLOOR or on_own_measure(numbers, ranked[0].unit.text)):
        return "condition_settled"
    if confidence < LIFT_FLOOR:
        return None
    if named_agreed(part_text, ranked):
        return "named_agreed"
    return None
