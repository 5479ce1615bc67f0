"""The shipped order-desk scenario suite, run through the real desk on a fresh real SQLite shop, and the runner."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from components.nlu.language import detect_language
from components.nlu.result import NLUResult
from components.orders.order_desk import OrderDesk
from components.orders.scenario_runner import check_turn, desk_turn_function, run_scenarios, validate_scenarios
from components.orders.shop_database import ShopDatabase

ROOT = Path(__file__).resolve().parent.parent
SUITE = ROOT / "assets" / "scenarios" / "order_desk.yaml"

# A stand-in for the NLU component: Bitext labels from a few English keywords, language, and entities.
_KEYWORD_INTENTS = [
    (re.compile(r"\bcancel", re.I), "cancel_order"),
    (re.compile(r"where is my order|track|status", re.I), "track_order"),
    (re.compile(r"\breturn|\brefund", re.I), "get_refund"),
    (re.compile(r"address", re.I), "change_shipping_address"),
    (re.compile(r"exchange", re.I), "change_order"),
]


def keyword_nlu(text: str) -> NLUResult:
    intent, confidence = "unknown", 0.2
    for pattern, label in _KEYWORD_INTENTS:
        if pattern.search(text):
            intent, confidence = label, 0.9
            break
    entities = {}
    order = re.search(r"#W\d{7}", text)
    if order:
        entities["order_id"] = order.group(0)
    email = re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    if email:
        entities["email"] = email.group(0)
    return NLUResult(intent=intent, confidence=confidence, out_of_scope=intent == "unknown",
                     language=detect_language(text), entities=entities)


@pytest.fixture(scope="module")
def suite() -> list[dict]:
    return yaml.safe_load(SUITE.read_text(encoding="utf-8"))


@pytest.fixture()
def desk(tmp_path) -> OrderDesk:
    return OrderDesk(ShopDatabase.fresh_copy(tmp_path / "shop.sqlite3", ROOT / "assets" / "shop"))


def test_shipped_suite_is_well_formed_and_covers_every_flow(suite):
    validate_scenarios(suite)
    text = yaml.safe_dump(suite, allow_unicode=True)
    for tool in ("cancel_pending_order", "return_delivered_order_items", "modify_pending_order_address",
                 "product_availability", "find_user_by_email", "find_user_by_name_zip", "user_profile"):
        assert tool in text, f"no scenario checks {tool}"
    users = [turn["user"] for scenario in suite for turn in scenario["turns"]]
    assert sum(bool(re.search(r"[\u4e00-\u9fff]", u)) for u in users) >= 15, "too few Chinese turns"
    assert len(suite) >= 20


def test_shipped_suite_passes_on_the_desk(suite, desk):
    result = run_scenarios(desk_turn_function(desk, keyword_nlu), suite)
    assert result["failed"] == 0, "\n".join(
        f"{f['scenario']} turn {f['turn']} ({f['user']}): {f['problems']}\n  reply: {f['reply']}"
        for f in result["failures"])
    assert result["passed"] == len(suite)


def test_suite_writes_really_land_in_sqlite(suite, desk):
    run_scenarios(desk_turn_function(desk, keyword_nlu), suite)
    shop = desk.shop
    assert shop.get_order("#W1130240")["status"] == "cancelled"
    assert shop.get_order("#W2624389")["status"] == "cancelled"
    assert shop.get_order("#W7736708")["status"] == "return requested"
    assert shop.get_order("#W6392164")["status"] == "return requested"
    assert shop.get_order("#W1436802")["address"]["address1"] == "742 Evergreen Terrace"
    assert shop.get_order("#W8268544")["address"]["address1"] == "200 Oak Avenue"
    # abandoned, declined or refused flows changed nothing
    for order_id, status in (("#W2417020", "pending"), ("#W6497157", "delivered"), ("#W4806309", "pending"),
                             ("#W4566809", "pending"), ("#W4386313", "pending")):
        assert shop.get_order(order_id)["status"] == status
    assert shop.get_order("#W4806309")["address"]["address1"] != "55 Ocean Drive"
    assert len(shop.writes()) == 6


def test_runner_reports_each_broken_expectation_with_the_reply():
    replies = iter(["Hello there", "Order #W1 is pending"])

    def turn_fn(key, text):
        return {"reply": next(replies), "intent": "greet", "action": "small_talk", "tool": None, "handoff": False}

    scenarios = [{"name": "one", "turns": [
        {"user": "hi", "expect": {"reply_contains": ["hello", ["bye", "ciao"]], "intent": "greet"}},
        {"user": "status", "expect": {"reply_not_contains": ["PENDING"], "tool": "get_order", "handoff": True,
                                      "action": ["tool_flow", "clarify"]}},
    ]}]
    result = run_scenarios(turn_fn, scenarios)
    assert (result["passed"], result["failed"], result["turns"]) == (0, 1, 2)
    first, second = result["failures"]
    assert first["problems"] == ["reply lacks 'bye | ciao'"]
    assert first["reply"] == "Hello there"
    assert len(second["problems"]) == 4
    assert any("contains 'PENDING'" in p for p in second["problems"])


def test_runner_counts_passes_and_isolates_conversations():
    seen = []

    def turn_fn(key, text):
        seen.append(key)
        return {"reply": f"echo {text}", "intent": None, "action": "clarify", "tool": None, "handoff": False}

    scenarios = [{"name": "a", "turns": [{"user": "x", "expect": {"reply_contains": ["ECHO x"], "tool": None}}]},
                 {"name": "a", "turns": [{"user": "y", "expect": {"action": "clarify", "handoff": False}}]}]
    result = run_scenarios(turn_fn, scenarios)
    assert (result["passed"], result["failed"]) == (2, 0)
    assert seen[0] != seen[1]


def test_runner_survives_a_crashing_turn():
    def turn_fn(key, text):
        if text == "boom":
            raise RuntimeError("engine down")
        return {"reply": "fine"}

    result = run_scenarios(turn_fn, [{"name": "crash", "turns": [{"user": "boom"}, {"user": "never"}]},
                                     {"name": "ok", "turns": [{"user": "x", "expect": {"reply_contains": ["fine"]}}]}])
    assert (result["passed"], result["failed"]) == (1, 1)
    assert "engine down" in result["failures"][0]["problems"][0]


@pytest.mark.parametrize("bad, message", [
    ({"name": "x"}, "turns"),
    ({"name": "x", "turns": [{"expect": {}}]}, "user"),
    ({"name": "x", "turns": [{"user": "hi", "expect": {"reply_has": ["a"]}}]}, "unknown expectation"),
    ({"name": "x", "turns": [{"user": "hi", "expect": {"reply_contains": "a"}}]}, "must be a list"),
])
def test_malformed_scenarios_are_rejected_with_a_reason(bad, message):
    with pytest.raises(ValueError, match=message):
        validate_scenarios([bad])


def test_check_turn_tool_null_means_no_tool():
    assert check_turn({"tool": None}, {"tool": None}) == []
    assert check_turn({"tool": None}, {"tool": "get_order"}) == ["tool is 'get_order', expected None"]
