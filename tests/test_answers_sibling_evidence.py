"""A part of a multi-part question answered by the unit another part states (components/answers/sibling_evidence.py)."""
from __future__ import annotations

from components.answers.evidence_selection import ScoredUnit
from components.answers.evidence_units import EvidenceUnit
from components.answers.question_analysis import split_question
from components.answers.sibling_evidence import sibling_unit
from tests.fakes import scored_unit

RARE = {"enrol": 3.0, "autumn": 2.5, "term": 1.0, "start": 1.2, "last": 0.8, "day": 0.5, "refund": 2.0, "customer": 2.2,
        "servic": 1.5, "number": 1.0}


def idf(t):
    return RARE.get(t, 0.1)


def known(t):
    return t in RARE


def scored(text, score, kind="row", chunk="terms#0"):
    return scored_unit(text, kind=kind, title="Term dates", doc="terms", context="Term dates", chunk=chunk, score=score)


ROW = "Term: Autumn; Classes: 13 September to 19 November 2027; Enrolment closes: 6 September 2027"


def test_the_row_another_part_states_answers_this_part_too():
    first, second = split_question("when does the autumn term start, and what's the last day to enrol?")[0]
    row = scored(ROW, 4.0)
    ranked = [row, scored("Spring term classes start in March.", 3.5, kind="sentence", chunk="terms#1")]
    assert sibling_unit(second, ranked, [(first, [row])], idf, known) is row


def test_a_unit_this_parts_ranking_does_not_point_to_is_not_taken():
    first, second = split_question("when does the autumn term start, and what's the last day to enrol?")[0]
    row = scored(ROW, 4.0)
    ranked = [scored(f"Other {i}.", 5.0 - i, kind="sentence", chunk=f"x#{i}") for i in range(3)] + [row]
    assert sibling_unit(second, ranked, [(first, [row])], idf, known) is None


def test_a_unit_that_lacks_the_parts_own_word_is_not_taken():
    first, second = split_question("when does the autumn term start, and can I get a refund?")[0]
    row = scored("Term: Autumn; Classes: 13 September to 19 November 2027", 4.0)
    assert sibling_unit(second, [row], [(first, [row])], idf, known) is None


def test_the_best_unit_of_the_section_the_other_part_is_answered_from():
    first, second = split_question("What's your customer service number, and can I call on a Sunday?")[0]
    closed = ScoredUnit(EvidenceUnit("The member service phone line is closed on Sundays.", "", "sentence",
                                     "Contact us", "contact", "contact#1", 0.5, "en", 1), 9.7, {})
    row = ScoredUnit(EvidenceUnit("How: Member service phone; Number or address: 1-800-555-0142", "", "row",
                                  "Contact us", "contact", "contact#0", 0.5, "en", 0), 10.9, {})
    elsewhere = ScoredUnit(EvidenceUnit("Call +1 (800) 555-0134 during those hours.", "", "sentence",
                                        "Customer service hours", "shop", "shop#0", 0.5, "en", 0), 9.0, {})
    assert sibling_unit(first, [row, elsewhere], [(second, [closed])], idf, known) is row
    assert sibling_unit(first, [elsewhere, row], [(second, [closed])], idf, known) is None   # not its best unit


def test_another_row_of_the_siblings_table_is_another_case():
    first, second = split_question("when does the autumn term start, and what's the last day to enrol?")[0]
    autumn = scored(ROW, 4.0)
    spring = scored("Term: Spring; Classes: 12 April to 18 June 2027; Enrolment closes: 5 April 2027", 4.5,
                    chunk="terms#2")
    assert sibling_unit(second, [spring, autumn], [(first, [autumn])], idf, known) is autumn
    filler = [scored(f"Other {i}.", 3.0 - i, kind="sentence", chunk=f"x#{i}") for i in range(3)]
    assert sibling_unit(second, [spring] + filler + [autumn], [(first, [autumn])], idf, known) is None


