"""Which charge a sum of money is (components/answers/charge_kinds.py): a part asking for a fee is not answered by a
penalty, a refund or a deposit that the evidence states beside the asked words (issue #15: never a confident wrong
answer), and the unit stating the asked charge, just below, answers instead."""
from __future__ import annotations

from components.answers.answerability import unanswered
from components.answers.charge_kinds import asked_charge, other_charge, other_charge_ranking, sum_charges
from tests.fakes import last_part, scored_unit


def scored(text, kind="sentence", title="Title", doc="doc"):
    return scored_unit(text, kind=kind, title=title, doc=doc)


def part(text):
    return last_part(text)


def test_a_sum_is_the_charge_named_nearest_to_it():
    assert sum_charges("If you keep the boat past sunset without paying the evening fee, we charge a penalty of "
                       "£80.") == ["penalty"]
    assert sum_charges("Keeping the boat past sunset costs an evening fee of £25.") == ["price"]
    assert sum_charges("Annual members who leave within 30 days get the full £120 refunded.") == ["refund"]
    assert sum_charges("We lend you a life jacket for a £15 deposit.") == ["deposit"]
    assert sum_charges("Damage cover lowers what you pay, with a £50 excess.") == ["excess"]
    assert sum_charges("Price per extra hour: Kayak: £6") == ["price"]
    assert sum_charges("A kayak for two is £30 a day.") == [None]           # a sum no charge word names
    assert asked_charge("How much is the evening fee?") == "price"
    assert asked_charge("how much does it cost after that?") == "price"
    assert asked_charge("What is the penalty fee?") is None                 # two kinds: nothing decided
    assert asked_charge("How much is a kayak for two?") is None


def test_another_charge_does_not_answer_the_asked_one():
    penalty = scored("If you keep the boat past sunset without paying the evening fee, we charge a penalty of £80.")
    fee = scored("Keeping the boat past sunset costs an evening fee of £25.")
    question = part("How much is the evening fee?")
    reason = other_charge(question, [penalty])
    assert reason and "penalty" in reason
    assert unanswered(question, [penalty], [penalty, fee]) == reason
    assert other_charge(question, [fee]) is None
    assert other_charge(question, [penalty, fee]) is None                  # the asked fee is stated too
    # a sum with no charge word near it, a yes/no question, a part naming no charge: nothing to contradict
    assert other_charge(question, [scored("The evening rate is £25 after 18:00.")]) is None
    assert other_charge(part("Is there an evening fee?"), [penalty]) is None
    assert other_charge(part("How much is it past sunset?"), [penalty]) is None
    # a unit stating no sum adds nothing: the refund beside it is still no price
    refund = scored("Annual members who leave within 30 days get the full £120 refunded.")
    later = part("How long is the trial, and how much does it cost after that?")
    assert other_charge(later, [refund, scored("You can join again at any time.")])


def test_the_asked_charge_just_below_answers():
    penalty = scored("If you keep the boat past sunset without paying the evening fee, we charge a penalty of £80.")
    fee = scored("Keeping the boat past sunset costs an evening fee of £25.")
    other = scored("Boats leave from the north jetty.")
    question = part("How much is the evening fee?")
    assert other_charge_ranking(question, [penalty, fee, other]) == [fee, other]   # the fee's unit next
    assert other_charge_ranking(question, [penalty, other, fee]) is None   # what then ranks first states no fee
    assert other_charge_ranking(question, [penalty, other]) is None        # no unit states the fee
    assert other_charge_ranking(question, [fee, penalty]) is None          # the best states the fee
    assert other_charge_ranking(question, [penalty, penalty, penalty, penalty, fee]) is None   # too far down


def test_a_sum_that_is_only_paid_names_no_charge_and_a_fee_answers_a_penalty():
    """"A late return costs £10" says the sum is paid, not which charge it is: it answers "is there a penalty?"; so
    does "a late fee of £10" (a penalty charged as a fee). A penalty still answers no question about a fee."""
    question = part("I brought the boat back late, is there a penalty?")
    assert sum_charges("A late return costs £10.") == [None]
    assert sum_charges("We charge a penalty of £80.") == ["penalty"]
    assert other_charge(question, [scored("A late return costs £10.")]) is None
    assert other_charge(question, [scored("Late returns have a late fee of £10.")]) is None
    assert other_charge(part("How much is the evening fee?"), [scored("We charge a penalty of £80.")])
