"""Which charge a sum of money is: a price, a penalty, a deposit, an excess or a refund.

A part asking "How much is the cross-border fee?" ranks first the sentence that names the fee most often: "If you
drive to a country without paying the cross-border fee, … we charge a penalty of €250." The sentence shares the
asked words and holds an amount, so `answerability.value_subject` and the confidence model pass it; but its amount is
a penalty, not the fee. Likewise "how much does it cost after the trial?" is not answered by "we refund the full
€59.90". So a sum of money is read with the charge word nearest to it in its clause (before it: "a penalty of €250",
"Price per extra kilometre: Saver: €0.25", "we refund the full €59.90"; else right after it: "a €30 deposit", "with a
€100 excess"), and the part's own charge word names the kind asked:
- `other_charge`: every sum the evidence states (a unit stating none adds nothing) is a charge of another kind than the one the part asks for (a fee
  asked, a penalty stated) → the evidence states another value of the asked kind, not the asked one. A sum with no
  charge word near it, or a part naming no charge word or several kinds of charge ("the penalty fee"), decides
  nothing: only a sum the evidence itself calls another charge stops it. "costs", "charge" beside a sum say only
  that it is paid ("A no-show costs $5"), and a fee answers a question about a penalty (a late fee is one).
- `other_charge_ranking`: the part is ranked again without such units, when one that is not stands among the next few
  (the cross-border fee's own sentence, second), as `asked_day_ranking` does for another day's rule.
English only: the Chinese charge words (押金, 违约金, 免赔额) are asked by name and ranked so already.
"""
from __future__ import annotations

from components.answers.evidence_selection import ScoredUnit
from components.answers.money_amounts import CHARGE_OF as _KIND_OF, WORD as _WORD, sums
from components.answers.question_analysis import QuestionPart

# a penalty is often charged as a fee ("a late cancellation fee of $5" answers "is there a penalty?"); a fee asked by
# name ("the cross-border fee") is the price of a service, which a penalty is not
_ANSWERS = {"penalty": {"penalty", "price"}}
LOOK = 3               # how far down the ranking a unit stating the asked charge may stand


def asked_charge(text: str) -> str | None:
    """The kind of charge a part asks for ("fee" → "price", "the deposit" → "deposit"), or None when it names none or
    more than one kind ("the penalty fee")."""
    kinds = {_KIND_OF[w.lower()] for w in _WORD.findall(text or "") if w.lower() in _KIND_OF}
    return kinds.pop() if len(kinds) == 1 else None


def sum_charges(text: str) -> list[str | None]:
    """The kind of charge of each sum of money in `text` (None for a sum with no charge word near it), read within
    its clause by `money_amounts.charge_word`."""
    return [s.charge for s in sums(text)]


def _another(kind: str, charge: str | None) -> bool:
    return charge is not None and charge not in _ANSWERS.get(kind, {kind})


def _states_another_charge(kind: str, scored: ScoredUnit) -> bool:
    charges = sum_charges(scored.unit.text)
    return bool(charges) and all(_another(kind, c) for c in charges)


def other_charge(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why the evidence states another charge than the one the part asks for (a penalty for a fee), or None."""
    if not evidence or part.language == "zh" or "yes_no" in part.types or "amount" not in part.types:
        return None
    kind = asked_charge(part.text)
    charges = [c for e in evidence for c in sum_charges(e.unit.text)]
    if kind is None or not charges or not all(_another(kind, c) for c in charges):
        return None
    stated = sorted(set(charges))
    return f"asks for a {kind}; the sums the evidence states are a {' and a '.join(stated)} (another charge)"


def other_charge_ranking(part: QuestionPart, ranked: list[ScoredUnit]) -> list[ScoredUnit] | None:
    """The part's ranking without the units whose sums are all another charge, when its best unit is one and a unit
    stating a sum of the asked charge stands among the next `LOOK`; else None."""
    if not ranked or not other_charge(part, ranked[:1]):
        return None
    kind = asked_charge(part.text)
    rest = [s for s in ranked if not _states_another_charge(kind, s)]
    if not rest or not any(rest[0] is s for s in ranked[:LOOK + 1]) or \
            not _ANSWERS.get(kind, {kind}) & set(sum_charges(rest[0].unit.text)):
        return None
    return rest
