"""Question analysis, evidence units and question-or-request routing (pure parts of components/answers and dialogue)."""
from __future__ import annotations

import pytest

from components.answers.evidence_units import row_label, units_from_hit
from components.answers.followups import is_followup, resolve_followup
from components.answers.question_analysis import answer_types, split_question
from components.dialogue.message_kind import classify_message, every_part_asks
from components.knowledge.types import Hit

PRODUCTS = ("t-shirt", "t恤", "kettle", "headphones", "office chair", "smartphone", "phone", "手机", "water bottle")


def names_product(text: str) -> bool:
    return any(p in text.lower() for p in PRODUCTS)


@pytest.mark.parametrize("text, kind", [
    # information questions: the policy answers them (the chat tab's own examples among them)
    ("Can I cancel an order that was already delivered?", "question"),
    ("How do I return an order?", "question"),
    ("订单可以取消吗？", "question"),
    ("怎么退货？", "question"),
    ("退款需要多长时间？", "question"),
    ("Is it still possible to cancel an order after it has shipped?", "question"),
    ("Can I return items from an order that hasn't arrived yet?", "question"),
    ("What reasons can I pick when cancelling?", "question"),
    ("How many times can I exchange?", "question"),
    ("Do I need to place a new order for the replacement item when I exchange?", "question"),
    # a product word in a policy question is no stock question
    ("What is your return policy? I bought headphones last week and they don't fit.", "question"),
    ("Can I exchange a t-shirt for a different size?", "question"),
    ("What hours is your phone support line open?", "question"),
    # requests to act on the customer's own order or account
    ("cancel #W1234567", "request"),
    ("Where is my order?", "request"),
    ("I want to return my headphones", "request"),
    ("Can you cancel my order please", "request"),
    ("我想取消订单", "request"),
    ("帮我查一下我的订单", "request"),
    ("my email is emma.smith3991@example.com", "request"),
    ("Can I talk to a person?", "request"),
    ("Can I talk to a human agent on a Saturday?", "question"),
    ("周末能找人工客服吗？", "question"),
    ("And what is my gift card balance?", "request"),
    ("我的礼品卡余额是多少？", "request"),
    # stock and price questions name a product
    ("Do you have the t-shirt in size L?", "stock_question"),
    ("How much is the office chair?", "stock_question"),
    ("How much are the headphones right now?", "stock_question"),
    # the product word modifies what is asked about (held-out: a telecom's phone insurance got a stock list)
    ("How much is phone insurance for a €1,000 phone, and what's the excess?", "question"),
    ("How much is the phone support line?", "question"),
    ("这件 t-shirt 有M码吗", "stock_question"),
    ("Is the kettle available?", "stock_question"),
    ("T恤有蓝色的吗？", "stock_question"),
    ("我想买一部手机，多少钱？", "stock_question"),
    ("手机多少钱？", "stock_question"),
    ("手机黑色的多少钱？", "stock_question"),                # a variant beside the product: still its price
    ("how much does it cost to buy a phone?", "stock_question"),
    ("can you tell me how much the office chair costs?", "stock_question"),
    ("What's the status of order #W12345?", "request"),
    ("订单W5918442可以取消吗？", "request"),  # its order number right beside Chinese characters (once a question)
    # acting for someone else: the one-customer policy answers (the desk helps one verified customer)
    ("Can you cancel my husband's order for him? He's busy.", "question"),
    ("I need to return my mom's package, order #W1234567", "question"),
    ("帮我老公取消订单", "question"),
    ("我妈妈的订单能帮她退货吗？", "question"),
    ("I bought a gift for my wife, where is my order?", "request"),
    # the customer's own device is no product on sale
    ("How much does it cost to use my phone in Switzerland?", "question"),
    ("going to turkey next week, can i use my phone there and how much", "question"),
    ("在美国用手机每天多少钱？", "question"),
    # a question about what the business pays or covers is a question, also after the customer's own story with "my"
    ("my bag didn't arrive and I need to buy toiletries and a shirt. will you pay for that?", "question"),
    ("the wheel on my suitcase was broken on the flight, will you pay to fix it?", "question"),
    ("my order arrived broken, will you pay for the return shipping?", "question"),
    ("你们会赔偿吗？", "question"),
    # ... but not when something before it asks the desk to act, nor a plain request
    ("I need to cancel my order. will you pay the fee?", "request"),
    ("Can you cancel my order please", "request"),
    ("will you refund my order?", "request"),
    # a change only a pending order allows, of an order the customer says is already shipped or delivered: the policy
    ("My package was already delivered to the wrong place, can you change the shipping address on that order?",
     "question"),
    ("I want to cancel my order, it has been shipped already", "question"),
    ("订单已经发货了，能帮我改地址吗？", "question"),
    # not yet shipped, or a return (which needs a delivered order): the desk
    ("it hasn't been shipped yet, can you cancel my order?", "request"),
    ("I want to return my order, it was delivered yesterday", "request"),
    ("#W1234567 was already delivered, change its address to 12 Oak Road", "request"),
])
def test_question_or_request(text, kind):
    got = classify_message(text, names_product=names_product)
    assert got.kind == kind, got.reason
    assert got.reason


def test_a_statement_going_on_from_a_knowledge_question_is_about_it():
    text = "ok. and my name is misspelled on it, 2 letters are wrong"
    assert classify_message(text).kind == "request"  # with no question before it, the desk may take a statement
    assert classify_message(text, after_question=True).kind == "question"
    # a request or an identity still goes to the desk after a question
    assert classify_message("and my email is emma.smith3991@example.com", after_question=True).kind == "request"
    assert classify_message("and I want to cancel my order", after_question=True).kind == "request"
    assert classify_message("yes please", after_question=True).kind == "request"
    assert classify_message("and my refund went to the wrong card", after_question=True).kind == "request"


@pytest.mark.parametrize("text, asks", [
    ("When will my card refund arrive? and can I get it in cash instead?", True),
    ("我的退款什么时候到？可以退现金吗？", True),
    ("Where is my order? and can I cancel it?", False),       # where it is: the desk looks it up
    ("When will my refund for #W1234567 arrive? Can I get cash?", False),  # an order named
    ("cancel my order. how long does a refund take?", False),  # an imperative part
    ("When will my refund arrive?", False),                    # one part
])
def test_every_part_asks(text, asks):
    assert every_part_asks(text, names_product) is asks


def test_no_offer_for_a_change_the_order_is_past():
    assert classify_message("My order was already shipped, can you change the address?").topic is None
    # asked as a question, the policy answers and the offer follows, as for every question
    assert classify_message("Can I cancel an order that was already delivered?").topic == "cancel_order"


def test_the_topic_of_a_question_names_the_offer():
    assert classify_message("Can I cancel an order after it shipped?").topic == "cancel_order"
    assert classify_message("怎么退货？").topic == "return_items"
    assert classify_message("How many times can I exchange?").topic == "exchange"


@pytest.mark.parametrize("text, wanted, not_wanted", [
    ("How much notice do I get of a planned power cut?", "duration", "amount"),
    ("how much time do I have to send it back", "duration", "amount"),
    ("how far in advance can I book a class?", "duration", None),
    ("how much is the fee", "amount", None),
])
def test_how_much_notice_asks_for_a_duration(text, wanted, not_wanted):
    types = answer_types(text)
    assert wanted in types and (not_wanted is None or not_wanted not in types), types


@pytest.mark.parametrize("text, parts, types", [
    ("Do gift cards expire? And can I use mine in your physical stores?", 2, [["duration", "yes_no"], ["yes_no"]]),
    ("Which payment methods do you accept? Can I pay with Apple Pay?", 2, [["options"], ["yes_no"]]),
    ("你们支持哪些付款方式？可以用支付宝吗？", 2, [["options"], ["yes_no"]]),
    ("付款可以用什么？", 1, [["options"]]),   # "what can I pay with?"
    ("What is your return policy? I bought headphones last week and they don't fit.", 1, [[]]),
    ("How long does a refund take", 1, [["duration"]]),
    ("How much is the annual fee of the Gold card?", 1, [["amount"]]),
    ("When is the Lisbon store open on Monday?", 1, [["time"]]),
])
def test_split_question(text, parts, types):
    got, statements = split_question(text)
    assert len(got) == parts
    for part, wanted in zip(got, types):
        for t in wanted:
            assert t in part.types, (part.text, part.types)
    if "headphones" in text:
        assert "headphones" in statements and "headphones" not in got[0].text


