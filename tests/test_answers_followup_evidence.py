"""A follow-up about a new subject answered by the counterpart of the previous answer's evidence
(components/answers/followup_evidence.py)."""
from __future__ import annotations

from components.answers.followup_evidence import FLOOR, counterpart, parallel_section
from components.answers.followups import resolve_followup
from components.answers.question_analysis import split_question
from tests.fakes import scored_unit

LISBON = "Shop — Lisbon store › What you can do in the Lisbon store"
PORTO = "Shop — Porto store › What you can do in the Porto store"
HELD_7 = ("Collect click-and-collect orders. A pick-up order is held for 7 days; after that it is cancelled and refunded. "
          "Return items of a delivered online order (bring the order id). The refund follows the online policy.")
HELD_10 = ("Collect click-and-collect orders. A pick-up order is held for 10 days. Return items of a delivered online "
           "order (bring the order id). Exchange items of a delivered order for another size or color.")
PREVIOUS = "How long will the Lisbon store keep my click and collect order before cancelling it?"


def scored(text, title, doc, score, kind="sentence"):
    return scored_unit(text, kind=kind, title=title, doc=doc, context=title, score=score)


def followup(text, previous, units):
    question, info = resolve_followup(text, previous, ["lisbon"] if "Lisbon" in previous else [])
    return split_question(question)[0][0], {**info, "units": units}


def lisbon_units():
    return [{"doc_id": "lisbon", "source_title": LISBON, "kind": "sentence", "text": HELD_7}]


def test_the_same_statement_of_the_new_subject_in_the_parallel_section_answers():
    part, info = followup("What about in Porto?", PREVIOUS, lisbon_units())
    ready = scored("Porto store: ready the next day the store is open.", "Click and collect", "collect", 12.6)
    held = scored(HELD_10, PORTO, "porto", 11.7)
    assert counterpart(part, [ready, held], 0.72, info) is held


def test_not_without_a_confident_previous_answer_or_below_the_floor():
    part, info = followup("What about in Porto?", PREVIOUS, [])
    held = scored(HELD_10, PORTO, "porto", 11.7)
    assert counterpart(part, [held], 0.72, info) is None
    part, info = followup("What about in Porto?", PREVIOUS, lisbon_units())
    assert counterpart(part, [held], FLOOR - 0.01, info) is None


def test_a_subject_the_documents_do_not_have_has_no_counterpart():
    # "Faro" names no section: the Porto page's statement is not Faro's
    part, info = followup("What about in Faro?", PREVIOUS, lisbon_units())
    assert counterpart(part, [scored(HELD_10, PORTO, "porto", 11.7)], 0.72, info) is None


def test_the_previous_subjects_own_statement_is_no_counterpart():
    part, info = followup("What about in Porto?", PREVIOUS, lisbon_units())
    assert counterpart(part, [scored(HELD_7, LISBON, "lisbon", 12.0)], 0.72, info) is None


def test_another_statement_of_the_section_is_no_counterpart():
    part, info = followup("What about in Porto?", PREVIOUS, lisbon_units())
    other = scored("The Porto store has free parking for 10 cars.", PORTO, "porto", 11.7)
    assert counterpart(part, [other], 0.72, info) is None


def test_a_sibling_row_of_the_same_table_names_the_new_subject():
    previous = "what's the excess on Standard car insurance?"
    units = [{"doc_id": "car", "source_title": "Car insurance › Excess", "kind": "row",
              "text": "Level: Standard; Excess: £250"}]
    question, info = resolve_followup("and for Premium?", previous, ["standard"])
    part = split_question(question)[0][0]
    premium = scored("Level: Premium; Excess: £150", "Car insurance › Excess", "car", 9.0, kind="row")
    other_table = scored("Level: Premium; Courtesy car: yes; Excess: £150", "Car insurance › Cover", "car", 9.5,
                         kind="row")
    assert counterpart(part, [other_table, premium], 0.6, {**info, "units": units}) is premium


def test_a_question_that_only_goes_on_from_the_previous_one_is_not_read_so():
    part = split_question("and is there a penalty?")[0][0]
    info = {"previous": PREVIOUS, "subject": "", "replaced": None, "continuation": True, "units": lisbon_units()}
    assert counterpart(part, [scored(HELD_10, PORTO, "porto", 11.7)], 0.72, info) is None


def test_parallel_sections():
    assert parallel_section(LISBON, PORTO, "lisbon", "Porto")
    assert not parallel_section(LISBON, "Shop — Porto store › Opening hours", "lisbon", "Porto")
    assert not parallel_section(LISBON, LISBON, "lisbon", "Porto")


MAKEUP = "Attendance rules › Make-up classes"


