"""The lifts of unconfident parts (sub_threshold_lifts.py): a part under the threshold is answered by its best unit
alone only for a reason the evidence shows; the trace says which."""
from __future__ import annotations

import numpy as np
import pytest

from components.answers.composer import AnswerComposer
from components.answers.evidence_selection import SelectionModel
from components.answers.question_analysis import split_question
from components.answers.sub_threshold_lifts import LIFT_FLOOR, lift_reason, named_agreed
from tests.fakes import scored_unit


def _unit(text, dense, words, score, title="Cover plans", kind="sentence"):
    return scored_unit(text, title=title, kind=kind, score=score, parts={"dense": dense, "words": words})


def _ranked():
    """"What's the excess on SafeGuard Plus?": the named plan's cell first by score, by meaning and by words."""
    return [_unit("Excess per claim: SafeGuard Plus: €39", 0.8, 0.9, 6.0, kind="row"),
            _unit("Excess per claim: SafeGuard Lite: €59", 0.7, 0.6, 5.5, kind="row"),
            _unit("SafeGuard Plus covers accidental damage and theft.", 0.6, 0.5, 5.0)]


def _question(text):
    return split_question(text)[0][-1].text


def test_the_named_things_rule_first_by_meaning_and_by_words_is_lifted():
    assert named_agreed(_question("What's the excess on SafeGuard Plus?"), _ranked())
    assert lift_reason(_question("What's the excess on SafeGuard Plus?"), 0.6, 0.77, _ranked(), []) == "named_agreed"


@pytest.mark.parametrize("question, change", [
    # the customer names nothing in capitals: nothing tells the unit is about their thing
    ("what's the excess?", None),
    # a name the best unit does not state
    ("What's the excess on SafeGuard Max?", None),
    # another unit is first by meaning: the two rankings disagree
    ("What's the excess on SafeGuard Plus?", "dense"),
    # another unit is first by words
    ("What's the excess on SafeGuard Plus?", "words"),
    # the unit names the thing but says nothing of what is asked about it ("wheelchair accessible")
    ("Is SafeGuard Plus wheelchair accessible for repairs at home?", None),
])
def test_no_lift_without_every_signal(question, change):
    ranked = _ranked()
    if change:
        ranked[1].parts[change] = 0.95
    assert not named_agreed(_question(question), ranked)


def test_no_lift_outside_the_band_between_the_floor_and_the_threshold():
    text = _question("What's the excess on SafeGuard Plus?")
    assert lift_reason(text, LIFT_FLOOR - 0.01, 0.77, _ranked(), []) is None
    assert lift_reason(text, 0.8, 0.77, _ranked(), []) is None


class _Unsure(SelectionModel):
    """Confidence 0.6: between the lift floor and the threshold."""
    def confidence_of(self, ranked):
        return 0.6


def test_the_composer_states_the_lifted_unit_alone_and_traces_why():
    composer = AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)),
                              model=_Unsure({}, 5.0, {}, threshold=0.77, margin=5.0, max_units=3))
    part = split_question("What's the excess on SafeGuard Plus?")[0][-1]
    answer = composer._choose(part, _ranked(), [], [])
    assert [e.unit.text for e in answer.evidence] == ["Excess per claim: SafeGuard Plus: €39"]
    assert answer.lifted == "named_agreed" and answer.to_dict()["lifted"] == "named_agreed"
    ranked = _ranked()
    ranked[2].parts["dense"] = 0.95
    assert not composer._choose(part, ranked, [], []).evidence


def test_a_settled_condition_lifts_from_its_own_lower_floor():
    from components.answers.sub_threshold_lifts import SETTLED_FLOOR
    from components.answers.number_conditions import asked_quantities
    question = _question("we're a team of 3, can we get a business account?")
    ranked = [_unit("A business account needs at least 5 riders.", 0.8, 0.9, 9.7, title="Business accounts"),
              _unit("To open a business account, email us.", 0.7, 0.8, 8.9, title="Business accounts")]
    numbers = asked_quantities(question)
    assert SETTLED_FLOOR < 0.43 < LIFT_FLOOR
    assert lift_reason(question, 0.43, 0.77, ranked, numbers) == "condition_settled"
    assert lift_reason(question, SETTLED_FLOOR - 0.01, 0.77, ranked, numbers) is None
    # a span of time lifts from LIFT_FLOOR only
    pause = _question("Can I pause for 2 months?")
    rejoin = [_unit("If you rejoin within 10 months, you get your profiles back.", 0.8, 0.9, 9.7, title="Cancelling")]
    assert lift_reason(pause, 0.43, 0.77, rejoin, asked_quantities(pause)) is None
