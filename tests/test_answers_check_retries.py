"""When a check stops a part's best unit, the unit behind it (components/answers/check_retries.py): taken only when it
stands near, passes every check alone, is of the stopped unit's document and says what the stopped unit did not."""
from __future__ import annotations

import numpy as np

from components.answers.answerability import declining_check, other_day
from components.answers.check_retries import retry_ranking
from components.answers.composer import AnswerComposer
from components.answers.evidence_selection import SelectionModel
from tests.fakes import last_part, scored_unit

QUESTION = last_part("What time does the phone line open on a Sunday?")
HOLIDAY = scored_unit("On public holidays the chat is open 09:00 to 17:00 and the phone line is closed.",
                      title="Contact us", doc="contact")
PHONE = scored_unit("Channel: Phone; Hours: Monday to Friday 08:00 to 20:00, Saturday and Sunday 09:00 to 17:00",
                    kind="row", title="Contact us", doc="contact")
SIGN_UP = scored_unit("If something goes wrong during sign-up, chat with our assistant at any time.",
                      title="How do I create an account?", doc="account")


def check(evidence):
    return other_day(QUESTION, evidence)


def passes(scored):
    return declining_check(QUESTION, [scored], [scored]) is None


def test_the_unit_behind_a_stopped_one_answers_what_the_check_found_missing():
    assert check([HOLIDAY]) and not check([PHONE])
    assert retry_ranking(QUESTION, [HOLIDAY, PHONE, SIGN_UP], check, passes) == [PHONE, SIGN_UP]


def test_not_when_the_best_unit_is_not_stopped():
    assert retry_ranking(QUESTION, [PHONE, HOLIDAY], check, passes) is None


def test_not_when_it_stands_too_far_down():
    others = [scored_unit(f"Holiday {i}: the phone line is closed on public holidays.", title="Contact us",
                          doc="contact") for i in range(3)]
    assert retry_ranking(QUESTION, [HOLIDAY, *others, PHONE], check, passes) is None


def test_not_when_it_fails_another_check_on_its_own():
    assert retry_ranking(QUESTION, [HOLIDAY, PHONE], check, lambda s: s is not PHONE) is None


def test_the_first_unit_behind_that_passes_every_check_is_taken_over_one_another_check_stops():
    """"学生会员多少钱？": the cancellation rule second fails value_subject, the price row third answers."""
    hours = scored_unit("Phone calls cost the local rate; the phone line may be busy at opening time.",
                        title="Contact us", doc="contact")
    assert retry_ranking(QUESTION, [HOLIDAY, hours, PHONE], check, lambda s: s is not hours) == [PHONE, hours]


def test_not_from_another_document():
    """A unit naming no day passes `other_day`; of another page it is another topic's rule sharing words."""
    phone_elsewhere = scored_unit(PHONE.unit.text, kind="row", title="Contact us", doc="elsewhere")
    assert retry_ranking(QUESTION, [HOLIDAY, phone_elsewhere], check, passes) is None


def test_not_when_it_says_nothing_the_stopped_unit_did_not():
    """A unit passing the check only by naming no day ("The phone line is closed …") says nothing of the asked
    day: the retry must answer what the check found missing."""
    closed = scored_unit("The phone line and the chat are closed.", title="Contact us", doc="contact")
    assert retry_ranking(QUESTION, [HOLIDAY, closed], check, passes) is None


class _Near(SelectionModel):
    """A selection model whose confidence is fixed (just under the threshold 0.77, or under the floor)."""
    def __init__(self, value):
        super().__init__({}, 5.0, {}, threshold=0.77, margin=0.0, max_units=1)
        self.value = value

    def confidence_of(self, ranked):
        return self.value


def test_the_ranking_behind_a_stop_is_answered_near_the_threshold_by_its_first_unit():
    """The phone row behind the stopped holiday row reads just under the threshold (it lost the stopped unit's
    score): answered from BEHIND_FLOOR by that row alone, lifted `behind_a_stop`; not under the floor, and not
    for a ranking that is no retry behind a stop."""
    from components.answers.check_retries import BEHIND_FLOOR

    near = AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)), model=_Near(BEHIND_FLOOR + 0.04))
    behind = [PHONE, SIGN_UP]
    answer = near._choose(QUESTION, behind, [], behind_a_stop=True)
    assert [e.unit.text for e in answer.evidence] == [PHONE.unit.text] and answer.lifted == "behind_a_stop"
    assert not near._choose(QUESTION, behind, []).evidence
    low = AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)), model=_Near(BEHIND_FLOOR - 0.04))
    assert not low._choose(QUESTION, behind, [], behind_a_stop=True).evidence
