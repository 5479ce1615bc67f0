"""Follow-ups that change a condition of the previous question rather than its subject: "and if I had Plus?" after
"my food was 25 minutes late, i don't have plus. do i get anything?", "and people who aren't on it?" after "I'm on
the register. How much notice do I get?", "what if it's been 3 days already" after "my order came without the garlic
bread, what do i do?".

Such a follow-up keeps everything the previous question asked about (the late order, the notice, the missing item):
its new words are a condition, not a new subject, so no word of the previous question is swapped for them.

- `customer_condition`: a clause saying what the customer has or is on ("i don't have plus", "I'm on the register",
  "people who aren't on it"): its kind (having / being on), polarity and object;
- `with_condition`: the previous question under the follow-up's condition: the matching clause of the previous
  question turned to the follow-up's polarity or object ("i don't have plus" -> "i have plus"), else the condition
  added to the previous question ("… how much is delivery if I have Plus?"); so is a condition of what the customer
  does ("if im flying long haul") and a what-if about elapsed time or a new quantity ("if
  it's been 3 days already"). A condition said in place of one the previous question stated takes its place
  (`condition_clause`: "and if I'm premier?" after "how much is next day delivery if im on plus" asks "how much is
  next day delivery if I'm premier?", not "… if im on plus if I'm premier?"), whatever its length (`spliced`: "and if
  I go back down to standard later?" after "if i upgrade from standard to premium today when does it kick in?").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_OBJECT = (r"(?P<object>(?:(?:a|an|the|my|any)\s+)?[\w'’-]+(?:\s+[\w'’-]+){0,3}?)"
           r"(?=\s*(?:[.,;:?!？。，]|$|\b(?:and|but|so|do|does|did|can|could|will|would|how|what|is|are|anymore|"
           r"yet|already|too|either)\b))")
_WHO = r"(?:\b(?:i|we|you|he|she|they|who)\s+)"
# having (or not having) something: "i don't have plus", "if I had Plus", "we haven't got a smart meter"
_HAVING = re.compile(_WHO + r"(?P<negation>don['’]?t\s+|do\s+not\s+|didn['’]?t\s+|did\s+not\s+|doesn['’]?t\s+|"
                     r"does\s+not\s+|haven['’]?t\s+(?:got\s+)?|have\s+not\s+(?:got\s+)?|hadn['’]?t\s+(?:got\s+)?)?"
                     r"(?:have|has|had|(?:have\s+|['’]ve\s+)?got)\s+" + _OBJECT, re.I)
# being on (or in, or a member of) something: "I'm on the register", "people who aren't on it", "if I'm not a member"
_BEING_ON = re.compile(r"(?:\b(?:i['’]m|i\s+am|we['’]re|we\s+are|you['’]re|you\s+are|(?:who|they|you|we)\s+"
                       r"(?:are|is|were|was)|(?:who|they|you|we)['’]re|i\s+was|he['’]s|she['’]s|(?:who|they|you|we)\s+"
                       r"(?:aren['’]?t|isn['’]?t|weren['’]?t|wasn['’]?t)|i\s+wasn['’]?t)\s+)"
                       r"(?P<negation>not\s+)?(?P<relation>on|in|with|a\s+member\s+of|signed\s+up\s+(?:to|for))\s+"
                       + _OBJECT, re.I)
_NEGATED_BE = re.compile(r"n['’]?t\b", re.I)
_POINTS_BACK = frozenset("it that this them those one".split())
# a what-if about elapsed time or another quantity: "if it's been 3 days already", "what if it was 40 minutes late"
_QUANTITY = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|km|miles?|"
                       r"kg|nights?)\b", re.I)
# a condition of what the customer does: "if im flying long haul", "if I buy a pack of 10". (Not kept: "once",
# "when" or "after" clauses read so too: "and once I've pressed play?" after "how long do downloads stay on my phone?"
# then matched "at least once every 30 days" by its "once", a wrong answer where it had abstained.)
_OWN_CLAUSE = re.compile(r"^\s*if\s+(?:i|i['’]?m|i\s+am|we|we['’]?re|we\s+are)\s+[a-z]", re.I)
_IF = re.compile(r"^\s*(?:and|so|but|ok(?:ay)?)?\s*(?:what\s+if|how\s+about\s+if|and\s+if|if|what\s+about\s+if)\b",
                 re.I)


@dataclass
class Condition:
    kind: str          # "having" or "being_on"
    negated: bool
    object: str        # as written, with its determiner ("the Priority Services Register")
    start: int
    end: int

    @property
    def refers_back(self) -> bool:
        return self.object.lower().split()[-1] in _POINTS_BACK


def customer_condition(text: str) -> Condition | None:
    """The first clause of `text` saying what someone has or is on, or None."""
    found = []
    for kind, pattern in (("having", _HAVING), ("being_on", _BEING_ON)):
        match = pattern.search(text or "")
        if match:
            negated = bool(match.group("negation")) or bool(_NEGATED_BE.search(match.group(0)[:match.start(
                "object") - match.start()]))
            found.append(Condition(kind, negated, match.group("object").strip(), match.start(), match.end()))
    return min(found, key=lambda c: c.start) if found else None


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w'’-]+", text.lower()) if w not in {"a", "an", "the", "my", "any"}}


def _said(kind: str, negated: bool, obj: str) -> str:
    if kind == "having":
        return ("I don't have " if negated else "I have ") + obj
    return ("I'm not on " if negated else "I'm on ") + obj


@dataclass
class Conditioned:
    question: str      # the previous question under the follow-up's condition
    said: str          # the condition as the question now says it ("I have plus", "if I have Plus")
    replaced: str | None   # the previous question's clause it turned ("i don't have plus"); None: added
    object: str = ""       # what the customer has or is on ("Plus"), without its determiner
    negated: bool = False  # the condition as now said is a negation ("I'm not on the register")


def with_condition(followup: str, previous: str) -> Conditioned | None:
    """The previous question under the condition `followup` states; None when `followup` states no condition of the
    customer's and no what-if about a quantity."""
    new = customer_condition(followup)
    previous = (previous or "").strip()
    if new is not None:
        old = customer_condition(previous)
        if old is not None and old.kind == new.kind:
            same_object = new.refers_back or bool(_words(new.object) & _words(old.object))
            if same_object and new.negated == old.negated:
                return None     # the same condition again: nothing of it to change
            obj = old.object if same_object else new.object
            said = _said(new.kind, new.negated, obj)
            return Conditioned(previous[:old.start] + said + previous[old.end:], said, previous[old.start:old.end],
                               _bare(obj), new.negated)
        if new.refers_back:
            return None         # "if I'm not on it" with nothing it could point back to
        added = _added(previous, followup[new.start:new.end])
        added.object = _bare(new.object)
        return added
    if _OWN_CLAUSE.match(followup or ""):
        return _added(previous, followup)
    if _IF.match(followup or "") and _QUANTITY.search(followup):
        clause = _IF.sub("", followup, count=1).strip(" ?？.!")
        return _added(previous, f"if {clause}", splice=False)
    return None


