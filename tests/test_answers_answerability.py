"""The answerability checks without a model (components/answers/answerability.py): evidence that matches a question
well but does not state what it asks is not stated (issue #15: never a confident wrong answer)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from components.answers.answerability import asked_value, focus_items, subject_terms, unanswered, value_subject
from components.answers.composer import AnswerComposer, ComposedAnswer, PartAnswer, spelled_out
from components.answers.evidence_selection import ScoredUnit, SelectionModel, terms
from components.answers.question_analysis import split_question
from components.dialogue.policy import PolicyInput, decide
from components.nlu.result import NLUResult
from tests.fakes import last_part, scored_unit


def scored(text, kind="sentence", title="Title", doc="doc", context="", language="en"):
    return scored_unit(text, kind=kind, title=title, doc=doc, context=context, language=language)


def part(text):
    return last_part(text)


def test_the_kind_of_value_asked_for_in_so_many_words():
    assert asked_value("How many days do I have to return something?") == "duration"
    assert asked_value("How much cash can I withdraw at the counter?") == "amount"
    assert asked_value("What rate do you pay on a 12-month certificate?") == "percentage"
    assert asked_value("利率是多少？") == "percentage"
    assert asked_value("Which branches have safe deposit boxes?") is None   # "deposit" is no amount asked


def test_a_value_about_something_else_does_not_answer():
    refund = scored("Refunds to a gift card are immediate; refunds to a credit card take 5 to 7 business days.",
                    title="Returns › When you get your money back")
    reason = unanswered(part("How many days do I have to return something after delivery?"), [refund], [refund])
    assert reason and "duration" in reason
    # the same clause answers a question about refunds
    assert unanswered(part("How long does a refund to a credit card take?"), [refund], [refund]) is None


def test_a_value_in_a_table_row_is_about_its_row():
    row = scored("Account: 12-month certificate; Rate (APY): 3.75%", kind="row", title="Interest rates › Deposits")
    assert unanswered(part("What rate do you pay on a 12-month certificate?"), [row], [row]) is None


def test_a_part_that_names_only_a_value_asks_about_the_part_before_it():
    table = scored("项目: 购物年利率; 经典卡: 22.9%; 银卡: 20.9%", kind="row", title="信用卡一览", context="信用卡一览",
                   language="zh")
    parts, _ = split_question("你们提供房贷吗？利率是多少？")
    assert unanswered(parts[1], [table], [table], carried={"提供", "房贷"})
    parts, _ = split_question("你们有信用卡吗？利率是多少？")
    assert unanswered(parts[1], [table], [table], carried={"信用卡"}) is None


def test_which_options_needs_a_list():
    one = scored("You need to give a payment method to pay or receive the price difference.")
    listed = scored("We accept credit cards, PayPal and gift cards.")
    zh = scored("我们接受信用卡、PayPal 和礼品卡。", language="zh")
    assert unanswered(part("Which payment methods do you accept?"), [one], [one]) == \
        "asks which options there are; the evidence lists none"
    assert unanswered(part("Which payment methods do you accept?"), [listed], [listed]) is None
    assert unanswered(part("你们支持哪些付款方式？"), [zh], [zh]) is None
    two = scored("Safe deposit boxes: Main Street and Northgate only.")
    assert unanswered(part("Which branches have safe deposit boxes?"), [two], [two]) is None


def test_evidence_that_only_repeats_the_question_does_not_answer_how_it_works():
    echo = scored("When a class is full you can join the waiting list.", title="Group classes › Waiting list")
    full = scored("When a class is full you can join the waiting list. If a spot opens, you get a push "
                  "notification and have 30 minutes to confirm it.", title="Group classes › Waiting list")
    question = part("The class is full - how does the waiting list work?")
    assert "repeats" in unanswered(question, [echo], [echo])
    assert unanswered(question, [full], [full]) is None
    # a yes/no question may be answered in its own words
    assert unanswered(part("Can I join the waiting list when a class is full?"), [echo], [echo]) is None


def test_a_word_that_is_another_sections_heading_means_the_wrong_section():
    lockers = scored("Day lockers are free; bring your own padlock.", title="Club rules, lockers and towels › Lockers",
                     doc="club-rules")
    towels = scored("Other members can rent a towel for $2 at the front desk.",
                    title="Club rules, lockers and towels › Towels", doc="club-rules")
    question = part("do you have towels or do I bring my own?")
    reason = unanswered(question, [lockers], [lockers, towels])
    assert reason and "Towels" in reason
    assert unanswered(question, [towels], [towels, lockers]) is None
    # the same word in another document's heading says nothing about this one
    elsewhere = scored("Towels are sold in the shop.", title="Shop › Towels", doc="shop")
    assert unanswered(question, [lockers], [lockers, elsewhere]) is None
    # a word every section of the document uses is its topic, not another section's
    next_step = scored("There is no need to place a new order.", title="Exchanges › What happens next", doc="ex")
    what = scored("Each item can be exchanged for the same product.", title="Exchanges › What you can exchange",
                  doc="ex")
    which = scored("Only delivered orders can be exchanged.", title="Exchanges › Which orders", doc="ex")
    question = part("Do I need to place a new order for the replacement item when I exchange?")
    assert unanswered(question, [next_step], [next_step, what, which]) is None
    assert unanswered(question, [next_step], [next_step, what]) is not None


def test_labelled_items_about_another_name_are_left_out():
    both = scored("Lisbon store: ready 2 hours after you order. Porto store: ready the next day the store is open.",
                  kind="list")
    focused = focus_items(both, "If I order this morning for pick-up in Lisbon, when can I collect it?")
    assert focused.unit.text == "Lisbon store: ready 2 hours after you order."
    # nothing named, or every item about the name asked: unchanged
    assert focus_items(both, "When is my click and collect order ready?").unit.text == both.unit.text


def test_the_policy_says_why_confident_evidence_was_not_stated():
    nlu = NLUResult(intent="faq", confidence=0.9)
    decision = decide(PolicyInput("How many days do I have to return something?", nlu, answer_mode="abstain",
                                  evidence_score=0.84, min_score=0.79, message_kind="question",
                                  abstain_reason="the best evidence (confidence 0.84) does not answer the question: "
                                                 "asks for a duration about return"))
    assert decision.action == "clarify" and "asks for a duration about return" in decision.reason
    low = decide(PolicyInput("x?", nlu, answer_mode="abstain", evidence_score=0.5, min_score=0.79,
                             message_kind="question"))
    assert "0.50 < calibrated threshold 0.79" in low.reason
    # evidence matched confidently is in scope even when the intent model says otherwise: a knowledge gap
    outside = NLUResult(intent="out_of_scope", confidence=0.9, out_of_scope=True)
    gap = decide(PolicyInput("How many times can I exchange?", outside, answer_mode="abstain", evidence_score=0.96,
                             min_score=0.79, message_kind="question", abstain_reason="asks for a count"))
    assert gap.action == "clarify"
    assert decide(PolicyInput("x?", outside, answer_mode="abstain", evidence_score=0.3, min_score=0.79,
                              message_kind="question")).action == "decline_out_of_scope"


def test_a_value_question_is_not_answered_without_any_value():
    bonus = scored("Any yearly surplus may be returned to members as a dividend bonus, decided by the board.")
    assert unanswered(part("How big is the dividend bonus this year?"), [bonus], [bonus]) == \
        "asks for an amount; the evidence states none"
    notice = scored("To cancel, give 30 days' notice in the app.")
    assert unanswered(part("how much notice do I have to give to cancel my membership"), [notice], [notice]) is None


def test_a_bare_faq_no_says_what_it_denies():
    assert spelled_out("No. When a pending order is cancelled, the full total is refunded.",
                       "Is there a cancellation fee?") == \
        "No, there is no cancellation fee. When a pending order is cancelled, the full total is refunded."
    assert spelled_out("Yes. It is 10%.", "Is there a restocking fee?") == "Yes, there is a restocking fee. It is 10%."
    # not a bare yes/no, or not an "is there" question: unchanged
    assert spelled_out("Yes, always.", "Are there any limits?") == "Yes, always."
    assert spelled_out("No. Only pending orders.", "Can I cancel a shipped order?") == "No. Only pending orders."


def test_a_unit_best_for_two_parts_answers_the_one_it_is_more_clearly_about():
    model = SelectionModel({}, 5.0, {}, threshold=0.5, margin=0.0, max_units=1)   # every ranking is confident
    composer = AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)), model=model)
    parts, _ = split_question("What do I need to bring to pick up my order? Can my friend collect it for me?")
    note = scored("Someone else can collect the order if they bring the order id and a signed note.").unit
    photo = scored("Bring the order id and a photo ID.").unit
    free = scored("Click and collect is free for orders of 30 euros or more.").unit
    first = [ScoredUnit(note, 12.9, {}), ScoredUnit(photo, 12.8, {}), ScoredUnit(free, 10.0, {})]
    second = [ScoredUnit(note, 7.0, {}), ScoredUnit(free, 5.5, {})]   # the note leads here by far more
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [composer._choose(parts[0], first, []), PartAnswer(parts[1], candidates=second, confidence=0.3)]
    composer._place_evidence(answer, [first, second])
    assert [e.unit.text for e in answer.parts[0].evidence] == [photo.text]
    assert [e.unit.text for e in answer.parts[1].evidence] == [note.text]
    # a unit that leads more clearly for the part it was chosen for stays there
    answer.parts = [composer._choose(parts[0], second, []), PartAnswer(parts[1], candidates=first, confidence=0.3)]
    composer._place_evidence(answer, [second, first])
    assert [e.unit.text for e in answer.parts[0].evidence] == [note.text] and not answer.parts[1].evidence


def test_chinese_subjects_are_the_questions_nouns():
    from components.answers.answerability import chinese_nouns

    assert "支付宝" in chinese_nouns("可以用支付宝吗？") and "房贷" in chinese_nouns("你们提供房贷吗？")
    assert not {"一个", "几天", "周末", "上班"} & (chinese_nouns("换货需要我重新下一个订单吗？")
                                               | chinese_nouns("退款几天能到账") | chinese_nouns("周末有人工吗？")
                                               | chinese_nouns("人工客服几点上班？"))
    assert chinese_nouns("Can I pay with Apple Pay?") == set()


def test_a_unit_about_another_numbered_variant_does_not_answer():
    """"What's the rate on a 48-month certificate?" is not answered by the 36-month row (the Gold/Silver rule for
    numbered variants), in English and Chinese; the 48-month row answers. A decimal ("1.8%") is one value, not the
    end of a clause: the Chinese rate stays about its deposit."""
    q = part("What's the rate on a 48-month certificate?")
    other = scored("Account: 36-month certificate; Rate (APY): 3.50%", kind="row")
    right = scored("Account: 48-month certificate; Rate (APY): 3.90%", kind="row")
    assert "48-month" in unanswered(q, [other], [other, right])
    assert unanswered(q, [right], [right, other]) is None
    zh = part("3个月定期存款的利率是多少？")
    assert unanswered(zh, [scored("12个月定期存款：年利率 2.5%。", language="zh")], []) is not None
    assert unanswered(zh, [scored("3个月定期存款：年利率 1.8%。", language="zh")], []) is None


def test_a_value_under_a_heading_that_names_the_subject_answers():
    """"How much is the overdraft fee?" is answered by "Fee: $32 per item we pay." under "Overdraft coverage" (and in
    Chinese under 透支保障); the same sentence under another heading is about something else. "what's" is a question
    word, not a subject."""
    fee = scored("Fee: $32 per item we pay.", title="Overdrafts › 3. Overdraft coverage (opt-in)")
    assert unanswered(part("How much is the overdraft fee?"), [fee], [fee]) is None
    other = scored("Fee: $32 per item we pay.", title="Overdrafts › Stop payments")
    assert unanswered(part("How much is the overdraft fee?"), [other], [other]) is not None
    zh = scored("每笔收费 32 美元。", title="透支 › 透支保障", language="zh")
    assert unanswered(part("透支保障收费多少？"), [zh], [zh]) is None
    assert unanswered(part("挂失补卡收费多少？"), [zh], [zh]) is not None
    from components.answers.answerability import subject_terms
    assert subject_terms("and what's the fee?") == set()


def test_a_heading_over_every_sentence_of_its_section_is_not_the_subject():
    """"What each branch offers" names one word of "How much cash can I withdraw at the counter of the Main Street
    branch in one day?": the coin machine's "free" under it does not answer the withdrawal limit."""
    unit = scored("Coin counting machine: Main Street only, free for members.",
                  title="Branches and opening hours › What each branch offers")
    question = part("How much cash can I withdraw at the counter of the Main Street branch in one day?")
    assert unanswered(question, [unit], [unit]) is not None


