"""The customer's own number picks the rule whose limits hold for it (components/answers/number_conditions.py)."""
from __future__ import annotations

import pytest

from components.answers.evidence_selection import ScoredUnit
from components.answers.evidence_units import EvidenceUnit
from components.answers.number_conditions import (Condition, asked_quantities, conditions, holding_first, holds,
                                                  quantities, without_failing)
from tests.fakes import scored_unit


def scored(text, score, doc="doc"):
    return scored_unit(text, doc=doc, score=score)


@pytest.mark.parametrize("text, expected", [
    ("You can fly without a certificate until the end of week 28.", [Condition("week", None, 28)]),
    ("From week 29 to the end of week 36 you need a certificate.", [Condition("week", 29, 36)]),
    ("After week 36 (week 32 if you expect twins) we cannot accept you.", [Condition("week", 36, None, low_open=True)]),
    ("Children from 5 to 11 years may travel alone with the service.", [Condition("year", 5, 11)]),
    ("Children under 5 cannot travel alone.", [Condition("year", None, 5, high_open=True)]),
    ("Pets and carrier together weigh no more than 8 kg.", [Condition("kg", None, 8)]),
    ("During the first 2 weeks of the term: half is refunded.", [Condition("week", None, 2)]),
    ("Claims are paid if you arrive 3 hours or more late.", [Condition("hour", 3, None)]),
    ("Up to 1,500 km: $250", [Condition("km", None, 1500)]),
    ("Open 24 hours a day, 7 days a week.", []),
    ("Service: TV wall mounting, TVs up to 64 inches; Price: €89", [Condition("inch", None, 64)]),
    ("Service: TV wall mounting, TVs of 65 inches and over; Price: €129", [Condition("inch", 65, None)]),
    ("Course: Intensive, 10 weeks; Levels: A1 to B1; Price: $690", [Condition("level", 11, 21)]),
    ("Course: Intensive, 10 weeks; Levels: B2 and C1; Price: $740", [Condition("level", 22, 31)]),
])
def test_the_limits_a_unit_states(text, expected):
    assert conditions(text) == expected


def test_the_customers_numbers_are_values_not_limits():
    assert [(q.value, q.unit) for q in asked_quantities("I'm 30 weeks pregnant, do I need anything to fly?")] == \
        [(30, "week")]
    assert [(q.value, q.unit) for q in asked_quantities("Can my 4 year old fly alone?")] == [(4, "year")]
    assert [(q.value, q.unit) for q in asked_quantities("what if it was week 4")] == [(4, "week")]
    assert [(q.value, q.unit) for q in asked_quantities("how much to wall mount a 55 inch tv")] == [(55, "inch")]
    assert [(q.value, q.unit) for q in asked_quantities("Price for intensive French? I'm about b1 level")] == \
        [(21, "level")]
    assert asked_quantities("What do you charge for bags over 23 kg?") == []     # asks about a limit
    assert asked_quantities("Can I change seat 12A?") == []                       # a number with no unit


def test_the_rule_that_holds_for_the_number_is_stated():
    asked = asked_quantities("I'm 30 weeks pregnant, do I need anything to be allowed to fly?")
    early = scored("You can fly without a medical certificate until the end of week 28.", 6.0)
    middle = scored("From week 29 to the end of week 36 you need a medical certificate.", 5.2)
    late = scored("After week 36 we cannot accept you on board.", 5.0)
    assert holds(asked, early.unit.text) is False and holds(asked, middle.unit.text) is True
    other = scored("Baby food is allowed in larger amounts.", 4.0)
    ranked = holding_first(asked, [early, middle, late, other])
    assert ranked[0].unit is middle.unit and ranked[0].score == 6.0   # it takes the best unit's score
    assert [r.unit for r in ranked[1:]] == [other.unit]                  # the rules for other weeks are dropped
    assert without_failing(asked, [early, middle, other]) == [middle, other]