def _bare(obj: str) -> str:
    return re.sub(r"^(?:a|an|the|my|any)\s+", "", obj, flags=re.I)


def _added(previous: str, condition: str, splice: bool = True) -> Conditioned:
    """`previous` with `condition` in place of the condition its (last) question states (`condition_clause`), else
    said at the end of it. A what-if about a quantity ("if it's been 3 days") is said beside the condition: it is
    another measure of the same case, which the follow-up swaps by shape first (followups.py)."""
    condition = condition.strip(" ?？.!")
    if not condition.lower().startswith("if "):
        condition = f"if {condition}"
    spliced = splice_condition(previous, condition) if splice else None
    if spliced is not None:
        return spliced
    return Conditioned(f"{previous.rstrip(' ?？.!')} {condition}?", condition, None)


# the condition a question states: "if" and its clause, up to a comma, the end or the question it conditions ("if i
# upgrade from standard to premium today | when does it kick in?", "if I'm on plus | can I …"; not "if my card | is
# declined")
_CONDITION_CLAUSE = re.compile(r"\bif\s+(?:(?![,;:?？.!]|\s+(?:when|what|how|where|which|who)\b|\s+(?:can|could|do|does|"
                               r"is|are|will|would|should|am)\s+(?:i|we|you|it|they|there|my)\b).)+", re.I)


def condition_clause(question: str) -> re.Match | None:
    """The one "if" clause of `question`'s last sentence, or None (none, or more than one: which would give way is
    unsaid)."""
    sentences = list(re.finditer(r"[^?？.!。]+[?？.!。]*", question or ""))
    if not sentences:
        return None
    last = sentences[-1]
    clauses = list(_CONDITION_CLAUSE.finditer(question, last.start(), last.end()))
    return clauses[0] if len(clauses) == 1 else None


def splice_condition(previous: str, condition: str) -> Conditioned | None:
    """`previous` with its condition (`condition_clause`) replaced by `condition` ("and if I only pay for it at the
    airport?" after "How much does an extra bag cost if I add it online?"), or None when it states none."""
    old = condition_clause(previous)
    if old is None:
        return None
    new = re.sub(r"^\s*if\s+", "if ", condition.strip(" ?？.!"), flags=re.I)
    return Conditioned(previous[:old.start()] + new + previous[old.end():], new, old.group(0).strip())
