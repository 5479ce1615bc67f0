"""What a question names that the stated evidence must name too (components/answers/asked_subjects.py): "do you offer
pet insurance?" is not answered by the pet-damage exclusion, a question about Turkey not by the EU's rule (issue #15:
never a confident wrong answer)."""
from __future__ import annotations

import pytest

from components.answers.asked_subjects import offering_asked, places_named, unstated_offering, unstated_place
from components.answers.question_analysis import split_question
from tests.fakes import last_part, scored_unit


def scored(text, title="Title", language="en", context=""):
    return scored_unit(text, title=title, language=language, context=context)


def part(text):
    return last_part(text)


@pytest.mark.parametrize("text, asked", [
    ("Do you offer pet insurance?", "pet insurance"),
    ("do you have any student discounts?", "student discounts"),
    ("你们有宠物保险吗？", "宠物保险"),
    ("有没有旅游保险？", "旅游保险"),
    ("do you have parking?", None),            # one word: no compound to say apart
    ("do you have to pay a fee?", None),       # an obligation, no offering
    ("有没有手续费？", None),                   # one word
    ("How much is the pet excess?", None),
    ("Can I order a vegetarian meal for my flight?", "vegetarian meal"),   # asking to be given a thing
    ("can we book a family room on Sunday?", "family room"),
    ("can i get a refund", None),              # one word
])
def test_the_compound_a_question_asks_the_business_to_offer(text, asked):
    assert offering_asked(text) == asked


def test_an_offering_said_apart_is_not_offered():
    exclusion = scored("Damage caused by pets (chewing, scratching) is not covered.", "What's not covered")
    assert unstated_offering(part("Do you offer pet insurance?"), [exclusion])
    zh = scored("宠物造成的损坏（咬坏、抓坏）不在保障范围内。", "房屋保险常见问题 › 不在保障范围内的情况", "zh")
    assert unstated_offering(part("你们有宠物保险吗？"), [zh])
    # said as one phrase (plural, in the heading too) it answers
    assert unstated_offering(part("Do you offer pet insurance?"), [scored("Pet insurance covers vet bills.")]) is None
    assert unstated_offering(part("do you have any student discounts?"),
                             [scored("10% off for full-time students.", "Student discount")]) is None
    assert unstated_offering(part("你们有学生优惠吗？"), [scored("全日制学生九折。", "学生优惠", "zh")]) is None
    # a Chinese compound said in English, by the dictionary
    said = lambda word, corpus: word == "宠物保险" and "pet insurance" in corpus  # noqa: E731
    assert unstated_offering(part("你们有宠物保险吗？"), [scored("Pet insurance covers vet bills.")], said) is None


def test_a_chinese_place_the_evidence_does_not_name():
    assert places_named("开车去土耳其需要绿卡吗？") == ["土耳其"]
    assert places_named("Do I need a green card for Turkey?") == []
    assert places_named("订单还没发货，我能改哪些东西？") == []      # tagged a place ("east and west"), a thing
    asked = part("开车去土耳其需要绿卡吗？")
    eu = scored("在欧盟国家开车不需要绿卡。", "车险常见问题 › 出国开车", "zh")
    assert unstated_place(asked, [eu])
    turkey = scored("You need a green card for Serbia, Turkey and Ukraine.", "Driving abroad › Green card")
    said = lambda word, corpus: word == "土耳其" and "turkey" in corpus  # noqa: E731
    assert unstated_place(asked, [turkey], said) is None
    assert unstated_place(asked, [scored("去土耳其开车需要绿卡。", language="zh")]) is None


@pytest.mark.parametrize("question, evidence, counts", [
    ("How many claims can I make with a protected no claims discount?",
     "Once you have 4 or more years of NCD, you can protect it: it costs £40 a year.", False),
    ("How many claims can I make with a protected no claims discount?",
     "Years without a claim: 4 years; Discount: 55%", False),        # the number counts years
    ("How many claims can I make with a protected no claims discount?",
     "You can make 2 claims in any 5 years without losing your discount.", True),
    ("How many free airport lounge visits come with the Gold card?",
     "2 free airport lounge visits per year through the Lounge Pass.", True),
    ("How many extra cardholders can I add?", "You can add up to 4 additional cardholders at no extra cost.", True),
    ("How many students are in an intensive class?", "Course: Intensive; Students per group: up to 8", True),
    # a table cell: the row's label after the title, then the column ("Guest passes per month: Gold: 4")
    ("How many guest passes do I get each month on Gold?", "Guest passes per month: Gold: 4", True),
    ("How many guest passes do I get each month on Gold?", "Guest passes per month: Gold: £4 each", False),  # a price
    ("How many guest passes do I get each month on Gold?", "Guest passes per month: Gold: 4 euros each", False),
])
def test_how_many_asks_for_a_number_of_the_thing(question, evidence, counts):
    from components.answers.asked_subjects import uncounted_thing

    assert (uncounted_thing(part(question), [scored(evidence)]) is None) is counts


def test_how_many_times_and_days_are_left_to_the_value_checks():
    from components.answers.asked_subjects import counted_thing

    assert counted_thing("How many times can I exchange?") is None
    assert counted_thing("How many withdrawals a month can I make for free?") == "withdrawals"


def test_an_elliptical_part_is_about_the_part_before():
    from components.answers.asked_subjects import not_about_part_before

    parts, _ = split_question("Premium 房屋保险的室内财产保额是多少？免赔额呢？")
    before, asked = parts[0].text, parts[1]
    car = scored("25 岁以下驾驶人另加 250 英镑免赔额。", "车险常见问题 › 保障等级", "zh")
    home = scored("Premium: 100 英镑", "房屋保险常见问题 › 保障额度", "zh", context="免赔额")
    assert not_about_part_before(asked, [car], before)
    assert not_about_part_before(asked, [home], before) is None
    # a part with a question of its own is not read so
    assert not_about_part_before(part("免赔额是多少？"), [car], before) is None


