"""Whose rule is it? A question asks about its subject ("does *the courier* get the whole tip?", "how long do
*downloaded films* stay on my phone?"); a sentence states a rule about its own subject, the words its main clause
opens with ("If your order is cancelled before the courier picks it up, *the tip* is refunded in full"; "*Your
device* must connect to the internet at least once every 30 days, or your downloaded films … stop playing").

Such a neighbour shares every word of the question, only in another role, and ranks first, confidently: another
event about the same things. The sentence whose own subject is the asked one ("*Couriers* keep 100% of every tip",
"*A downloaded title* expires 30 days after you download it") usually stands a few places below, in the same
document. So:
- `asked_subject`: the first word of the noun after the question's inverted auxiliary ("does the courier …", "how
  long do downloaded films …"), as a term; None when the subject is a pronoun ("can I …", "will you …", "is there
  …"), or the part is Chinese or not so worded;
- `own_subject`: the first word of a unit's main clause (an opening "If …," / "When …," clause skipped), as a term;
  None for a labelled row or item ("Option: …"), a pronoun ("You can …") or a figure;
- `own_subject_first`: when the best unit's own subject is another word than the asked subject and a unit of the
  same document whose own subject is the asked one stands among its next `LOOK`, that unit is ranked first (the
  composer then chooses, and checks, as for any ranking). Nothing is dropped and nothing is declined: a part whose
  best unit's subject differs but has no such neighbour is answered as before. A best unit about the customer's own
  case, the thing of their story ("Hail cracked the glass sunroof on my car. Does my windscreen cover pay for
  that?" → "Sunroofs … are not covered by windscreen cover"), or one of whose sentences is about the asked subject,
  stays first.
English only: a Chinese sentence's subject needs a parser, and the asked verb is no stand-in (measured on the dev
replies in session 18: 14 correct Chinese yes/no answers lack the question's verb, "周日开门吗？" → "周日：休息").
"""
from __future__ import annotations

import re

from components.answers.evidence_selection import ScoredUnit, terms
from components.answers.question_analysis import QuestionPart

LOOK = 4   # how far below the best unit the one about the asked subject may stand

_AUXILIARY = r"(?:do|does|did|is|are|was|were|can|could|will|would|should|must|has|have|may)"
_DETERMINER = r"(?:(?:the|a|an|my|your|our|their|his|her|its|this|that|these|those|any|all|every|each)\s+)?"
_ASKED = re.compile(r"(?:^|[,;:.!?]\s*|\b(?:how (?:long|much|many \w+|often|soon|quickly)|when|where|what|why|"
                    r"which \w+|and|but|so)\s+)" + _AUXILIARY + r"\s+" + _DETERMINER + r"([a-z][\w-]*)", re.I)
_PRONOUNS = frozenset("""i you we they he she it there this that someone somebody anyone anybody everyone one me us
them what which who""".split())
# an opening clause that sets the scene before the main clause: "If …,", "When …,", "Once …,", "Instead of …,"
_OPENING_CLAUSE = re.compile(r"^\s*(?:if|when|whenever|once|after|before|unless|while|until|as soon as|as long as|"
                             r"instead of|because|since|although|though)\b[^,;:.]{1,120},\s*", re.I)
_LABELLED = re.compile(r"^\s*[^:：;.。]{1,40}[:：]")
_FIRST_WORD = re.compile(r"^\s*" + _DETERMINER + r"([A-Za-z][\w-]*)", re.I)


def _term(word: str) -> str | None:
    if word.lower() in _PRONOUNS:
        return None
    found = terms(word)
    return found[0] if len(found) == 1 else None


def asked_subject(part: QuestionPart) -> str | None:
    """The asked subject's first word as a term, or None (module docstring)."""
    if part.language == "zh":
        return None
    text = part.text[len(part.story):] if part.story and part.text.startswith(part.story) else part.text
    m = _ASKED.search(text)
    return _term(m.group(1)) if m else None


def own_subject(text: str) -> str | None:
    """The first word of a unit's main clause as a term, or None (module docstring)."""
    if not text or _LABELLED.match(text):
        return None
    m = _FIRST_WORD.match(_OPENING_CLAUSE.sub("", text, count=1))
    return _term(m.group(1)) if m else None


_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-Z])")


def sentence_subjects(text: str) -> list[str | None]:
    """The own subject of each sentence of a unit (a passage states several rules, each about its own subject)."""
    return [own_subject(sentence) for sentence in _SENTENCE_END.split(text or "")]


def own_subject_first(part: QuestionPart, ranked: list[ScoredUnit], statements: str = "") -> list[ScoredUnit] | None:
    """The ranking with the unit about the asked subject first, when the best unit's own subject is another word (in
    none of its sentences the asked one) and that unit, of the same document and not a sentence of the best unit,
    stands among the next `LOOK`; else None. `statements`: what the customer said around the question."""
    if len(ranked) < 2:
        return None
    asked = asked_subject(part)
    best = ranked[0].unit
    subjects = sentence_subjects(best.text)
    if asked is None or subjects[0] is None or asked in subjects:
        return None
    if subjects[0] in terms(f"{statements} {part.story} {part.said}"):
        return None   # the best unit is about the customer's own case ("Hail cracked the sunroof. Does my cover pay?")
    for i, scored in enumerate(ranked[1:LOOK + 1], 1):
        if scored.unit.doc_id == best.doc_id and own_subject(scored.unit.text) == asked \
                and scored.unit.text not in best.text:
            return [scored] + ranked[:i] + ranked[i + 1:]
    return None