def test_a_passage_holding_another_parts_answer_is_the_same_statement():
    """"how long does a repeat prescription take, and how often do I need a medication review?": the passage around
    the review sentence ranks first for the refill part too; the review part holds that sentence far more clearly
    (its runner-up is the passage itself, no rival), so the refill part takes its own next unit."""
    composer = _one_unit_composer(margin=0.0)
    parts, _ = split_question("how long does a repeat prescription take, and how often do I need a medication "
                              "review?")
    title = "Prescriptions and repeat refills › Repeat prescriptions"
    review = scored("Repeat prescriptions need a medication review with your doctor every 12 months.", title=title).unit
    passage = scored("Please order when you have a week of medicine left. Repeat prescriptions need a medication "
                     "review with your doctor every 12 months.", title=title).unit
    refill = scored("Allow 3 business days for a refill to be ready.", title=title).unit
    lost = scored("A lost paper prescription can be reissued once.", title=title).unit
    first = [ScoredUnit(passage, 13.6, {}), ScoredUnit(refill, 11.7, {}), ScoredUnit(lost, 5.0, {})]
    second = [ScoredUnit(review, 9.6, {}), ScoredUnit(passage, 9.0, {}), ScoredUnit(lost, 5.6, {})]
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [composer._choose(parts[0], first, []), composer._choose(parts[1], second, [])]
    composer._place_evidence(answer, [first, second])
    assert [e.unit.text for e in answer.parts[0].evidence] == [refill.text]
    assert [e.unit.text for e in answer.parts[1].evidence] == [review.text]


def test_a_part_carries_the_words_of_its_question_that_no_earlier_answer_took_up():
    from components.answers.composer import _carried_context

    parts, _ = split_question("When is my credit card payment due and what's the minimum I have to pay?")
    due = scored("The payment is due 25 days after the statement date.",
                 title="Statement and due date")
    answered = PartAnswer(parts[0], evidence=[due])
    carried = _carried_context(parts[1], [answered])
    assert "due" not in carried and "credit" in carried
    # nothing answered: all of it; a part that refers back ("is it …"): all of it
    assert _carried_context(parts[1], [PartAnswer(parts[0])]) == parts[1].context
    metal, _ = split_question("What's the Gold card's annual fee, and is it available as a metal card?")
    fee = PartAnswer(metal[0], evidence=[scored("Gold card annual fee: $95.")])
    assert _carried_context(metal[1], [fee]) == metal[1].context


def test_a_part_naming_only_the_kind_of_answer_keeps_the_case_its_question_states():
    """"…, and is there a fee?" names nothing but the kind of answer: the fee is that of the case the question states
    ("if my card is declined"), whatever the earlier part's evidence took up."""
    from components.answers.composer import _carried_context

    parts, _ = split_question("how many days do I have to pay if my card is declined, and is there a fee?")
    declined = PartAnswer(parts[0], evidence=[scored("If your card is declined you have 5 days to pay.")])
    assert "card is declined" in _carried_context(parts[1], [declined])
    # a part naming a thing of its own carries only what no earlier evidence took up
    parts, _ = split_question("how many days do I have to pay if my card is declined, and is there a late fee?")
    assert "declined" not in _carried_context(parts[1], [declined])
    # and with no case stated, nothing more than before
    parts, _ = split_question("How long can I spread the payments over, and do you charge interest?")
    spread = PartAnswer(parts[0], evidence=[scored("You can spread the payments over up to 24 months.")])
    assert "spread" not in _carried_context(parts[1], [spread])


def test_a_value_under_a_section_named_by_the_value_is_about_the_documents_subject():
    fee = scored("For smaller orders the pick-up fee is €2.50.",
                 title="Click and collect: order online, pick up in store › Cost")
    assert unanswered(part("How much does click and collect cost?"), [fee], [fee]) is None
    # a section that names something else is about that
    other = scored("For smaller orders the pick-up fee is €2.50.",
                   title="Click and collect: order online, pick up in store › Returns")
    assert unanswered(part("How much does click and collect cost?"), [other], [other]) is not None


def test_a_part_that_refers_back_asks_about_what_the_part_before_named():
    """"what does it cost without insurance?" after "How long is a long appointment?": the long appointment's price
    row answers it; the same row does not answer a part that names something else."""
    row = scored("Service: Long doctor appointment (30 min); Price: $160", kind="row",
                 title="Self-pay prices › Consultations")
    parts, _ = split_question("How long is a long appointment and what does it cost without insurance?")
    carried = subject_terms(parts[0].text)
    assert unanswered(parts[1], [row], [row], carried) is None
    other, _ = split_question("How long is a long appointment and what does parking cost without insurance?")
    assert unanswered(other[1], [row], [row], carried) is not None


def test_a_yes_no_part_whose_kind_comes_from_a_word_no_document_uses_is_unknown():
    """"Do gift cards expire?" asks for a duration by "expire"; the documents never say "expire", so the refund's
    5 to 7 days (about gift cards too) do not answer it. A word the documents use leaves the part to the other checks."""
    refund = scored("Refunds to a gift card are immediate; refunds to a credit card take 5 to 7 business days.",
                    title="Payment methods › Refund timing")
    from components.answers.evidence_selection import terms

    documents = set(terms("gift cards refunds immediate credit take business days chat assistant hours weekends"))
    known = documents.__contains__
    reason = unanswered(part("Do gift cards expire?"), [refund], [refund], known=known)
    assert reason and "never mention" in reason
    hours = scored("The chat assistant answers 24 hours a day, also at weekends.", title="Contact")
    assert unanswered(part("Is the chat assistant available on weekends?"), [hours], [hours], known=known) is None


def test_a_rule_for_other_days_does_not_answer_a_day_asked_about():
    """"can i phone to book an appointment on saturday" is not answered by a rule released "each weekday", nor
    "What time does the Lisbon store close on Saturday?" by a holiday table's row; a schedule that names its days in
    full ("Monday to Friday", "周一至周五", "weekdays only") answers any day, and the day asked named answers it."""
    weekday = scored("Same-day appointments are released at 8:00 each weekday for urgent problems; they are booked "
                     "by phone only.", title="Booking an appointment › Appointment types")
    assert "saturday" in unanswered(part("can i phone to book an appointment on saturday"), [weekday], [weekday])
    holiday = scored("Lisbon store: closed; Porto store: closed", kind="row",
                     title="Store opening times over the 2026 holidays",
                     context="Both physical stores (Lisbon and Porto) change their hours over Christmas and New Year:")
    assert unanswered(part("What time does the Lisbon store close on Saturday?"), [holiday], [holiday])
    agents = scored("Human agents work Monday to Friday, 9:00 to 18:00 EST.")
    assert unanswered(part("Can I talk to a human agent on a Saturday?"), [agents], [agents]) is None
    zh = scored("人工客服工作时间为周一至周五 9:00 至 18:00。", language="zh")
    assert unanswered(part("周末有人工吗？"), [zh], [zh]) is None
    weekends = scored("By phone, Monday to Friday 7:30 to 18:00. The booking line is closed at weekends.")
    assert unanswered(part("can i phone to book an appointment on saturday"), [weekends], [weekends]) is None
    only = scored("The X-ray room is open on weekdays only, 9:00 to 17:00.")
    assert unanswered(part("Can I get an X-ray on a Saturday?"), [only], [only]) is None
    anyday = scored("The chat assistant is available 24 hours a day.")
    assert unanswered(part("Is the chat assistant available on weekends?"), [anyday], [anyday]) is None


