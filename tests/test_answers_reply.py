"""The evidence reply's wording (composer.stated_reply): each stated sentence is cited by the title it comes from."""
from components.answers.composer import stated_reply
from components.answers.evidence_units import units_from_hit
from components.knowledge.types import Hit


def part(text, evidence, answered=True, unmentioned=(), named_elsewhere=()):
    return {"part": text, "answered": answered, "evidence": evidence, "same_as_earlier": False,
            "unmentioned": list(unmentioned), "named_elsewhere": list(named_elsewhere)}


def test_one_title_is_cited_once():
    reply = stated_reply([part("How long do refunds take?", [("Refunds", "Refunds take 5 days"),
                                                             ("Refunds", "Gift cards are instant")])], "en")
    assert reply == "According to our help article “Refunds”: Refunds take 5 days. Gift cards are instant."


def test_units_of_two_titles_are_each_cited():
    reply = stated_reply([part("Classic 改签要多少钱？", [("Cancelling your flight", "Classic passengers can choose a voucher."),
                                                        ("改签", "Classic：每位旅客收取 75 美元改签费")])], "zh")
    assert reply.startswith("根据《Cancelling your flight》：Classic passengers can choose a voucher.")
    assert "另据《改签》：Classic：每位旅客收取 75 美元改签费。" in reply
    en = stated_reply([part("q", [("A", "one"), ("B", "two"), ("A", "three")])], "en")
    assert en == "According to our help article “A”: One. Three. And according to “B”: Two."


def test_a_part_cites_every_title_it_states():
    reply = stated_reply([part("What does it cost?", [("Fees", "It costs $5"), ("Plans", "Plus is free")]),
                          part("Is it open on Sunday?", [], answered=False)], "en")
    assert "On “What does it cost?”: It costs $5. Plus is free. (from “Fees” and “Plans”)" in reply
    assert "On “Is it open on Sunday?”: I couldn't find this in our help articles." in reply


def test_unmentioned_names_are_listed_in_the_reply_language():
    zh = stated_reply([part("飞机上有插座吗", [], answered=False, unmentioned=["飞机", "插座"]),
                       part("有 wifi 吗", [("Wi-Fi", "Wi-Fi 免费")])], "zh")
    assert "帮助文档中没有提到“飞机”、“插座”。" in zh
    en = stated_reply([part("Apple Pay or Google Pay?", [("Payment", "We accept cards")],
                            unmentioned=["Apple Pay", "Google Pay"])], "en")
    assert en.endswith("Our help articles don't mention Apple Pay or Google Pay.")


def test_a_name_another_document_uses_is_not_said_to_be_unmentioned():
    """No evidence found states "SUV", but another document does: the part is said to be unknown, not unmentioned."""
    reply = stated_reply([part("Can I rent an SUV with a debit card?", [], answered=False, unmentioned=["SUV"],
                               named_elsewhere=["SUV"]),
                          part("Is the airport open at night?", [("Branches", "The airport branch is open 24 hours")])],
                         "en")
    assert "don't mention" not in reply
    assert "On “Can I rent an SUV with a debit card?”: I couldn't find this in our help articles." in reply


def test_a_chinese_row_is_said_by_its_label_not_the_item_heading():
    """"| 项目 | Basic | Zero Cover |" tables: the reply says the row's label as a comparison cell is said."""
    reply = stated_reply([part("那 Zero Cover 呢？", [("保障套餐", "项目: 车损免赔额; Zero Cover: 0 欧元")])], "zh")
    assert reply == "根据《保障套餐》：车损免赔额：Zero Cover: 0 欧元。"
    assert "项目" not in reply


def test_a_comparison_tables_cell_is_said_with_its_row_label():
    """"| | Basic | Zero Cover |" tables: each cell unit already says its row's label, and the reply says it so."""
    cell = units_from_hit(Hit("c#1", "car", "保障套餐", "车损免赔额; Basic: 800 欧元; Zero Cover: 0 欧元", 0.7))[1]
    reply = stated_reply([part("那 Zero Cover 呢？", [("保障套餐", cell.text)])], "zh")
    assert reply == "根据《保障套餐》：车损免赔额：Zero Cover: 0 欧元。"
