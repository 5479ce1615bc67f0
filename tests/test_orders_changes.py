"""Exchanges, item changes, payment changes and the default address: the shop database's policy-checked writes,
the order desk's flows over a real SQLite shop, exact item matching by option words, and `eval desk`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.orders.desk_signals import match_items, pick_items, read_signals
from components.orders.order_desk import OrderDesk
from tests.test_orders_desk import Chat, tools

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = {t["function"]["name"]: t["function"]["parameters"]
          for t in json.loads((ROOT / "assets" / "shop" / "tools_schema.json").read_text())}
WRITES = ("cancel_pending_order", "return_delivered_order_items", "modify_pending_order_address",
          "exchange_delivered_order_items", "modify_pending_order_items", "modify_pending_order_payment",
          "modify_user_address")

OMAR = {"email": "omar.lopez1868@example.com", "order": "#W7273336", "paypal": "paypal_1530316",
        "mouse": "8214883393", "white_optical_wired": "2880340443", "bookshelf": "8018699955",
        "glass_brown_5ft": "4894369688"}
# olivia_ito_3591: gift card $56, PayPal, a Visa ending 9182; three pending orders
OLIVIA = {"email": "olivia.ito5204@example.com", "pending": "#W5442520", "gift": "gift_card_7794233",
          "paypal": "paypal_8049766", "card": "credit_card_9753331", "umbrella": "3111466194",
          "umbrella_6ft_blue": "2001307871"}
TWO_VACUUMS = "#W9502127"  # daiki_johnson_9523's: canister and robotic vacuum cleaners, an air purifier, ...


@pytest.fixture()
def chat(shop) -> Chat:
    return Chat(OrderDesk(shop))


def schema_shaped(call: dict) -> bool:
    params = SCHEMA[call["name"]]
    return set(call["arguments"]) <= set(params["properties"]) and set(params["required"]) <= set(call["arguments"])


# -- exact items --------------------------------------------------------------------------------------------------
def test_option_words_pick_the_named_variant_only(shop):
    """The regression: 'the robotic vacuum cleaner' took both vacuum cleaners of the order."""
    items = shop.get_order(TWO_VACUUMS)["items"]
    by_name = {(i["name"], i["options"].get("type")): i["item_id"] for i in items}
    text = "The air purifier and the robotic vacuum cleaner"
    assert sorted(pick_items(text, read_signals(text), items)) == sorted(
        [by_name[("Air Purifier", None)], by_name[("Vacuum Cleaner", "robotic")]])
    text = "the canister vacuum"
    assert pick_items(text, read_signals(text), items) == [by_name[("Vacuum Cleaner", "canister")]]
    picked, ambiguous = match_items("the vacuum cleaner", read_signals("the vacuum cleaner"), items)
    assert picked == [] and len(ambiguous) == 1 and len(ambiguous[0]) == 2
    picked, ambiguous = match_items("both vacuum cleaners", read_signals("both vacuum cleaners"), items)
    assert len(picked) == 2 and not ambiguous


def test_the_desk_asks_which_variant_and_never_takes_more(chat, shop):
    chat.say("daiki.johnson2279@example.com")
    turn = chat.say(f"I want to return the vacuum cleaner from {TWO_VACUUMS}")
    assert chat.state.awaiting == "which_item" and "canister" in turn.reply and "robotic" in turn.reply
    turn = chat.say("the robotic one")
    assert chat.state.slots["item_ids"] == [i["item_id"] for i in shop.get_order(TWO_VACUUMS)["items"]
                                            if i["options"].get("type") == "robotic"]
    assert not any(c["name"] == "return_delivered_order_items" for c in turn.tool_calls)


# -- the database's writes ----------------------------------------------------------------------------------------
def test_exchange_once_with_the_policy_checks(shop):
    order = shop.exchange_delivered_order_items(OMAR["order"], [OMAR["mouse"]], [OMAR["white_optical_wired"]],
                                                OMAR["paypal"], user_id="omar_lopez_3107")
    assert order["status"] == "exchange requested" and order["exchange_new_items"] == [OMAR["white_optical_wired"]]
    assert order["exchange_price_difference"] == round(137.22 - 150.58, 2)
    with pytest.raises(ValueError, match="only once"):
        shop.exchange_delivered_order_items(OMAR["order"], [OMAR["bookshelf"]], [OMAR["glass_brown_5ft"]],
                                            OMAR["paypal"])


@pytest.mark.parametrize("new_item, message", [
    ("7706410293", "not a variant"),          # a keyboard for a mouse: another product type
    ("5796612084", "out of stock"),           # a gaming mouse variant that is not available
])
def test_exchange_refuses_other_products_and_unavailable_variants(shop, new_item, message):
    products = shop.product_availability(OMAR["mouse"])
    if message == "out of stock":
        new_item = next(v["item_id"] for v in products["variants"] if not v["available"])
    with pytest.raises(ValueError, match=message):
        shop.exchange_delivered_order_items(OMAR["order"], [OMAR["mouse"]], [new_item], OMAR["paypal"])
    assert shop.get_order(OMAR["order"])["status"] == "delivered"


def test_modify_items_pays_with_a_gift_card_only_when_it_covers_the_difference(shop):
    # the umbrella change costs $16.97 more; the gift card holds $56
    order = shop.modify_pending_order_items(OLIVIA["pending"], [OLIVIA["umbrella"]], [OLIVIA["umbrella_6ft_blue"]],
                                            OLIVIA["gift"], user_id="olivia_ito_3591")
    assert order["status"] == "pending (item modified)"
    assert any(i["item_id"] == OLIVIA["umbrella_6ft_blue"] for i in order["items"])
    assert order["payment_history"][-1] == {"transaction_type": "payment", "amount": 16.97,
                                            "payment_method_id": OLIVIA["gift"]}
    assert shop.user_profile("olivia_ito_3591")["payment_methods"][OLIVIA["gift"]]["balance"] == round(56 - 16.97, 2)
    with pytest.raises(ValueError, match="only once"):
        shop.modify_pending_order_items(OLIVIA["pending"], [OLIVIA["umbrella_6ft_blue"]], [OLIVIA["umbrella"]],
                                        OLIVIA["paypal"])
    with pytest.raises(ValueError, match="only pending"):
        shop.cancel_pending_order(OLIVIA["pending"], "no longer needed")


def test_payment_change_and_gift_card_balance(shop):
    with pytest.raises(ValueError, match="does not cover"):
        shop.modify_pending_order_payment(OLIVIA["pending"], OLIVIA["gift"])  # $56 for a $663.85 order
    order = shop.modify_pending_order_payment(OLIVIA["pending"], OLIVIA["paypal"], user_id="olivia_ito_3591")
    assert [p["transaction_type"] for p in order["payment_history"]] == ["payment", "payment", "refund"]
    assert order["status"] == "pending"
    with pytest.raises(ValueError, match="changed already"):
        shop.modify_pending_order_payment(OLIVIA["pending"], OLIVIA["card"])
    with pytest.raises(ValueError, match="no order"):
        shop.modify_pending_order_payment("#W7273336", OLIVIA["paypal"], user_id="olivia_ito_3591")


def test_user_address(shop):
    profile = shop.modify_user_address("olivia_ito_3591", "1 Main St", "", "Austin", "TX", "USA", "78701")
    assert profile["address"]["city"] == "Austin"
    assert shop.user_profile("olivia_ito_3591")["address"]["zip"] == "78701"
    with pytest.raises(ValueError, match="missing"):
        shop.modify_user_address("olivia_ito_3591", "1 Main St", "", "", "TX", "USA", "78701")


# -- the desk's flows ---------------------------------------------------------------------------------------------
def test_exchange_lists_everything_waits_for_yes_and_records_schema_arguments(chat, shop):
    chat.say(OMAR["email"])
    confirm = chat.say(f"I'd like to exchange the black laser gaming mouse from {OMAR['order']} for a white optical "
                       "one, whichever is cheaper, and the 4 ft metal bookshelf for a 5 feet glass one")
    assert chat.state.awaiting == "confirm"
    for fact in ("Gaming Mouse", "white, optical, wired", "glass, brown, 5 ft", "55.79", "PayPal", "only once"):
        assert fact in confirm.reply
    assert shop.get_order(OMAR["order"])["status"] == "delivered"  # nothing written before the yes
    done = chat.say("yes")
    call = next(c for c in done.tool_calls if c["name"] == "exchange_delivered_order_items")
    assert schema_shaped(call) and call["arguments"] == {
        "order_id": OMAR["order"], "item_ids": [OMAR["bookshelf"], OMAR["mouse"]],
        "new_item_ids": [OMAR["glass_brown_5ft"], OMAR["white_optical_wired"]], "payment_method_id": OMAR["paypal"]}
    assert shop.get_order(OMAR["order"])["status"] == "exchange requested"
    again = chat.say(f"I also want to exchange the pet bed from {OMAR['order']} for a large one")
    assert "only once" in again.reply and "exchange_delivered_order_items" not in tools(again)


def test_exchange_failure_paths(chat, shop):
    chat.say(OMAR["email"])
    other = chat.say(f"Can I exchange the gaming mouse in {OMAR['order']} for a mechanical keyboard?")
    assert "same product" in other.reply and not chat.state.flow
    chat.say(f"exchange the bookshelf in {OMAR['order']}")
    out = chat.say("glass, white, 4 ft")  # that variant is out of stock
    assert "out of stock" in out.reply and chat.state.awaiting == "new_options"
    no = chat.say("no thanks, never mind")
    assert "Nothing was changed" in no.reply
    assert shop.get_order(OMAR["order"])["status"] == "delivered" and not shop.writes()


def test_modify_items_with_an_insufficient_gift_card_then_another_method(chat, shop):
    chat.say("My name is Olivia Ito, zip 80218")
    turn = chat.say(f"For {OLIVIA['pending']} change the patio umbrella to the 6 ft blue sunbrella one with auto tilt")
    assert chat.state.awaiting == "payment_method_id" and "16.97" in turn.reply
    ok = chat.say("the gift card")
    assert chat.state.awaiting == "confirm" and "gift card" in ok.reply
    chat.say("no")
    # a payment change to the gift card cannot be covered by $56
    short = chat.say(f"Please pay for {OLIVIA['pending']} with my gift card instead")
    assert "doesn't cover" in short.reply and chat.state.awaiting == "payment_method_id"
    confirm = chat.say("PayPal then")
    assert chat.state.awaiting == "confirm" and "PayPal" in confirm.reply
    done = chat.say("yes")
    call = done.tool_calls[-1]
    assert call["name"] == "modify_pending_order_payment" and schema_shaped(call)
    assert call["arguments"] == {"order_id": OLIVIA["pending"], "payment_method_id": OLIVIA["paypal"]}


def test_no_change_flow_reaches_another_customers_order(chat, shop):
    chat.say(OMAR["email"])
    for text in (f"exchange the gaming mouse in {OLIVIA['pending']} for a white one",
                 f"pay for {OLIVIA['pending']} with PayPal instead"):
        turn = chat.say(text)
        assert "can't find order" in turn.reply
        assert not any(c["name"] == "get_order" and c["arguments"].get("order_id") == OLIVIA["pending"]
                       for c in turn.tool_calls)
        chat.say("never mind")
    assert not shop.writes()


def test_default_address_in_chinese(chat, shop):
    chat.say(OLIVIA["email"], language="zh")
    turn = chat.say("我想修改默认地址为 12 Oak Road, Austin, TX 78701")
    assert turn.language == "zh" and "请确认" in turn.reply and "12 Oak Road" in turn.reply
    done = chat.say("确认")
    call = done.tool_calls[-1]
    assert call["name"] == "modify_user_address" and schema_shaped(call)
    assert call["arguments"]["user_id"] == "olivia_ito_3591"
    assert shop.user_profile("olivia_ito_3591")["address"]["address1"] == "12 Oak Road"


def test_every_write_tool_is_schema_shaped():
    import inspect

    from components.orders.shop_database import ShopDatabase

    for name in WRITES:
        parameters = set(inspect.signature(getattr(ShopDatabase, name)).parameters) - {"self", "user_id", "address"}
        assert set(SCHEMA[name]["properties"]) <= parameters | ({"user_id"} if name == "modify_user_address" else set())


# -- eval desk ----------------------------------------------------------------------------------------------------
def test_eval_desk_passes_a_right_conversation_and_fails_a_wrong_one(tmp_path):
    from components.orders.desk_eval import run_desk_eval
    from components.settings import Settings

    gold = [{"name": "modify_pending_order_items", "kwargs": {
        "order_id": OLIVIA["pending"], "item_ids": [OLIVIA["umbrella"]], "new_item_ids": [OLIVIA["umbrella_6ft_blue"]],
        "payment_method_id": OLIVIA["paypal"]}}]
    opening = ["I'm Olivia Ito, zip 80218",
               f"In {OLIVIA['pending']} change the patio umbrella to the 6 ft blue sunbrella one with auto tilt"]
    tasks = [{"task": "right", "user_id": "olivia_ito_3591", "turns": opening + ["PayPal", "yes"], "actions": gold},
             {"task": "said no", "user_id": "olivia_ito_3591", "turns": opening + ["PayPal", "no"], "actions": gold},
             {"task": "other method", "user_id": "olivia_ito_3591", "turns": opening + ["the gift card", "yes"],
              "actions": gold}]
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks))
    result = run_desk_eval(Settings(data_dir=tmp_path), tasks=str(path), desk_only=True)
    verdicts = {t["task"]: t["passed"] for t in result["tasks"]}
    assert verdicts == {"right": True, "said no": False, "other method": False}
    assert result["passed"] == 1 and result["total"] == 3
    wrong = next(t for t in result["tasks"] if t["task"] == "other method")
    assert any("gift_card_7794233" in p or "payment" in p for p in wrong["problems"])


def test_shipped_change_scenarios_pass_on_the_desk(shop):
    import yaml

    from components.orders.scenario_runner import desk_turn_function, run_scenarios, validate_scenarios
    from tests.test_orders_scenarios import keyword_nlu

    suite = yaml.safe_load((ROOT / "assets" / "scenarios" / "order_changes.yaml").read_text(encoding="utf-8"))
    validate_scenarios(suite)
    text = yaml.safe_dump(suite, allow_unicode=True)
    for tool in ("exchange_delivered_order_items", "modify_pending_order_items", "modify_pending_order_payment",
                 "modify_user_address"):
        assert tool in text, f"no scenario checks {tool}"
    result = run_scenarios(desk_turn_function(OrderDesk(shop), keyword_nlu), suite)
    assert result["failed"] == 0, "\n".join(
        f"{f['scenario']} turn {f['turn']} ({f['user']}): {f['problems']}\n  reply: {f['reply']}"
        for f in result["failures"])
    assert shop.get_order("#W7273336")["status"] == "exchange requested"
    assert shop.get_order("#W8327915")["status"] == "pending (item modified)"
    assert shop.user_profile("mei_ahmed_5058")["address"]["address1"] == "833 Hickory Lane"


def test_shipped_task_files_are_well_formed():
    from components.orders.desk_eval import load_tasks

    dev = load_tasks(ROOT / "assets" / "eval" / "desk_tasks_dev.yaml")
    own = load_tasks(ROOT / "assets" / "eval" / "desk_tasks_own.yaml")
    assert len(dev) >= 90 and len({t["task"] for t in dev}) == len(dev)
    names = {a["name"] for t in dev + own for a in t["actions"]}
    assert set(WRITES) <= names, set(WRITES) - names  # every write is exercised by some task


def test_the_order_is_found_from_the_product_named(chat, shop):
    chat.say("I want to exchange the t-shirt I received, it's the wrong color")
    turn = chat.say("Lei Khan, zip 92182")  # one delivered order holds a T-shirt: #W2787996
    assert chat.state.slots.get("order_id") == "#W2787996" and chat.state.awaiting == "new_options"
    assert "T-Shirt" in turn.reply and "purple, S, polyester, v-neck" in turn.reply
