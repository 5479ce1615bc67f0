"""Entity extraction and language detection: pure functions, table tests."""
import pytest

from components.nlu.entities import extract_entities
from components.nlu.language import detect_language


@pytest.mark.parametrize("text, key, expected", [
    ("where is my order #W2611340?", "order_id", "#W2611340"),
    ("order W5918442 please", "order_id", "#W5918442"),
    ("it's w5918442", "order_id", "#W5918442"),
    ("我的订单号是#W1234567", "order_id", "#W1234567"),
    ("订单号：W7654321，谢谢", "order_id", "#W7654321"),
    ("订单号＃Ｗ１２３４５６７", "order_id", "#W1234567"),  # full-width input
    ("my email is Yusuf.Rossi_9@Example.com thanks", "email", "yusuf.rossi_9@example.com"),
    ("邮箱是mei.kovacs8232@example.com", "email", "mei.kovacs8232@example.com"),
    ("my zip is 19122", "zip", "19122"),
    ("邮编 10001", "zip", "10001"),
    ("I want to return item 1234567890", "item_id", "1234567890"),
    ("my name is Yusuf Rossi", "name", "Yusuf Rossi"),
    ("my name is yusuf rossi and my zip is 19122", "name", "Yusuf Rossi"),
    ("Hi, I'm Mei Kovacs", "name", "Mei Kovacs"),
    ("我叫张三", "name", "张三"),
    ("我的名字是 Yusuf Rossi", "name", "Yusuf Rossi"),
])
def test_entity_found(text, key, expected):
    assert extract_entities(text).get(key) == expected


@pytest.mark.parametrize("text, key", [
    ("order W12345678 has eight digits", "order_id"),
    ("I paid $12345 for it", "zip"),
    ("item 1234567890", "zip"),            # ten digits are an item, not a zip
    ("order #W2611340", "zip"),            # digits of an order id are not a zip
    ("I'm waiting for my order", "name"),
    ("I am very upset", "name"),
    ("我是新用户", "name"),
    ("contact me at not-an-email@", "email"),
])
def test_entity_not_found(text, key):
    assert key not in extract_entities(text)


def test_name_split_for_lookup_by_name_and_zip():
    found = extract_entities("My name is Yusuf Rossi, zip code 19122")
    assert (found["first_name"], found["last_name"], found["zip"]) == ("Yusuf", "Rossi", "19122")


def test_several_ids():
    found = extract_entities("return 1234567890 and 2345678901 from #W2611340 and #W5918442")
    assert found["item_ids"] == "1234567890,2345678901"
    assert found["order_ids"] == "#W2611340,#W5918442"


@pytest.mark.parametrize("text, expected", [
    ("我想查询我的订单状态", "zh"),
    ("where is my order", "en"),
    ("我的订单#W2611340到哪了", "zh"),
    ("请问 order W5918442 什么时候到", "zh"),
    ("hello 你好", "zh"),
    ("Is the iPhone 15 in stock?", "en"),
    ("", "en"),
    ("12345", "en"),
])
def test_language(text, expected):
    assert detect_language(text) == expected
