"""The customer's situation picks the rule: "my flight's delayed 3 hours, will you still have my car at the airport?"
asks what happens to a booking *when a flight is delayed*. The question's own words ("car", "airport") match another
rule as well, and better ("The airport branch takes returns 24 hours a day …"), which ranks first, confidently,
though it says nothing of the situation; the rule written for it ("If your flight is delayed and you gave us your
flight number, we keep the car until the airport branch closes") stands a few places below.

`situation_first`: the words of the situation the customer tells (the clause a part opens with, `QuestionPart.story`,
and the sentences said beside the question), besides the question's own words, its question words and numbers;
when there are at least two, the best unit says none of them (in its text, context or title) and a unit among the
next `LOOK` says at least two, that unit is ranked first (the composer then chooses, and checks, as for any
ranking). A best unit saying any word of the situation stays first: it may be the rule for it.
English only (a Chinese story is read by `answerability._chinese_question_after_story`).
"""
from __future__ import annotations

import re

from components.answers.evidence_selection import ScoredUnit, terms
from components.answers.question_analysis import QuestionPart

LOOK = 3      # how far below the best unit the unit about the situation may stand
SHARED = 2    # how many of the situation's words that unit says


def situation_terms(part: QuestionPart, statements: str, question_words: frozenset[str]) -> set[str]:
    """The words of the customer's situation that the question itself does not say."""
    if part.language == "zh":
        return set()
    told = re.sub(r"['’]s\b", "", f"{statements} {part.story}")
    asked = part.text[len(part.story):] if part.story and part.text.startswith(part.story) else part.text
    return {t for t in terms(told) if not t.isdigit()} - set(terms(asked)) - question_words


def _said(scored: ScoredUnit) -> set[str]:
    unit = scored.unit
    return set(terms(re.sub(r"['’]s\b", "", f"{unit.text} {unit.context} {unit.source_title}")))


def situation_first(part: QuestionPart, ranked: list[ScoredUnit], statements: str,
                    question_words: frozenset[str]) -> list[ScoredUnit] | None:
    """The ranking with the unit about the customer's situation first (module docstring), or None."""
    situation = situation_terms(part, statements, question_words) if len(ranked) > 1 else set()
    if len(situation) < SHARED or _said(ranked[0]) & situation:
        return None
    for i, scored in enumerate(ranked[1:LOOK + 1], 1):
        if len(_said(scored) & situation) >= SHARED:
            return [scored] + ranked[:i] + ranked[i + 1:]
    return None
