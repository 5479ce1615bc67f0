"""A bare question after a story ("our heating broke down last night. what are my options?") is about the story:
its words count as the part's subject in the ranking's word features, the answerability checks and the calibration's
replay (components/answers/story_subject.py, issue #15)."""
from __future__ import annotations

import numpy as np
import pytest

from components.answers.answerability import unanswered
from components.answers.composer import _term_weights
from components.answers.evidence_selection import EvidenceSelector, ScoredUnit
from components.answers.evidence_units import EvidenceUnit
from components.answers.question_analysis import split_question
from components.answers.story_subject import is_bare, story_subject


def _subject(text: str, known=lambda t: True) -> str:
    parts, statements = split_question(text)
    assert len(parts) == 1
    return story_subject(parts[0], statements, len(parts), known)


@pytest.mark.parametrize("text, subject", [
    # the story in sentences of its own before a question that names nothing
    ("Our heating broke down on Sunday night. What happens now?", "Our heating broke down on Sunday night."),
    ("The parcel never arrived. Do I get compensation?", "The parcel never arrived."),
    ("My blender stopped working after two months. what are my options?",
     "My blender stopped working after two months."),
    ("I cancelled my booking yesterday. Will I get my money back?", "I cancelled my booking yesterday."),
    # ... or in the clause the question opens with
    ("my train was cancelled, what do i do?", "my train was cancelled"),
    ("my card was declined twice. it happened at the till, is there anything you can do?",
     "my card was declined twice. it happened at the till"),
])
def test_a_bare_question_is_about_the_story_before_it(text, subject):
    assert _subject(text) == subject


@pytest.mark.parametrize("text", [
    # a question that names its own subject keeps the story as context only
    "I'm 19 and studying part time, can I get the student discount?",
    "The parcel never arrived. How long does a refund to a credit card take?",
    "I bought headphones last week and they don't fit, what's your return policy?",
    # no story
    "What happens if I miss a payment?",
])
def test_a_question_naming_its_own_subject_has_none_from_the_story(text):
    assert _subject(text) == ""


def test_a_question_is_bare_when_its_only_words_are_unknown_to_the_documents():
    assert is_bare("what are my options?") and is_bare("do we get any compensation?")
    assert not is_bare("is there a penalty?")
    assert is_bare("is there a penalty?", known=lambda t: t not in ("penalti", "penalty"))


def test_the_storys_words_count_fully_for_a_bare_part():
    parts, statements = split_question("The power was off for 20 hours after the storm. Do we get any compensation?")
    part = parts[0]
    part.subject = story_subject(part, statements, 1)
    before = _term_weights(part.text, statements, None, "", part.story)
    after = _term_weights(part.text, statements, None, "", part.story, subject=part.subject)
    assert before["power"] < 1.0 and after["power"] == 1.0 and after["storm"] == 1.0
    assert after["compensation"] == 1.0


def _unit(text: str, title: str = "Help") -> EvidenceUnit:
    return EvidenceUnit(text, "", "sentence", title, "doc", f"{title}#0", 0.5, "en", 0)


def test_the_unit_about_the_story_ranks_above_one_that_only_shares_the_bare_words():
    """"compensation" fits a missed appointment's sentence best; the heating's has the story's words."""
    selector = EvidenceSelector(lambda xs: np.zeros((len(xs), 4), dtype=np.float32))
    units = [_unit("Compensation for a missed appointment: we pay compensation of £30.", "Appointments"),
             _unit("When your heating breaks down and is not repaired within 2 days, we pay £80.", "Heating")]
    parts, statements = split_question("Our heating broke down. Do we get any compensation?")
    part = parts[0]
    weights = _term_weights(part.text, statements, None, "", part.story)
    without = selector.features(part, units, np.zeros(4, dtype=np.float32), weights)
    assert without[0]["words"] > without[1]["words"]
    part.subject = story_subject(part, statements, 1)
    weights = _term_weights(part.text, statements, None, "", part.story, subject=part.subject)
    rows = selector.features(part, units, np.zeros(4, dtype=np.float32), weights)
    assert rows[1]["words"] > rows[0]["words"] and rows[1]["said"] > rows[0]["said"]


def _scored(text: str, title: str = "Help") -> ScoredUnit:
    return ScoredUnit(_unit(text, title), 1.0, {})


def test_a_bare_parts_value_must_be_about_its_story():
    parts, statements = split_question("The power was off for 20 hours after the storm. How much do we get?")
    part = parts[0]
    part.subject = story_subject(part, statements, 1)
    other = _scored("For a missed appointment we pay £30.", "Appointments")
    assert unanswered(part, [other], [other]) is not None
    right = _scored("If your power is off for more than 12 hours, we pay £80.", "Power cuts")
    assert unanswered(part, [right], [right]) is None


def test_the_customers_case_told_before_a_bare_part_is_read_by_the_near_miss_checks():
    parts, statements = split_question("I haven't got the receipt any more. What are my options?")
    part = parts[0]
    part.subject = story_subject(part, statements, 1)
    rule = _scored("If you have the receipt, we refund the full price to your card.")
    assert unanswered(part, [rule], [rule]) is not None


def test_calibration_replays_the_checks_with_the_parts_subject():
    from components.answers.calibration import _unanswered

    parts, statements = split_question("The power was off for 20 hours after the storm. How much do we get?")
    subject = story_subject(parts[0], statements, 1)
    row = {"question_part": parts[0].text, "types": parts[0].types, "gloss": "", "subject": subject,
           "carried": [], "known": [], "text": "For a missed appointment we pay £30.", "title": "Appointments",
           "kind": "sentence", "doc": "doc"}
    assert _unanswered([row], [0], [0]) is not None
    assert _unanswered([{**row, "subject": ""}], [0], [0]) is None


def test_a_decimal_point_is_no_sentence_end():
    parts, statements = split_question("I paid £3.20 too much last month. Will I get it back?")
    assert [p.text for p in parts] == ["Will I get it back?"] and statements == "I paid £3.20 too much last month."
    assert [p.text for p in split_question("Is the fee €2.99 for orders under 5 km?")[0]] == \
        ["Is the fee €2.99 for orders under 5 km?"]
