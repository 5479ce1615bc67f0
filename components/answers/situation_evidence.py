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
A Chinese part that opens with what happened ("估算账单太高了，要在多少天内交读数？", `answerability.chinese_story`) is
read by section: when the best unit's section heading is not said in the story and a unit of the same document among
the next `LOOK` stands under a heading the story says verbatim ("估算账单"), that unit is ranked first: the rule for
the customer's situation, not the general one ("请在账单日期前 5 天内提交读数" under "提交电表读数").
"""
from __future__ import annotations

import re

from components.answers.evidence_selection import ScoredUnit, terms
from components.answers.question_analysis import QuestionPart
from components.nlu.cjk_characters import has_cjk

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


def _heading_said(title: str, story: str) -> bool:
    from components.answers.answerability import leaf_heading

    heading = re.sub(r"[（(][^）)]*[）)]", "", leaf_heading(title)).strip()   # "冷链药品（胰岛素等）": 冷链药品
    return len(heading) >= 2 and has_cjk(heading) and heading in story


def chinese_situation_first(part: QuestionPart, ranked: list[ScoredUnit]) -> list[ScoredUnit] | None:
    """The ranking with the unit under the section the Chinese story names first (module docstring), or None."""
    from components.answers.answerability import chinese_story

    story = chinese_story(part.text) if len(ranked) > 1 else ""
    if not story or _heading_said(ranked[0].unit.source_title, story):
        return None
    for i, scored in enumerate(ranked[1:LOOK + 1], 1):
        if scored.unit.doc_id == ranked[0].unit.doc_id and _heading_said(scored.unit.source_title, story):
            return [scored] + ranked[:i] + ranked[i + 1:]
    return None


def situation_first(part: QuestionPart, ranked: list[ScoredUnit], statements: str,
                    question_words: frozenset[str]) -> list[ScoredUnit] | None:
    """The ranking with the unit about the customer's situation first (module docstring), or None."""
    if has_cjk(part.text):
        return chinese_situation_first(part, ranked)
    situation = situation_terms(part, statements, question_words) if len(ranked) > 1 else set()
    if len(situation) < SHARED or _said(ranked[0]) & situation:
        return None
    for i, scored in enumerate(ranked[1:LOOK + 1], 1):
        if len(_said(scored) & situation) >= SHARED:
            return [scored] + ranked[:i] + ranked[i + 1:]
    return None
