"""Someone else acting for the customer: "can my husband pick up my order for me?", "can my son collect it?", "can my
friend use my membership?".

The customer's own rule shares every word of such a question ("you can choose Collect at checkout and pick up your
order at one of our partner pharmacies") and ranks first, confidently; it says what *the customer* may do, not
whether another person may (the answer is in "Someone else aged 16 or over, with your collection code …", or in no
document at all). So:
- `asked_person`: the person a yes/no question asks about, named as the customer's own ("my husband", "my 15 year
  old", "my wife and the kids"); None when the customer asks with them ("my husband and I") or about no person;
- `other_person`: the evidence speaks to the customer only (it says "you"/"your") and names nobody else: not the
  asked person, no one by a general word (someone, anyone, another person, a guest, a child, a member …) and nobody
  by an age ("aged 16 or over"). Such evidence does not say whether the other person may: the part is unanswered.
Not ranked again: the next unit naming someone else is often another person's rule ("Children under 16 cannot
collect an order"), no answer about the asked one either. English only.
"""
from __future__ import annotations

import re

from components.answers.evidence_selection import ScoredUnit
from components.answers.question_analysis import QuestionPart

_RELATIONS = (r"husband|wife|spouse|partner|son|daughter|child|kids?|children|friend|brother|sister|mother|mum|mom|"
              r"father|dad|parents?|grandma|grandmother|grandpa|grandfather|grandparents?|boyfriend|girlfriend|"
              r"fianc[eé]e?|colleague|flatmate|roommate|neighbou?r|family|carer|caregiver|assistant|nanny|teenager|"
              r"baby|toddler")
_ASKED = re.compile(r"\b(?:can|could|may|does|do|will|would|is|are)\s+my\s+((?:\d+[- ]?(?:year|yr)s?[- ]?old)|"
                    r"(?:(?:\d+[- ]?(?:year|yr)s?[- ]?old|little|older|younger|elderly|teenage)\s+)?(?:" + _RELATIONS +
                    r"))\b(?!\s+and\s+(?:i|me)\b)", re.I)
# someone other than the customer, however the evidence names them
_OTHERS = re.compile(r"\b(?:someone|somebody|anyone|anybody|everyone|everybody|no one|nobody|other|others|else|another|"
                     r"person|persons|people|guests?|members?|holders?|minors?|adults?|passengers?|patients?|users?|"
                     r"drivers?|representatives?|proxy|proxies|behalf|authori[sz]\w*|third[- ]party|household|"
                     r"(?:" + _RELATIONS.replace("partner|", "").replace("|assistant", "") + r")|aged?|years? old|over \d+|under \d+|\d+ (?:or|and) (?:over|older|above|"
                     r"under|younger))\b", re.I)
_TO_THE_CUSTOMER = re.compile(r"\byou(?:r|rs|rself)?\b", re.I)


def asked_person(part: QuestionPart) -> str | None:
    """The other person the part asks about ("husband", "15 year old"), or None (module docstring)."""
    if part.language == "zh":
        return None
    m = _ASKED.search(part.text)
    return m.group(1).lower() if m else None


def _names_someone_else(scored: ScoredUnit, person: str) -> bool:
    """"partner" and "assistant" name someone only when asked ("partner pharmacies", "the virtual assistant")."""
    said = f"{scored.unit.text} {scored.unit.context} {scored.unit.source_title}"
    return bool(_OTHERS.search(said) or re.search(rf"\b{re.escape(person.split()[-1])}s?\b", said, re.I))


def _to_the_customer_only(scored: ScoredUnit, person: str) -> bool:
    return bool(_TO_THE_CUSTOMER.search(scored.unit.text)) and not _names_someone_else(scored, person)


def other_person(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why evidence speaking only of the customer does not answer a question about another person, or None."""
    person = asked_person(part) if evidence else None
    if person is None or not all(_to_the_customer_only(e, person) for e in evidence):
        return None
    return f"asks whether the customer's {person} may; the evidence says only what the customer may"

