"""Recall on the real parts (MiniLM, Chroma + BM25, the calibrated selection model): a comparison table's column
named like a product is stated alone, a lead-in gives the table under it its subject, and two questions in one
sentence are answered part by part (issue #15)."""
from __future__ import annotations

import pytest

from components.answers.answerability import asked_value
from components.answers.comparison_rows import focus_row
from components.answers.composer import AnswerComposer

CARDS = """# Pinewood credit cards

## Cards compared

| Feature | Basic | Silver Rewards | Gold Rewards |
|---|---|---|---|
| Annual fee | $0 | $45 | $95 |
| Foreign transaction fee | 3% | 2% | 1% |

## Metal cards

Gold Rewards cards are made of brushed steel. Silver Rewards and Basic cards are plastic.

## Holiday opening

Our branches change their hours over the winter holidays:

| Date | Riverside branch | Hilltop branch |
|---|---|---|
| 25 December | closed | closed |
| 31 December | 09:00 to 13:00 | closed |

## Phone banking

The phone banking line is open Monday to Friday, 9:00 to 17:00.

## Travel cover

Gold Rewards cards include travel insurance for trips of up to 60 days. Silver Rewards and Basic cards do not
include travel insurance.
"""


@pytest.fixture(scope="module")
def composer(real_services):
    kb = real_services.knowledge
    added = kb.ingest_text("Pinewood credit cards", CARDS, doc_id="test-pinewood-cards")
    assert added.status != "error", added.message
    yield AnswerComposer(kb, real_services.embedder.embed)
    kb.delete("test-pinewood-cards")


def stated(part) -> str:
    """What the reply states for a part: its evidence, or (below the threshold) its best candidate as it would."""
    if part.evidence:
        return " ".join(e.unit.text for e in part.evidence)
    return focus_row(part.candidates[0], part.part.text, asked_value(part.part.text)).unit.text


def test_a_product_named_column_is_stated_alone(composer):
    answer = composer.compose("What is the Silver card's annual fee?", "en")
    said = stated(answer.parts[0])
    assert "Silver Rewards: $45" in said and "$95" not in said and "$0" not in said


def test_two_questions_in_one_sentence_are_answered_part_by_part(composer):
    answer = composer.compose("What's the Gold card's annual fee at Pinewood, and is it made of metal?", "en")
    assert [p.part.text for p in answer.parts][0] == "What's the Gold card's annual fee at Pinewood?"
    assert len(answer.parts) == 2
    first, second = stated(answer.parts[0]), stated(answer.parts[1])
    assert "$95" in first and "$45" not in first
    assert "steel" in second


def test_a_lead_in_is_no_evidence_but_gives_its_rows_their_subject(composer):
    answer = composer.compose("Is the Hilltop branch open on 31 December over the holidays?", "en")
    texts = [c.unit.text for c in answer.parts[0].candidates]
    assert not any(t.endswith(":") for t in texts)
    best = answer.parts[0].candidates[0]
    assert best.unit.kind == "row" and "31 December" in best.unit.text and "holidays" in best.unit.context


def test_a_weekday_is_no_name_the_documents_must_mention(composer):
    # "Saturday" is a value the hours state or not (Monday to Friday), not a thing the documents lack
    answer = composer.compose("Can I call the Pinewood phone banking line on a Saturday?", "en")
    assert answer.parts[0].unmentioned == []
    assert "Monday to Friday" in stated(answer.parts[0])


@pytest.mark.parametrize("question, fact, not_fact", [
    ("金卡的年费是多少？", "$95", "$45"),
    ("银卡有旅行保险吗？", "do not include travel insurance", "60 days"),
])
def test_a_chinese_question_finds_english_evidence(composer, question, fact, not_fact):
    # the documents are English only: the question is also searched and ranked as its English words
    answer = composer.compose(question, "zh")
    part = answer.parts[0]
    assert part.part.gloss and "card" in part.part.gloss.split()
    said = stated(part)
    assert fact in said and not_fact not in said


def test_a_chinese_word_is_mentioned_only_by_its_english_phrase(composer):
    # 房贷 is "home loan": the Pinewood documents speak of homes nowhere and of loans nowhere, and a bank writing
    # "home improvement loan" would not say it either
    assert not composer._said_in_english("房贷", "we offer a home improvement loan at 8.4%")
    assert composer._said_in_english("旅行保险", "gold rewards cards include travel insurance for trips")