@pytest.mark.parametrize("text, previous, subject_terms, expected_words", [
    ("And for the Gold card?", "What is the annual fee of the Silver card?", ["silver"], ["Gold", "annual fee"]),
    ("What about Porto?", "When is the Lisbon store open on Sunday?", ["lisbon"], ["Porto", "open on Sunday"]),
    ("那退款呢？", "取消订单需要多长时间？", [], ["退款", "多长时间"]),
])
def test_followups_reuse_the_previous_question(text, previous, subject_terms, expected_words):
    assert is_followup(text)
    question, info = resolve_followup(text, previous, subject_terms)
    assert info is not None and info["previous"] == previous
    for word in expected_words:
        assert word in question
    assert "Silver" not in question and "Lisbon" not in question


def test_a_full_question_is_no_followup():
    assert not is_followup("And can I use my gift card in your physical stores, and how long do refunds take?")
    question, info = resolve_followup("How long do refunds take?", "What is the fee?", [])
    assert info is None and question == "How long do refunds take?"


def hit(text, **meta):
    return Hit("c#0", "doc", meta.pop("title", "Doc"), text, 0.8, metadata=meta)


def test_units_drop_scaffolding_and_customer_phrasings():
    faq = units_from_hit(hit("Q: How long do refunds take?\nA: Refunds take 5 to 7 business days.", kind="qa",
                             question="How long do refunds take?", answer="Refunds take 5 to 7 business days."))
    assert faq[0].text == "Refunds take 5 to 7 business days." and faq[0].source_title == "How long do refunds take?"
    article = units_from_hit(hit("Question: How can I cancel?\nAnswer: **An order can be cancelled** while pending.",
                                 heading_path=["Cancelling an order", "Which orders can be cancelled"],
                                 doc_title="Cancelling an order"))
    assert [u.text for u in article] == ["An order can be cancelled while pending."]
    assert article[0].source_title == "Cancelling an order › Which orders can be cancelled"
    assert "How can I cancel?" in article[0].context
    phrasings = units_from_hit(hit("- Canceling order\n- Order cancellation",
                                   heading_path=["How do I cancel my order?", "Other ways customers ask this"]))
    assert phrasings == []


def test_units_keep_lists_whole_and_table_rows():
    listed = units_from_hit(hit("The shop accepts three kinds of payment methods:\n- Credit card,\n- PayPal,\n"
                                "- Gift card.", heading_path=["Payment methods"]))
    whole = [u for u in listed if u.kind == "list"]
    assert whole and "Credit card" in whole[0].text and "Gift card" in whole[0].text
    rows = units_from_hit(hit("Card: Gold; Annual fee: $95; Cashback: 1.5%", heading_path=["Card fees"]))
    assert rows[0].kind == "row" and "$95" in rows[0].text


def test_a_lead_in_is_context_of_the_table_under_it_not_evidence():
    units = units_from_hit(hit("Both stores change their hours over the holidays:\n"
                               "Date: 25 December; Lisbon store: closed; Porto store: closed\n"
                               "Date: 26 December; Lisbon store: 12:00 to 18:00; Porto store: closed",
                               heading_path=["Holiday hours"]))
    assert [u.kind for u in units] == ["row", "row"]
    assert all("holidays" in u.context for u in units)
    # a lead-in that nothing follows is said after all
    alone = units_from_hit(hit("You can be verified in one of two ways:", heading_path=["Identity"]))
    assert [u.text for u in alone] == ["You can be verified in one of two ways:"]


@pytest.mark.parametrize("text, previous, subject_terms, expected", [
    ("And the Porto one?", "What time does the Lisbon store close on Saturday?", ["lisbon", "saturday"],
     "What time does the Porto store close on Saturday?"),
    ("And on Sunday?", "What time does the Lisbon store close on Saturday?", ["lisbon", "saturday"],
     "What time does the Lisbon store close on Sunday?"),
    ("And for the Gold card?", "What is the annual fee of the Silver card?", ["silver"],
     "What is the annual fee of the Gold card?"),
])
def test_a_followup_swaps_the_term_of_its_own_kind(text, previous, subject_terms, expected):
    assert resolve_followup(text, previous, subject_terms)[0] == expected


def test_two_questions_in_one_sentence_are_two_parts():
    parts, statements = split_question("What's the Gold card's annual fee, and is it available as a metal card?")
    assert [p.text for p in parts] == ["What's the Gold card's annual fee?", "is it available as a metal card?"]
    assert parts[0].context == "" and "Gold card" in parts[1].context and statements == ""
    assert parts[0].answer_type == "amount" and "yes_no" in parts[1].types
    # the clause before a question that is no question itself is not a part
    one, _ = split_question("I bought headphones last week and they don't fit, what's your return policy?")
    assert len(one) == 1
    assert split_question("What's your customer service number?")[0][0].answer_type == "phone"


def test_a_chinese_fragment_belongs_to_the_question_before_it():
    parts, _ = split_question("金卡在国外刷卡有手续费吗？多少？")
    assert [p.text for p in parts] == ["金卡在国外刷卡有手续费吗？ 多少？"] and "amount" in parts[0].types
    assert len(split_question("取消要多久？退款呢？")[0]) == 2
    assert "yes_no" in split_question("微信支付行不行？")[0][0].types


def test_a_greeting_or_filler_before_the_question_is_no_part_of_it():
    from components.answers.question_analysis import split_question, without_opener

    assert without_opener("hey so like how much cashback do i get with silver rewards") == \
        "how much cashback do i get with silver rewards"
    assert without_opener("hi, quick one - does the Classic card have an annual fee") == \
        "does the Classic card have an annual fee"
    assert without_opener("你好，请问年费是多少？") == "年费是多少？"
    # a word that may begin a real question stays ("Like the Gold card, ...", "Well water ...")
    assert without_opener("Like the Gold card, does Silver have insurance?").startswith("Like the Gold card")
    assert without_opener("Well water?") == "Well water?"
    assert without_opener("Hello") == "Hello"  # nothing else: the text itself
    parts, _ = split_question("um ok so can i return it")
    assert [p.text for p in parts] == ["can i return it"]


@pytest.mark.parametrize("text, kind", [
    # customers' own wording: a "please" before the question, thanks after it, no punctuation at all
    ("pls how do i return stuff i ordered??", "question"),
    ("please is it still possible to cancel an order after it has shipped?", "question"),
    ("It's been more than 7 business days and my card refund still hasn't shown up. What should I do? thx", "question"),
    ("i changed the color of a mug in my pending order can i still cancel the order now", "question"),
    ("if i cancel a pending order do i get the whole amount back or only part of it", "question"),
    ("its been 7 days and my refund still hasnt shown up what should i do", "question"),
    ("退款要多久？谢谢", "question"),
    ("pls the bigger size of the jacket costs more, how do I pay the difference when I exchange it?", "question"),
    ("pls and for an international wire?", "question"),
    ("pls can you cancel my order", "request"),
    # still requests
    ("please cancel my order", "request"),
    ("pls cancel my order thx", "request"),
    ("my order is late", "request"),
    ("this is the third time i ask", "request"),
    ("thanks", "request"),
])
def test_courtesy_and_missing_punctuation_do_not_change_the_kind(text, kind):
    assert classify_message(text).kind == kind