def test_a_rule_for_the_opposite_condition_does_not_answer():
    """"I've never studied german, do I need the placement test?" is not answered by "If you have studied the
    language before, take our placement test"; the customer who has studied before is."""
    rule = scored("If you have studied the language before, take our free online placement test so we can put you "
                  "in the right level.", title="Placement test")
    reason = unanswered(part("I've never studied german at all, do I need to do the placement test?"), [rule], [rule])
    assert reason and "If you have studied the language before" in reason
    assert unanswered(part("I studied German at school, do I need to do the placement test?"), [rule], [rule]) is None
    assert unanswered(part("Do I need the placement test if I have never studied German?"), [rule], [rule])
    # a word denied over a period is a time condition the customer's dates may meet
    lapse = scored("Your points expire if you have had no stay for 24 months.", title="Loyalty points")
    assert unanswered(part("My last stay was 2 years ago. Have my points expired?"), [lapse], [lapse]) is None
    assert unanswered(part("I stayed with you last week, do my points expire?"), [lapse], [lapse]) is None
    unless = scored("Unless you have a receipt, returns are refunded as store credit.")
    assert unanswered(part("I have a receipt, how is my return refunded?"), [unless], [unless]) is not None
    assert unanswered(part("I don't have a receipt, how is my return refunded?"), [unless], [unless]) is None


def test_a_rule_for_another_kind_of_customer_does_not_answer():
    """"Is there a discount for teachers?" is not answered by the full-time students' row of the discounts table, nor
    "Does my company get a corporate discount?" by the "Student discount" section; a student's question is, and a
    question naming no case ("What discounts do you offer?") is not stopped."""
    row = scored("Who: Full-time students; Discount: 15% off the course price", kind="row", title="Discounts",
                 context="Discounts")
    reason = unanswered(part("I'm a school teacher, is there a discount for teachers?"), [row], [row])
    assert reason and "teacher" in reason and "student" in reason
    assert unanswered(part("Is there a discount for full-time students?"), [row], [row]) is None
    assert unanswered(part("What discounts do you offer?"), [row], [row]) is None
    section = scored("Full-time students get 15% off the Standard plan with a valid student card.",
                     title="Membership plans › Student discount")
    assert "student" in unanswered(part("Does my company get a corporate discount?"), [section], [section])
    assert unanswered(part("As a student, what discount do I get?"), [section], [section]) is None


def test_a_coordinated_heading_names_each_of_its_kinds():
    """"Extra and overweight bags" is about extra bags as much as overweight ones: a question about an extra bag is
    not stopped as asking another case than the section's; a question naming neither kind still is."""
    row = scored("Extra bag, booked online: Long-haul: $90", kind="row",
                 title="Baggage allowance › Extra and overweight bags")
    question = "How much does an extra checked bag cost on a long-haul flight if I add it online?"
    assert unanswered(part(question), [row], [row]) is None
    section = scored("Each bag costs $60 on every route.", title="Baggage › Extra and overweight bags")
    assert "another case" in unanswered(part("What does a bag for a child cost?"), [section], [section])
    assert unanswered(part("What does an overweight bag cost?"), [section], [section]) is None


def test_a_case_drawn_by_the_customers_own_measure_is_theirs():
    """"Can my 4 year old fly alone?" names the customer's case by an age; "Children from 5 to 11 years …" under
    "Children travelling alone" draws its cases by age, so it is about the customer (who is under 5), not another
    kind of customer; a rule drawn by nothing the customer gives is still another case."""
    ages = scored("Children from 5 to 11 years may travel alone only with our unaccompanied minor service. Children "
                  "under 5 cannot travel alone.", title="Infants and children › Children travelling alone")
    assert unanswered(part("Can my 4 year old fly alone with the unaccompanied minor service?"), [ages], [ages]) is None
    assert "another case" in unanswered(part("Can my son fly alone with the unaccompanied minor service?"), [ages],
                                        [ages])


def test_which_thing_needs_evidence_naming_that_thing():
    """"Which teacher teaches the Portuguese B1 group?" is not answered by the list of languages taught; "which club
    is open 24/7?" is answered by a club's section (its heading names the clubs)."""
    languages = scored("We teach Spanish, French, German, Italian and Portuguese from A1 to C1.",
                       title="Courses and levels")
    assert "asks which teacher" in unanswered(part("Which teacher teaches the Portuguese B1 group?"), [languages],
                                              [languages])
    club = scored("Open 24 hours a day, 7 days a week.", title="Clubs and opening hours › Eastfield")
    assert unanswered(part("which club is open 24/7?"), [club], [club]) is None


def test_a_heading_naming_an_action_on_the_thing_is_no_other_case():
    """"Bringing a guest" and "Getting your results" are about the guest and the results, not kinds of them: "Can my
    15 year old son come as my guest?" and "Can my husband call to get my blood test results?" are still answered."""
    guest = scored("Guests must be at least 16 years old, show photo ID and sign our health waiver on arrival.",
                   title="Bringing a guest")
    assert unanswered(part("Can my 15 year old son come as my guest?"), [guest], [guest]) is None
    results = scored("For privacy, results are not given over the phone to anyone other than the patient.",
                     title="Lab tests and results › Getting your results")
    assert unanswered(part("Can my husband call to get my blood test results?"), [results], [results]) is None


def test_a_negation_bears_on_the_next_word_only_and_a_customers_own_things_are_no_case():
    """"If 7 business days have passed and you do not see a card refund" denies the seeing, not the card: it is no
    opposite case for a customer who paid by card. "my credit card" names the customer's card, not a kind of
    customer: the Silver row is not stopped as another case for it."""
    late = scored("If 7 business days have passed and you do not see a card or PayPal refund, contact us.")
    question = part("I paid with my Visa card, when should I expect to see the money back on my card?")
    assert unanswered(question, [late], [late]) is None
    row = scored("Card: Silver Rewards; Grace period: 25 days", kind="row", title="Credit cards › Grace period")
    assert unanswered(part("How long is the grace period on my credit card?"), [row], [row]) is None



def test_a_number_before_the_thing_asked_is_no_case():
    """"a 1 to 1 lesson" names no kind of customer: the "Private lessons" section answers how much it costs."""
    private = scored("Single 60-minute private lesson: $48.", title="Course prices › Private lessons")
    assert unanswered(part("how much does a 1 to 1 lesson cost"), [private], [private]) is None


def test_a_chinese_sentence_is_narrowed_to_the_clause_of_the_case_asked():
    sizes = scored("标准课程每班最多 12 人，强化课程每班最多 8 人。", title="课程 › 班级人数", language="zh")
    assert focus_items(sizes, "强化课程一个班最多几个人").unit.text == "强化课程每班最多 8 人。"
    assert focus_items(sizes, "标准课程一个班最多几个人？").unit.text == "标准课程每班最多 12 人。"
    # no case named, or no figure asked for: the sentence is stated whole
    assert focus_items(sizes, "一个班最多几个人？").unit.text == sizes.unit.text
    assert focus_items(sizes, "强化课程难吗？").unit.text == sizes.unit.text
    # a clause without a figure stays; one figure is nothing to choose from
    refund = scored("退到礼品卡：立即到账。退到信用卡或 PayPal：需要 5 到 7 个工作日。", kind="faq_answer", language="zh")
    assert focus_items(refund, "退款到信用卡要多久？").unit.text == refund.unit.text
    # two figures of one case (a cut-off time and a duration) are no two cases
    transfer = scored("普通转账到其他美国银行：截止时间 17:00，1 到 2 个工作日 到账，免费。", language="zh")
    assert focus_items(transfer, "普通转账到别的银行几天到账？").unit.text == transfer.unit.text
    # a comma between digits separates thousands, not clauses: no figure is cut in two
    limits = scored("KVCU Send：每天最多 2,500 美元，每 30 天最多 10,000 美元。", language="zh")
    assert focus_items(limits, "用 KVCU Send 每天最多能转多少钱？").unit.text == "KVCU Send：每天最多 2,500 美元。"


def test_a_word_of_the_section_heading_does_not_tell_a_chinese_sentences_clauses_apart():
    """Under "取消和退款", "退款到 Wise 要多久？" asks the Wise clause; the bank card's clause shares only 退款, the
    heading's word (invented wording). Under another heading 退款 tells them apart as much as Wise: both stay."""
    sentence = "退款到银行卡需要 5 到 10 个工作日，到 Wise 需要 2 个工作日。"
    times = scored(sentence, title="账户 › 取消和退款", language="zh")
    assert focus_items(times, "退款到 Wise 要多久？").unit.text == "到 Wise 需要 2 个工作日。"
    assert focus_items(times, "退款到银行卡要多久？").unit.text == "退款到银行卡需要 5 到 10 个工作日。"
    assert focus_items(scored(sentence, title="账户 › 付款", language="zh"), "退款到 Wise 要多久？").unit.text == sentence


def test_a_chinese_question_asking_with_what_asks_for_options():
    one = scored("An order is paid with one payment method.", title="Payments")
    listed = scored("我们接受信用卡、PayPal 和 kefu 演示商店礼品卡。", kind="faq_answer", language="zh")
    asked = part("付款可以用什么？")
    assert unanswered(asked, [one], [one]) is not None
    assert unanswered(asked, [listed], [listed]) is None


def test_a_unit_best_for_two_parts_answers_both_when_the_next_units_lack_the_value_asked():
    """"how long is the placement test and when do I get my result": the passage holds the test's length and when
    the result comes; the length part's next units hold no duration, so the passage answers both, stated once."""
    composer = _one_unit_composer(margin=0.0)
    parts, _ = split_question("how long is the placement test and when do I get my result")
    passage = scored("The test is free and takes about 40 minutes. Your level is emailed to you within 2 business "
                     "days.", title="Placement test").unit
    studied = scored("If you have studied the language before, take our free online placement test.",
                     title="Placement test").unit
    first = [ScoredUnit(passage, 12.0, {}), ScoredUnit(studied, 11.9, {})]
    second = [ScoredUnit(passage, 15.6, {}), ScoredUnit(studied, 8.0, {})]   # leads here by far more
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [composer._choose(parts[0], first, []), composer._choose(parts[1], second, [])]
    composer._place_evidence(answer, [first, second])
    assert [e.unit.text for e in answer.parts[0].evidence] == [passage.text]
    assert answer.parts[1].curated == {"same_as_earlier_part": True} and not answer.parts[1].evidence


