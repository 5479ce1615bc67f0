"""A table with a row per option writes other rows' words in each row's cells; the row whose first column the
question names ranks first (components/answers/comparison_rows.py `named_row_first`; issue #15)."""
from __future__ import annotations

from components.answers.answerability import QUESTION_WORDS
from components.answers.comparison_rows import named_row_first
from components.answers.evidence_selection import ScoredUnit
from components.answers.evidence_units import EvidenceUnit
from components.answers.question_analysis import split_question


def row(text, score, title="Ferry tickets", doc="ferry"):
    return ScoredUnit(EvidenceUnit(text, "", "row", title, doc, f"{doc}#0", 0.5, "en", 0), score, {})


def part(text):
    return split_question(text)[0][-1]


# invented: a ferry's ticket table, whose night row names the morning crossing in its own cells
NIGHT = row("Ticket: Night crossing (22:00 to 06:00); Price: €40; Arrives: the early morning crossing's port", 9.0)
MORNING = row("Ticket: Early morning crossing; Price: €25; Arrives: 09:30", 8.5)
CABIN = row("Ticket: Cabin upgrade; Price: €30; Arrives: with your crossing", 8.0)


def test_the_named_row_is_ranked_first():
    ranked = named_row_first(part("How much is the early morning crossing?"), [NIGHT, CABIN, MORNING], QUESTION_WORDS)
    assert ranked is not None and ranked[0] is MORNING and len(ranked) == 3


def test_nothing_moves_when_the_best_row_is_named_or_the_named_row_is_elsewhere():
    assert named_row_first(part("How much is the night crossing?"), [NIGHT, MORNING], QUESTION_WORDS) is None
    assert named_row_first(part("How much is the early morning crossing?"),
                           [NIGHT, row(MORNING.unit.text, 8.5, title="Ferry tickets › Old prices")],
                           QUESTION_WORDS) is None
    assert named_row_first(part("what do tickets cost?"), [NIGHT, MORNING], QUESTION_WORDS) is None
