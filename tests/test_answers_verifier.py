"""The verifier that decides whether a rewording of the evidence may stand (components/answers/answer_verifier.py)."""
from __future__ import annotations

import pytest

from components.answers.answer_verifier import numbers_in, verify

DELIVERED = ["An order can be cancelled only while its status is pending. Delivered orders cannot be returned to "
             "the warehouse without a return request."]
REFUNDS = ["Refunds to a gift card are immediate; refunds to a credit card or PayPal take 5 to 7 business days."]
PAYMENT = ["The kefu Demo Shop accepts three kinds of payment methods: credit cards, PayPal and gift cards."]
LISBON = ["The Lisbon store is closed on Mondays.", "Tuesday to Sunday: 10:00 to 20:00."]
CARDS = ["The Gold Rewards card has an annual fee of $95."]


@pytest.mark.parametrize("evidence, candidate", [
    (REFUNDS, "Refunds to a credit card or PayPal take 5 to 7 business days, and gift card refunds are immediate."),
    (PAYMENT, "We accept three kinds of payment methods: credit cards, PayPal and gift cards."),
    (LISBON, "The Lisbon store is closed on Mondays; from Tuesday to Sunday it opens 10:00 to 20:00."),
    (["退款到礼品卡立即到账；退款到信用卡或 PayPal 需要 5 到 7 个工作日。"], "退款到信用卡或 PayPal 需要 5 到 7 个工作日，礼品卡立即到账。"),
])
def test_a_faithful_rewording_passes(evidence, candidate):
    verdict = verify(candidate, evidence)
    assert verdict.ok, verdict.reason


@pytest.mark.parametrize("evidence, candidate, check", [
    # negation flip: today's word-overlap check treated "not"/"cannot" as stop words and passed these
    (DELIVERED, "Delivered orders can be returned to the warehouse without a return request.", "polarity"),
    (["Delivered orders cannot be cancelled."], "Delivered orders can be cancelled.", "polarity"),
    (["退货不能退到其他支付方式。"], "退货可以退到其他支付方式。", "polarity"),
    # open / closed
    (LISBON, "The Lisbon store is open on Mondays.", "polarity"),
    # a changed number or amount
    (REFUNDS, "Refunds to a credit card or PayPal take 3 to 5 business days.", "numbers"),
    (CARDS, "The Gold Rewards card has an annual fee of $45.", "numbers"),
    # the wrong product or place
    (CARDS, "The Platinum Rewards card has an annual fee of $95.", "names"),
    (LISBON, "The Porto store is closed on Mondays.", "names"),
    # an invented option, even one the customer named
    (PAYMENT, "We accept credit cards, PayPal, gift cards and Apple Pay.", "names"),
    # content the evidence does not have
    (REFUNDS, "Refunds are immediate for gift cards; for a credit card we also add a bonus voucher and free "
              "shipping on your next purchase.", "novelty"),
    # a generation loop
    (REFUNDS, "I will tell you your order id: I will tell you your order id: I will tell you your order id: "
              "I will tell you your order id:", "loop"),
])
def test_the_verifier_rejects(evidence, candidate, check):
    verdict = verify(candidate, evidence)
    assert not verdict.ok
    failed = {c.name for c in verdict.checks if not c.ok}
    assert check in failed, verdict.reason
    assert verdict.reason and check in verdict.to_dict()["reason"]


def test_a_name_the_customer_asked_about_is_still_not_allowed():
    question = "Can I pay with Apple Pay?"
    assert not verify("Yes, you can pay with Apple Pay.", PAYMENT, question).ok


def test_numbers_are_read_in_words_and_digits():
    assert numbers_in("three kinds, 5 to 7 days, once") >= {"3", "5", "7", "1"}
    assert "9" in numbers_in("9:00 to 18:00") and "18:00" in numbers_in("9:00 to 18:00")
    assert verify("There are three kinds: credit cards, PayPal and gift cards.", PAYMENT).ok
    assert not verify("There are four kinds: credit cards, PayPal and gift cards.", PAYMENT).ok


def test_empty_rewording_is_rejected():
    assert not verify("", REFUNDS).ok