def test_a_part_that_goes_on_from_a_part_about_something_never_mentioned_is_not_answered():
    """"礼品卡有有效期吗？过期了怎么办？": the second part is about the expiry the documents never mention; what its own few
    words find (the hours of the support line) is no answer to it."""
    composer = AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)),
                              model=SelectionModel({}, 5.0, {}, threshold=0.5))
    parts, _ = split_question("Do you accept Apple Pay? And how long does it take?")
    hours = scored("Refunds take 5 to 7 business days.")
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [PartAnswer(parts[0]), PartAnswer(parts[1], evidence=[hours], confidence=0.9)]
    composer._mark_unmentioned(answer, [hours.unit])
    assert answer.parts[0].unmentioned == ["Apple Pay"]
    assert not answer.parts[1].answered and "never mention" in answer.parts[1].unanswered
    # a part with a subject of its own stands
    parts, _ = split_question("Do you accept Apple Pay? And how long do refunds take?")
    answer.parts = [PartAnswer(parts[0]), PartAnswer(parts[1], evidence=[hours], confidence=0.9)]
    composer._mark_unmentioned(answer, [hours.unit])
    assert answer.parts[1].answered


def test_a_name_written_in_another_document_is_not_said_to_be_unmentioned():
    """"Can I rent an SUV with a debit card?": no unit found states "SUV", so the part is not answered; but another
    document does write it, so the reply must not tell the customer the help articles never mention it."""
    composer = AnswerComposer(SimpleNamespace(keywords={}), lambda texts: np.zeros((len(texts), 2)),
                              model=SelectionModel({}, 5.0, {}, threshold=0.5))
    composer.statistics = SimpleNamespace(df=lambda t: 3 if t in ("suv", "debit", "card") else 0)
    parts, _ = split_question("Can I rent a car with a debit card from the SUV Plus range?")
    card = scored("We accept debit cards for car groups A to C.")
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [PartAnswer(parts[0], evidence=[card], confidence=0.9)]
    composer._mark_unmentioned(answer, [card.unit])
    assert answer.parts[0].unmentioned == ["SUV Plus"] and not answer.parts[0].answered
    assert answer.parts[0].named_elsewhere == []          # "plus" is in no document: SUV Plus is unmentioned
    composer.statistics = SimpleNamespace(df=lambda t: 3 if t in ("suv", "plus", "debit", "card") else 0)
    answer.parts = [PartAnswer(parts[0], evidence=[card], confidence=0.9)]
    composer._mark_unmentioned(answer, [card.unit])
    assert not answer.parts[0].answered and answer.parts[0].named_elsewhere == ["SUV Plus"]


def test_a_chinese_story_leaves_the_value_to_its_question_clause():
    # "房子漏水损坏了" is what happened; "要在几天内报案" asks how long to report: the vacancy rule's 60 days names 漏水 only
    asked = part("房子漏水损坏了，要在几天内报案？")
    vacancy = scored("房屋连续空置超过 60 天后，盗窃和漏水不在保障范围内。", language="zh")
    assert unanswered(asked, [vacancy], [vacancy])
    report = scored("房屋损坏须在 30 天内报案。", language="zh")
    assert unanswered(asked, [report], [report]) is None


def _one_unit_composer(margin: float) -> AnswerComposer:
    """A composer whose model states one unit per part, over no knowledge base (the ranked units are given)."""
    model = SelectionModel({}, 5.0, {}, threshold=0.5, margin=margin, max_units=1)
    return AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)), model=model)


def test_a_passage_holding_an_earlier_parts_sentence_states_what_it_adds():
    """"How long can I spread it over, and do you charge interest?": the passage holding both sentences is the
    interest part's best unit; it holds the sentence the first part states, so the interest part states the
    passage's other sentence (its own next unit) rather than being "the same as the earlier part"."""
    composer = _one_unit_composer(margin=1.0)
    parts, _ = split_question("How long can I spread it over, and do you charge interest?")
    title = "Payment plans"
    months = scored("You can spread what you owe over up to 24 months.", title=title).unit
    interest = scored("We do not charge interest or fees on a payment plan.", title=title).unit
    passage = scored(f"{months.text} {interest.text} If you miss two payments in a row, we contact you.",
                     title=title).unit
    other = scored("Book a meter installation in the app.", title="Smart meters").unit
    first = [ScoredUnit(months, 10.3, {}), ScoredUnit(passage, 9.6, {}), ScoredUnit(other, 5.0, {})]
    second = [ScoredUnit(passage, 10.3, {}), ScoredUnit(interest, 10.2, {}), ScoredUnit(other, 5.5, {})]
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [composer._choose(parts[0], first, [])]
    answer.parts.append(composer._choose(parts[1], second, answer.parts))
    assert [e.unit.text for e in answer.parts[0].evidence] == [months.text]
    assert [e.unit.text for e in answer.parts[1].evidence] == [interest.text]
    assert "do not charge interest" in composer.evidence_reply(answer)
    # the passage's other sentence scoring far below the best is no answer of its own: stated once, as before
    second = [ScoredUnit(passage, 10.3, {}), ScoredUnit(interest, 8.0, {}), ScoredUnit(other, 5.5, {})]
    later = composer._choose(parts[1], second, answer.parts[:1])
    assert not later.evidence and later.curated == {"same_as_earlier_part": True}


def test_a_sentence_is_not_given_to_a_part_whose_best_is_a_passage_around_it():
    """"How much do couriers earn per delivery and when do we get paid?": the Pay list leads for the earnings part
    (under the threshold); the payday part states the list's "paid every Wednesday" sentence. The list leading
    more clearly does not make that sentence the earnings part's answer: it stays with the payday part."""
    composer = _one_unit_composer(margin=0.0)
    parts, _ = split_question("How much do couriers earn per delivery and when do we get paid?")
    title = "Courier jobs › Pay"
    paid = scored("Earnings are paid every Wednesday for the week from Monday to Sunday before.", title=title).unit
    per = scored("Each delivery pays €3.50 plus €0.80 per km from the restaurant to the customer.", title=title).unit
    bonus = scored("At busy times the app shows a peak bonus of €1 to €3 per delivery.", title=title).unit
    pay = scored(f"{per.text} {bonus.text} Couriers keep 100% of tips. {paid.text}", kind="list", title=title).unit
    first = [ScoredUnit(pay, 13.1, {}), ScoredUnit(per, 12.7, {}), ScoredUnit(bonus, 9.0, {})]
    second = [ScoredUnit(paid, 10.1, {}), ScoredUnit(per, 10.0, {}), ScoredUnit(bonus, 7.5, {})]
    answer = ComposedAnswer("q", "en", "", "evidence")
    answer.parts = [PartAnswer(parts[0], candidates=first, confidence=0.3), composer._choose(parts[1], second, [])]
    composer._place_evidence(answer, [first, second])
    assert [e.unit.text for e in answer.parts[1].evidence] == [paid.text]
    assert not answer.parts[0].evidence


def test_how_late_or_early_something_has_to_be_asks_for_a_duration():
    assert asked_value("How late does my order have to be to get the credit?") == "duration"
    assert asked_value("how early must I be at the gate?") == "duration"
    assert asked_value("how late are you open on friday?") is None     # an opening time, no margin
    credit = scored("Without Plus: the delivery fee back as credit;", title="Late deliveries › What you get")
    assert unanswered(part("How late does my order have to be to get the credit?"), [credit], [credit])


def test_a_sum_of_money_is_no_duration():
    from components.answers.answerability import no_value

    credit = scored("With Plus: €5 credit (the On-time Promise).", title="Late deliveries › What you get")
    assert no_value(part("How long does the credit take to arrive?"), [credit])
    assert no_value(part("How much is the credit?"), [credit]) is None
    assert no_value(part("How long does the credit take to arrive?"),
                    [scored("Credit of €5 is added within 2 hours.")]) is None


def test_a_second_part_of_the_same_kind_given_the_first_parts_figure_is_not_answered():
    from components.answers.answerability import value_of_earlier_part

    (window_part, refund_part), _ = split_question(
        "how long do i have to return something and how long does the refund take")
    window = scored("Products bought in a store have the same 14 days; bring the receipt.", title="How long you have")
    again = scored("You can return most products within 14 days of the day you receive them, for a full refund.",
                   title="How long you have")
    refund = scored("We refund within 5 working days after the product reaches us.", title="Your refund")
    assert value_of_earlier_part(refund_part, [again], [(window_part, [window])])
    assert value_of_earlier_part(refund_part, [refund], [(window_part, [window])]) is None
    # one unit stating both figures is stated once, elsewhere; another kind of value is another question
    both = scored("Return within 14 days; refunds take 5 working days.")
    assert value_of_earlier_part(refund_part, [both], [(window_part, [both])]) is None
    price_part = part("how much does the refund cost?")
    assert value_of_earlier_part(price_part, [window], [(window_part, [window])]) is None


def test_how_much_notice_is_asked_of_the_event_not_of_the_notice():
    prices = scored("Flex 价格可能上涨或下降，调价前至少提前 30 天通知。搬家时把固定方案带到新家，不收提前解约费。",
                    title="电价方案", language="zh")
    assert unanswered(part("搬家要提前几天通知你们？"), [prices], [prices])
    moving = scored("搬家前至少提前 2 个工作日通知我们。", title="搬家", language="zh")
    assert unanswered(part("搬家要提前几天通知你们？"), [moving], [moving]) is None
    cuts = scored("At least 4 days' notice of a planned power cut, by phone.", title="What you get")
    assert unanswered(part("How much notice do I get of a planned power cut?"), [cuts], [cuts]) is None
    assert unanswered(part("How much notice do I get before you change my prices?"), [cuts], [cuts])


def test_a_yes_no_question_about_a_month_needs_evidence_naming_a_time():
    from components.answers.answerability import undated_evidence

    rule = scored("Its prices can go up or down.", title="Our tariffs › Flex")
    assert undated_evidence(part("Will Flex prices go up in April?"), [rule])
    assert undated_evidence(part("Flex 四月会涨价吗？"), [rule])
    assert undated_evidence(part("Will Flex prices go up in April?"),
                            [scored("Flex prices go up on 1 April each year.")]) is None
    assert undated_evidence(part("Can I still return it on 10 January?"),
                            [scored("Products bought in December can be returned until 15 January.")]) is None
    # a month in the customer's story is not what is asked
    assert undated_evidence(part("we're driving to Turkey in August, do I need a green card?"),
                            [scored("You do not need a green card in the EU.")]) is None


