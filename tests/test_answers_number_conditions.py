"""The customer's own number picks the rule whose limits hold for it (components/answers/number_conditions.py)."""
from __future__ import annotations

import pytest

from components.answers.evidence_selection import ScoredUnit
from components.answers.evidence_units import EvidenceUnit
from components.answers.number_conditions import (Condition, asked_quantities, conditions, holding_first, holds,
                                                  without_failing)


def scored(text, score, doc="doc"):
    return ScoredUnit(EvidenceUnit(text, "", "sentence", "Title", doc, f"{doc}#0", 0.5, "en", 0), score, {})


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
