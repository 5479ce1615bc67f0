"""A Chinese compound noun is asked as a whole: "骑电动自行车要戴头盔吗？" is not answered by a rule about 电动滑板车.

jieba cuts compounds the documents write into their words (电动自行车: 电动 / 自行车; 电动滑板车: 电动 / 滑板车), and the
keyword index matches each word: a unit about another thing that shares the compound's first word (电动滑板车 "e-scooter"
beside 电动自行车 "e-bike", 月度会员 beside 月度账单) matches the question's 电动 and every other word it shares, ranks first
and is stated confidently, the other vehicle's rule for the asked one. So:
- `asked_compounds`: the compounds a Chinese part names: two nouns next to each other in the part (jieba's tagger,
  each of two characters or more), written together as one string somewhere in the documents (`written`: the
  documents themselves hold the compound, so the pair is a name of one thing, not two nouns side by side by chance;
  the whole knowledge base, not the candidates, which a number check may have thinned);
- `other_compound`: the evidence a reply would state never writes an asked compound nor its second noun (自行车), and
  the best unit writes the compound's first noun only as the start of another compound (电动 followed by the noun
  滑板车): it speaks of another thing. The part is then unanswered (no ranking again: the next unit sharing the
  question's words is often about neither).
Chinese units only: an English unit a Chinese question is glossed into is read by the English checks.
"""
from __future__ import annotations

from typing import Callable

from components.answers.evidence_selection import ScoredUnit
from components.answers.question_analysis import QuestionPart
from components.nlu.cjk_characters import has_cjk

_NOUN = "n"   # jieba's tags of nouns: n, nr, ns, nt, nz, ng


def _nouns_in_a_row(text: str) -> list[tuple[str, str, bool]]:
    """(word, tag, is a noun of two characters or more) of a Chinese text, in order."""
    from components.knowledge.keyword_index import chinese_tags

    return [(word, flag, flag.startswith(_NOUN) and len(word) >= 2 and has_cjk(word))
            for word, flag in chinese_tags(text)]


def asked_compounds(text: str, written: Callable[[str], bool]) -> list[tuple[str, str]]:
    """(first noun, second noun) of each compound the part names that the documents write whole."""
    if not has_cjk(text):
        return []
    tagged = _nouns_in_a_row(text)
    pairs = [(a[0], b[0]) for a, b in zip(tagged, tagged[1:]) if a[2] and b[2]]
    return [(first, second) for first, second in dict.fromkeys(pairs) if written(first + second)]


def _other_compound_of(first: str, text: str, second: str) -> str | None:
    """The compound the unit writes with `first` as its first noun, other than first + second ("电动滑板车")."""
    tagged = _nouns_in_a_row(text)
    for a, b in zip(tagged, tagged[1:]):
        if a[0] == first and b[2] and b[0] != second:
            return a[0] + b[0]
    return None


def other_compound(part: QuestionPart, evidence: list[ScoredUnit], written: Callable[[str], bool]) -> str | None:
    """Why the evidence speaks of another thing than the compound the part asks about, or None (module docstring)."""
    if not evidence or not has_cjk(part.text) or not has_cjk(evidence[0].unit.text):
        return None
    stated = " ".join(e.unit.text for e in evidence)
    for first, second in asked_compounds(part.text, written):
        if first + second in stated or second in stated:
            continue
        other = _other_compound_of(first, evidence[0].unit.text, second)
        if other:
            return f"asks about {first + second}; the evidence speaks of {other} (another thing)"
    return None
