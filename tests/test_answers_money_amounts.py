"""One reader of sums of money (components/answers/money_amounts.py): the value, currency and span of each sum, in
English and Chinese, and the charge and period words that belong to it in its clause (issue #15: the checks that
keep a penalty from answering a fee, or a yearly sum a monthly question, read money one way)."""
from __future__ import annotations

import pytest

from components.answers.money_amounts import asks_money, clause_span, free_of_charge, number_value, sums


@pytest.mark.parametrize("text, expected", [
    ("The fee is €250.", [(250, "EUR", "€250")]),
    ("Premium costs €1,299.00 once.", [(1299, "EUR", "€1,299.00")]),
    ("Loans up to €12k.", [(12000, "EUR", "€12k")]),
    ("It is 12.99 euros a month, or $ 5 in the US.", [(12.99, "EUR", "12.99 euros"), (5, "USD", "$ 5")]),
    ("a fee of 50 cents per page", [(50, "cent", "50 cents")]),
    ("年费 120 元，或每月 30 块，港澳 20 港币。", [(120, "CNY", "120 元"), (30, "CNY", "30 块"), (20, "HKD", "20 港币")]),
    ("每单另收冷链费 2.50 英镑。", [(2.5, "GBP", "2.50 英镑")]),
    ("Room 12 has 2 screens and 10% off.", []),          # a bare number, a count, a percentage: no sum
    ("in 10 European countries", []),                     # a currency name is a whole word
    ("Bags up to 50 pounds each.", []),                   # a weight as often as a sum: "£50" is the sum
])
def test_sums_are_numbers_with_their_currency(text, expected):
    assert [(s.value, s.currency, s.text) for s in sums(text)] == expected


def test_number_values():
    assert number_value("1,299.00") == number_value("1.299,00") == 1299
    assert number_value("12,50") == 12.5
    assert number_value("1,000") == 1000


def test_the_charge_word_of_a_sum_is_the_nearest_in_its_clause():
    charges = [s.charge for s in sums("If you drive abroad without paying the cross-border fee, we charge a "
                                      "penalty of €250. A €30 deposit applies.")]
    assert charges == ["penalty", "deposit"]
    # a list of sums shares its charge word; "costs" says only that it is paid
    assert [s.charge for s in sums("a voluntary excess of £0, £100, £250 or £500")] == ["excess"] * 4
    assert [s.charge for s in sums("A no-show costs $5.")] == [None]
    # a charge is named before its sum: the admin fee is a price, though "fine" stands nearer after it
    assert [s.charge for s in sums("We charge an admin fee of €35 per fine.")] == ["price"]


def test_the_period_word_of_a_sum_is_the_nearest_in_its_clause():
    assert [s.period for s in sums("€9.99 a month, €99.90 a year")] == ["month", "year"]
    assert [s.period for s in sums("Monthly fee: €5")] == ["month"]
    assert [s.period for s in sums("每年 50 欧元，每晚 120 欧元")] == ["year", "night"]
    # a decimal point ends no clause: every price of the row is monthly
    assert [s.period for s in sums("Monthly price: €5.99, €9.99, €14.99")] == ["month"] * 3
    # another clause's period is not the sum's
    assert [s.period for s in sums("Parking costs €18 per night, and the partner car park €12.")] == ["night", None]


def test_clause_span():
    text = "Fee: €1.50 per item; deposit €30."
    assert text[slice(*clause_span(text, 5, 10))] == "Fee: €1.50 per item"


def test_free_and_asking_for_money():
    assert free_of_charge("Delivery is free.") and free_of_charge("no fees") and free_of_charge("免费")
    assert asks_money("What does it cost?") and asks_money("Is there a fee?")
    assert asks_money("How much is Premium for a year?") and asks_money("how much are the tickets?")
    assert not asks_money("How much data do I get?") and not asks_money("how much notice do I need to give?")
    # a free span of time says how long, not how much; a free trial is free
    assert not free_of_charge("which is about two months free compared with paying monthly")
    assert not free_of_charge("30 days free")
    assert free_of_charge("a 7-day free trial") and free_of_charge("Two months free, then the delivery is free.")