def test_a_limit_with_no_rival_that_holds_stays_the_answer():
    # "I bought it 40 days ago": "only within 30 days" is the answer, though it does not hold
    asked = asked_quantities("I bought it 40 days ago, can I still return it?")
    only = scored("You can return items for up to 30 days after delivery.", 6.0)
    other = scored("Refunds take 5 business days.", 4.0)
    assert holding_first(asked, [only, other])[0] is only
    assert without_failing(asked, [only, other]) == [only, other]


def test_a_rule_of_another_document_is_not_promoted():
    asked = asked_quantities("my cat is 5 kg, can it fly in the cabin?")
    top = scored("Cats heavier than 8 kg travel in the hold.", 6.0, doc="pets")
    elsewhere = scored("Cabin bags may weigh up to 8 kg.", 5.9, doc="baggage")
    assert holding_first(asked, [top, elsewhere])[0] is top


def test_rows_for_other_numbers_are_no_rivals_of_the_row_that_holds():
    asked = asked_quantities("Our flight landed 4 hours late. It's about 2,000 km. How much compensation do we get?")
    middle = scored("Flight distance: 1,500 to 3,500 km; Compensation per passenger: $400", 12.37)
    short = scored("Flight distance: Up to 1,500 km; Compensation per passenger: $250", 12.25)
    long = scored("Flight distance: Over 3,500 km; Compensation per passenger: $600", 12.22)
    other = scored("Claim within 2 years of the flight date.", 9.0)
    assert holding_first(asked, [middle, short, long, other]) == [middle, other]


def test_a_level_picks_the_row_of_its_range():
    """"I'm about B1 level": the intensive course's A1-to-B1 row, not its B2-and-C1 row, ranked close above it."""
    low = scored("Course: Intensive, 10 weeks; Levels: A1 to B1; Price: $690", 9.0)
    high = scored("Course: Intensive, 10 weeks; Levels: B2 and C1; Price: $740", 9.2)
    ranked = holding_first(asked_quantities("I'm about B1 level. Price for intensive French?"), [high, low])
    assert [r.unit.text for r in ranked] == [low.unit.text]


def test_chinese_numbers_with_their_units_and_bounds():
    """"我 68 岁" against "60 至 64 岁的会员…" / "65 至 69 岁的会员…" / "18 岁以下…" / "70 岁及以上…": a Chinese unit
    runs into the words after it and its bound follows it (以下, 及以上, 内) or goes before it (未满, 超过)."""
    asked = asked_quantities("我 68 岁，年费多少？")
    assert [(q.value, q.unit) for q in asked] == [(68.0, "year")]
    assert holds(asked, "60 至 64 岁的会员年费 20 欧元。") is False
    assert holds(asked, "65 至 69 岁的会员年费 10 欧元。") is True
    assert holds(asked, "18 岁以下的会员免年费。") is False
    assert holds(asked, "70 岁及以上的会员免年费。") is False
    assert holds(asked, "未满 18 岁须由家长陪同。") is False
    assert holds(asked_quantities("买了 40 天了"), "收货后 30 天内可以退货。") is False
    assert holds(asked_quantities("买了 20 天了"), "收货后 30 天内可以退货。") is True
    assert conditions("会员年费 20 欧元。") == []       # a sum is no bound on an age


def test_ages_times_and_money_are_the_customers_numbers():
    def read(text):
        return [(q.value, q.unit) for q in asked_quantities(text)]

    # a bare age, said of the customer or of a person of theirs
    assert read("My dad is 76, can he still open an account?") == [(76, "year")]
    assert read("im 17 and still at school, can I get the discount?") == [(17, "year")]
    assert read("my kids are 10 and 12, can they use the pool?") == [(10, "year"), (12, "year")]
    # a time of day, in any of the ways it is written
    assert read("If I ask at 11 in the morning, when is it paid?") == [(11, "clock")]
    assert read("what if it's at 3pm?") == [(15, "clock")] and read("we land at 22:30") == [(22.5, "clock")]
    # an amount with its currency
    assert read("my basket is only €8, can I still order?") == [(8, "EUR")]
    assert read("my order comes to 45 euros") == [(45, "EUR")]
    # a number said of a thing, or asked as a limit, is no age; a bound is no customer's number
    assert read("my order is 45, is that enough?") == []
    assert read("can I return it after 3pm?") == []