@pytest.mark.parametrize("text, parts", [
    ("do gift cards expire and can i use mine in your physical stores",
     ["do gift cards expire?", "can i use mine in your physical stores"]),
    ("which payment methods do you accept can i pay with apple pay",
     ["which payment methods do you accept?", "can i pay with apple pay"]),
    ("how many days do i have to return something after delivery",
     ["how many days do i have to return something after delivery"]),
    ("is there a fee when you do it", ["is there a fee when you do it"]),
    ("pls how long does a refund take? thx", ["how long does a refund take?"]),
    ("does my cashback expire what happens to it if i close my card",
     ["does my cashback expire?", "what happens to it if i close my card"]),
    ("i lost my key fob how much is a new one also how long is the password reset link valid",
     ["i lost my key fob how much is a new one?", "how long is the password reset link valid"]),
    ("你们支持哪些付款方式 可以用支付宝吗", ["你们支持哪些付款方式", "可以用支付宝吗"]),
    ("我买的 T 恤太小了，可以换大一码吗？", ["我买的 T 恤太小了，可以换大一码吗？"]),
])
def test_questions_typed_without_punctuation_are_split_into_their_parts(text, parts):
    assert [p.text for p in split_question(text)[0]] == parts


@pytest.mark.parametrize("text", [
    "How much emergency medical cover abroad do I get with Gold Rewards?",
    "how much emergency medical cover abroad do i get with gold rewards",
    "What's the monthly fee on Everyday Checking and how do I avoid it?",   # punctuated: as before, one part
])
def test_the_start_of_a_question_is_no_part_of_its_own(text):
    assert [p.text for p in split_question(text)[0]] == [text]


def test_a_statement_opening_with_a_negation_is_context_not_a_part():
    """"can't do it anymore" opens like "can …?" but states something: it qualifies the question after it."""
    parts, statements = split_question("I booked a course but can't do it anymore, it hasn't started yet. "
                                       "can I get my money back?")
    assert [p.text for p in parts] == ["can I get my money back?"]
    assert "hasn't started yet" in statements
    assert [p.text for p in split_question("Why can't I log in?")[0]] == ["Why can't I log in?"]


def test_a_question_word_after_its_preposition_starts_a_part():
    parts, _ = split_question("How much does click and collect cost, and from what order value is it free?")
    assert [p.text for p in parts] == ["How much does click and collect cost?", "from what order value is it free?"]
    assert "click and collect" in parts[1].context


@pytest.mark.parametrize("text, parts", [
    ("When is my credit card payment due and what's the minimum I have to pay?",
     ["When is my credit card payment due?", "what's the minimum I have to pay?"]),
    ("Can I return a sale item and how long do I have?", ["Can I return a sale item?", "how long do I have?"]),
    ("How long is a long appointment and what does it cost without insurance?",
     ["How long is a long appointment?", "what does it cost without insurance?"]),
    # "what's" carries its verb when a question asking a value of its own follows
    ("What's the late fee on Gold and how many days do I have to pay?",
     ["What's the late fee on Gold?", "how many days do I have to pay?"]),
    ("what's the trial price and how often can I take it?", ["what's the trial price?", "how often can I take it?"]),
    # the alternatives of one question: one part
    ("do you have towels or do I bring my own?", ["do you have towels or do I bring my own?"]),
    # no complete question before the "and"
    ("Where can I see what's in my order?", ["Where can I see what's in my order?"]),
])
def test_two_questions_joined_by_and_without_a_comma_are_two_parts(text, parts):
    assert [p.text for p in split_question(text)[0]] == parts


def test_the_statements_around_a_question_join_its_meaning():
    from components.answers.composer import _meaning_queries

    parts, statements = split_question("I booked a course but can't do it anymore, it hasn't started yet. "
                                       "can I get my money back?")
    assert _meaning_queries(parts, statements) == [f"{statements} can I get my money back?"]
    # a question of several parts: each part is matched on its own
    two, _ = split_question("Do gift cards expire? And can I use mine in your physical stores?")
    assert _meaning_queries(two, "I have a gift card.") == [p.text for p in two]


def test_a_condition_on_the_question_before_is_its_context():
    parts, _ = split_question("do you accept Crestmark HMO? if not, what's the self-pay price for a normal appointment")
    assert [p.text for p in parts] == ["do you accept Crestmark HMO?",
                                       "what's the self-pay price for a normal appointment"]
    assert parts[1].context == "do you accept Crestmark HMO?" and parts[1].answer_type == "amount"


@pytest.mark.parametrize("text, previous, expected, replaced", [
    # a value of the same shape as one in the previous question is what the follow-up swaps
    ("what if it was week 4", "I'm in week 2 of my standard course and want to quit. Do I get a refund?",
     "I'm in week 4 of my standard course and want to quit. Do I get a refund?", "week 2"),
    ("and on a monday?", "what time does linford close on wednesdays", "what time does linford close on monday",
     "wednesdays"),
    ("那 C1 呢？", "标准课程 B1 多少钱", "标准课程 C1 多少钱", "B1"),
    # "to a gift card": the preposition is the previous question's, not part of the new subject
    ("And to a gift card?", "How long does a refund to PayPal take?", "How long does a refund to gift card take?",
     "paypal"),
    # a Chinese age or amount of time swaps the one of the same unit, not left beside it
    ("那 65 岁的呢？", "我 30 岁，可以办会员卡吗？", "我 65 岁，可以办会员卡吗？", "30 岁"),
    ("那住 5 晚呢？", "住 2 晚要多少钱？", "住 5 晚要多少钱？", "2 晚"),
    # an acronym after an article is a thing in the preposition's slot, not a name ("on a TV"; "on Fix 24" stays)
    ("and on a laptop?", "How long is the warranty on a TV?", "How long is the warranty on a laptop?", "TV"),
])
def test_a_followup_swaps_a_value_of_the_same_shape(text, previous, expected, replaced):
    from components.answers.evidence_selection import entity_names

    question, info = resolve_followup(text, previous, sorted(entity_names(previous)))
    assert question == expected and info["replaced"].lower() == replaced.lower()


def test_a_numbered_step_swaps_only_the_same_kind_of_step():
    question, info = resolve_followup("what if it was week 4", "Can I resit the test in term 2?", [])
    assert "term 2" in question and info["replaced"] is None


@pytest.mark.parametrize("text, continues", [
    ("and by when do i have to sign up", True),
    ("And what's the penalty if I take the money out early?", True),
    ("Is there a grace period on cash advances too?", True),
    ("is that line open at night?", True),                     # "that line": the one just named
    ("I only became a member last month, is it the same for me?", True),
    ("What is the fee for an international wire?", False),     # a question of its own
    ("Is this card accepted abroad?", True),
    ("And for the Gold card?", False),            # an elliptical follow-up, resolved by resolve_followup
    ("How long do I have to make a claim after a theft?", False),
    ("do i have to pay a fee for that", True),    # a short question ending on what it refers back to
    ("Can I get a refund for that if I change my mind halfway through the term and move to another city?", False),
    # a what-if too long to be an elliptical follow-up still asks the previous question in another case
    ("what if the delay was because your own pilots were on strike?", True),
    ("what if i do food deliveries in the evenings for extra cash?", True),
])
def test_a_question_that_goes_on_from_the_previous_one(text, continues):
    from components.answers.followups import continues_previous, with_previous

    assert continues_previous(text) is continues
    question, info = with_previous(text, "When does the spring term start?", [])
    if continues:
        assert question == text and info["continuation"] and info["previous"] == "When does the spring term start?"
    assert with_previous(text, None, [])[1] is None


def test_a_word_the_documents_write_as_a_name_is_a_followups_subject():
    from components.answers.followups import written_as_name

    texts = ["Each level takes two terms of a Standard course or one term of an Intensive course.",
             "Course: Intensive; Students per group: up to 8", "See Course prices. Every course has a test."]
    assert written_as_name("intensive", texts) and written_as_name("standard", texts)
    # "course" is written as a name once ("See Course prices") and as a word more often
    assert not written_as_name("course", texts)
    # a sentence's first word is no name
    assert not written_as_name("every", texts)


