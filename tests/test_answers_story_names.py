"""A name that only sets the customer's scene does not keep an answered part from being stated
(components/answers/story_names.py); a name in what is asked, or evidence about other named things, still does."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from components.answers.composer import AnswerComposer, ComposedAnswer, PartAnswer
from components.answers.evidence_selection import SelectionModel, terms
from components.answers.story_names import incidental, story_and_asked
from tests.fakes import last_part, scored_unit


# the scene's names, the customer's own products: no document writes them
_NEVER_WRITTEN = {"patagonia", "belfast", "mac", "canadian", "tallowmere", "silver", "georgia", "revolut"}


def scored(text, language="en"):
    return scored_unit(text, language=language)


def part(text):
    return last_part(text)


def composed(question, evidence):
    composer = AnswerComposer(SimpleNamespace(keywords={}), lambda texts: np.zeros((len(texts), 2)),
                              model=SelectionModel({}, 5.0, {}, threshold=0.5))
    # the words the documents use: a bank's cards and fees, a clinic's plans, an energy supplier's homes
    vocabulary = set(terms(f"{question} {evidence.unit.text}")) | {"card"}
    composer.statistics = SimpleNamespace(df=lambda t: 0 if t in _NEVER_WRITTEN else 3 * (t in vocabulary))
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [PartAnswer(part(question), evidence=[evidence], confidence=0.9)]
    composer._mark_unmentioned(answer, [evidence.unit])
    return answer.parts[0]


@pytest.mark.parametrize("question, evidence", [
    # a rule for everyone: the evidence names nothing
    ("Going abroad to Patagonia next month, how long is the cooling-off period?",
     "You can cancel within 14 days of buying the policy."),
    # a rule for the region the customer also names (a member named with its category)
    ("I live in Belfast in Northern Ireland, can you supply my house?",
     "We supply homes in England, Scotland and Wales. We do not supply homes in Northern Ireland."),
    # the customer names the documents' case beside the scene's name
    ("I use a Mac with Safari, will the classroom work?",
     "A laptop with a recent version of Chrome or Firefox. Safari is not supported."),
])
def test_a_name_of_the_scene_does_not_block_the_answer(question, evidence):
    answered = composed(question, scored(evidence))
    assert answered.answered and answered.unmentioned == [] and answered.incidental


@pytest.mark.parametrize("question, evidence", [
    # the name is what is asked
    ("Can I deposit a check from a Canadian bank with the app?", "Checks deposited before 20:00 count that day."),
    # the question points back at the story's name
    ("I have Tallowmere Silver, can I use it at the clinic?", "Most plans are accepted at the clinic."),
    # the name says which of the things discussed the customer has
    ("I have a Revolut card, what's the foreign transaction fee?", "Foreign transaction fee: 1% of each payment."),
    # the evidence is about other named members only
    ("I'm driving to Georgia, do I need a green card?",
     "You need a green card for Albania, Serbia, Turkey and Ukraine."),
])
def test_a_name_that_matters_still_blocks_the_answer(question, evidence):
    blocked = composed(question, scored(evidence))
    assert not blocked.answered and blocked.unmentioned and not blocked.incidental


def test_a_chinese_story_clause():
    asked = part("狗把沙发咬坏了，房屋保险能赔吗？")
    assert story_and_asked(asked) == ("狗把沙发咬坏了", "房屋保险能赔吗？")
    pets = scored("宠物造成的损坏（咬坏、抓坏）不在保障范围内。", language="zh")
    assert incidental(["沙发"], asked, [pets.unit.text]) == ["沙发"]
    assert incidental(["沙发"], part("沙发被狗咬坏能赔吗？"), [pets.unit.text]) == []   # no story: what is asked