def test_the_composer_states_a_shared_unit_once():
    import numpy as np

    from components.answers.composer import AnswerComposer, ComposedAnswer, PartAnswer
    from components.answers.evidence_selection import SelectionModel

    class Statistics:
        def df(self, t):
            return 1 if t in RARE else 0

        def idf(self, t):
            return idf(t)

    composer = AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)),
                              model=SelectionModel({}, 5.0, {}, threshold=0.5))
    composer.statistics = Statistics()
    first, second = split_question("when does the autumn term start, and what's the last day to enrol?")[0]
    row = scored(ROW, 4.0)
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [PartAnswer(first, evidence=[row], confidence=0.9), PartAnswer(second, confidence=0.4)]
    composer._from_siblings(answer, [[row], [row]])
    assert answer.parts[1].from_part == 1 and answer.parts[1].curated == {"same_as_earlier_part": True}
    assert "6 September 2027" in composer.evidence_reply(answer)
    assert composer.evidence_reply(answer).count("Enrolment closes") == 1


def test_a_unit_saying_less_of_the_part_than_its_own_best_is_not_taken():
    """"what's the minimum grocery order, and from how much is delivery free?": the free-delivery sentence the other
    part states holds an amount and the word "grocery" (both under a heading that names the minimum), but not
    "minimum", which the part's own best unit states: the part is not answered by the other part's amount."""
    rare = {"minimum": 2.0, "grocery": 2.5, "order": 0.5, "free": 2.2, "delivery": 1.0}
    first, second = split_question("what's the minimum grocery order, and from how much is delivery free?")[0]
    title = "Delivery fees and minimum order › Grocery orders"
    free = ScoredUnit(EvidenceUnit("Grocery delivery is free for everyone on orders of €50 or more.", "",
                                   "sentence", title, "fees", "fees#1", 0.5, "en", 1), 12.4, {})
    minimum = ScoredUnit(EvidenceUnit("The minimum grocery order is €20.", "", "sentence", title, "fees", "fees#1",
                                      0.5, "en", 0), 14.0, {})
    assert sibling_unit(first, [minimum, free], [(second, [free])], rare.get, lambda t: t in rare) is None
    # the part's own best unit itself is taken as before
    assert sibling_unit(first, [free, minimum], [(second, [free])], rare.get, lambda t: t in rare) is free


def test_a_unit_answering_no_more_than_the_parts_own_best_is_not_taken():
    """"What time does the ferry office open, and can I drop the bike there at night?": the other part's sentence
    ("The ferry office takes bikes back 24 hours a day") holds a time and every word of the first part, but so does
    the first part's own best unit, the offices table's row: the first part's ranking prefers it, and the other
    part's support is for the other question. The part stays with its own (unconfident) ranking."""
    rare = {"ferri": 2.0, "offic": 1.5, "open": 1.2, "bike": 2.5, "night": 1.0, "drop": 1.0}
    first, second = split_question("What time does the ferry office open, and can I drop the bike there at night?")[0]
    row = ScoredUnit(EvidenceUnit("Office: Ferry office; Opening hours: every day 7:00 to 21:00", "", "row",
                                  "Offices", "offices", "offices#0", 0.5, "en", 0), 14.0, {})
    back = ScoredUnit(EvidenceUnit("The ferry office takes bikes back 24 hours a day; it checks them when it opens.",
                                   "", "sentence", "Returning a bike", "returns", "returns#0", 0.5, "en", 0), 13.0, {})
    assert sibling_unit(first, [row, back], [(second, [back])], rare.get, lambda t: t in rare) is None
    # with no time in its own best unit, the other part's unit is taken as before
    address = ScoredUnit(EvidenceUnit("Office: Ferry office; Address: Quay 3, opens onto the harbour", "", "row",
                                      "Offices", "offices", "offices#1", 0.5, "en", 0), 14.0, {})
    assert sibling_unit(first, [address, back], [(second, [back])], rare.get, lambda t: t in rare) is back


def _composer_at(confidence: float):
    """A composer whose selection model is always `confidence` sure of a part (threshold 0.77, one unit stated)."""
    import numpy as np

    from components.answers.composer import AnswerComposer
    from components.answers.evidence_selection import SelectionModel

    class Fixed(SelectionModel):
        def confidence_of(self, ranked):
            return confidence

    return AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)),
                          model=Fixed({}, 5.0, {}, threshold=0.77, margin=0.0, max_units=1))