def test_a_followup_is_answered_from_the_previous_answers_documents_when_they_answer_it():
    from types import SimpleNamespace

    from components.answers.composer import AnswerComposer
    from components.answers.evidence_selection import ScoredUnit
    from components.answers.evidence_units import EvidenceUnit

    def scored(text, doc, score):
        return ScoredUnit(EvidenceUnit(text, doc, "sentence", "", doc, f"{doc}#0", 0.5, "en", 0), score, {})

    confident = SimpleNamespace(confidence_of=lambda ranked: ranked[0].score)
    composer = SimpleNamespace(selector=SimpleNamespace(model=confident), min_score=0.5)
    elsewhere, own = scored("Sign-up help for a shop account.", "shop", 0.9), scored("Enrolment closes 5 April.",
                                                                                     "terms", 0.7)
    first = AnswerComposer._previous_documents_first
    assert first(composer, [elsewhere, own], ["terms"]) == [own]
    # a follow-up about a new subject keeps only the previous documents' units that name it
    plan = scored("Plan: Flex; Monthly price: $29", "terms", 0.6)
    assert first(composer, [elsewhere, own, plan], ["terms"], "flex") == [plan]
    assert first(composer, [elsewhere, own], ["terms"], "platinum card") == [elsewhere, own]
    # not confident enough on their own: the ranking stands
    composer.min_score = 0.8
    assert first(composer, [elsewhere, own], ["terms"]) == [elsewhere, own]


def test_a_followup_swaps_the_words_before_its_own_noun():
    question, info = resolve_followup("And for an international wire?", "What's the cut-off time for a domestic wire?",
                                      [])
    assert question == "What's the cut-off time for a international wire?" and info["replaced"] == "domestic wire"


def test_a_word_the_documents_name_is_swapped_after_the_customers_own_names():
    previous = "How many students are in an intensive class?"
    assert resolve_followup("and in the standard ones?", previous, [], ["intensive"])[0] == \
        "How many students are in an standard class?"
    # the customer's own name ("Gold") goes before a word the documents also capitalise ("Cashback: 1.5%")
    question, info = resolve_followup("What about Platinum?", "How much cashback can I earn with the Gold card?",
                                      ["gold"], ["cashback"])
    assert question == "How much cashback can I earn with the Platinum card?" and info["replaced"] == "gold"


def test_a_followup_keeps_the_qualifiers_of_the_term_it_swaps():
    from components.answers.composer import _term_weights
    from components.answers.followups import qualifiers

    evidence = "Wire: Domestic wire, outgoing; Cut-off time: 15:30"
    assert qualifiers(evidence, "domestic wire") == ["outgo"]
    # a term the answer does not state has no qualifiers; other names are never qualifiers
    assert qualifiers("Annual fee: $95 (waived in the first year)", "gold") == []
    assert "gold" not in qualifiers("Card: Platinum Rewards, unlike Gold; Fee: $250", "platinum")
    weights = _term_weights("What's the cut-off time for a international wire?", "",
                            {"previous": "What's the cut-off time for a domestic wire?", "subject": "international wire",
                             "replaced": "domestic wire", "qualifiers": ["outgo"]})
    assert 0 < weights["outgo"] < weights["international"] and not any(t.startswith("domest") for t in weights)


def test_a_chinese_followup_may_name_something_in_latin_letters():
    assert is_followup("那 Cedar Quay 呢？") and not is_followup("这个订单的退款什么时候能到账呢？")
    question, info = resolve_followup("那 Cedar Quay 呢？", "Pennick Hill 周日开门吗？", ["pennick hill"])
    assert question == "Cedar Quay 周日开门吗？" and info["replaced"] == "pennick hill"


def test_a_followup_counts_in_digits():
    """"a pack of ten" is the documents' "Pack of 10 private lessons"; "one of" and "two or three" are no counts."""
    question, info = resolve_followup("and if I buy a pack of ten?", "how much does a 1 to 1 lesson cost", [])
    assert "pack 10" in info["subject"] and "ten" not in question
    from components.answers.followups import followup_subject
    assert followup_subject("and for two or three nights?") == "two or three nights"
    # "it's" is filler like "it is", not a stray "'s" in the subject
    assert followup_subject("and if it's damage to my house?") == "damage house"
    assert followup_subject("and if it was a cat?") == "cat"


@pytest.mark.parametrize("text, previous, expected, replaced", [
    ("and the email address?", "What's your customer service phone number?",
     "What's your customer service email address?", "phone number"),
    # the way of contact is swapped, not the name in the question
    ("what about the phone number?", "What is the email of the Porto store?",
     "What is the phone number of the Porto store?", "email"),
])
def test_a_followup_swaps_one_way_of_contact_for_another(text, previous, expected, replaced):
    from components.answers.evidence_selection import entity_names

    question, info = resolve_followup(text, previous, sorted(entity_names(previous)))
    assert question == expected and info["replaced"] == replaced


def test_a_part_that_only_refers_back_is_read_with_the_previous_question():
    from types import SimpleNamespace

    from components.answers.composer import AnswerComposer
    from components.answers.question_analysis import QuestionPart

    known = {"same", "line", "open", "night", "apply", "member", "month"}
    composer = SimpleNamespace(statistics=SimpleNamespace(df=lambda t: 1 if t in known else 0))
    previous = "How much can I deposit by mobile check per day?"
    same, line, own = (QuestionPart("is it the same for me?"), QuestionPart("is that line open at night?"),
                       QuestionPart("how long does a wire take?"))
    member = QuestionPart("I only became a member last month, is it the same for me?")
    fee = QuestionPart("do i have to pay a fee for that")
    AnswerComposer._refer_back(composer, [same, line, own, member, fee], previous)
    assert same.context == previous and member.context == previous
    assert line.context == "" and own.context == ""   # words of their own: asked as they stand
    # words of its own, but the clause ends on what it refers back to: the fee is asked of the previous question's
    assert fee.context == previous


@pytest.mark.parametrize("text, previous, expected", [
    # "instead" and the "was" of "what if it was" are no part of the new subject: not pasted beside the old one
    ("and if it was the Harbour store instead?", "What time does the Riverside store close on Saturday?",
     "What time does the Harbour store close on Saturday?"),
    ("what if it was the Silver card instead?", "What is the annual fee of the Platinum card?",
     "What is the annual fee of the Silver card?"),
    # "and what about": the longer lead, not "and" with "what" left in the subject
    ("and what about the Silver card?", "What is the annual fee of the Platinum card?",
     "What is the annual fee of the Silver card?"),
    # a follow-up's subject, then the previous question asked again of it: the follow-up
    ("what about Harbour, how much is it there?", "How much is parking at the Riverside store?",
     "How much is parking at the Harbour store?"),
    # ... but not when the question after it asks something new
    ("what about Harbour, is it open on Sundays?", "What time does the Riverside store close on Saturday?",
     "what about Harbour, is it open on Sundays?"),
])
def test_a_followup_takes_its_subject_without_the_words_around_it(text, previous, expected):
    from components.answers.evidence_selection import entity_names
    from components.answers.followups import with_previous

    assert with_previous(text, previous, sorted(entity_names(previous)), [])[0] == expected


def test_a_part_that_only_points_to_its_subject_is_read_with_the_previous_question():
    """"can I do that on a Light ticket?" names the ticket, but what it asks about (an upgrade with miles) is only
    pointed to: the previous question is its context, and its meaning is matched with it."""
    from types import SimpleNamespace

    from components.answers.composer import AnswerComposer, _part_query
    from components.answers.question_analysis import QuestionPart

    known = {"light", "ticket", "hold", "line", "open", "night"}
    composer = SimpleNamespace(statistics=SimpleNamespace(df=lambda t: 1 if t in known else 0))
    previous = "How many miles do I need to upgrade to business on a long-haul flight?"
    that, hold, line = (QuestionPart("can I do that on a Light ticket?"),
                        QuestionPart("so how much is it for him to go in the hold?"),
                        QuestionPart("is that line open at night?"))
    AnswerComposer._refer_back(composer, [that, hold, line], previous)
    assert that.context == previous and hold.context == previous
    assert _part_query(that) == f"{previous} can I do that on a Light ticket?"
    assert line.context == ""     # "that line": the line is named


