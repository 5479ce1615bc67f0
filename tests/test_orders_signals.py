"""Reading order ids, emails, names, answers, flows, items, addresses and products from English and Chinese text."""
from __future__ import annotations

import pytest

from components.orders.desk_signals import ProductMatcher, pick_items, read_signals

PRODUCTS = ["Electric Kettle", "Tea Kettle", "T-Shirt", "Laptop", "Notebook", "Smart Watch", "Wristwatch",
            "Wireless Earbuds", "Headphones", "Sunglasses"]


@pytest.mark.parametrize("text, valid, bad", [
    ("where is #W1234567?", ["#W1234567"], []),
    ("order w7654321 please", ["#W7654321"], []),
    ("订单#W1111111和#W2222222", ["#W1111111", "#W2222222"], []),
    ("my order number is 7654321", ["#W7654321"], []),
    ("order #W123 please", [], ["#W123"]),
    ("cancel purchase 113542617735902", [], ["113542617735902"]),
    ("item 1008292230 tracking 517177699738", [], []),
])
def test_order_ids(text, valid, bad):
    signals = read_signals(text)
    assert signals.order_ids == valid
    assert signals.bad_order_ids == bad


def test_nlu_entities_are_used_when_well_formed():
    assert read_signals("that one", {"order_id": "W7654321"}).order_ids == ["#W7654321"]
    assert read_signals("hi", {"email": "a.b@example.com"}).emails == ["a.b@example.com"]
    assert read_signals("hi", {"email": "not-an-email"}).emails == []
    assert read_signals("my code", {"zip": "80279"}).zip == "80279"


@pytest.mark.parametrize("text, emails, bad", [
    ("my email is Noah.Brown7922@example.com.", ["Noah.Brown7922@example.com"], None),
    ("邮箱是 a_b+c@shop.co.uk", ["a_b+c@shop.co.uk"], None),
    ("it's noah@example", [], "noah@example"),
    ("@ me later", [], "@"),
])
def test_emails(text, emails, bad):
    signals = read_signals(text)
    assert signals.emails == emails
    assert signals.bad_email == bad


@pytest.mark.parametrize("text, name, zip_code", [
    ("My name is Raj Sanchez and my zip is 92147", ("Raj", "Sanchez"), "92147"),
    ("I'm Yusuf Hernandez, zip 43175", ("Yusuf", "Hernandez"), "43175"),
    ("我叫 Isabella Sanchez，邮编 85093", ("Isabella", "Sanchez"), "85093"),
    ("zip 80279 for order #W1234567", None, "80279"),
    ("I'm very happy today, zip 80279", None, "80279"),
    ("i'm raj sanchez 92147", ("raj", "sanchez"), "92147"),
    ("I'm Raj Sanchez, zip 92147, ship #W4566809 to 1 Main St, Austin, TX 78701", ("Raj", "Sanchez"), "92147"),
])
def test_names_and_zip(text, name, zip_code):
    signals = read_signals(text)
    assert signals.name == name
    assert signals.zip == zip_code


@pytest.mark.parametrize("text, yes, no", [
    ("yes", True, False), ("Yes, go ahead", True, False), ("ok", True, False), ("please do", True, False),
    ("no", False, True), ("No, don't", False, True), ("yes... no wait", False, False),
    ("是的", True, False), ("确认", True, False), ("不要", False, True), ("不是", False, True),
    ("I no longer need it", False, False), ("that's not correct", False, True),
])
def test_yes_and_no(text, yes, no):
    signals = read_signals(text)
    assert (signals.yes, signals.no) == (yes, no)


@pytest.mark.parametrize("text, reason", [
    ("I don't need it anymore", "no longer needed"), ("no longer needed", "no longer needed"),
    ("ordered by mistake", "ordered by mistake"), ("I bought it by accident", "ordered by mistake"),
    ("不需要了", "no longer needed"), ("我买错了", "ordered by mistake"), ("it is too expensive", None),
])
def test_cancel_reasons(text, reason):
    assert read_signals(text).reason == reason


@pytest.mark.parametrize("text", ["never mind", "Forget it", "nevermind, thanks", "算了", "不用了", "我不退了"])
def test_abandon_phrases(text):
    assert read_signals(text).abandon