def test_a_value_under_another_cases_label_does_not_answer():
    from components.answers.answerability import value_of_other_label

    cancel = scored("月度和学生会员：可随时取消，不退还当月费用。年度会员：付款后 14 天内取消，全额退还 59.90 欧元；不退款。",
                    title="会员常见问题 › 取消会员", language="zh")
    assert value_of_other_label(part("Plus 月度会员多少钱？"), [cancel])
    assert value_of_other_label(part("年度会员退多少钱？"), [cancel]) is None
    english = scored("Monthly and Student: cancel any time. Annual: a full refund of €59.90 within 14 days.")
    assert value_of_other_label(part("How much is the Monthly plan?"), [english])
    assert value_of_other_label(part("How much do I get back on the Annual plan?"), [english]) is None
    # a table row's labels are its columns, not cases
    row = scored("Card: Silver Rewards; Cashback rate: 1%; Yearly cap: $300.", kind="row")
    assert value_of_other_label(part("how much cashback do i get with silver rewards"), [row]) is None


def test_a_unit_about_what_the_customer_says_they_are_not_does_not_answer():
    register = scored("At least 4 days' notice of a planned power cut, by phone.",
                      title="Priority Services Register › What you get")
    question = part("How much notice do I get of a planned power cut?")
    said = "I'm not on the Priority Services Register."
    assert unanswered(question, [register], [register], statements=said)
    assert unanswered(question, [register], [register]) is None     # nothing denied
    everyone = scored("The network operator gives at least 2 days' notice of planned work by letter.",
                      title="Power cuts › Planned power cuts")
    assert unanswered(question, [everyone], [everyone], statements=said) is None
    # a rule that itself names the other case ("unless", "not") may be the answer; an action denied is no case
    others = scored("Customers not on the Priority Services Register get 2 days' notice.", title="Power cuts")
    assert unanswered(question, [others], [others], statements=said) is None
    cancel = scored("Cancel at least 2 hours before the class starts to keep your spot free of charge.",
                    title="Group classes › Cancelling a class booking")
    assert unanswered(part("I missed a few classes without cancelling, is there a penalty?"), [cancel], [cancel]) \
        is None


def test_a_comparison_tables_cell_is_stated_only_for_the_row_the_question_names():
    """Cells of one column differ only in their row's label: "the contents limit" names "Contents cover" and "Single
    item limit (contents)" alike, "contents cover" names one; a label of value words ("Price") is named by any
    question asking for a value; a label holding the value asked ("Late by 30 minutes") is the answer itself."""
    limit = scored("Single item limit (contents): Basic: £1,500", kind="row")
    cover = scored("Contents cover: Basic: up to £30,000", kind="row")
    price = scored("Price: Basic: €4 a month", kind="row")
    late = scored("Late by more than 30 minutes: Basic: €5 credit", kind="row")
    rows = [limit, cover, price, late]
    assert "alike" in unanswered(part("What's the contents limit on Basic?"), [limit], rows)
    assert unanswered(part("How much contents cover do I get with Basic?"), [cover], rows) is None
    assert "not what the question names" in unanswered(part("How much is Basic?"), [cover], rows)
    assert unanswered(part("How much is Basic?"), [price], rows) is None
    assert unanswered(part("How many minutes late does it have to be to get a credit?"), [late], rows) is None
    assert unanswered(part("月费是多少？"), [scored("月费：基础: 4 欧元", kind="row", language="zh")], rows) is None
    assert unanswered(part("How much contents cover do I get?"), [scored("Contents cover is up to £30,000")], rows) is None


def test_a_question_naming_a_comparison_tables_row_and_column_looks_up_that_cell():
    """The cell ranked low in confidence beside its row's other columns is stated when the question names its row
    (more of its label than of any other row's) and its one column, and asks for a value; not when a column, the row
    or a value asked is missing, or the part's confidence is under the floor."""
    from components.answers.answerability import QUESTION_WORDS
    from components.answers.comparison_rows import named_cell

    table = [scored(t, kind="row") for t in ("Electricity standing charge: Fix 24: 49.8p a day",
                                             "Electricity standing charge: Fix 12: 53.2p a day",
                                             "Gas standing charge: Fix 24: 29.9p a day",
                                             "Electricity standing charge: Flex: 53.2p a day")]

    def look_up(question, rows=table, confidence=0.34):
        return named_cell(part(question), rows, confidence, asked_value(question), QUESTION_WORDS)

    assert look_up("What's the daily standing charge for electricity on Fix 24?") is table[0]
    assert look_up("What's the daily standing charge for electricity on Fix 24?", confidence=0.2) is None
    assert look_up("What's the gas standing charge on Fix 24?") is None   # ranked third
    assert look_up("What's the daily standing charge for electricity?") is None   # no column
    assert look_up("What's the standing charge on Fix 24?") is None   # which row
    assert look_up("Can I leave Fix 24 when the electricity standing charge changes?") is None   # no value asked
    # a value and more: the cell answers half of it
    assert look_up("What's the daily standing charge for electricity on Fix 24 and how do I lower it?") is None
    # "12" tells Fix 12 from Fix 24
    assert look_up("What's the daily standing charge for electricity on Fix 12?", rows=table[1:]) is table[1]


def test_a_comparison_tables_cell_of_another_column_than_the_one_named_is_not_stated():
    """"Does Everyday Checking pay interest?" is not answered by the Everyday Plus Checking column's cell."""
    plus = scored("Interest: Everyday Plus Checking: 0.25% APY", kind="row")
    basic = scored("Interest: Everyday Checking: none", kind="row")
    question = part("Does Everyday Checking pay any interest?")
    assert "not the one the question names" in unanswered(question, [plus], [plus, basic])
    assert unanswered(question, [basic], [plus, basic]) is None
    assert unanswered(part("Does Everyday Plus Checking pay any interest?"), [plus], [plus, basic]) is None


def elliptical(question):
    from components.answers.composer import elliptical_parts_carry_the_part_before

    parts, _ = split_question(question)
    elliptical_parts_carry_the_part_before(parts)
    return parts


def test_a_comparison_row_is_named_by_the_parts_own_words_before_those_it_carries():
    """"免赔额呢？" after "Premium 的室内财产保额是多少？" names the 免赔额 row; the 室内财产保额 it carries from the part
    before does not make the two rows named alike, and a row the part's own words name no more than another is not
    named by the words of the question it was cut from."""
    excess = scored("免赔额：Premium: 100 英镑", kind="row", language="zh")
    cover = scored("室内财产保额：Premium: 100,000 英镑", kind="row", language="zh")
    parts = elliptical("Premium 房屋保险的室内财产保额是多少？免赔额呢？")
    assert parts[1].context   # the elliptical part carries the part before
    assert unanswered(parts[1], [excess], [excess, cover]) is None
    assert "not what the question names" in unanswered(parts[1], [cover], [excess, cover])
    # the part's own words say as much of two rows ("bag drop"): the question it was cut from ("… check-in open")
    # does not choose between them
    opens = scored("Check-in desks and bag drop open: Domestic and European: 3 hours before departure", kind="row")
    closes = scored("Check-in desks and bag drop close: Domestic and European: 45 minutes before departure", kind="row")
    parts, _ = split_question("How early does online check-in open, and how late can I drop my bag for a European "
                              "flight?")
    assert parts[1].context
    assert unanswered(parts[1], [opens], [opens, closes])
    assert unanswered(part("When do the check-in desks and bag drop open?"), [opens], [opens, closes]) is None


def test_a_comparison_tables_other_columns_are_no_candidates_when_the_part_names_a_column():
    """Cells of the columns the part does not name (in its own words or its context) leave the ranking: another plan's
    figure is no rival of the named plan's for the confidence model. A table none of whose columns is named, and the
    units that are no cells, stay."""
    from components.answers.comparison_rows import named_columns_only

    basic = scored("免赔额：Basic: 250 英镑", kind="row", language="zh")
    premium = scored("免赔额：Premium: 100 英镑", kind="row", language="zh")
    water = scored("漏水理赔的免赔额在所有等级均为 400 英镑。", language="zh")
    other = scored("Excess: Flex: £90", kind="row", doc="car")
    other2 = scored("Excess: Fixed: £60", kind="row", doc="car")
    ranked = [basic, premium, water, other, other2]
    parts = elliptical("Premium 房屋保险的室内财产保额是多少？免赔额呢？")
    assert named_columns_only(parts[1], ranked) == [premium, water, other, other2]
    assert named_columns_only(part("免赔额是多少？"), ranked) == ranked
    assert named_columns_only(part("What is the excess on Flex?"), ranked) == [basic, premium, water, other]


def test_a_unit_about_the_asked_day_answers_when_another_days_rule_ranks_first():
    """A holiday table's dated rows ranking first for "… on Saturday?" leave the ranking when a unit naming Saturday
    (in a range: "Monday to Saturday") stands among the best three; not when none does, nor when the best unit is
    about the asked day already."""
    from components.answers.answerability import asked_day_ranking

    christmas = scored("Date: Friday 25 December 2026; Porto store: closed", kind="row")
    new_year = scored("Date: Friday 1 January 2027; Porto store: closed", kind="row")
    hours = scored("Monday to Saturday: 09:00 to 19:00.", kind="list_item", title="Porto store › Opening hours")
    phone = scored("The store phone is +351 22 555 0188.")
    question = part("What time does the Porto store close on Saturday?")
    assert asked_day_ranking(question, [christmas, new_year, hours, phone]) == [hours, phone]
    assert asked_day_ranking(question, [christmas, new_year, phone, hours]) is None   # not among the best three
    assert asked_day_ranking(question, [christmas, phone, hours]) is None   # what then ranks first names no day
    assert asked_day_ranking(question, [hours, christmas]) is None                    # the best is about Saturday
    assert asked_day_ranking(part("What time does the Porto store close?"), [christmas, hours]) is None


def test_rows_of_one_name_told_apart_by_a_bracket_answer_alike_when_their_values_agree():
    """"What's the damage excess with Zero Cover?" names both "Damage excess (Groups A to D)" and "Damage excess
    (Groups E and F)": when both rows give Zero Cover the same value the answer holds whichever the customer means;
    with Smart Cover's €500 and €800 it does not."""
    zero = [scored("Damage excess (Groups A to D): Zero Cover: €0", kind="row"),
            scored("Damage excess (Groups E and F): Zero Cover: €0", kind="row")]
    smart = [scored("Damage excess (Groups A to D): Smart Cover: €500", kind="row"),
             scored("Damage excess (Groups E and F): Smart Cover: €800", kind="row")]
    assert unanswered(part("What's the damage excess with Zero Cover?"), zero[:1], zero + smart) is None
    assert "alike" in unanswered(part("What's the damage excess with Smart Cover?"), smart[:1], zero + smart)