@pytest.mark.parametrize("text, points", [
    ("can I do that on a Light ticket?", True),
    ("and can I get it in cash instead?", True),
    ("is that covered on Standard?", True),
    ("how much does that cost?", True),
    ("is that line open at night?", False),           # "that" before the thing it names
    ("is it possible to reserve a fare now and pay later?", False),   # an "it" that stands for nothing
    ("what if it's been 3 days already", False),
    ("and can i change my mind after?", False),
])
def test_what_points_back_to_its_subject(text, points):
    from components.answers.question_analysis import points_back

    assert points_back(text) is points


def test_a_continuation_is_not_answered_from_a_document_about_something_else():
    from components.answers.composer import elsewhere_than_previous
    from components.answers.evidence_selection import ScoredUnit
    from components.answers.evidence_units import EvidenceUnit

    def scored(text, doc, title):
        return ScoredUnit(EvidenceUnit(text, title, "sentence", title, doc, f"{doc}#0", 0.5, "en", 0), 1.0, {})

    followup = {"previous": "When does the spring term start?", "subject": "", "replaced": None,
                "continuation": True, "doc_ids": ["terms.md"]}
    account = scored("If something goes wrong during sign-up, chat with our assistant.", "faq.md",
                     "How do I create an account?")
    assert elsewhere_than_previous([account], followup)
    # from the previous answer's documents, or saying what the previous question asked: about the same thing
    assert elsewhere_than_previous([scored("Enrolment closes: 5 April.", "terms.md", "Dates")], followup) is None
    assert elsewhere_than_previous([scored("Enrol a week before the term starts.", "enrol.md", "Enrolling")],
                                   followup) is None
    # an elliptical follow-up names its own subject; with no previous answer's documents nothing is known
    assert elsewhere_than_previous([account], {**followup, "continuation": False}) is None
    assert elsewhere_than_previous([account], {**followup, "doc_ids": []}) is None


def test_a_continuation_counts_the_previous_answers_words_a_little():
    """"And what's the penalty if I take the money out early?" after the 12-month certificate's rate goes on about
    that certificate: the answer's words count a little, the previous question's a little more, its own fully."""
    from components.answers.composer import _term_weights

    followup = {"previous": "What rate do you pay on a 12-month certificate?", "subject": "", "replaced": None,
                "continuation": True, "evidence": "Account: 12-month certificate; Rate (APY): 3.75%"}
    weights = _term_weights("And what's the penalty if I take the money out early?", "", followup)
    assert weights["penalty"] == 1.0 and weights["certificat"] == 0.4 and weights["apy"] == 0.3
    assert "apy" not in _term_weights("And what's the penalty?", "", {**followup, "evidence": ""})


@pytest.mark.parametrize("text, story", [
    ("I bought headphones last week and they don't fit, what's your return policy?",
     "I bought headphones last week and they don't fit"),
    ("I'm going travelling, how long can I freeze my membership for?", "I'm going travelling"),
    ("Going to Brazil in spring - can I get my yellow fever jab with you?", "Going to Brazil in spring"),
    ("my kid twisted his ankle, is pennick hill open on sunday", "my kid twisted his ankle"),
    # a condition of the question is what is asked; so is a question that opens the part
    ("If I send back a lamp, can the refund go to a different credit card than the one I paid with?", ""),
    ("What's the Gold card's annual fee?", ""),
    ("我买的 T 恤太小了，可以换大一码吗？", ""),
])
def test_the_situation_a_question_opens_with_is_its_story(text, story):
    parts, _ = split_question(text)
    assert len(parts) == 1 and parts[0].text.endswith(text[-20:]) and parts[0].story == story


def test_the_words_of_the_story_count_less_than_the_asked_ones_but_its_names_fully():
    from components.answers.composer import _term_weights

    part = split_question("So I returned a pair of running shoes and paid with my Visa card, when should I expect "
                          "to see the money back on my card?")[0][0]
    weights = _term_weights(part.text, "", None, "", part.story)
    assert weights["shoe"] < 1.0 and weights["pair"] < 1.0 and weights["visa"] == 1.0 and weights["expect"] == 1.0
    assert weights["card"] == 1.0  # asked about, also in the story
    # a question that refers back to the story asks about it: its words count fully
    part = split_question("I'm visiting from abroad with travel insurance, can I use it for a check-up?")[0][0]
    assert _term_weights(part.text, "", None, "", part.story)["insuranc"] == 1.0
    # nor when the question names nothing the documents use ("is there a penalty?" where they say "fee")
    part = split_question("I missed a few classes without cancelling, is there a penalty?")[0][0]
    weights = _term_weights(part.text, "", None, "", part.story, known=lambda t: t not in ("penalti", "penalty"))
    assert weights["miss"] == 1.0
    assert _term_weights(part.text, "", None, "", part.story, known=lambda t: True)["miss"] < 1.0


def test_a_followups_evidence_about_the_previous_subject_is_not_its_answer():
    from components.answers.followups import about_previous_subject, resolve_followup

    _, info = resolve_followup("And for the Gold card?", "What is the Platinum card's annual fee?", ["Platinum"])
    assert about_previous_subject(["Platinum card annual fee: $250"], info)            # the old subject's fact
    assert about_previous_subject(["Gold card annual fee: $95"], info) is None          # the new subject's
    assert about_previous_subject(["Annual fees are charged in January."], info) is None  # names neither


def test_a_numbered_subject_is_named_by_its_number_beside_its_word():
    """"what if it was week 4" after "I'm in week 2 …, do I get a refund?": "2.3 From the start of week 3: no refund."
    names section 2, not week 2; "the first 2 weeks" does name it."""
    from components.answers.followups import about_previous_subject, resolve_followup

    _, info = resolve_followup("what if it was week 4", "I'm in week 2 of my course and want to quit. Do I get a refund?")
    assert info["replaced"] == "week 2"
    assert about_previous_subject(["2.3 From the start of week 3: no refund. Refund policy › 2. Group courses"],
                                  info) is None
    assert about_previous_subject(["2.2 During the first 2 weeks of the term: 50% is refunded."], info)
    _, info = resolve_followup("and on the 12 month fix?", "how much does it cost to leave fix 24 early?")
    assert about_previous_subject(["Exit fee: Fix 24: £75 per fuel"], info)


def test_a_followup_naming_its_own_thing_has_that_thing_for_subject():
    """"and if it goes back to my card?": the question now asks of "my card"; "goes back" is no word to find."""
    from components.answers.composer import _term_weights
    from components.answers.followups import with_previous

    question, info = with_previous("and if it goes back to my card?",
                                   "I've got £200 credit. How long does a refund to my bank account take?")
    assert question == "I've got £200 credit. How long does a refund to my card take?"
    assert info["subject"] == "card" and info["replaced"] == "my bank account"
    weights = _term_weights("How long does a refund to my card take?", "I've got £200 credit.", info)
    assert weights["card"] == 1.0 and "goe" not in weights and "back" not in weights


def test_a_chinese_subject_in_place_of_a_latin_name_runs_on_into_the_question():
    """"那度假村呢？" after "Kelmouth Harbour 几点可以入住？": "度假村几点可以入住？", one question that keeps its subject
    (a space between Chinese words would part them as two)."""
    question, info = resolve_followup("那度假村呢？", "Kelmouth Harbour 几点可以入住？", ["kelmouth harbour"])
    assert question == "度假村几点可以入住？" and info["replaced"] == "kelmouth harbour"
    parts, _ = split_question(question)
    assert len(parts) == 1 and "度假村" in parts[0].text
    assert resolve_followup("那 Cedar Quay 呢？", "Pennick Hill 周日开门吗？", ["pennick hill"])[0] == "Cedar Quay 周日开门吗？"


