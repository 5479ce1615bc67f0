"""A neighbouring sentence about another subject ranks first on the question's words; the unit whose own subject is
the asked one comes first (components/answers/own_subjects.py; issue #15: never a confident wrong answer)."""
from __future__ import annotations

from components.answers.own_subjects import asked_subject, own_subject, own_subject_first
from tests.fakes import last_part, scored_unit


def scored(text, doc="lockers", score=1.0):
    return scored_unit(text, title="Lockers › Keys", doc=doc, score=score)


def part(text):
    return last_part(text)


# invented: a gym's locker rules, where the key's rule ranks above the locker's own
KEY = scored("If you lose the key before your locker is emptied, the key is replaced for a fee.", score=9.0)
OPENING = scored("Your member card opens the locker.", score=8.0)
LOCKER = scored("A locker stays yours for 24 hours after you book it.", score=7.0)


def test_the_asked_subject_and_a_units_own_subject():
    assert asked_subject(part("how long do lockers stay booked?")) == asked_subject(part("does the locker stay booked?"))
    assert asked_subject(part("can I keep my locker overnight?")) is None          # a pronoun asks about no thing
    assert asked_subject(part("is there a locker fee?")) is None
    assert own_subject(KEY.unit.text) == own_subject("The key is replaced.")       # the opening "If …," clause skipped
    assert own_subject(LOCKER.unit.text) == asked_subject(part("does the locker stay booked?"))
    assert own_subject("You can book a locker online.") is None
    assert own_subject("Locker: 24 hours; Fee: €2") is None                        # a labelled row names no subject


def test_the_unit_about_the_asked_subject_is_ranked_first():
    question = part("how long does a locker stay booked?")
    ranked = own_subject_first(question, [KEY, OPENING, LOCKER])
    assert ranked is not None and ranked[0] is LOCKER and len(ranked) == 3
    assert own_subject_first(question, [LOCKER, KEY]) is None                      # already first
    # another document's sentence, or one below the look, is not moved up
    assert own_subject_first(question, [KEY, scored(LOCKER.unit.text, doc="other")]) is None
    assert own_subject_first(question, [KEY] + [OPENING] * 4 + [LOCKER]) is None
    assert own_subject_first(part("can I keep a locker overnight?"), [KEY, LOCKER]) is None


def test_a_passage_with_a_sentence_about_the_asked_subject_stays_first():
    passage = scored("Lockers are in the basement. A locker stays yours for 24 hours after you book it.", score=9.5)
    question = part("how long does a locker stay booked?")
    assert own_subject_first(question, [passage, LOCKER]) is None
    keys = scored("The key is at the desk. Your member card opens the locker.", score=9.5)
    assert own_subject_first(question, [keys, scored("A locker is yours for a day.", score=9.0)]) is not None
    # a sentence of the best passage itself is not moved above it
    assert own_subject_first(question, [scored(f"The key is at the desk. {LOCKER.unit.text}", score=9.5),
                                        LOCKER]) is None


def test_a_best_unit_about_the_customers_story_stays_first():
    question, lost = part("Does my locker stay booked?"), scored("Keys lost are replaced for €5.", score=9.0)
    assert own_subject_first(question, [lost, LOCKER], "I lost my key yesterday.") is None
    assert own_subject_first(question, [lost, LOCKER]) is not None