def test_ages_clock_times_and_amounts_as_conditions():
    assert conditions("You can open the account between the ages of 18 and 74.") == [Condition("year", 18, 74)]
    assert conditions("Withdrawals requested before 14:00 are paid the next working day.") == \
        [Condition("clock", None, 14, high_open=True)]
    assert conditions("Orders received after 12:00 are dealt the next day.") == \
        [Condition("clock", 12, None, low_open=True)]
    assert conditions("We refund it if you transfer at least €5,000.") == [Condition("EUR", 5000, None)]
    assert conditions("Open from 08:00 to 20:00 every day.") == [Condition("clock", 8, 20)]


def test_a_condition_settles_the_customers_case_met_or_not():
    from components.answers.number_conditions import settles

    age = asked_quantities("My dad is 76, can he open one?")
    assert settles(age, "You can open the account between the ages of 18 and 74.") is False
    assert settles(age, "Anyone aged 18 or over can open one.") is True
    assert settles(age, "Open from 08:00 to 20:00 every day.") is None          # no condition on an age
    at_11 = asked_quantities("I asked at 11 in the morning")
    assert settles(at_11, "Withdrawals requested before 14:00 are paid the next working day.") is True
    assert settles(asked_quantities("what if it's at 3pm?"),
                   "Withdrawals requested before 14:00 are paid the next working day.") is False
    # numbers on both sides of the condition: not settled
    assert settles(asked_quantities("my kids are 10 and 12"), "Children under 12 swim free.") is None


def test_a_list_items_condition_is_stated_with_its_lead_in():
    from components.answers.number_conditions import with_stated_condition

    lead = "Some products are sold only to customers aged 18 or over:"
    item = ScoredUnit(EvidenceUnit("Sleep aids;", f"Age limits {lead}", "list_item", "Age limits", "d", "d#0", 0.5,
                                   "en", 1), 9.0, {})
    whole = ScoredUnit(EvidenceUnit(f"{lead} Sleep aids; Nicotine products.", "Age limits", "list", "Age limits",
                                    "d", "d#0", 0.5, "en", 0), 7.0, {})
    asked = asked_quantities("I'm 17, can I buy sleep aids?")
    assert [c.unit.text for c in with_stated_condition(asked, [item], [item, whole])] == [whole.unit.text]
    # no list to state the lead-in with: not stated as if no condition were set
    assert with_stated_condition(asked, [item], [item]) is None
    # no number of the customer's: unchanged
    assert with_stated_condition([], [item], [item]) == [item]


def test_a_met_condition_lifts_only_as_the_most_particular_rule_for_the_number():
    from components.answers.number_conditions import settled_first

    asked = asked_quantities("I'm 65, do I pay for prescriptions?")
    sign = scored("Parcels with prescription medicines must be signed for by someone aged 18 or over.", 10.0)
    free = scored("Prescriptions are free if you are aged 60 or over.", 8.0, doc="other")
    other = scored("Prescriptions cost £9.60 per item.", 9.0, doc="other")
    assert settled_first(asked, [sign, other])
    assert not settled_first(asked, [sign, other, free])
    assert settled_first(asked, [free, sign])
    # a condition not met settles the case however particular the others are
    assert settled_first(asked_quantities("my dad is 76"), [scored("Open between the ages of 18 and 74.", 9.0), free])


def test_a_unit_stating_the_named_quantity_is_not_displaced():
    asked = asked_quantities("can i get 0% finance over 24 months on a phone that costs €500?")
    named = quantities("can i get 0% finance over 24 months on a phone that costs €500?")
    long_plan = scored("Plan: 0% for 24 months; Order value: €600 to €2,999", 10.0)
    short_plan = scored("Plan: 0% for 12 months; Order value: €299 to €2,999", 9.0)
    assert holding_first(asked, [long_plan, short_plan], named=named)[0].unit.text == long_plan.unit.text
    assert holding_first(asked, [long_plan, short_plan])[0].unit.text == short_plan.unit.text