def test_a_followup_swaps_a_two_word_name_the_documents_write_as_one():
    """"and with flex?" after "… with a fixed desk?", where the documents write "a Fixed Desk": the question asks of
    "a flex", not of "a flex desk" (a thing of both names); a pair the documents write in lower case stays apart."""
    from components.answers.followups import two_word_names

    previous = "how many meeting room credits do I get each month with a fixed desk?"
    texts = ["Meeting-room credits per month: Fixed Desk: 8", "A Fixed Desk is your own desk.", "Book a desk."]
    names = two_word_names(previous, ["fixed"], texts)
    assert names == ["fixed desk"]
    assert two_word_names(previous, ["fixed"], ["A fixed desk is yours.", "Fixed Desk: 8", "your fixed desk"]) == []
    question, info = resolve_followup("and with flex?", previous, [], ["fixed"] + names)
    assert question == "how many meeting room credits do I get each month with a flex?"
    assert info["replaced"] == "fixed desk"
    assert resolve_followup("and with flex?", previous, [], ["fixed"])[0].endswith("with a flex desk?")


def test_sentences_of_an_english_document_keep_their_space_in_a_chinese_reply():
    from components.answers.composer import join_sentences
    assert join_sentences(["Tuesday to Sunday: 10:00 to 20:00.", "Date: Friday 25 December."], "zh") == \
        "Tuesday to Sunday: 10:00 to 20:00. Date: Friday 25 December."
    assert join_sentences(["新卡卡号会更换。", "密码不变。"], "zh") == "新卡卡号会更换。密码不变。"
    assert join_sentences(["Opens at 9.", "Closes at 5."], "en") == "Opens at 9. Closes at 5."


def test_a_request_about_what_only_the_business_own_documents_name_is_a_question():
    """A food-delivery business's documents beside the demo shop's: "can you still bring it?" about a grocery order
    is about the business's own service, which the shop's order desk does not keep."""
    own = {"grocery", "courier"}
    own_words = lambda text: [w for w in own if w in text.lower()]  # noqa: E731
    text = "the milk was missing from my grocery delivery an hour ago, can you still bring it?"
    assert classify_message(text).kind == "request"
    assert classify_message(text, own_words=own_words).kind == "question"
    assert classify_message("I want to be a courier. Can I rent a bike from you?", own_words=own_words).kind == \
        "question"
    # not worded as a question, or naming an order: the desk, as before
    assert classify_message("cancel my grocery order", own_words=own_words).kind == "request"
    assert classify_message("can you check my grocery order #W1234567?", own_words=own_words).kind == "request"
    # words both kinds of document use: the desk, as before
    assert classify_message("my delivery is missing, can you check it?", own_words=own_words).kind == "request"


def test_no_desk_offer_after_a_question_about_what_only_the_business_documents_name():
    """An information question about cancelling or returning a thing only the business's own documents name (a
    membership, a booking) is answered with no offer to start an order's cancellation or return; the shop's own
    words keep the offer."""
    own_words = lambda text: [w for w in ("membership", "会员") if w in text.lower()]  # noqa: E731
    assert classify_message("Can I cancel my membership online?").topic == "cancel_order"
    kind = classify_message("Can I cancel my membership online?", own_words=own_words)
    assert (kind.kind, kind.topic) == ("question", None) and "membership" in kind.reason
    assert classify_message("会员可以随时取消吗？", own_words=own_words).topic is None
    assert classify_message("Can I cancel an order that was already delivered?", own_words=own_words).topic == \
        "cancel_order"
    # an exchange rate is not an exchange of goods
    assert classify_message("What exchange rate margin do you add when I pay in euros?").topic is None
    assert classify_message("Can I exchange a t-shirt for a different size?").topic == "exchange"


@pytest.mark.parametrize("text, kind, shop_alone", [
    # the installation is priced, not the phone (in the shop alone too: its own clause names what is priced, and
    # "帮忙" does not make it a request for the desk's stock lookup)
    ("买手机的话，帮忙安装要多少钱？", "question", "question"),
    ("how much is assembly for the office chair?", "question", "question"),   # alone, its wording says so too
    ("安装手机要多少钱？", "question", "stock_question"),    # the same words in Chinese: one clause, naming the phone
    ("手机多少钱？", "stock_question", "stock_question"),   # the product itself: the desk's stock and price
    ("how much is the t-shirt?", "stock_question", "stock_question"),
    ("do you have the office chair with assembly in black?", "stock_question", "stock_question"),   # no price asked
])
def test_a_price_question_about_what_only_the_business_documents_name_goes_to_them(text, kind, shop_alone):
    """A business's documents beside the demo shop's: the price of a service they name ("assembly", 安装) is
    theirs to state, not a stock lookup of the product it is for."""
    own_words = lambda text: [w for w in ("assembly", "安装") if w in text.lower()]  # noqa: E731
    assert classify_message(text, names_product=names_product, own_words=own_words).kind == kind
    assert classify_message(text, names_product=names_product).kind == shop_alone


@pytest.mark.parametrize("text, previous, expected", [
    # a condition turned: the rest of the previous question is kept, the clause said the other way
    ("and if I had Gold?", "my parcel arrived damaged, i don't have gold. can i get a refund?",
     "my parcel arrived damaged, I have gold. can i get a refund?"),
    ("and people who aren't on it?", "I'm on the priority list. How long do I wait for a visit?",
     "I'm not on the priority list. How long do I wait for a visit?"),
    ("and if I'm on Premium?", "what's the excess if I'm on Standard?", "what's the excess if I'm on Premium?"),
    # a condition the previous question did not have is added to it, not put in the place of its subject
    ("and if I have a membership?", "i live 3 km from the shop, how much is delivery?",
     "i live 3 km from the shop, how much is delivery if I have a membership?"),
    # so is a condition of what the customer does, whatever name the documents give the previous question's words
    ("and if im flying to asia?", "how many bags can i take on a basic ticket to europe?",
     "how many bags can i take on a basic ticket to europe if im flying to asia?"),
    # a what-if about elapsed time keeps what was asked about
    ("what if it's been 5 days already", "my parcel came without the charger, what do i do?",
     "my parcel came without the charger, what do i do if it's been 5 days already?"),
])
def test_a_followup_that_changes_a_condition_keeps_the_previous_question(text, previous, expected):
    from components.answers.evidence_selection import entity_names

    question, info = resolve_followup(text, previous, sorted(entity_names(previous)), ["basic"])
    assert question == expected and info["previous"] == previous


def test_a_condition_naming_what_the_customer_has_swaps_the_name_they_wrote():
    question, info = resolve_followup("and if I have a Gold card?", "What is the annual fee of the Silver card?",
                                      ["silver"])
    assert question == "What is the annual fee of the Gold card?" and info["replaced"] == "silver"


def test_a_turned_condition_is_the_followups_subject_and_replaces_no_word():
    question, info = resolve_followup("and if I had Gold?", "my parcel was late, i don't have gold. do i get anything?",
                                      [])
    assert info["subject"] == "I have gold" and info["replaced"] is None and info["condition"] == "i don't have gold"
    # turned to a negation it has no subject: evidence naming the priority list is about those on it
    question, info = resolve_followup("and people who aren't on it?", "I'm on the priority list. How long do I wait?", [])
    assert info["subject"] == "" and info["replaced"] == "priority list"
    # the same condition again changes nothing of it
    from components.answers.followup_conditions import with_condition
    assert with_condition("if I don't have it", "i don't have gold. can i return it?") is None


@pytest.mark.parametrize("text, previous, expected, replaced", [
    # a plain word takes the place of the word its own preposition introduced, not of a name
    ("and for water?", "What's the monthly fee for electricity on the Basic plan?",
     "What's the monthly fee for water on the Basic plan?", "electricity"),
    ("and on a scooter?", "I'm 17, can I work for you on my bike?", "I'm 17, can I work for you on my scooter?", "bike"),
    # a numbered variant of the same thing gives way to the new one, whichever way round it is written
    ("and on the 6 month plan?", "how much does it cost to cancel plan 12 early?",
     "how much does it cost to cancel 6 month plan early?", "plan 12"),
    # an amount of time of the same unit is swapped ("20 minutes" -> "40 minutes")
    ("what if it was 40 minutes late?", "my order was 20 minutes late, do i get a refund?",
     "my order was 40 minutes late, do i get a refund?", "20 minutes"),
])
def test_a_followup_swaps_the_word_in_its_own_slot(text, previous, expected, replaced):
    from components.answers.evidence_selection import entity_names

    question, info = resolve_followup(text, previous, sorted(entity_names(previous)))
    assert question == expected and info["replaced"] == replaced