def test_a_row_the_part_does_not_name_is_left_out_beside_an_answer():
    """The best unit answers; a table row ranked beside it that the part does not name is not stated with it, and
    does not make the part unanswered. A best unit that is itself an unnamed row keeps the evidence as it is (the
    check then says why)."""
    from components.answers.answerability import QUESTION_WORDS
    from components.answers.comparison_rows import without_unnamed_rows

    rule = scored("Non-refundable rates are not refunded if you cancel because of illness.")
    breakfast = scored("City hotel breakfast: Non-refundable: not included", kind="row")
    question = part("I booked a non-refundable rate and I'm ill now, can I get my money back?")
    assert without_unnamed_rows(question, [rule, breakfast], [rule, breakfast], False, QUESTION_WORDS) == [rule]
    assert without_unnamed_rows(question, [breakfast, rule], [rule, breakfast], False, QUESTION_WORDS) == \
        [breakfast, rule]


def test_what_a_customer_pays_asks_for_a_sum_that_a_distance_or_a_span_does_not_state():
    """"what do I pay for each extra hour?" asks for an amount (as "how much" does); a unit stating only hours and
    kilometres ("on a 3-day hire you can ride 300 km in total") states no sum of money, though it holds numbers."""
    from components.answers.question_analysis import answer_types

    question = part("and what do I pay for each km over that?")
    assert answer_types(question.text)[0] == "amount" and asked_value(question.text) == "amount"
    assert asked_value("What would we pay for a week?") == "amount"
    assert asked_value("Do I pay for parking?") is None                       # a yes/no question
    total = scored("Distance is counted over the whole hire: on a 3-day hire you can ride 300 km in total.")
    reason = unanswered(question, [total], [total])
    assert reason and "states none" in reason
    assert unanswered(question, [scored("Each extra km costs £0.30.")], []) is None
    # "how much" of a quantity is still answered by it ("how much luggage": 20 kg; "how many km": 300 km)
    assert unanswered(part("How many km can I ride on a 3-day hire?"), [total], [total]) is None


def test_a_time_of_day_asked_is_not_answered_by_evidence_naming_none():
    """"营地几点可以入场？" / "what time can I get into the campsite?" is not answered by a fee ("营地收费 15 欧元。"):
    no time, day or opening at all. Evidence naming a time answers; a yes/no question is not asked for a time."""
    fee = scored("营地收费 15 欧元。", language="zh")
    reason = unanswered(part("营地几点可以入场？"), [fee], [fee])
    assert reason and "time" in reason
    assert unanswered(part("what time can I get into the campsite?"), [scored("The campsite costs €15.")], []) \
        and "time" in unanswered(part("what time can I get into the campsite?"), [scored("The campsite costs €15.")], [])
    assert unanswered(part("营地几点可以入场？"), [scored("营地 14:00 起可以入场。", language="zh")], []) is None
    assert unanswered(part("what time can I get into the campsite?"), [scored("Gates open at 2pm.")], []) is None


def test_a_comparison_row_is_said_whole_when_the_part_names_none_of_its_columns():
    """"What's the excess?" names no plan: the best cell's row is one unit listing each column's value (in the
    table's order, the label once), the row's other cells leave the ranking; a part naming a column, a table of one
    column, and a best unit that is no cell keep the ranking as it was."""
    from components.answers.comparison_rows import row_together
    from components.answers.evidence_units import row_label

    def cell(text, position, doc="home"):
        unit = scored(text, kind="row", doc=doc)
        unit.unit.position = position
        return unit

    basic, standard, premium = (cell("Excess: Basic: £250", 0), cell("Excess: Standard: £150", 1),
                                cell("Excess: Premium: £0", 2))
    cover = cell("Contents cover: Basic: up to £30,000", 3)
    sentence = scored("Claims for water leaks have an excess of £400 on every level.")
    ranked = [standard, basic, sentence, premium, cover]
    together = row_together(part("What's the excess?"), ranked)
    assert [s.unit.text for s in together] == ["Excess: Basic: £250; Standard: £150; Premium: £0",
                                               sentence.unit.text, cover.unit.text]
    assert together[0].score == standard.score and row_label(together[0].unit.text) == "Excess"
    assert unanswered(part("What's the excess?"), together[:1], together) is None
    assert row_together(part("What's the excess on Premium?"), ranked) == ranked
    assert row_together(part("What's the excess?"), [sentence, *ranked]) == [sentence, *ranked]
    assert row_together(part("What's the excess?"), [basic, cover]) == [basic, cover]


def test_the_column_the_customer_names_beside_the_question_is_their_case():
    """"what interest do i get on cash? i'm on plus": the part names no plan, the sentence beside it names one
    (`QuestionPart.said`, set by the composer for a one-part question): that column's cell is kept, the other
    columns' cells leave the ranking and the row is not said whole; a statement naming two plans names no case."""
    from components.answers.comparison_rows import named_columns_only, part_columns, row_together

    def cell(text, position):
        unit = scored(text, kind="row", doc="plans")
        unit.unit.position = position
        return unit

    free, plus, premium = (cell("Interest on cash: Free: 1.0% a year", 0), cell("Interest on cash: Plus: 2.0% a year", 1),
                           cell("Interest on cash: Premium: 3.0% a year", 2))
    parts, statements = split_question("what interest do i get on cash? i'm on plus")
    assert len(parts) == 1 and statements
    asked = parts[0]
    asked.said = statements
    assert part_columns(asked, ["Free", "Plus", "Premium"]) == [1]
    ranked = named_columns_only(asked, [premium, plus, free])
    assert ranked == [plus]
    assert row_together(asked, ranked) == [plus]
    assert unanswered(asked, [plus], ranked) is None
    assert "column" in unanswered(asked, [premium], [premium, plus, free])
    undecided = part("what interest do i get on cash?")
    undecided.said = "I'm on Free and thinking of Plus."
    assert part_columns(undecided, ["Free", "Plus", "Premium"]) == []
    assert row_together(undecided, [premium, plus, free])[0].unit.text.count(":") == 4


def test_rows_a_part_names_alike_are_stated_together():
    """"the pool hours at Alderbridge" names the Indoor pool and Outdoor pool rows alike: both cells of the named
    column are stated (each says which row it is) and the part is answered; a part naming one row more than the
    others keeps its cell alone, and more than `ALIKE` rows named alike are not listed."""
    from components.answers.answerability import QUESTION_WORDS
    from components.answers.comparison_rows import rows_named_alike

    indoor = scored("Indoor pool: Alderbridge: 6:30 to 22:00", kind="row")
    outdoor = scored("Outdoor pool: Alderbridge: none", kind="row")
    gym = scored("Gym: Alderbridge: 24 hours", kind="row")
    other = scored("Outdoor pool: Saltcove: 9:00 to 19:00", kind="row")
    ranked = [indoor, gym, outdoor, other]
    question = part("what are the pool hours at alderbridge")
    assert "alike" in unanswered(question, [indoor], ranked)
    chosen = rows_named_alike(question, [indoor], ranked, False, QUESTION_WORDS)
    assert chosen == [indoor, outdoor]
    assert unanswered(question, chosen, ranked) is None
    assert rows_named_alike(part("when is the indoor pool open at alderbridge"), [indoor], ranked, False,
                            QUESTION_WORDS) == [indoor]
    kids = scored("Kids pool: Alderbridge: 9:00 to 18:00", kind="row")
    baby = scored("Baby pool: Alderbridge: 9:00 to 12:00", kind="row")
    assert rows_named_alike(question, [indoor], [indoor, outdoor, kids, baby], False, QUESTION_WORDS) == [indoor]


def test_a_cell_whose_value_says_what_the_part_asks_about_names_its_row():
    """"How much is the underground garage at Alderbridge?" names no row label ("Parking"), but the cell's value
    says the garage asked about: the row is the one asked; a value saying only some of the words is not."""
    parking = scored("Parking: Alderbridge: underground garage, €18 per night", kind="row")
    kind = scored("Type: Alderbridge: city hotel, 142 rooms", kind="row")
    assert unanswered(part("How much is the underground garage at Alderbridge?"), [parking], [parking, kind]) is None
    assert "not what the question names" in unanswered(part("How much is the valet garage at Alderbridge?"),
                                                        [parking], [parking, kind])


def test_a_chinese_value_is_asked_of_the_word_not_of_single_characters():
    """"分红多久到账？": 到 and 账 alone name nothing the evidence must share; "退款多久到账" states the time a refund
    takes, not a dividend's. Evidence naming the word, or a part of single characters only, is not stopped."""
    from components.answers.answerability import value_subject

    refund = scored("退到信用卡：需要 5 到 7 个工作日到账。", title="退款多久到账", language="zh")
    dividend = scored("分红通常在 2 个工作日内到账。", title="分红", language="zh")
    assert "something else" in value_subject(part("分红多久到账？"), [refund], set())
    assert value_subject(part("分红多久到账？"), [dividend], set()) is None
    assert value_subject(part("退款多久到账？"), [refund], set()) is None


class _Unsure(SelectionModel):
    """A selection model whose confidence is always 0.6: between the condition floor and the threshold."""
    def confidence_of(self, ranked):
        return 0.6


def _unsure_composer(margin: float, max_units: int) -> AnswerComposer:
    return AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)),
                          model=_Unsure({}, 5.0, {}, threshold=0.77, margin=margin, max_units=max_units))


def test_a_condition_the_customers_number_settles_lifts_an_unconfident_part():
    """"My dad is 76, can he still open a pension account?": the best unit states the ages the account is open to,
    which settle the customer's case (not met): positive evidence about the asked case, stated with its condition.
    Without a number of the customer's, or under the floor, the part stays unconfident."""
    from components.answers.number_conditions import asked_quantities

    composer = _unsure_composer(margin=0.0, max_units=1)
    question = "My dad is 76, can he still open a pension account?"
    parts, _ = split_question(question)
    ages = scored("You can open a Pension Account between the ages of 18 and 74.", title="Pension Account")
    other = scored("A pension can be moved to another provider.", title="Transfers")
    ranked = [ScoredUnit(ages.unit, 10.0, {}), ScoredUnit(other.unit, 8.0, {})]
    lifted = composer._choose(parts[0], ranked, [], asked_quantities(question))
    assert [e.unit.text for e in lifted.evidence] == [ages.unit.text] and lifted.condition_settled
    assert not composer._choose(parts[0], ranked, [], []).evidence
    assert not composer._choose(parts[0], [ranked[1], ranked[0]], [], asked_quantities(question)).evidence