def test_a_unit_of_the_document_a_sibling_is_answered_from():
    """The best unit of an unconfident part is another unit of the document the sibling part states: evidence that
    the part is about that document's subject. The very unit the sibling states (or one holding it) is none."""
    from components.answers.evidence_selection import near_duplicate
    from components.answers.sibling_evidence import in_sibling_document

    stated = scored_unit("Report a burst pipe to us within 3 days.", doc="claims", title="Making a claim")
    other = scored_unit("An adjuster visits your home within 5 working days.", doc="claims", title="Making a claim")
    elsewhere = scored_unit("An adjuster can also be booked for a survey.", doc="surveys", title="Surveys")
    assert in_sibling_document([other, elsewhere], [[stated]], near_duplicate)
    assert not in_sibling_document([elsewhere, other], [[stated]], near_duplicate)
    assert not in_sibling_document([stated, other], [[stated]], near_duplicate)
    assert not in_sibling_document([], [[stated]], near_duplicate)


def test_an_unconfident_part_is_answered_from_its_siblings_document():
    """"How long do I have to report a burst pipe, and when will an adjuster visit?": the second part's best unit,
    under the threshold, is the claims page's next step, the page the first part is confidently answered from. From
    the floor up it is stated; from another document, or under the floor, the part stays unknown."""
    from components.answers.composer import ComposedAnswer, PartAnswer
    from components.answers.sub_threshold_lifts import SIBLING_FLOOR

    composer = _composer_at(0.75)
    first, second = split_question("How long do I have to report a burst pipe, and when will an adjuster visit?")[0]
    stated = scored_unit("Report a burst pipe to us within 3 days.", doc="claims", title="Making a claim")
    visit = scored_unit("An adjuster visits your home within 5 working days.", doc="claims", title="Making a claim")
    survey = scored_unit("An adjuster can also be booked for a survey.", doc="surveys", title="Surveys")

    def composed(ranked, confidence):
        answer = ComposedAnswer("q", "en", "", "evidence", min_score=0.77)
        answer.parts = [PartAnswer(first, evidence=[stated], confidence=0.9),
                        PartAnswer(second, candidates=ranked, confidence=confidence)]
        composer._in_sibling_document(answer, [[stated], ranked], "")
        return answer.parts[1]

    lifted = composed([visit, survey], 0.75)
    assert [e.unit.text for e in lifted.evidence] == [visit.unit.text] and lifted.lifted == "sibling_document"
    assert lifted.to_dict()["lifted"] == "sibling_document"
    assert not composed([survey, visit], 0.75).evidence
    assert not composed([visit, survey], SIBLING_FLOOR - 0.1).evidence


def test_a_part_given_only_an_earlier_parts_value_takes_its_next_unit_with_another():
    """"How long can I send a jacket back, and how long does the refund take?": the refund part's best unit states
    only the 30 days the first part's evidence gives; its next unit, stating the refund's own 5 working days, answers
    it. With no such unit the part is said to be unknown, as before."""
    from components.answers.composer import ComposedAnswer, PartAnswer

    composer = _composer_at(0.9)
    first, second = split_question("How long can I send a jacket back, and how long does the refund take?")[0]
    window = scored_unit("You can send items back within 30 days of delivery.", doc="returns", title="Returns")
    again = scored_unit("Unworn clothes earn a full refund during the first 30 days.", doc="returns", title="Returns")
    refund = scored_unit("The refund reaches your card within 5 working days of the parcel arriving.",
                         doc="returns", title="Returns")

    def composed(ranked):
        answer = ComposedAnswer("q", "en", "", "evidence", min_score=0.77)
        answer.parts = [PartAnswer(first, evidence=[window], confidence=0.9),
                        PartAnswer(second, evidence=[again], candidates=ranked, confidence=0.9)]
        composer._not_the_same_value_twice(answer, [[window], ranked], "")
        return answer.parts[1]

    retried = composed([again, refund])
    assert [e.unit.text for e in retried.evidence] == [refund.unit.text]
    alone = composed([again])
    assert not alone.evidence and "another duration" in alone.unanswered