def test_a_decimal_point_is_no_sentence_end():
    parts, statements = split_question("I paid £3.20 too much last month. Will I get it back?")
    assert [p.text for p in parts] == ["Will I get it back?"] and statements == "I paid £3.20 too much last month."
    assert [p.text for p in split_question("Is the fee €2.99 for orders under 5 km?")[0]] == \
        ["Is the fee €2.99 for orders under 5 km?"]


@pytest.mark.parametrize("text, asks_a_limit", [
    ("its been 20 days since the parcel arrived, can i still send it back?", True),
    ("I moved out 2 months ago and there's credit on my old account. Will I get it back?", True),
    ("My kettle stopped working after 3 weeks. what are my options?", True),
    ("包裹买了 10 天了，还能退吗？", True),
    ("can i still send it back?", False),                                  # no time gone by: nothing more asked
    ("I booked 2 weeks ago, how much is the change fee?", False),          # an amount is asked, not a limit
])
def test_time_gone_by_then_whether_it_is_still_possible_asks_for_the_time_limit(text, asks_a_limit):
    parts, _ = split_question(text)
    assert ("duration" in parts[-1].types) is asks_a_limit, parts[-1].types


@pytest.mark.parametrize("text, previous, expected, replaced", [
    # a Chinese subject takes the place of the Chinese phrase with its head, not of the Latin name beside it
    ("那年度会员呢？", "Plus 月度会员多少钱？", "Plus 年度会员多少钱？", "月度会员"),
    ("那学生会员呢？", "月度会员可以随时取消吗？", "学生会员可以随时取消吗？", "月度会员"),
])
def test_a_chinese_followup_swaps_the_phrase_with_the_same_head(text, previous, expected, replaced):
    from components.answers.evidence_selection import entity_names

    question, info = resolve_followup(text, previous, sorted(entity_names(previous)))
    assert question == expected and info["replaced"] == replaced


@pytest.mark.parametrize("text", [
    "could you tell me the price of phone insurance?",  # "could you": a request's words, but no desk action asked
    "买手机的话，帮忙设置要多少钱？",                           # "帮忙": likewise
    "How much is phone insurance for a €1,000 phone, and what's the excess?",
    "can you tell me how much phone insurance is?",      # a question inside a request's words, "how much" apart
    "how much does shipping cost for a phone?",          # the thing priced, linked to the product by "for"
    "how much is it to ship a phone?",
    "手机保险多少钱？",                                     # the product word before a noun of its own
])
def test_a_product_question_about_another_thing_goes_to_the_documents_however_worded(text):
    """The wording says something else than the product is asked about: the documents answer, in the shop alone
    too, where the desk would take a request-worded one and list the phones or laptops it names."""
    got = classify_message(text, names_product=names_product)
    assert got.kind == "question" and "another thing" in got.reason, got


def test_a_chinese_price_of_what_its_own_clause_names_is_no_stock_question():
    # the setup's price, not the laptop's: the clause before only says when
    got = classify_message("买手机的话，帮忙设置要多少钱？", names_product=names_product)
    assert got.kind != "stock_question", got.reason
    assert classify_message("买手机的话，多少钱？", names_product=names_product).kind == "stock_question"


@pytest.mark.parametrize("text, kind", [
    ("次日达运费多少？", "amount"),                 # "多少" at the end asks a sum, as "how much" does
    ("生鲜订单满多少免配送费？", "amount"),          # a threshold
    ("Premium 房屋保险的室内财产保额是多少？", "amount"),
    ("更换挡风玻璃要付多少免赔额？", "amount"),      # a sum asked by its name
    ("学生买手机能打几折？", "percentage"),
    ("分期最长几个月？", "duration"),
    ("要在多少天内交读数？", "duration"),           # a unit of time after 多少: not an amount
])
def test_chinese_value_questions_have_their_answer_type(text, kind):
    types = split_question(text)[0][0].types
    assert types[0] == kind, types
    if kind in ("duration", "count"):
        assert "amount" not in types


def test_a_chinese_value_fragment_with_a_limit_word_belongs_to_the_question_before_it():
    parts, _ = split_question("欠的费用一次交不起，可以分期还吗？最长多久？")
    assert len(parts) == 1 and "duration" in parts[0].types


def test_chinese_counts_of_time_are_read_as_the_digits_documents_write():
    from components.answers.question_analysis import chinese_counts_as_digits
    assert chinese_counts_as_digits("无理赔三年有多少优惠？") == "无理赔3年有多少优惠？"
    assert chinese_counts_as_digits("过了三天，十二个月，两周内") == "过了3天，12个月，2周内"
    for kept in ("一次", "第三天", "星期三", "我们三个人"):
        assert chinese_counts_as_digits(kept) == kept


def test_amounts_in_chinese_currency_names_are_amounts():
    from components.answers.evidence_selection import _VALUE_PATTERNS
    for text in ("提前解约费每种能源 150 英镑", "押金 200 港币", "冷静期内退保不收手续费。"):
        assert _VALUE_PATTERNS["amount"].search(text)   # "不收" states the sum as "no fee" does


@pytest.mark.parametrize("text, previous, expected, replaced", [
    ("那年度会员呢？", "Plus 月度会员多少钱？", "Plus 年度会员多少钱？", "月度会员"),   # the head 会员 kept
    ("那银卡呢？", "金卡的年费是多少？", "银卡的年费是多少？", "金卡"),
])
def test_a_chinese_followup_swaps_the_word_with_its_subjects_head(text, previous, expected, replaced):
    question, info = resolve_followup(text, previous, [])
    assert question == expected and info["replaced"] == replaced


def test_a_chinese_followup_without_a_swap_keeps_its_subject_in_the_part_answered():
    question, info = resolve_followup("那指定日配送呢？", "次日达运费多少？", [])
    assert info["replaced"] is None
    parts, _ = split_question(question)
    assert len(parts) == 1 and "指定日配送" in parts[0].text and "amount" in parts[0].types


def test_a_chinese_followup_after_a_price_question_takes_the_old_subjects_place_and_keeps_the_period():
    # "那 Flex 呢？" after "固定座位每月多少钱？" asks Flex's monthly price: the period stays, and 固定座位 is replaced (its
    # words would rank a unit naming both things first: "暂停 Flex 免费。暂停固定座位每月 60 欧元。")
    question, info = resolve_followup("那 Flex 呢？", "固定座位每月多少钱？", [])
    assert question == "Flex 每月多少钱" and info["replaced"] == "固定座位"
    question, info = resolve_followup("那 Flex 呢？", "固定座位多少钱？", [])
    assert question == "Flex 多少钱" and info["replaced"] == "固定座位"
    # a question with more in it than a subject keeps its own handling
    question, info = resolve_followup("那车险呢？", "房子漏水损坏了，要在几天内报案？", [])
    assert question == "车险要在几天内报案？"


def test_a_chinese_followup_naming_its_own_period_asks_that_period():
    # invented: a museum's passes. "那年票呢？" after "月票每月多少钱？" asks what the yearly pass costs a year; "年票每月多少钱"
    # asks a monthly sum no document states for it
    question, info = resolve_followup("那年票呢？", "月票每月多少钱？", [])
    assert question.startswith("年票每年") and info["replaced"] == "月票"
    question, _ = resolve_followup("那周票呢？", "日票每天多少钱？", [])
    assert question.startswith("周票每周")
    # a subject naming no period keeps the period asked
    question, _ = resolve_followup("那 Flex 呢？", "固定座位每月多少钱？", [])
    assert question == "Flex 每月多少钱"


