"""Evidence about what the customer may do does not answer whether another person may
(components/answers/other_persons.py; issue #15: never a confident wrong answer)."""
from __future__ import annotations

import pytest

from components.answers.answerability import unanswered
from components.answers.other_persons import asked_person, other_person
from tests.fakes import last_part, scored_unit


def scored(text, title="Library › Borrowing"):
    return scored_unit(text, title=title, doc="library")


def part(text):
    return last_part(text)


# invented: a library's borrowing rules
OWN = scored("With your library card you can borrow up to 10 books at the partner branches.")
ANYONE = scored("Someone else can borrow books on your card if they bring it and their own ID.")
CHILDREN = scored("Children under 12 borrow on a parent's card.")


@pytest.mark.parametrize("question, person", [
    ("can my wife borrow books on my card?", "wife"),
    ("Can my 10 year old borrow books?", "10 year old"),
    ("can my husband and I share a card?", None),      # asked with the customer
    ("can I borrow 12 books?", None),
    ("does my card work at every branch?", None),
])
def test_the_person_asked_about(question, person):
    assert asked_person(part(question)) == person


def test_the_customers_own_rule_does_not_answer_for_another_person():
    question = part("can my wife borrow books on my card?")
    reason = other_person(question, [OWN])
    assert reason and "wife" in reason
    assert unanswered(question, [OWN], [OWN, ANYONE]) == reason
    assert other_person(question, [ANYONE]) is None                  # someone else, by a general word
    assert other_person(question, [CHILDREN]) is None                # someone by age
    assert other_person(part("can my partner borrow on my card?"), [scored("Your partner may use your card.")]) is None
    assert other_person(part("can I borrow 12 books?"), [OWN]) is None