def test_a_kind_named_under_a_section_about_the_head_is_the_offering():
    # "Students get 10% off" under "Discounts" says the student discount; pets under "What is not covered" of a home
    # insurance article do not say pet insurance
    from components.answers.asked_subjects import unstated_offering

    assert unstated_offering(part("Do you offer a student discount?"),
                             [scored("Students get 10% off with a valid student card.", title="Discounts")]) is None
    assert unstated_offering(part("Do you offer pet insurance?"),
                             [scored("Damage caused by pets is not covered.",
                                     title="Home insurance › What is not covered")]) is not None


def test_a_thing_asked_for_and_said_apart_is_not_offered():
    meal = scored("On long-haul flights a hot meal and drinks are included on every fare.", "Is food included?")
    assert unstated_offering(part("Can I order a vegetarian meal for my flight?"), [meal])
    assert unstated_offering(part("Can I order a vegetarian meal for my flight?"),
                             [scored("Vegetarian meals can be ordered up to 24 hours before departure.")]) is None


@pytest.mark.parametrize("text, thing", [
    ("is there parking at the harbour square store", "parking"),
    ("are there lockers in the changing rooms?", "lockers"),
    ("Can I pay with PayPal?", "PayPal"),
    ("can we pay by cheque at the desk?", "cheque"),
    ("do you have parking?", "parking"),
    ("can I bring my dog?", "dog"),
    ("can I use my credit card abroad?", "credit card"),   # where or when is not the thing
    ("can i get my money back?", None),                   # "back" is no thing
    ("do you have to pay a fee?", None),                  # an obligation
    ("可以开中文发票吗？", "发票"),
    ("旧电视可以以旧换新吗？", "以旧换新"),          # a set phrase is a thing asked about too
    ("Is there a limit on how much I can withdraw?", None),   # whether a rule exists: left to the value checks
    ("I missed a class, is there a penalty?", None),
    ("is there another way to verify who i am", None),
    ("订单能取消吗？", None),                         # ends on a verb: no thing
    ("团课缺席会收费吗？", None),                     # whether a charge exists
])
def test_the_thing_a_yes_no_question_asks_about(text, thing):
    from components.answers.asked_subjects import thing_asked

    assert thing_asked(text) == thing


def test_a_thing_the_evidence_never_names_is_not_answered():
    from components.answers.asked_subjects import unstated_thing

    row = scored("Store: Harbour Square; Address: 3 Harbour Square; Monday to Friday: 9:00 to 18:00.", "Our stores")
    assert unstated_thing(part("is there parking at the harbour square store"), [row])
    assert unstated_thing(part("Is there parking at the Porto store?"),
                          [scored("Customers park free for 2 hours in the garage.", "Getting there")]) is None
    hotline = scored("中文客服电话 020 555 0188，周一至周五 10:00 至 16:00。", "中文客服", "zh")
    assert unstated_thing(part("可以开中文发票吗？"), [hotline])
    assert unstated_thing(part("可以开中文发票吗？"), [scored("We email an invoice with every order.")],
                          lambda w, c: w == "发票" and "invoice" in c) is None
    # a Chinese word said by another that shares its sense (订单 "order", 下单 "to place an order")
    assert unstated_thing(part("换货需要我重新下一个订单吗？"), [scored("无需重新下单。", "换货政策", "zh")]) is None


def test_a_compound_whose_first_word_alone_is_said_is_not_answered():
    from components.answers.asked_subjects import unstated_thing

    wifi = scored("Yes, free wifi is available in every waiting room; the network is Guest.", "Is there wifi?")
    assert unstated_thing(part("whats the wifi password in the waiting room"), [wifi])
    assert unstated_thing(part("what's the wifi password?"),
                          [scored("The wifi password is on the reception desk.")]) is None
    assert unstated_thing(part("what's the monthly fee?"), [scored("Membership: €30 a month.")]) is None


def test_a_yes_no_question_about_things_joined_by_or_is_answered_by_evidence_naming_one():
    """"do you rent campervans or motorhomes?" is answered by the FAQ about motorhomes; "a roof box or a bike rack",
    "ESG or ethical funds" (two qualifiers of one head) are not answered by evidence naming neither in full."""
    from components.answers.asked_subjects import unstated_thing

    faq = scored("No. We rent cars and our 9-seat minibus only.",
                 "Do you rent motorhomes, vans for moving house or motorbikes?")
    assert unstated_thing(part("do you rent campervans or motorhomes?"), [faq]) is None
    assert unstated_thing(part("do you rent campervans?"), [faq])
    assert unstated_thing(part("Can I rent a roof box or a bike rack with the car?"), [faq])
    funds = scored("There is no trading fee for buying or selling funds.", "Trading fees › Funds")
    assert unstated_thing(part("do you have ESG or ethical funds?"), [funds])
    assert unstated_thing(part("can I pay cash or card at the desk?"), [scored("We accept every card.")]) is None


def test_a_count_after_a_sentence_long_label_naming_the_thing_counts_it():
    from components.answers.asked_subjects import uncounted_thing

    screens = scored("How many screens can play at the same time depends on your plan: 1 on Basic with ads, 2 on "
                     "Standard, 4 on Premium and 6 on Family.", "Supported devices › How many devices")
    assert uncounted_thing(part("How many screens can watch at once on Standard?"), [screens]) is None
