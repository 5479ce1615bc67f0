"""The order desk over a real SQLite shop: every flow, verification, privacy, corrections, abandonment, state."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.nlu.language import detect_language
from components.nlu.result import NLUResult
from components.orders.order_desk import DeskState, DeskTurn, OrderDesk

SEED = Path(__file__).resolve().parent.parent / "assets" / "shop"

RAJ = {"email": "raj.sanchez2046@example.com", "user_id": "raj_sanchez_2970", "name": "Raj Sanchez", "zip": "92147",
       "pending": "#W4566809", "delivered": "#W7736708", "gift_card": "gift_card_2259499",
       "card": "credit_card_3362387"}
ISABELLA_ORDER = "#W4386313"  # isabella_sanchez_2068's pending order: Skateboard + Bluetooth Speaker


def nlu(text: str, intent: str = "unknown", confidence: float = 0.0, language: str | None = None,
        **entities) -> NLUResult:
    return NLUResult(intent=intent, confidence=confidence, out_of_scope=intent == "unknown",
                     language=language or detect_language(text), entities=entities)


class Chat:
    """Drives the desk like the pipeline does: state stored as JSON between turns."""

    def __init__(self, desk: OrderDesk):
        self.desk = desk
        self.stored = json.dumps(DeskState().to_dict())
        self.turns: list[DeskTurn] = []

    @property
    def state(self) -> DeskState:
        return DeskState.from_dict(json.loads(self.stored))

    def say(self, text: str, **kwargs) -> DeskTurn:
        understanding = nlu(text, **kwargs)
        turn, new_state = self.desk.step(text, understanding, self.state)
        json.dumps(turn.to_dict())  # the trace must be JSON
        self.stored = json.dumps(new_state.to_dict())
        self.turns.append(turn)
        return turn



@pytest.fixture()
def desk(shop) -> OrderDesk:
    return OrderDesk(shop)


@pytest.fixture()
def chat(desk) -> Chat:
    return Chat(desk)


def verified(chat: Chat, email: str = RAJ["email"]) -> Chat:
    turn = chat.say(email)
    assert chat.state.user_id is not None, turn.reply
    return chat


def tools(turn: DeskTurn) -> list[str]:
    return [call["name"] for call in turn.tool_calls]


# -- verification -------------------------------------------------------------------------------------------------
def test_personal_request_asks_for_verification_first_and_touches_nothing(chat):
    turn = chat.say(f"What's the status of order {RAJ['pending']}?")
    assert turn.handled and turn.action == "clarify" and turn.flow == "order_status"
    assert "verify" in turn.reply and "email" in turn.reply
    assert turn.tool_calls == []
    assert chat.state.awaiting == "identity"


def test_email_verification_then_the_requested_order(chat, shop):
    chat.say(f"What's the status of order {RAJ['pending']}?")
    turn = chat.say(RAJ["email"].upper())
    assert chat.state.user_id == RAJ["user_id"]
    assert tools(turn)[0] == "find_user_by_email"
    order = shop.get_order(RAJ["pending"])
    assert "Raj" in turn.reply and order["status"] in turn.reply
    for item in order["items"]:
        assert item["name"] in turn.reply and f"{item['price']:,.2f}" in turn.reply


@pytest.mark.parametrize("lines", [
    ["I want to see my orders", "My name is Raj Sanchez, zip code 92147"],
    ["I want to see my orders", "Raj Sanchez", "92147"],
    ["I want to see my orders", "my zip is 92147", "Raj Sanchez"],
    ["我想看看我的订单", "我叫 Raj Sanchez，邮编 92147"],
])
def test_name_and_zip_verification_in_one_or_more_turns(chat, lines):
    for line in lines:
        turn = chat.say(line)
    assert chat.state.user_id == RAJ["user_id"]
    assert RAJ["pending"] in turn.reply and RAJ["delivered"] in turn.reply


def test_user_id_alone_does_not_verify(chat):
    turn = chat.say(f"I am {RAJ['user_id']}, cancel {RAJ['pending']}")
    assert chat.state.user_id is None
    assert "user id alone" in turn.reply
    assert turn.tool_calls == []


def test_wrong_identity_is_not_accepted_and_three_failures_hand_off(chat, shop):
    first = chat.say("check my order status, email raj.sanchez@example.com")
    assert "couldn't find" in first.reply and chat.state.user_id is None
    second = chat.say("I'm Raj Sanchez, zip 10001")  # right name, wrong zip
    assert "couldn't find" in second.reply and chat.state.user_id is None
    assert not second.handoff
    third = chat.say("raj2046@example.com")
    assert third.handoff and "human agent" in third.reply
    assert chat.state.user_id is None and chat.state.flow is None
    assert RAJ["pending"] not in first.reply + second.reply + third.reply


def test_malformed_email_is_explained(chat):
    turn = chat.say("track my order, my email is raj.sanchez2046@example")
    assert "doesn't look like a complete email" in turn.reply
    assert turn.tool_calls == []


def test_identity_alone_verifies_and_offers_help(chat):
    turn = chat.say(f"hi, it's {RAJ['email']}")
    assert turn.action == "done" and "verified" in turn.reply
    assert chat.state.user_id == RAJ["user_id"] and chat.state.flow is None


# -- privacy ------------------------------------------------------------------------------------------------------
def test_another_customers_order_gets_the_same_answer_as_a_missing_one(chat, shop):
    verified(chat)
    foreign = chat.say(f"What is in order {ISABELLA_ORDER}?")
    missing = chat.say("What is in order #W0000001?")
    assert foreign.reply.replace(ISABELLA_ORDER, "X") == missing.reply.replace("#W0000001", "X")
    fetched = [c["arguments"].get("order_id") for c in foreign.tool_calls if c["name"] == "get_order"]
    assert ISABELLA_ORDER not in fetched
    for item in shop.get_order(ISABELLA_ORDER)["items"]:
        assert item["name"] not in foreign.reply
    assert "Isabella" not in foreign.reply


@pytest.mark.parametrize("request_text", [
    "cancel order #W4386313, I no longer need it",
    "return order #W4386313",
    "change the address of #W4386313 to 1 Main St, Austin, TX 78701",
    "取消订单 #W4386313",
])
def test_no_flow_reaches_another_customers_order(chat, shop, request_text):
    verified(chat)
    before = shop.get_order(ISABELLA_ORDER)
    turn = chat.say(request_text)
    chat.say("yes")
    assert shop.get_order(ISABELLA_ORDER) == before
    assert shop.writes() == []
    assert "Skateboard" not in turn.reply and "Isabella" not in turn.reply


@pytest.mark.parametrize("request_text", [
    "show me the orders of isabella.sanchez6218@example.com",
    "what did isabella_sanchez_2068 buy?",
    "My name is Isabella Sanchez, zip 85093, list my orders",
])
def test_a_verified_customer_cannot_switch_to_another_customer(chat, request_text):
    verified(chat)
    turn = chat.say(request_text)
    assert "only help with the account verified" in turn.reply
    assert chat.state.user_id == RAJ["user_id"]
    assert not any(c["name"] in ("find_user_by_email", "find_user_by_name_zip") for c in turn.tool_calls)
    assert ISABELLA_ORDER not in turn.reply


# -- order status and lists ---------------------------------------------------------------------------------------
def test_order_details_come_from_the_database(chat, shop):
    verified(chat)
    turn = chat.say(f"details of {RAJ['delivered']} please")
    order = shop.get_order(RAJ["delivered"])
    assert turn.action == "done" and tools(turn)[-1] == "get_order"
    for fulfillment in order["fulfillments"]:
        for tracking in fulfillment["tracking_id"]:
            assert tracking in turn.reply
    assert f"{order['payment_history'][0]['amount']:,.2f}" in turn.reply
    assert "ending 2130" in turn.reply  # the Mastercard on Raj's profile
    assert order["address"]["address1"] in turn.reply


def test_status_without_an_order_id_lists_the_customers_orders(chat, shop):
    verified(chat)
    turn = chat.say("where is my order?")
    assert chat.state.awaiting == "order_id"
    for order_id in shop.orders_of(RAJ["user_id"]):
        assert order_id in turn.reply
    second = chat.say("the second one")
    assert shop.orders_of(RAJ["user_id"])[1] in second.reply and second.action == "done"


def test_list_orders_in_chinese(chat, shop):
    chat.say("我有哪些订单？")
    turn = chat.say(RAJ["email"], language="zh")
    assert turn.language == "zh" and "身份已验证" in turn.reply
    for order_id in shop.orders_of(RAJ["user_id"]):
        assert order_id in turn.reply
    assert "待处理" in turn.reply and "已送达" in turn.reply


def test_malformed_and_bare_order_ids(chat, shop):
    verified(chat)
    bad = chat.say("status of order #W45?")
    assert "isn't a valid order number" in bad.reply and chat.state.awaiting == "order_id"
    good = chat.say(RAJ["pending"][2:])  # seven digits alone, while an order number is awaited
    assert good.action == "done" and shop.get_order(RAJ["pending"])["items"][0]["name"] in good.reply


# -- cancel -------------------------------------------------------------------------------------------------------
def test_cancel_needs_a_valid_reason_and_an_explicit_yes(chat, shop):
    verified(chat)
    ask = chat.say(f"cancel {RAJ['pending']}", intent="cancel_order", confidence=0.9)
    assert chat.state.awaiting == "reason" and "no longer needed" in ask.reply
    wrong = chat.say("it's too expensive")
    assert chat.state.awaiting == "reason" and "ordered by mistake" in wrong.reply
    confirm = chat.say("I don't need it anymore")
    assert chat.state.awaiting == "confirm" and "5 to 7 business days" in confirm.reply
    assert shop.get_order(RAJ["pending"])["status"] == "pending"
    unclear = chat.say("hmm, maybe")
    assert "yes" in unclear.reply and shop.get_order(RAJ["pending"])["status"] == "pending"
    done = chat.say("yes")
    assert tools(done)[-1] == "cancel_pending_order" and done.action == "done"
    order = shop.get_order(RAJ["pending"])
    assert order["status"] == "cancelled" and order["cancel_reason"] == "no longer needed"
    later = chat.say(f"status of {RAJ['pending']}")
    assert "cancelled" in later.reply and "refund" in later.reply


def test_a_yes_before_the_details_were_shown_does_not_cancel(chat, shop):
    verified(chat)
    turn = chat.say(f"yes cancel {RAJ['pending']} because I ordered it by mistake, yes")
    assert chat.state.awaiting == "confirm" and "Please confirm" in turn.reply
    assert shop.get_order(RAJ["pending"])["status"] == "pending"


def test_cancel_with_a_gift_card_refunds_immediately(chat, shop):
    verified(chat, "liam.li8523@example.com")
    chat.say("cancel #W1130240, no longer needed")
    turn = chat.say("yes")
    assert "immediately" in turn.reply
    assert shop.get_order("#W1130240")["status"] == "cancelled"


@pytest.mark.parametrize("order_id, status", [("#W7736708", "delivered"), ("#W4931754", "processed")])
def test_only_pending_orders_can_be_cancelled(desk, shop, order_id, status):
    owner = shop.order_owner(order_id)
    chat = verified(Chat(desk), shop.user_profile(owner)["email"])
    turn = chat.say(f"please cancel {order_id}")
    assert f"is {status}" in turn.reply and "only pending orders can be cancelled" in turn.reply
    assert "cancel_pending_order" not in tools(turn) and chat.state.flow is None
    assert shop.get_order(order_id)["status"] == status


def test_correcting_the_order_at_the_confirmation(chat, shop):
    verified(chat, "amelia.patel6926@example.com")
    chat.say("cancel #W2079779, ordered by mistake")
    corrected = chat.say("sorry, I meant #W9077472")
    assert "#W9077472" in corrected.reply and "Please confirm" in corrected.reply
    assert chat.state.slots["order_id"] == "#W9077472"
    chat.say("yes")
    assert shop.get_order("#W9077472")["status"] == "cancelled"
    assert shop.get_order("#W2079779")["status"] == "pending"


def test_saying_no_at_the_confirmation_changes_nothing(chat, shop):
    verified(chat)
    chat.say(f"cancel {RAJ['pending']}, no longer needed")
    turn = chat.say("no")
    assert turn.action == "abandoned" and "Nothing was changed" in turn.reply
    assert shop.get_order(RAJ["pending"])["status"] == "pending" and shop.writes() == []
    assert chat.state.user_id == RAJ["user_id"] and chat.state.flow is None


# -- return -------------------------------------------------------------------------------------------------------
def test_return_items_by_name_to_a_gift_card(chat, shop):
    verified(chat)
    ask_items = chat.say(f"I want to return items from {RAJ['delivered']}")
    assert chat.state.awaiting == "item_ids" and "Luggage Set" in ask_items.reply
    ask_method = chat.say("the headphones and the notebook")
    assert chat.state.awaiting == "payment_method_id"
    assert RAJ["gift_card"] in ask_method.reply and "original" in ask_method.reply
    confirm = chat.say("gift card please")
    assert "406.11" in confirm.reply and chat.state.awaiting == "confirm"
    done = chat.say("yes")
    assert tools(done)[-1] == "return_delivered_order_items"
    order = shop.get_order(RAJ["delivered"])
    assert order["status"] == "return requested"
    assert order["return_items"] == ["3104857380", "6574183535"]
    assert order["return_payment_method_id"] == RAJ["gift_card"]


def test_return_everything_to_the_original_method_in_chinese(chat, shop):
    chat.say("我要退货 #W1067251")
    chat.say(RAJ["email"], language="zh")
    method = chat.say("全部")
    assert method.language == "zh" and "原支付方式" in method.reply
    confirm = chat.say("原路退回")
    assert "1,201.55" in confirm.reply and "尾号 2130" in confirm.reply
    done = chat.say("确认")
    assert "已申请退货" in done.reply
    order = shop.get_order("#W1067251")
    assert order["return_payment_method_id"] == RAJ["card"]
    assert sorted(order["return_items"]) == sorted(i["item_id"] for i in order["items"])


def test_with_a_single_refund_option_it_is_chosen_and_shown(chat, shop):
    verified(chat, "noah.brown7922@example.com")
    chat.say("return #W7678072")
    confirm = chat.say("the first one")
    assert "PayPal" in confirm.reply and "Electric Kettle" in confirm.reply and chat.state.awaiting == "confirm"


def test_pending_orders_cannot_be_returned(chat, shop):
    verified(chat)
    turn = chat.say(f"I want to return {RAJ['pending']}")
    assert "only delivered orders can be returned" in turn.reply and "cancel it instead" in turn.reply
    assert shop.get_order(RAJ["pending"])["status"] == "pending"


# -- address ------------------------------------------------------------------------------------------------------
def test_change_address_with_a_correction(chat, shop):
    verified(chat)
    ask = chat.say(f"please change the shipping address of {RAJ['pending']}")
    assert chat.state.awaiting == "address" and "city" in ask.reply
    chat.say("1 Main St, Austin, TX 78701")
    corrected = chat.say("no wait: 9 Elm Road, Apt 3, Boston, MA 02110")
    assert "9 Elm Road" in corrected.reply and "1 Main St" not in corrected.reply
    chat.say("yes")
    order = shop.get_order(RAJ["pending"])
    assert order["address"] == {"address1": "9 Elm Road", "address2": "Apt 3", "city": "Boston", "state": "MA",
                                "country": "USA", "zip": "02110"}
    assert order["status"] == "pending"
    shown = chat.say(f"details of {RAJ['pending']}")
    assert "9 Elm Road" in shown.reply


def test_change_address_to_the_default_address(desk, shop):
    chat = verified(Chat(desk), "daiki.johnson2279@example.com")
    chat.say("change the address of #W1436802")
    confirm = chat.say("use my default address")
    home = shop.user_profile("daiki_johnson_9523")["address"]
    assert home["address1"] in confirm.reply
    chat.say("yes")
    assert shop.get_order("#W1436802")["address"]["address1"] == home["address1"]


def test_address_of_a_delivered_order_cannot_change(chat, shop):
    verified(chat)
    turn = chat.say(f"change the shipping address of {RAJ['delivered']}")
    assert "only pending orders can be modified" in turn.reply
    assert shop.writes() == []


# -- abandon and change of mind -----------------------------------------------------------------------------------
@pytest.mark.parametrize("start, steps", [
    ("cancel #W4566809", ["no longer needed"]),
    ("return #W7736708", ["all of them"]),
    ("change the address of #W4566809", ["1 Main St, Austin, TX 78701"]),
    ("取消订单 #W4566809", []),
    ("我要退货 #W7736708", ["全部"]),
])
@pytest.mark.parametrize("give_up", ["never mind", "forget it", "算了"])
def test_any_flow_can_be_abandoned(chat, shop, start, steps, give_up):
    verified(chat)
    chat.say(start)
    for step in steps:
        chat.say(step)
    assert chat.state.flow is not None
    turn = chat.say(give_up)
    assert turn.action == "abandoned" and chat.state.flow is None and chat.state.awaiting is None
    assert chat.state.user_id == RAJ["user_id"]
    assert shop.writes() == []
    assert ("没有做任何更改" in turn.reply) if give_up == "算了" else ("Nothing was changed" in turn.reply)


def test_changing_ones_mind_switches_flow_and_keeps_the_order(chat, shop):
    verified(chat)
    chat.say(f"cancel {RAJ['pending']}")
    turn = chat.say("actually I'd rather change the shipping address instead")
    assert chat.state.flow == "change_address" and chat.state.slots["order_id"] == RAJ["pending"]
    assert "new shipping address" in turn.reply


def test_off_topic_question_mid_flow_is_left_to_the_knowledge_base(chat, desk):
    verified(chat)
    chat.say(f"cancel {RAJ['pending']}")
    state = chat.state
    question = "how long do refunds usually take?"
    assert not desk.wants(question, nlu(question, intent="check_refund_policy", confidence=0.9), state)
    turn, same = desk.step(question, nlu(question, intent="check_refund_policy", confidence=0.9), state)
    assert not turn.handled and same == state
    assert chat.say("ordered by mistake").reply.startswith("Please confirm")


# -- availability -------------------------------------------------------------------------------------------------
def test_availability_needs_no_verification_and_matches_the_database(chat, shop):
    turn = chat.say("Is the Yoga Mat in stock?")
    facts = shop.product_availability("Yoga Mat")
    assert f"{facts['available_count']} of {facts['total_variants']}" in turn.reply
    assert chat.state.user_id is None and tools(turn) == ["product_availability"]


def test_availability_with_options_and_an_ambiguous_name(chat, shop):
    ambiguous = chat.say("do you have a kettle?")
    assert "Electric Kettle" in ambiguous.reply and "Tea Kettle" in ambiguous.reply
    chosen = chat.say("the tea one")
    facts = shop.product_availability("Tea Kettle")
    assert f"{facts['available_count']} of {facts['total_variants']}" in chosen.reply
    blue = chat.say("T恤有蓝色的吗？")
    blue_facts = shop.product_availability("T-Shirt", {"*": ["blue"]})
    assert blue.language == "zh" and f"{blue_facts['total_variants']} 个款式中有 {blue_facts['available_count']}" in \
        blue.reply


# -- routing ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, intent, wanted", [
    ("where is my order?", "track_order", True),
    ("wanna know wher my stuff is", "track_order", True),          # odd phrasing: the intent carries it
    ("我想查询我的订单状态", "unknown", True),                          # Chinese: keywords carry it
    ("#W4566809", "unknown", True),
    ("what is your return policy?", "check_refund_policy", False),
    ("how long does a refund take?", "check_refund_policy", False),
    ("cancel my newsletter subscription", "newsletter_subscription", False),
    ("I forgot my password", "recover_password", False),
    ("what's the weather?", "unknown", False),
    ("Can you help me with my tax return?", "get_refund", False),  # no order's return (it asked for identity)
    ("Where is my tax refund?", "track_refund", False),
    ("I need to change my return flight", "unknown", False),
    ("hello", "unknown", False),
    # the customer's own item is no stock question ("suitcase" is a shop product); the shop's one is
    ("the wheel on my suitcase is broken, can you help?", "unknown", False),
    ("is the suitcase any good?", "unknown", True),
    ("yes", "unknown", False),
    ("never mind", "unknown", False),
])
def test_wants(desk, text, intent, wanted):
    assert desk.wants(text, nlu(text, intent=intent, confidence=0.9 if intent != "unknown" else 0.1),
                      DeskState()) is wanted


def test_a_turn_the_desk_does_not_take_leaves_the_state_alone(desk):
    state = DeskState(user_id=RAJ["user_id"], context={"language": "en"})
    turn, same = desk.step("tell me a joke", nlu("tell me a joke"), state)
    assert not turn.handled and same is state and turn.reply == ""


def test_replies_follow_the_nlu_language(chat):
    turn = chat.say("cancel my order", language="zh")
    assert turn.language == "zh" and "验证" in turn.reply


def test_tool_calls_are_recorded_with_results_errors_and_timings(chat):
    verified(chat)
    turn = chat.say(f"cancel {RAJ['pending']}, no longer needed")
    for call in turn.tool_calls:
        assert set(call) >= {"name", "arguments", "ms"} and ("result" in call or "error" in call)
        assert call["ms"] >= 0
    assert {"slot": "reason", "value": "no longer needed"} in turn.slot_events


def test_state_round_trips_through_json():
    state = DeskState(user_id="u", flow="cancel_order", slots={"order_id": "#W1234567"}, awaiting="reason",
                      context={"language": "zh"})
    assert DeskState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    assert DeskState.from_dict(None) == DeskState()


def test_exchange_requests_are_the_desks_own_and_start_with_verification(chat):
    turn = chat.say("I want to exchange my t-shirt for a different size")
    assert not turn.handoff and turn.flow == "exchange" and chat.state.awaiting == "identity"
    assert not tools(turn)


def test_desk_turns_are_fast(chat):
    import time
    verified(chat)
    started = time.perf_counter()
    for _ in range(20):
        chat.say(f"details of {RAJ['delivered']}")
    per_turn_ms = (time.perf_counter() - started) * 1000 / 20
    # a guard against pathological slowness (a desk turn takes ~0.5 ms); speed itself is a benchmark's job
    assert per_turn_ms < 500, per_turn_ms


def test_no_reply_leaks_placeholders(chat):
    verified(chat)
    for text in ["cancel #W4566809", "no longer needed", "no", "return #W7736708", "all", "gift card", "never mind",
                 "我要改地址 #W4566809", "默认地址", "不要"]:
        reply = chat.say(text).reply
        assert not re.search(r"\{[a-z_]+\}", reply), reply


def test_a_classifier_guess_does_not_switch_flows_mid_flow(chat, shop):
    verified(chat, "evelyn.wilson8748@example.com")
    chat.say("我想退货")
    turn = chat.say("#W6392164", intent="get_invoice", confidence=0.8)  # an order id read as an invoice request
    assert chat.state.flow == "return_items" and chat.state.awaiting == "item_ids"
    assert "Cycling Helmet" in turn.reply


def test_an_answer_with_another_flows_words_stays_in_the_flow(chat, shop):
    verified(chat)
    chat.say(f"change the shipping address of {RAJ['pending']}")
    turn = chat.say("please deliver it to 12 Oak Road, Austin, TX 78701")
    assert chat.state.flow == "change_address" and chat.state.awaiting == "confirm"
    assert "12 Oak Road" in turn.reply


def test_profile_shows_own_details_and_the_gift_card_refund(chat, shop):
    chat.say("what is my gift card balance?")
    before = chat.say("liam.li8523@example.com")
    balance = shop.user_profile("liam_li_8526")["payment_methods"]["gift_card_5427896"]["balance"]
    assert f"{balance:,.2f}" in before.reply and "638 Hickory Lane" in before.reply
    chat.say("cancel #W1130240, no longer needed")
    chat.say("yes")
    after = chat.say("我的礼品卡余额是多少", language="zh")
    assert f"{balance + 512.88:,.2f}" in after.reply and after.language == "zh"


@pytest.mark.parametrize("follow_up", ["What about {order}?", "那 {order} 呢？", "{order}", "and {order}"])
def test_a_bare_follow_up_about_another_order_looks_it_up(chat, follow_up):
    # the classifier reads an intent into the order number ("change_order" 0.99 is what it said); the words name no
    # request, so the desk looks the order up instead of handing an exchange to a person
    verified(chat)
    chat.say(f"status of {RAJ['pending']}")
    turn = chat.say(follow_up.format(order=RAJ["delivered"]), intent="change_order", confidence=0.99)
    assert not turn.handoff and turn.flow == "order_status", turn.reason
    assert "get_order" in tools(turn) and RAJ["delivered"] in turn.reply
    # words that do name a request still count, whatever else the message holds
    turn = chat.say(f"can I swap the items of {RAJ['pending']}", intent="change_order", confidence=0.99)
    assert not turn.handoff and turn.flow == "exchange" and chat.state.awaiting == "item_ids"