def test_an_elliptical_part_carries_the_part_before_as_its_context():
    from components.answers.composer import elliptical_parts_carry_the_part_before
    parts, _ = split_question("Premium 房屋保险的室内财产保额是多少？免赔额呢？")
    assert len(parts) == 2 and not parts[1].context
    elliptical_parts_carry_the_part_before(parts)
    assert parts[1].context == parts[0].text and not parts[0].context
    # ... and asks the kind of value the part before asked for, when it names none
    parts, _ = split_question("次日达几点前下单？冷链药品呢？")
    assert parts[1].types == []
    elliptical_parts_carry_the_part_before(parts)
    assert parts[1].types == parts[0].types and "time" in parts[1].types and parts[1].answer_type == "time"
    # a part of its own is no ellipsis
    parts, _ = split_question("学生会员多少钱？生鲜订单满多少免配送费？")
    elliptical_parts_carry_the_part_before(parts)
    assert not parts[1].context


def test_a_comparison_tables_cells_each_keep_their_rows_label():
    """A row whose first column has no heading ("No-show; Flex: €50 fee; Standard: €30 fee") is one unit per cell,
    each with the row's label: cut like prose, "Flex: €50 fee;" no longer said what it was the fee for (EN and ZH)."""
    rows = units_from_hit(hit("No-show; Flex: €50 fee; Standard: €30 fee\nLate cancellation; Flex: free; Standard: €20",
                              heading_path=["Fees"]))
    assert [(u.kind, u.text) for u in rows] == [("row", "No-show: Flex: €50 fee"), ("row", "No-show: Standard: €30 fee"),
                                                ("row", "Late cancellation: Flex: free"),
                                                ("row", "Late cancellation: Standard: €20")]
    assert [row_label(u.text) for u in rows] == ["No-show", "No-show", "Late cancellation", "Late cancellation"]
    zh = units_from_hit(hit("月费; Basic（基础）: 每月 4 欧元; Premium（高级）: 每月 9 欧元", heading_path=["会员方案"]))
    assert [u.text for u in zh] == ["月费：Basic（基础）: 每月 4 欧元", "月费：Premium（高级）: 每月 9 欧元"]
    assert row_label(zh[0].text) == "月费"
    assert row_label("Item: Cashback; Classic: 0.5%") == "" and row_label("Refunds take 5 days.") == ""


def test_a_comparison_row_with_one_value_in_every_column_is_one_unit():
    """"Busy-time fee | never | never": the value holds whatever the column, stated once ("Busy-time fee: never"),
    not once per column (two units saying the same took the best unit's share in the confidence model)."""
    rows = units_from_hit(hit("Busy-time fee; Monthly: never; Annual: never\n服务费上限; 月度: 1.99 欧元; 年度: 1.99 欧元\n"
                              "Price; Monthly: €5.99; Annual: €59.90", heading_path=["Plans"]))
    assert [u.text for u in rows] == ["Busy-time fee: never", "服务费上限：1.99 欧元", "Price: Monthly: €5.99",
                                      "Price: Annual: €59.90"]
    assert row_label(rows[0].text) == ""


@pytest.mark.parametrize("text, asks_a_number", [
    ("does it cover my phone if it's stolen?", False),
    ("can I pay for a new phone in instalments?", False),
    ("what is your phone number?", True),
    ("I lost my phone, what number do I call?", True),
    ("is the phone line open on sunday?", True),
    ("can I call you by phone?", True),
])
def test_the_customer_own_phone_is_not_a_phone_number_asked_for(text, asks_a_number):
    """"my phone" is the customer's device: the question asks whether it is covered, not for a number to call."""
    assert ("phone" in answer_types(text)) is asks_a_number


def test_a_follow_up_naming_a_period_swaps_the_period_asked():
    """"按年付呢？" after "Gold 每个月多少钱？" asks Gold's yearly price, not a monthly price of "按年付"; "and yearly?"
    after "how much is Gold per month?" likewise. A follow-up naming no period swaps its subject as before."""
    assert resolve_followup("按年付呢？", "Gold 每个月多少钱？", ["gold"])[0] == "Gold 按年付多少钱？"
    assert resolve_followup("and yearly?", "how much is Gold per month?", ["Gold"])[0] == "how much is Gold yearly?"
    assert resolve_followup("and for Silver?", "how much is Gold per month?", ["Gold"])[0] == \
        "how much is Silver per month?"


def test_a_time_of_day_swaps_for_the_previous_time():
    from components.answers.followups import resolve_followup

    question, info = resolve_followup("what if it's at 3pm?", "If I ask for a refund at 11 in the morning on a Tuesday, "
                                      "when is it paid?")
    assert question == "If I ask for a refund at 3pm on a Tuesday, when is it paid?" and \
        info["replaced"] == "11 in the morning"
    assert resolve_followup("and at 21:00?", "can I return the car there at 2am?")[0] == \
        "can I return the car there at 21:00?"


@pytest.mark.parametrize("text, previous, expected", [
    # a condition said in place of the one the previous question stated takes its place, not added after it
    ("and if I'm on Gold?", "how much is express shipping if im on silver?",
     "how much is express shipping if I'm on Gold?"),
    ("and if we cancel by phone?", "Is there a fee if we cancel online?", "Is there a fee if we cancel by phone?"),
])
def test_a_followups_condition_takes_the_place_of_the_previous_one(text, previous, expected):
    assert resolve_followup(text, previous, [])[0] == expected


def test_a_long_what_if_takes_the_place_of_the_previous_questions_condition():
    from components.answers.followups import with_previous

    previous = "if I switch from the basic plan to the pro plan now, when is my card charged?"
    question, info = with_previous("and if I switch back to the basic plan after a few months?", previous, [])
    assert question == "if I switch back to the basic plan after a few months, when is my card charged?"
    assert info["condition"] == "if I switch from the basic plan to the pro plan now" and not info.get("continuation")
    # with no condition to give way, it goes on from the previous question as before
    question, info = with_previous("and if I switch back to the basic plan after a few months?",
                                   "when is my card charged?", [])
    assert info["continuation"] and question.startswith("and if")


@pytest.mark.parametrize("text, previous, expected", [
    # the customer's own thing in place of the one the previous question named, never its subject
    ("and my bonds?", "what happens to my savings if the bank closes?", "what happens to my bonds if the bank closes?"),
    ("and if it's my insulin?", "can my sister collect my parcel at the counter?",
     "can my sister collect my insulin at the counter?"),
    # after the follow-up's own preposition, the thing after the same preposition
    ("and if it goes back to my wallet?", "I have credit on my account. How long does a refund to my debit card take?",
     "I have credit on my account. How long does a refund to my wallet take?"),
    # a person for a person
    ("and my nephew?", "can my niece join my family plan?", "can my nephew join my family plan?"),
])
def test_a_followup_naming_the_customers_own_thing_swaps_theirs(text, previous, expected):
    assert resolve_followup(text, previous, [])[0] == expected


def test_a_chinese_followup_takes_the_place_of_the_situation_told_before_the_question():
    question, info = resolve_followup("那手机呢？", "电脑进水坏了，要在几天内申请维修？", [])
    assert question == "手机要在几天内申请维修？" and info["subject"] == "手机"
    # a question with no situation before it: the kind of thing asked, as before
    assert resolve_followup("那手机呢？", "电脑维修要多久？", [])[0] == "手机多久"


@pytest.mark.parametrize("text, parts", [
    # "how fast", "how far" ask a value of their own after a "what's" question, typed with or without its apostrophe
    ("whats the range of an e-scooter and how fast does it go?", ["whats the range of an e-scooter?",
                                                                  "how fast does it go?"]),
    ("What is the range of the e-bike and how far can it go?", ["What is the range of the e-bike?",
                                                                "how far can it go?"]),
    ("whats the fee on Plus and how many free trades does it include?", ["whats the fee on Plus?",
                                                                         "how many free trades does it include?"]),
])
def test_a_value_asked_after_and_is_a_part_of_its_own(text, parts):
    assert [p.text for p in split_question(text)[0]] == parts