@pytest.mark.parametrize("text, flow", [
    ("I want to check my order status", "order_status"),
    ("我想查询我的订单状态", "order_status"),
    ("where is my package?", "order_status"),
    ("where is my refund?", "order_status"),
    ("I want to cancel my order", "cancel_order"),
    ("帮我取消订单", "cancel_order"),
    ("I'd like to return the kettle", "return_items"),
    ("我要退货", "return_items"),
    ("I need to change the shipping address", "change_address"),
    ("我想修改收货地址", "change_address"),
    ("show me all my orders", "list_orders"),
    ("我有哪些订单", "list_orders"),
    ("is it in stock?", "availability"),
    ("有货吗", "availability"),
    ("can I exchange it for a different size", "exchange"),
])
def test_flows_from_keywords(text, flow):
    assert read_signals(text).flows[0] == flow


@pytest.mark.parametrize("text", ["hello", "what's the weather like?", "tell me a joke", "写一首诗"])
def test_unrelated_text_names_no_flow(text):
    assert read_signals(text).flows == []


@pytest.mark.parametrize("text, expected", [
    ("742 Evergreen Terrace, Apt 2, Springfield, IL 62704",
     {"address1": "742 Evergreen Terrace", "address2": "Apt 2", "city": "Springfield", "state": "IL",
      "country": "USA", "zip": "62704"}),
    ("new address: 55 Ocean Drive, Miami, FL 33139",
     {"address1": "55 Ocean Drive", "address2": "", "city": "Miami", "state": "FL", "country": "USA",
      "zip": "33139"}),
    ("新地址是 200 Oak Avenue, Suite 5, Fort Worth, tx 78702, USA",
     {"address1": "200 Oak Avenue", "address2": "Suite 5", "city": "Fort Worth", "state": "TX", "country": "USA",
      "zip": "78702"}),
    ("somewhere in Texas", None),
])
def test_addresses(text, expected):
    assert read_signals(text).address == expected


@pytest.mark.parametrize("text, found", [
    ("do you have the electric kettle?", ["Electric Kettle"]),
    ("is the kettle in stock", ["Electric Kettle", "Tea Kettle"]),
    ("any t-shirts?", ["T-Shirt"]),
    ("tshirt", ["T-Shirt"]),
    ("电水壶有货吗", ["Electric Kettle"]),
    ("笔记本电脑还有吗", ["Laptop"]),  # not "Notebook" inside it
    ("智能手表", ["Smart Watch"]),
    ("a smartwatch or a wristwatch", ["Smart Watch", "Wristwatch"]),
    ("the weather", []),
])
def test_products(text, found):
    assert sorted(ProductMatcher(PRODUCTS).find(text)) == sorted(found)


def test_option_values_in_english_and_chinese():
    variants = [{"options": {"color": "blue", "size": "M"}}, {"options": {"color": "red", "size": "XL"}},
                {"options": {"color": "black", "size": "S"}}]
    assert ProductMatcher.option_values("a blue one in M", variants) == ["blue", "M"]
    assert ProductMatcher.option_values("I'm after something", variants) == []  # "m" in I'm is not size M
    assert ProductMatcher.option_values("有红色的吗", variants) == ["red"]


ITEMS = [{"item_id": "1111111111", "name": "Headphones"}, {"item_id": "2222222222", "name": "Notebook"},
         {"item_id": "3333333333", "name": "Jigsaw Puzzle"}]


@pytest.mark.parametrize("text, ids", [
    ("all of them", ["1111111111", "2222222222", "3333333333"]),
    ("全部", ["1111111111", "2222222222", "3333333333"]),
    ("the headphones and the notebook", ["1111111111", "2222222222"]),
    ("item 3333333333", ["3333333333"]),
    ("the second one", ["2222222222"]),
    ("第三个", ["3333333333"]),
    ("耳机", ["1111111111"]),
    ("nothing", []),
])
def test_item_picking(text, ids):
    assert pick_items(text, read_signals(text), ITEMS) == ids


@pytest.mark.parametrize("text", ["我" * 4000, "a@" * 2000, "1, " * 1333, "12 Main St, " * 333, "#W1 " * 1000])
def test_long_hostile_messages_are_read_quickly(text):
    import time
    started = time.perf_counter()
    read_signals(text)
    assert time.perf_counter() - started < 5.0  # catches catastrophic backtracking, not machine speed


@pytest.mark.parametrize("text,only", [
    ("What about #W4277243?", True), ("那 #W4277243 呢？", True), ("和 #W1713682 一样吗", True), ("#W1713682", True),
    ("modify order #W1713682", False), ("我要换 #W1713682", False), ("what's the status of #W1713682", False),
    ("what about it?", False),  # no order number: nothing to look up
])
def test_only_reference(text, only):
    assert read_signals(text).only_reference is only
