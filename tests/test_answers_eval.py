"""How `eval answers` judges a multi-part question: each part on what the reply states for it; a part said to be
unknown is never a correct part (issue #15)."""
from __future__ import annotations

import pytest

from components.answers.eval import judge_parts, judge_turn, run_answer_scenarios

EXPECT = {"parts": [{"reply_contains": [["$10"]]}, {"reply_contains": [["1 hour"]]}]}


def got(parts, reply="", mode="evidence"):
    return {"reply": reply, "abstained": not any(p.get("answered") for p in parts), "mode": mode,
            "answer": {"parts": parts}}


def part(text=None, source="Fobs"):
    return {"answered": text is not None, "evidence": [{"text": text, "source": source}] if text else []}


def test_every_part_right_is_correct():
    verdict, problems, parts = judge_parts(EXPECT, got([part("A new fob costs $10."), part("Valid for 1 hour.")]))
    assert (verdict, parts, problems) == ("correct", ["correct", "correct"], [])


def test_a_part_said_unknown_makes_the_turn_abstained_not_correct():
    verdict, _, parts = judge_parts(EXPECT, got([part("A new fob costs $10."), part()],
                                                reply="A new fob costs $10. Valid for 1 hour."))
    assert verdict == "abstained" and parts == ["correct", "abstained"]


def test_a_fact_stated_for_the_wrong_part_is_wrong():
    verdict, problems, parts = judge_parts(EXPECT, got([part("Valid for 1 hour."), part("A new fob costs $10.")]))
    assert verdict == "wrong" and parts == ["wrong", "wrong"] and problems


def test_a_part_repeating_an_earlier_parts_evidence_is_judged_on_it():
    same = {"answered": False, "evidence": [], "curated": {"same_as_earlier_part": True}}
    expect = {"parts": [{"reply_contains": [["order id"]]}, {"reply_contains": [["signed note"]]}]}
    verdict, _, _ = judge_parts(expect, got([part("Bring the order id; a friend brings a signed note."), same]))
    assert verdict == "correct"


def test_a_reply_not_answered_part_by_part_is_judged_whole():
    desk = {"reply": "Please verify your identity.", "abstained": False, "mode": None, "answer": {}}
    assert judge_parts(EXPECT, desk)[0] == "wrong"
    assert judge_turn(EXPECT, {**desk, "reply": "It costs $10 and is valid for 1 hour."}) == ("correct", [])


def test_parts_must_be_expectations():
    class Never:
        def chat(self, *a, **k):  # pragma: no cover - validation fails first
            raise AssertionError

    with pytest.raises(ValueError, match="parts"):
        run_answer_scenarios(Never(), [{"name": "x", "turns": [{"user": "a?", "expect": {"parts": "no"}}]}])
    with pytest.raises(ValueError, match="unknown expectation"):
        run_answer_scenarios(Never(), [{"name": "x", "turns": [{"user": "a?", "expect": {"parts": [{"nope": 1}]}}]}])