def test_a_condition_lifts_only_a_unit_stating_the_named_case():
    from components.answers.number_conditions import asked_quantities

    composer = _unsure_composer(margin=0.0, max_units=1)
    question = "cancelled my booking at kelmouth at 9pm the day before, will i be charged?"
    parts, _ = split_question(question)
    city = scored("City hotels: cancelled after 18:00 on the day before arrival, the first night is charged.",
                  title="Cancelling")
    resort = scored("At the Kelmouth resort the first night is charged if you cancel within 3 days.",
                    title="Kelmouth resort")
    lifted = composer._choose(parts[0], [ScoredUnit(city.unit, 10.0, {}), ScoredUnit(resort.unit, 8.0, {})], [],
                              asked_quantities(question))
    assert not lifted.evidence and not lifted.condition_settled


def test_a_part_lifted_by_its_condition_states_only_the_unit_that_settles_it():
    from components.answers.number_conditions import asked_quantities

    composer = _unsure_composer(margin=5.0, max_units=3)
    question = "I cancelled at 9pm the evening before arrival, will I be charged?"
    parts, _ = split_question(question)
    city = scored("City hotels: after 18:00 on the day before arrival, we charge the first night.", title="Late")
    resort = scored("Resorts: within 7 days of arrival, we charge the first 2 nights.", title="Late")
    both = scored(f"{city.unit.text} {resort.unit.text}", title="Late")
    ranked = [ScoredUnit(city.unit, 10.0, {}), ScoredUnit(both.unit, 9.9, {}), ScoredUnit(resort.unit, 9.5, {})]
    lifted = composer._choose(parts[0], ranked, [], asked_quantities(question))
    assert [e.unit.text for e in lifted.evidence] == [city.unit.text]


def test_a_row_label_counting_its_value_per_period_is_named_by_each_or_every():
    """"per month" in a row label says how its value is counted, not which row it is: "How many free tickets do I get
    each month on Gold?" names the row "Free cinema and theatre tickets per month" (two of its four words) as much as
    "… per month" would; another row of the table is still not named by it."""
    from components.answers.answerability import QUESTION_WORDS
    from components.answers.comparison_rows import label_named, unnamed_row
    from components.answers.evidence_selection import terms

    asked = set(terms("How many free tickets do I get each month on Gold?"))
    assert label_named("Free cinema and theatre tickets per month", asked, True, QUESTION_WORDS) >= 0.5
    assert label_named("Guest passes per visit", asked, True, QUESTION_WORDS) == 0.0
    cell = scored("Free cinema and theatre tickets per month: Gold: 4", kind="row", title="Plans")
    other = scored("Guest passes per visit: Gold: 2", kind="row", title="Plans")
    question = part("How many free tickets do I get each month on Gold?")
    assert unnamed_row(question, [cell], [cell, other], True, QUESTION_WORDS) is None
    assert unnamed_row(question, [other], [cell, other], True, QUESTION_WORDS) is not None


def test_a_value_is_asked_of_a_word_of_the_same_family():
    """"How long until you make a decision?" is answered by "We decide on your claim within 10 working days": the
    question's noun and the evidence's verb are one family (word_families.py); a duration about another thing
    is still stopped."""
    from components.answers.answerability import value_subject

    decide = scored("We decide on your claim within 10 working days of receiving every document.", title="Claims")
    repair = scored("Repairs are booked within 10 working days.", title="Repairs")
    assert value_subject(part("How long until you make a decision?"), [decide], set()) is None
    assert "something else" in value_subject(part("How long until you make a decision?"), [repair], set())
    share = scored("Open an Easy Saver account with a $5 membership share.", title="Joining")
    assert value_subject(part("How much do I need to put in to become a member?"), [share], set()) is None


@pytest.mark.parametrize("derived, base", [("decision", "decide"), ("membership", "member"), ("renewal", "renew"),
                                           ("payment", "pay"), ("insurance", "insure"), ("failure", "fail")])
def test_word_families_fold_derivations(derived, base):
    from components.answers.evidence_selection import terms
    from components.answers.word_families import share_a_family

    assert share_a_family(terms(derived), terms(base))
    assert not share_a_family(terms(derived), terms("refund"))


def test_a_number_word_or_a_free_span_of_time_is_no_sum_of_money():
    from components.answers.answerability import no_value

    # "How much is X?" asks for money; "about two months free" says how long is saved, not what X costs
    yearly = scored("Standard and Premium can be paid for a year in advance at the yearly price, which is about two "
                    "months free compared with paying monthly.", title="Plans › Paying yearly")
    assert no_value(part("How much is Premium for a year?"), [yearly])
    assert no_value(part("What does Premium cost for a year?"), [yearly])
    assert no_value(part("How much is Premium for a year?"),
                    [scored("Yearly price: Premium: €149.90", kind="row")]) is None
    # free of charge, a free trial and a number word asked for by a count are answers
    assert no_value(part("How much does delivery cost?"), [scored("Delivery is free on every order.")]) is None
    assert no_value(part("How much is the trial?"), [scored("New members get a 7-day free trial.")]) is None
    assert no_value(part("How many screens can I use?"), [scored("You can watch on two screens at once.")]) is None


def test_a_chinese_price_question_is_not_answered_by_a_count():
    """"多少钱" asks for a sum: a row stating a count ("5 次", "3 个月") or a count of free things ("免费交易次数") is no
    price; a sum in 欧元 or 人民币 is, and so is free of charge."""
    from components.answers.answerability import no_value

    trades = scored("每月免费交易次数：Plus: 5 次", kind="row", language="zh")
    assert no_value(part("Plus 每月多少钱？"), [trades])
    assert no_value(part("合同最短要签多久？费用是多少？"), [scored("固定座位：最短 3 个月。", language="zh")])
    assert no_value(part("Plus 每月多少钱？"), [scored("价格：Plus: 每月 5 欧元", kind="row", language="zh")]) is None
    assert no_value(part("托管一天多少钱？"), [scored("托管每天 100 人民币。", language="zh")]) is None
    assert no_value(part("每月能交易几次？"), [trades]) is None
    assert no_value(part("取消要多少钱？"), [scored("开课前取消免费。", language="zh")]) is None


def test_the_heading_topic_said_in_every_chinese_clause_does_not_make_one_another_case():
    """Under "冻结服务" every clause speaks of 冻结 (the heading's topic, so not counted as asked): that shared topic word
    does not make the rule of how often and how long ("每 6 个月可以冻结一次，冻结 1 到 3 个完整的自然月") another case's
    figure to drop beside the fee; the whole rule stays for the checks to read (invented wording)."""
    text = "\n".join(["只有标准账户和高级账户可以冻结，企业账户不能冻结。", "每 6 个月可以冻结一次，冻结 1 到 3 个完整的自然月。",
                      "冻结标准账户免费。冻结高级账户需每月 5 欧元。"])
    unit = scored(text, kind="list", title="账户 › 冻结服务", language="zh")
    assert "每 6 个月可以冻结一次" in focus_items(unit, "我想冻结高级账户两个月，要收费吗？").unit.text


def test_a_row_whose_condition_holds_for_the_customers_number_is_their_row():
    """"my food was 25 minutes late … do i get anything?" names no row of the late-delivery table, but its 25 minutes
    meet "Late by more than 15 minutes" and not "… 30 minutes": that row is theirs. 45 minutes meet both (named
    alike: unknown), and no number or one meeting no row leaves the row unnamed."""
    title = "Late deliveries › What you get when an order is late"
    rows = [scored("Late by more than 15 minutes: Without Plus: nothing; With Plus: €5 credit", kind="row", title=title),
            scored("Late by more than 30 minutes: Without Plus: the delivery fee back; With Plus: €5 credit and the "
                   "delivery fee back", kind="row", title=title)]
    asked = part("do i get anything?")
    assert unanswered(asked, rows[:1], rows, statements="my food was 25 minutes late, i don't have plus.") is None
    assert "not what the question names" in unanswered(asked, rows[1:], rows, statements="it was 25 minutes late.")
    assert "alike" in unanswered(asked, rows[:1], rows, statements="my food was 45 minutes late.")
    assert unanswered(asked, rows[:1], rows, statements="my food was late.")
    assert unanswered(asked, rows[:1], rows, statements="my food was 10 minutes late.")


def test_a_chinese_word_said_verbatim_is_the_subject_however_it_is_cut():
    """"Plus 按年付多少钱？" (按年付) is answered by "按年付费：Plus 每年 50 欧元" though the segmenter cuts it 按年 + 付费;
    a clause without the word ("每年额度为 20,000 欧元") still is not."""
    from components.answers.question_analysis import QuestionPart

    # the part as the pipeline reads it, with its English gloss (whose "Plus" is a name, not a subject)
    asked = QuestionPart("Plus 按年付多少钱？", "amount", ["amount"], "zh", gloss="Plus year pay money")
    yearly = scored("按年付费：Plus 每年 50 欧元。", title="会员方案与费用", language="zh")
    assert value_subject(asked, [yearly], set()) is None
    allowance = scored("每年额度为 20,000 欧元，未用完的额度不能转入下一年。", title="免税储蓄账户", language="zh")
    assert value_subject(asked, [allowance], set())


def test_a_person_the_customer_speaks_of_is_no_subject_the_documents_must_name():
    """"我儿子 8 岁，加床多少钱？": the son is the customer's story (the documents say 儿童), not a thing asked about."""
    from components.answers.answerability import chinese_nouns

    assert "儿子" not in chinese_nouns("我儿子 8 岁，加床多少钱？")
    assert "女儿" not in chinese_nouns("我女儿可以一起参加课程吗？")
    assert "支付宝" in chinese_nouns("我可以用支付宝吗？")