def test_an_unconfident_previous_answer_helps_when_both_rankings_put_the_pair_first():
    previous = "How many make-up classes can I take on the intensive course?"
    units = [{"doc_id": "att", "source_title": MAKEUP, "kind": "sentence", "stated": False,
              "text": "Intensive courses: up to 4 make-up classes per term."}]
    question, info = resolve_followup("and on standard?", previous, [], ["intensive"])
    part = split_question(question)[0][0]
    standard = scored("Standard courses: up to 2 make-up classes per term.", MAKEUP, "att", 13.0)
    both = scored("Standard courses: up to 2 make-up classes per term, Intensive courses: up to 4 make-up classes "
                  "per term, and you can join a class of the same level.", MAKEUP, "att", 12.9)
    assert counterpart(part, [standard, both], 0.63, {**info, "units": units}) is standard
    # not its best unit: the previous question's unconfident best unit is no help
    assert counterpart(part, [both, standard], 0.63, {**info, "units": units}) is None


def test_the_same_row_with_a_column_of_the_new_subject():
    row = "Excess: Compulsory excess; Basic: £350; Standard: £250; Premium: £150"
    units = [{"doc_id": "excess", "source_title": "Excess amounts › Car insurance", "kind": "row", "text": row,
              "stated": False}]
    question, info = resolve_followup("and for Premium?", "what's the excess on standard car insurance", ["standard"])
    part = split_question(question)[0][0]
    unit = scored(row, "Excess amounts › Car insurance", "excess", 13.8, kind="row")
    assert counterpart(part, [unit], 0.61, {**info, "units": units}) is unit
    question, info = resolve_followup("and for Gold?", "what's the excess on standard car insurance", ["standard"])
    assert counterpart(split_question(question)[0][0], [unit], 0.61, {**info, "units": units}) is None


def test_a_sibling_row_for_a_follow_up_without_a_swapped_name():
    title = "How to make a claim › 1. Tell us"
    car = "What happened: Car accident; Tell us within: 7 days, even if you do not plan to claim"
    units = [{"doc_id": "claim", "source_title": title, "kind": "row", "text": car}]
    question, info = resolve_followup("and if it's damage to my house?",
                                      "How long have I got to tell you about a car accident?")
    assert info["replaced"] is None
    part = split_question(question)[0][0]
    home = scored("What happened: Damage to or loss at your home; Tell us within: 30 days", title, "claim", 8.5,
                  kind="row")
    assert counterpart(part, [home], 0.63, {**info, "units": units}) is home
    assert counterpart(part, [scored(car, title, "claim", 8.5, kind="row")], 0.63, {**info, "units": units}) is None


def test_the_sentence_stated_before_when_it_names_the_new_subject_too():
    title = "Infants and children › Infants (under 2 years)"
    fare = ("The infant fare is $25 per flight on domestic and European flights and 10% of the adult fare on "
            "long-haul flights.")
    units = [{"doc_id": "inf", "source_title": title, "kind": "sentence", "text": fare}]
    question, info = resolve_followup("and on long haul?", "How much is the infant fare on a domestic flight?")
    part = split_question(question)[0][0]
    passage = scored(f"{fare} Each adult may travel with one infant.", title, "inf", 11.5)
    assert counterpart(part, [passage], 0.71, {**info, "units": units}) is passage
    # not when it was the previous question's unconfident best unit, nor when it does not name the new subject
    unstated = [{**units[0], "stated": False}]
    assert counterpart(part, [passage], 0.71, {**info, "units": unstated}) is None
    question, info = resolve_followup("and on a charter?", "How much is the infant fare on a domestic flight?")
    assert counterpart(split_question(question)[0][0], [passage], 0.71, {**info, "units": units}) is None


def test_the_cell_under_the_new_subjects_column_beside_the_previous_one_answers():
    """A table with one row per heading stated as "heading: column: value": "and with flex?" after the fixed desk's
    meeting-room credits is the same heading's cell under Flex, not another heading's, nor the fixed desk's again."""
    previous = "how many meeting room credits do I get each month with a fixed desk?"
    units = [{"doc_id": "plans", "source_title": "Membership plans", "kind": "row",
              "text": "Meeting-room credits per month: Fixed Desk: 8"}]
    question, info = resolve_followup("and with flex?", previous, [])
    part = split_question(question)[0][0]
    flex = scored("Meeting-room credits per month: Flex: 4", "Membership plans", "plans", 9.0, kind="row")
    guests = scored("Guest passes per month: Flex: 2", "Membership plans", "plans", 9.5, kind="row")
    fixed = scored("Meeting-room credits per month: Fixed Desk: 8", "Membership plans", "plans", 9.6, kind="row")
    assert counterpart(part, [guests, flex], 0.6, {**info, "units": units}) is flex
    assert counterpart(part, [fixed, guests], 0.6, {**info, "units": units}) is None
