"""A yes/no question that puts a thing somewhere is answered only by evidence saying the thing and the place
together (components/answers/thing_and_place.py), and "how many free minutes" only by minutes of that kind
(asked_subjects.uncounted_kind) (issue #15: never a confident wrong answer)."""
from __future__ import annotations

import pytest

from components.answers.asked_subjects import counted_kind, uncounted_kind, unstated_subject
from components.answers.thing_and_place import bare_name_item, thing_and_place, thing_apart_from_place
from tests.fakes import last_part, scored_unit


def scored(text, title="Title", context=""):
    return scored_unit(text, title=title, language="en", context=context)


@pytest.mark.parametrize("text, thing, place", [
    ("can i leave the e-scooter at a docking station?", {"scooter"}, {"dock", "station"}),
    ("are there lockers at every gym?", {"locker"}, {"gym"}),
    ("is there parking at the Lisbon store?", {"park"}, {"lisbon", "store"}),
    ("can I bring my dog on the train?", None, None),    # "on": what a rule is of as often as where
    ("Can I get an X-ray at Pennick Hill on a Saturday?", {"ray"}, {"pennick", "hill"}),
    ("can I get a scooter at 1am?", None, None),          # a time is no place
    ("is there a restocking fee at the store?", None, None),   # a rule noun
    ("Is there a minimum stay at the resort?", None, None),
    ("is there parking?", None, None),                 # no place
    ("can I pay by card at the till?", None, None),     # no thing after the verb
    ("是否有停车场？", None, None),
])
def test_the_thing_and_the_place_a_question_names(text, thing, place):
    asked = thing_and_place(text)
    if thing is None:
        assert asked is None
    else:
        assert asked is not None
        assert {t[:4] for t in asked[0]} == {t[:4] for t in thing}
        assert {t[:4] for t in asked[1]} == {t[:4] for t in place}


def test_a_place_rule_of_another_thing_is_not_the_things():
    full = scored('If every dock at a station is full, tap "Station full" in the app. Never leave a bike next to a '
                  'full station: it counts as parked outside a station. If a virtual bay is full, park in the next '
                  'bay. Do not squeeze an e-scooter in next to the bay.', "Parking › When the dock is full")
    question = last_part("can i leave the e-scooter at a docking station?")
    assert thing_apart_from_place(question, [full])
    assert unstated_subject(question, [full])
    rule = scored("E-scooters end in a virtual bay only. E-scooters cannot be docked at docking stations.",
                  "Parking › Where to end your ride")
    assert thing_apart_from_place(question, [rule]) is None
    assert unstated_subject(question, [rule]) is None


def test_a_heading_naming_the_thing_scopes_its_sentences():
    rules = scored("Dogs must stay on a lead. The hotel has room for two dogs per floor.", "Dogs at the hotel")
    assert thing_apart_from_place(last_part("can I bring my dog at the hotel?"), [rules]) is None
    # and one naming the whole place scopes them too
    store = scored("The store is at Rua Nova 12. Free parking is behind the building.", "Our stores › Porto store")
    assert thing_apart_from_place(last_part("Is there parking at the Porto store?"), [store]) is None


def test_a_list_item_that_only_names_the_thing_does_not_say_where_it_is():
    item = scored("Hand cycles, for riders who pedal with their arms.", "Accessibility › Adaptive bikes",
                  context="Accessibility and adaptive bikes Adaptive bikes")
    question = last_part("are there hand cycles at every station?")
    assert bare_name_item(question, [item])
    assert unstated_subject(question, [item])
    # the item under a heading or lead-in naming the place says where
    placed = scored("Hand cycles, for riders who pedal with their arms.", "Accessibility › At every station")
    assert bare_name_item(question, [placed]) is None
    # a sentence about the thing is no bare name
    said = scored("Hand cycles are at three stations only.", "Accessibility")
    assert bare_name_item(question, [said]) is None


@pytest.mark.parametrize("text, asked", [
    ("how many free minutes do I get on each ride?", ("free", "minutes")),
    ("how many sick days can I take?", ("sick", "days")),
    ("how many days do I have?", None),
    ("how many working days does a refund take?", None),   # how the days are counted, no other kind
    ("how many more days do I have?", None),
])
def test_the_kind_of_time_a_question_counts(text, asked):
    assert counted_kind(text) == asked


def test_minutes_of_another_kind_do_not_say_how_many_free_minutes():
    question = last_part("how many free minutes do I get on each ride?")
    reserve = scored("You can reserve a bike in the app up to 15 minutes before you unlock it. Reservations are free "
                     "on Monthly plans.", "Reserving a bike")
    assert uncounted_kind(question, [reserve])
    assert unstated_subject(question, [reserve])
    cell = scored("Free minutes per ride (classic bikes): Monthly: 45 minutes", "Plans")
    assert uncounted_kind(question, [cell]) is None
    after = scored("Every ride has its first 30 minutes free.", "Plans")
    assert uncounted_kind(question, [after]) is None


def test_the_unit_saying_the_thing_at_the_place_is_answered_from_when_it_stands_near():
    from components.answers.thing_and_place import thing_at_place_ranking

    question = last_part("can i leave the e-scooter at a docking station?")
    full = scored("If every dock at a station is full, tap Station full. Do not squeeze an e-scooter in next to the "
                  "bay.", "Parking › When the dock is full")
    rule = scored("E-scooters end in a virtual bay only. E-scooters cannot be docked at docking stations.",
                  "Parking › Where to end your ride")
    other = scored("Classic bikes end at a docking station only.", "Parking › Where to end your ride")
    assert thing_at_place_ranking(question, [full, rule, other])[0] is rule
    # a next unit that never says the thing at the place is no answer: the part stays unknown
    assert thing_at_place_ranking(question, [full, other]) is None
    # nothing to rank again when the best unit passes
    assert thing_at_place_ranking(question, [rule, full]) is None


def test_a_free_word_beside_another_price_does_not_make_minutes_free():
    question = last_part("how many free minutes do I get on each ride?")
    extend = scored("You can extend a reservation once, by 10 minutes, for another 50p (free for members).",
                    "Reserving a bike")
    assert uncounted_kind(question, [extend])
    day_pass = scored("It covers as many rides as you like with the first 30 minutes of every ride free.", "Day Pass")
    assert uncounted_kind(question, [day_pass]) is None
    sick = scored("You get up to 10 sick days a year.", "Leave")
    assert uncounted_kind(last_part("how many sick days can I take?"), [sick]) is None


def test_the_thing_a_part_before_named_with_its_kind_is_that_kind():
    from components.answers.asked_subjects import kind_of_thing_before, other_kind_than_before

    before = "how much do you charge for grocery bags?"
    question = last_part("can I give the bags back to the courier for a refund?")
    assert kind_of_thing_before(question, before) == ("grocery", "bags")
    courier = scored("The deposit is refunded when you return the bag within 30 days after you stop delivering.",
                     "Delivering with us (courier jobs) › Equipment")
    assert other_kind_than_before(question, [courier], before)
    grocery = scored("Grocery bags can be handed back to the courier; we refund €0.20 a bag.", "Bags")
    assert other_kind_than_before(question, [grocery], before) is None
    assert kind_of_thing_before(question, "how much do the bags cost?") is None   # no kind named before