def test_a_level_settles_nothing():
    from components.answers.number_conditions import settled_first

    asked = asked_quantities("can I pay the intensive A1 course in instalments")
    assert not settled_first(asked, [scored("Course: Intensive, 10 weeks; Levels: A1 to B1; Price: $690", 9.0)])


@pytest.mark.parametrize("text, expected", [
    # "within N <unit>", also as a list label
    ("Dispute it in the app within 14 days of the ride.", [Condition("day", None, 14)]),
    ("Within 14 days of buying it: we refund the full price.", [Condition("day", None, 14)]),
    # an age bounded with no word of age
    ("You must be 18 or over to trade in a device.", [Condition("year", 18, None)]),
    ("A child aged under 25 who lives away from home to study can stay.", [Condition("year", None, 25, high_open=True)]),
    # counts of people
    ("It needs at least 5 riders.", [Condition("person", 5, None)]),
    ("Room: Medium; Seats: 5 to 8; Member price per hour: €35", [Condition("person", 5, 8)]),
    ("3 人或以上一起报名同一课程，每人享受 10% 优惠。", [Condition("person", 3, None)]),
])
def test_more_forms_of_the_documents_limits(text, expected):
    assert conditions(text) == expected


def test_more_forms_of_the_customers_numbers():
    def read(text):
        return [(q.value, q.unit) for q in asked_quantities(text)]
    assert read("we're a team of 3 at a small design studio, can we get an account?") == [(3, "person")]
    assert read("there are 7 of us coming for a workshop") == [(7, "person")]
    assert read("how much is an office for 4 people?") == [(4, "person")]
    assert read("I just had a crash, it's 11 at night. Who can I call?") == [(23, "clock")]


def test_spans_of_time_are_converted_within_the_bounds_scale():
    from components.answers.number_conditions import settles
    rule = "Dispute it within 14 days of the ride. After 14 days we cannot change the charge."
    assert settles(asked_quantities("I only noticed 3 weeks later"), rule) is True        # 21 days > 14
    assert settles(asked_quantities("I noticed it 1 week later"), "Dispute it only within 14 days.") is True
    assert settles(asked_quantities("the ride ran for 30 weeks"), rule) is None           # not of the bound's scale
    assert settles(asked_quantities("过了 3 天还能退款吗？"), "送达后 48 小时内反馈，超过 48 小时无法退款。") is True
    assert settles(asked_quantities("it's been 40 days"), "Yearly plans are not refunded after the first 14 days.")
    assert settles(asked_quantities("my order came 50 min late"), "Report a missing item within 2 hours.") is None
    assert settles(asked_quantities("I'm 17"), "Returns within 30 days.") is None         # an age is no span


def test_only_an_age_a_time_of_day_or_a_count_of_people_is_the_customers_own_measure():
    from components.answers.number_conditions import on_own_measure
    assert on_own_measure(asked_quantities("we're a team of 3"), "It needs at least 5 riders.")
    assert on_own_measure(asked_quantities("at 1am"), "E-scooters cannot be unlocked between 00:00 and 05:00.")
    assert not on_own_measure(asked_quantities("pause for 2 months"), "If you rejoin within 10 months, you get them.")
    assert not on_own_measure(asked_quantities("a 65 inch TV"), "TV wall mounting, TVs of 65 inches and over: €129")


def test_a_window_the_customer_is_past_settles_nothing_for_a_lift():
    from components.answers.number_conditions import past_a_window
    rule = "Thermometers can be returned within 30 days of delivery if they are unopened."
    assert past_a_window(asked_quantities("it's been 40 days since I got my thermometer"), rule)
    assert not past_a_window(asked_quantities("it's been 10 days since I got my thermometer"), rule)
    assert not past_a_window(asked_quantities("my food was 40 minutes late"), "Late by more than 30 minutes: a refund.")
