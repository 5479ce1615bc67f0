"""A rule the documents open with its case ("At the harbour office, …") is no answer about another case the customer
names (components/answers/case_scopes.py; issue #15: never a confident wrong answer)."""
from __future__ import annotations

from components.answers.answerability import unanswered
from components.answers.case_scopes import (asked_scopes, general_rule_first, other_scope, other_scope_ranking,
                                           sentence_scope)
from components.answers.evidence_selection import ScoredUnit
from components.answers.evidence_units import EvidenceUnit
from tests.fakes import last_part, scored_unit


def scored(text, title="Bikes › Paying"):
    return scored_unit(text, title=title, doc="bikes")


def part(text):
    return last_part(text)


HARBOUR = scored("At the harbour office you can pay for a bike in cash, up to €50.")
STATION = scored("The station kiosk takes card payments only: bring a debit or credit card.")


def test_the_case_a_rule_opens_with_and_the_cases_a_question_names():
    assert "harbour" in sentence_scope(HARBOUR.unit.text)
    assert sentence_scope("On a Weekend pass, you ride as often as you like.")
    assert sentence_scope(STATION.unit.text) == set()
    assert sentence_scope("In 2027, prices stay the same.") == set()            # a year is no case
    assert sentence_scope("At the end of the day, return the bike.") == set()
    cases = asked_scopes("Can I pay in cash at the station kiosk?")
    assert any("kiosk" in c for c in cases) and not any("cash" in c for c in cases)
    assert asked_scopes("can I bring the bike back at 11pm for a refund?") == []   # a time and a reason: no case


def test_another_cases_rule_does_not_answer():
    question = part("I have no card. Can I pay in cash at the station kiosk?")
    reason = other_scope(question, [HARBOUR])
    assert reason and "another case" in reason
    assert unanswered(question, [HARBOUR], [HARBOUR, STATION]) == reason
    assert other_scope(question, [STATION]) is None
    # the customer names the rule's own case, or names no case: nothing contradicts
    assert other_scope(part("Can I pay in cash at the harbour office?"), [HARBOUR]) is None
    assert other_scope(part("Can I pay for a bike in cash?"), [HARBOUR]) is None


def test_the_asked_cases_rule_just_below_answers():
    question = part("Can I pay in cash at the station kiosk?")
    other = scored("Bikes are checked every morning.")
    assert other_scope_ranking(question, [HARBOUR, STATION, other]) == [STATION, other]
    assert other_scope_ranking(question, [HARBOUR, other, STATION]) is None   # what then ranks first names no kiosk
    assert other_scope_ranking(question, [STATION, HARBOUR]) is None          # the best is the asked case's rule


def test_a_part_naming_no_case_is_answered_by_the_general_rule_before_one_cases_exception():
    """"I'm a member, until when can I keep the bike?" names no office: the harbour office's exception ranked first
    gives way to the general rule of the same document just below it, which holds the time asked; a part naming
    the case, a general rule without the value asked, or one from another document changes nothing."""
    exception = scored("At the harbour office, members return bikes until 18:00 at the latest.")
    general = scored("Members: bikes back until 22:00.")
    other = ScoredUnit(EvidenceUnit("Members return bikes until 20:00.", "", "sentence", "Other", "other", "other#0",
                                    0.5, "en", 0), 1.0, {})
    asked = part("I'm a member, until what time can I keep the bike?")
    assert general_rule_first(asked, [exception, general], "time") == [general]
    assert general_rule_first(part("until what time can I keep the bike at the harbour office?"),
                              [exception, general], "time") is None
    assert general_rule_first(asked, [exception, STATION], "time") is None
    assert general_rule_first(asked, [exception, other], "time") is None
    assert general_rule_first(asked, [general, exception], "time") is None