def test_a_count_of_things_or_a_trial_is_no_price():
    pass_unit = scored("The Live Sports Pass is paid monthly. There is no yearly price and no free trial. Live sport "
                       "can play on at most 2 screens at the same time. Quality: 4K on Premium.",
                       title="Live Sports Pass")
    asked = part("how much is the live sports pass if i'm on standard?")
    assert unanswered(asked, [pass_unit], [pass_unit]) == "asks for an amount; the evidence states none"
    pence = scored("Electricity standing charge: Fix 24: 49.8p a day.")
    assert unanswered(part("What's the daily standing charge on Fix 24?"), [pence], [pence]) is None
    trial = scored("Standard comes with a 7-day free trial.")
    assert unanswered(part("how much is the trial?"), [trial], [trial]) is None


def test_a_part_naming_only_a_new_thing_asks_the_value_the_part_before_asked():
    from components.answers.answerability import value_asked_before

    parts = split_question("次日达几点前下单？冷链药品呢？")[0]
    assert [p.text for p in parts] == ["次日达几点前下单？", "冷链药品呢？"]
    no_time = scored("冷链药品只能选择次日达，不提供标准配送和当日达。", language="zh")
    cut_off = scored("冷链药品只能选择次日达。周一至周四 13:00 前下单。", language="zh")
    assert value_asked_before(parts[1], [no_time], parts[0]) == \
        "goes on from “次日达几点前下单？”, which asks for a time; the evidence states none"
    assert value_asked_before(parts[1], [cut_off], parts[0]) is None


def test_a_passage_stating_another_figure_is_no_repeat_of_an_earlier_parts_sentence():
    from components.answers.composer import _states_more_figures

    parts = split_question("when will you confirm you got my complaint, and how long until i get an answer?")[0]
    first = scored("We confirm that we have your complaint within 2 working days.")
    passage = scored("We confirm that we have your complaint within 2 working days. We send you our answer within "
                     "15 working days.")
    assert _states_more_figures(parts[1], passage, [first])
    assert not _states_more_figures(parts[1], first, [first])


def test_a_when_question_is_not_answered_by_a_unit_saying_no_when():
    definition = scored("An upgrade is a move to a plan with a higher monthly price, for example from Basic to Pro.")
    starts = scored("An upgrade starts from the next day.")
    asked = part("if I upgrade from basic to pro, when does it start?")
    assert unanswered(asked, [definition], [definition]) == "asks when; the evidence says no time"
    assert unanswered(asked, [starts], [starts]) is None
    billing = scored("Downgrades take effect from your next billing date.")
    assert unanswered(part("If I downgrade my plan, when does it change?"), [billing], [billing]) is None


def test_a_chinese_how_many_months_with_ma_still_asks_a_duration():
    asked = part("会员可以暂停几个月吗？")
    assert asked_value(asked.text) == "duration"
    trial = scored("试用结束后自动转为按月付费的方案，我们会在试用结束前 2 天发邮件提醒你。", title="会员 › 免费试用",
                   language="zh")
    pause = scored("每 12 个月可以暂停一次，暂停 1 或 2 个月。", title="会员 › 暂停会员", language="zh")
    assert unanswered(asked, [trial], [trial]).startswith("asks for a duration about")
    assert unanswered(asked, [pause], [pause]) is None


def test_which_options_needs_the_best_unit_to_list_them():
    one = scored("You need to give a payment method to pay or receive the price difference.")
    purposes = scored("When you use a gift card to pay for an order, for a price difference or for a payment change, "
                      "it must have enough balance.")
    assert unanswered(part("What can I pay with?"), [one, purposes], [one, purposes]) == \
        "asks which options there are; the evidence lists none"
    listed = scored("We accept credit cards, PayPal and gift cards.")
    assert unanswered(part("What can I pay with?"), [listed, one], [listed, one]) is None
def test_how_much_of_a_thing_is_answered_by_a_number_of_it():
    """"How much printing is included with Flex?" asks a quantity, not a sum: "100 printed pages a month" states it,
    though the unit's only sum ("Extra days cost €20 each") is about something else; a unit with no number of the
    thing is still stopped, and "how much cash" stays a sum."""
    flex = scored("Flex includes 4 meeting-room credits, 2 guest passes and 100 printed pages a month. Extra days "
                  "cost €20 each and are booked in the app.", kind="list", title="Membership plans › Flex")
    days = scored("Flex includes 4 meeting-room credits and 2 guest passes. Extra days cost €20 each.", kind="list",
                  title="Membership plans › Flex")
    assert value_subject(part("how much printing is included with flex"), [flex], set()) is None
    assert "something else" in value_subject(part("how much printing is included with flex"), [days], set())
    counter = scored("Card replacement is free. Cash withdrawals: up to 500 cash a day; notary fee $20.",
                     title="What each branch offers")
    assert value_subject(part("How much cash can I withdraw at the counter?"), [counter], set()) is not None


def test_a_heading_naming_the_parts_matter_is_the_right_section():
    """"how late can I cancel a large room booking?" stated from "Cancelling and not showing up": that heading names
    the part's matter (cancel), and "booking" only says what is cancelled, though "Booking" heads another section;
    "Lockers" names nothing of "do you have towels …?" and stays the wrong section."""
    cancelling = scored("Large rooms and the Event hall: free cancellation up to 72 hours before the start.",
                        title="Meeting rooms › Cancelling and not showing up", doc="rooms")
    booking = scored("You can reserve a room in the app or at reception.", title="Meeting rooms › Booking", doc="rooms")
    question = part("how late can i cancel a large room booking without paying?")
    from components.answers.answerability import other_section
    assert other_section(question, [cancelling], [cancelling, booking]) is None
    lockers = scored("Day lockers are free; bring your own padlock.", title="Club rules › Lockers", doc="club")
    towels = scored("Members can rent a towel for $2.", title="Club rules › Towels", doc="club")
    assert "Towels" in other_section(part("do you have towels or do I bring my own?"), [lockers], [lockers, towels])


def test_months_with_words_between_count_as_the_numbered_months():
    """"暂停 1 或 2 个完整的自然月" names the 2 months asked ("暂停固定工位2个月"), not only "每 12 个月"; a rule naming
    other months only is still another variant."""
    from components.answers.answerability import other_variant
    pause = scored("每 12 个月可以暂停一次，暂停 1 或 2 个完整的自然月。暂停固定工位并保留工位需每月 60 欧元。", language="zh")
    assert other_variant(part("我想暂停固定工位2个月，要收费吗？"), [pause]) is None
    year = scored("每 12 个月可以暂停一次，最多暂停 3 个完整的自然月。", language="zh")
    assert other_variant(part("我想暂停固定工位2个月，要收费吗？"), [year]) is not None


def test_a_rule_drawn_by_the_time_of_day_holds_on_the_asked_day():
    """"at 3pm on a Tuesday" against "requested after 14:00, or at the weekend …": the time-of-day rule holds on a
    Tuesday; without a time asked, the weekend rule is still another day's."""
    from components.answers.answerability import other_day
    late = scored("Withdrawals requested after 14:00, or at the weekend or on a public holiday, are paid within 2 "
                  "working days.", title="Withdrawing money › How long it takes")
    assert other_day(part("If I ask for a withdrawal at 3pm on a Tuesday, when do I get the money?"), [late]) is None
    assert other_day(part("If I ask for a withdrawal on a Tuesday, when do I get the money?"), [late]) is not None


def test_the_named_sections_unit_answers_when_another_sections_ranks_first():
    """"do you have towels …?" whose best unit is the "Lockers" section's is ranked again without it when the
    "Towels" section's unit stands near; not when that unit stands far down or no section is named."""
    from components.answers.answerability import other_section_ranking
    lockers = scored("Day lockers are free; bring your own padlock.", title="Club rules › Lockers", doc="club")
    towels = scored("Members can rent a towel for $2 at the front desk.", title="Club rules › Towels", doc="club")
    other = [scored(f"Rule {i} of the club.", title=f"Club rules › Rule {i}", doc="club") for i in range(4)]
    question = part("do you have towels or do I bring my own?")
    assert other_section_ranking(question, [lockers, towels, *other])[0] is towels
    assert other_section_ranking(question, [lockers, *other, towels]) is None
    assert other_section_ranking(question, [towels, lockers, *other]) is None


def test_the_next_unit_of_the_section_answers_when_the_best_only_repeats_the_question():
    """"how does the waiting list work?" whose best unit only repeats it ("you can join the waiting list") is ranked
    again from the same section's next unit ("If a spot opens, you get a notification …"); not from another
    section's unit, nor from one standing further down."""
    from components.answers.answerability import echo_ranking
    repeat = scored("When a class is full you can join the waiting list.", title="Group classes › Waiting list")
    opens = scored("If a spot opens, you get a push notification and have 30 minutes to confirm it.",
                   title="Group classes › Waiting list")
    booking = scored("Book in the app up to 7 days ahead.", title="Group classes › Booking")
    question = part("The class is full - how does the waiting list work?")
    assert echo_ranking(question, [repeat, opens, booking])[0] is opens
    assert echo_ranking(question, [repeat, booking, opens]) is None
    assert echo_ranking(question, [opens, repeat]) is None
def test_a_declined_chinese_value_about_something_else_is_asked_of_the_english_units():
    """"搬家要提前几天通知你们？": the Chinese unit naming 搬家 states another notice period (a check declines it); the
    English units, ranked as the English question the gloss spells, may hold it. A best unit stating no value of the
    kind asked is no reason to look elsewhere (its question is the documents' own words)."""
    from components.answers.cross_language import Gloss

    model = SelectionModel({"words": 4.0}, -2.0, {"words": 4.0}, threshold=0.5, margin=0.0, max_units=1)
    composer = AnswerComposer(object(), lambda texts: np.zeros((len(texts), 2)), model=model)
    asked = part("搬家要提前几天通知你们？")
    other = scored("调价前至少提前 30 天通知。搬家时可以把方案带到新家。", language="zh")
    moving = scored("Tell us at least 2 working days before you move home.", title="Moving home")
    bills = scored("Bills are sent every month.", title="Bills")
    gloss = Gloss([("搬家", ["move home"]), ("提前", ["before"])])
    units = [other.unit, moving.unit, bills.unit]
    counts = {t: 1 for u in units for t in terms(f"{u.text} {u.context}")}
    ranked = composer._english_when_chinese_declined(asked, units, [other], gloss, counts)
    assert ranked and ranked[0].unit is moving.unit
    assert all(r.unit.language != "zh" for r in ranked)
    no_period = scored("搬家时可以把方案带到新家。", language="zh")
    assert composer._english_when_chinese_declined(asked, units, [no_period], gloss, counts) == []
