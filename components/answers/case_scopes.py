"""A rule the documents state for one case, opened by that case: "At the city hotels you can leave a cash deposit of
€200 …", "On a Saver rental, …", "For Classic, …".

Such a sentence shares every other word of a question about another case ("Can I leave a cash deposit at the resort
instead?") and ranks first, confidently; the sentence about the asked case ("The resort does not accept cash
deposits") ranks next. The opening phrase says, in the evidence's own words, which case the rule is for, so:
- `sentence_scope`: the case a unit's opening phrase names ("At the city hotels," → {city, hotel}), or an empty set;
- `asked_scopes`: the cases a part names the same way ("at the resort", "on a Flex booking", "for my daughter"): a
  place, a plan or a person after at/in/on/for, numbers and times aside ("at 2am", "for 3 days");
- `other_scope`: the best unit opens with a case the part does not name, and the part names a case of its own that
  the unit does not state anywhere → the unit is another case's rule, not an answer (a unit whose case the part
  names, or a part naming no case of its own, decides nothing: a rule for the case the customer did not say may
  still be the only one);
- `other_scope_ranking`: the part is ranked again without such units when one that states the asked case stands
  among the next few, as `answerability.asked_day_ranking` does for another day's rule.
- `general_rule_first`: a part naming no case ("I'm a Gold member, until what time can I check out?") whose best unit
  is one case's rule ("At the Saltcove Beach Resort, free late check-out … is until 12:00") is ranked without the
  units opened by a case, when a unit of the same document opened by none (the general rule: "Free late check-out:
  Gold: until 14:00") stands among its next `LOOK` and holds a value of the kind the part asks: the exception to a
  rule is the answer only for the case it names.
English only (a Chinese rule opens with its case without a preposition: "城市酒店 12:00 起…").
"""
from __future__ import annotations

import re

from components.answers.evidence_selection import _VALUE_PATTERNS, ScoredUnit, has_value, terms
from components.answers.question_analysis import QuestionPart

# "At the city hotels, …", "On a Saver rental, …", "For Classic, …", "In Zone 2 you must …" (one to four words)
_OPENING = re.compile(r"^\s*(?:at|in|on|for)\s+(?:the |our |a |an |your )?((?:[\w-]+ ){0,3}[\w-]+?)\s*(?:,|\s(?=you|we|"
                      r"it|there|they|guests?|customers?|members?|drivers?|the|all|every|each|no|only)\b)", re.I)
_ASKED = re.compile(r"\b(?:at|in|on|for)\s+(?=(?:the |our |a |an |my |your )?([a-z][\w-]*(?: [a-z][\w-]*){0,2}))",
                    re.I)
# what a phrase after "at/in/on/for" names when it is no case: a time, a reason, a span, a pronoun
_NO_CASE = frozenset(terms("""time times day days night nights week weeks month months year years hour hours minute
minutes morning evening afternoon weekend weekends moment once now today tomorrow tonight all any advance least most
total instance example case order refund return it this that them me us him her mine yours free cash card person
phone online end start beginning""")) | {"way", "wai"}
LOOK = 3   # how far down a part's ranking the unit stating the asked case may stand


def sentence_scope(text: str) -> set[str]:
    """The terms of the case a unit's opening phrase names, or an empty set."""
    m = _OPENING.match(text or "")
    if not m or re.search(r"\d", m.group(1)):
        return set()
    return set(terms(m.group(1))) - _NO_CASE


def asked_scopes(text: str) -> list[set[str]]:
    """The cases a part names after at/in/on/for, each as its terms."""
    out = []
    for m in _ASKED.finditer(text or ""):
        phrase = re.split(r"\s+(?:if|when|and|or|but|instead|please|too|also|so|then|because|at|in|on|for|to|with|"
                          r"from|by|of)\b", m.group(1))[0]
        words = set(terms(phrase)) - _NO_CASE
        if words and not re.search(r"\d", phrase):
            out.append(words)
    return out


def _stated(scored: ScoredUnit) -> set[str]:
    unit = scored.unit
    return set(terms(f"{unit.text} {unit.context} {unit.source_title}"))


def _scoped_elsewhere(asked: set[str], cases: list[set[str]], scored: ScoredUnit) -> set[str]:
    scope = sentence_scope(scored.unit.text)
    if not scope or scope & asked:
        return set()
    stated = _stated(scored)
    return scope if any(case and not case & stated for case in cases) else set()


def other_scope(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why the best unit is another case's rule (it opens with a case the part does not name, and the part names a
    case the unit does not state), or None."""
    if not evidence or part.language == "zh":
        return None
    cases = asked_scopes(part.text)
    if not cases:
        return None
    scope = _scoped_elsewhere(set(terms(part.text)), cases, evidence[0])
    if not scope:
        return None
    asked = sorted(set().union(*cases) - _stated(evidence[0]))
    return f"asks about {' '.join(asked)}; the evidence is the rule for {' '.join(sorted(scope))} (another case)"


def other_scope_ranking(part: QuestionPart, ranked: list[ScoredUnit]) -> list[ScoredUnit] | None:
    """The part's ranking without the units that are another case's rule, when its best unit is one and the unit that
    then ranks first states every case the part names and stands among its best `LOOK + 1`; else None."""
    if not ranked or not other_scope(part, ranked[:1]):
        return None
    asked, cases = set(terms(part.text)), asked_scopes(part.text)
    rest = [s for s in ranked if not _scoped_elsewhere(asked, cases, s)]
    if not rest or not any(rest[0] is s for s in ranked[:LOOK + 1]) \
            or not all(case & _stated(rest[0]) for case in cases):
        return None
    return rest


def general_rule_first(part: QuestionPart, ranked: list[ScoredUnit], kind: str | None) -> list[ScoredUnit] | None:
    """The part's ranking without the units opened by a case the part does not name, when the part names no case of
    its own, its best unit is opened by one, and a unit of the same document opened by none, holding a value of the
    asked `kind`, stands among its next `LOOK` (module docstring); else None."""
    if not ranked or part.language == "zh" or kind not in _VALUE_PATTERNS or asked_scopes(part.text):
        return None
    asked = set(terms(part.text))
    scope = sentence_scope(ranked[0].unit.text)
    if not scope or scope & asked:
        return None
    for s in ranked[1:LOOK + 1]:
        if s.unit.doc_id != ranked[0].unit.doc_id or not has_value(kind, s.unit):
            continue
        if not sentence_scope(s.unit.text):
            return [r for r in ranked if not (case := sentence_scope(r.unit.text)) or case & asked]
    return None
