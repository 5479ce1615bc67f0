"""The order desk: multi-turn flows over the shop database, following the shop policy (assets/shop/wiki.md).

Flows: order status and details, list orders, cancel a pending order, return items of a delivered order, exchange
items of a delivered order or change items of a pending order (another available variant of the same product, the
price difference settled with one of the customer's payment methods), change the shipping address or the payment
method of a pending order, change the customer's default address, product availability. Personal flows start by
verifying the customer (email, or first name + last name + zip code). Every write needs the details listed and an
explicit yes in the next turn, and goes through the shop database with the shop tool schema's arguments.
A customer never sees another customer's data: an order that is not theirs gets the same answer as an order that
does not exist, and the desk never fetches it.

`wants()` and `step()` are pure functions of (text, NLU result, state); the state is plain JSON for the event log.
"""
from __future__ import annotations

import copy
import dataclasses
import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from components.nlu.cjk_characters import HAN_NO_HEXAGRAMS
from components.nlu.language import detect_language
from components.nlu.result import NLUResult
from components.orders import desk_replies as R
from components.orders.desk_signals import (INTENT_FLOWS, OTHER_RETURNS, PIVOT, ProductMatcher, Signals, match_items,
                                            read_signals)
from components.orders.variant_choice import choose_variant
from components.orders.shop_database import ShopDatabase
from components.orders.tool_calls import record_call

log = logging.getLogger(__name__)

FLOWS = ("order_status", "list_orders", "cancel_order", "return_items", "change_address", "exchange", "change_payment",
         "change_user_address", "availability", "profile")
ORDER_FLOWS = ("order_status", "cancel_order", "return_items", "change_address", "exchange", "change_payment")
PERSONAL_FLOWS = ORDER_FLOWS + ("list_orders", "profile", "change_user_address")
_CHANGE_MIND = re.compile(r"\b(actually|instead|rather|on second thought|changed my mind|wait|then)\b|其实|还是|改成|不如|改为|那就",
                          re.IGNORECASE)
_REFERS_BACK = re.compile(r"\b(it|this order|that order|this one|that one|them|the order|(the )?same order)\b|"
                          r"它|这个订单|那个订单|这单|该订单|同一个订单|这个订单",
                          re.IGNORECASE)
_DESK_INTENTS = set(INTENT_FLOWS) | {"check_invoice", "get_invoice", "place_order", "delivery_period"}
# confident NLU labels for general questions: without an order number these go to the knowledge base
_GENERAL_INTENTS = {"set_up_shipping_address", "delivery_options", "check_payment_methods", "payment_issue",
                    "check_refund_policy", "check_cancellation_fee", "review", "complaint", "newsletter_subscription",
                    "create_account", "delete_account", "edit_account", "switch_account", "recover_password",
                    "registration_problems", "contact_customer_service"}
# slots whose answers may contain another flow's words ("yes, refund me") without asking for that flow
_ANSWER_SLOTS = ("confirm", "reason", "payment_method_id", "new_options", "which_item")
_WRITE_FLOWS = ("cancel_order", "return_items", "change_address", "exchange", "change_payment", "change_user_address")
# what a delivered or pending order becomes after its one allowed change
_CHANGED_ONCE = {"exchange requested": "once_exchange", "return requested": "once_exchange",
                 "pending (item modified)": "once_modify"}
_CLAUSE = re.compile(r",|;|\band\b|\bplus\b|，|；|。|以及|还有|和")
MAX_AUTH_FAILURES = 3
_CJK = re.compile(f"[{HAN_NO_HEXAGRAMS}]")
_IDENTIFIERS = re.compile(r"\S+@\S+|#?\s?[Ww]\s?\d+|\d+")
_WORDS = re.compile(r"[A-Za-z]{2,}")
MAX_VARIANT_LINES = 8


def text_of(sig: Signals) -> str:
    return sig.raw_text or ""

_AND_ANOTHER = re.compile(r"^\s*(and|also|same|then|plus|next|now)\b|^\s*(那|还有|也|再|另外)|\b(too|as well|either)\b",
                          re.IGNORECASE)
_OPTION_WORDS = re.compile(r"\b(colou?rs?|sizes?|options?|variants?|versions?|models?|materials?)\b|颜色|尺码|尺寸|款式|型号|规格|材质",
                           re.IGNORECASE)
# the customer's own item and what is said of it ("my suitcase was broken", "my old office chair"), read out of a
# question before looking for the shop product it asks about
_OWN_ITEM = re.compile(r"\b(my|our|mine)\s+(?:[\w'’-]+\s+){0,2}[\w'’-]+|我的\S{0,6}", re.IGNORECASE)
_RETURN_WORDS = re.compile(r"\breturn|send (it|them|this|these) back|退货|退回", re.IGNORECASE)
_PAYMENT_WORDS = re.compile(r"refund|pay|method|card|退款|支付|付款|卡", re.IGNORECASE)


@dataclass
class DeskState:
    user_id: str | None = None
    flow: str | None = None
    slots: dict = field(default_factory=dict)
    awaiting: str | None = None
    # kept across flows: the verified customer's own identity, failed attempts, partial name/zip, last order
    context: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "DeskState":
        data = dict(data or {})
        return cls(user_id=data.get("user_id"), flow=data.get("flow"), slots=dict(data.get("slots") or {}),
                   awaiting=data.get("awaiting"), context=dict(data.get("context") or {}))

    def copy(self) -> "DeskState":
        return DeskState.from_dict(copy.deepcopy(self.to_dict()))

    @property
    def active(self) -> bool:
        return bool(self.flow or self.awaiting)

    def end_flow(self) -> None:
        self.flow, self.slots, self.awaiting = None, {}, None


@dataclass
class DeskTurn:
    reply: str
    language: str
    flow: str | None
    action: str                      # tool_flow | clarify | abandoned | done
    reason: str
    tool_calls: list[dict] = field(default_factory=list)   # {name, arguments, result | error, ms}
    slot_events: list[dict] = field(default_factory=list)  # {slot, value}
    handled: bool = True             # False: not for the desk; the caller answers some other way
    handoff: bool = False            # True: the request needs a human agent (repeated failed verification)

    def to_dict(self) -> dict:
        return asdict(self)


class _Turn:
    """What one step collects before it becomes a DeskTurn."""

    def __init__(self, language: str):
        self.language = language
        self.tool_calls: list[dict] = []
        self.slot_events: list[dict] = []
        self.prefix: list[str] = []
        self.cache: dict = {}

    def done(self, state: DeskState, flow: str | None, reply: str, reason: str, action: str | None = None,
             handoff: bool = False) -> tuple[DeskTurn, DeskState]:
        if action is None:
            if state.awaiting:
                action = "tool_flow" if self.tool_calls else "clarify"
            else:
                action = "done"
        text = ("" if self.language == "zh" else " ").join(self.prefix + [reply]).strip()
        return DeskTurn(reply=text, language=self.language, flow=flow, action=action, reason=reason,
                        tool_calls=self.tool_calls, slot_events=self.slot_events, handoff=handoff), state


class OrderDesk:
    def __init__(self, shop: ShopDatabase):
        self.shop = shop
        self._matcher: ProductMatcher | None = None

    # -- public --------------------------------------------------------------------------------------------------
    def names_product(self, text: str) -> bool:
        """Does the text name one of the shop's products (or an item id)? For telling stock questions apart."""
        return bool(self._products().find(text or "") or read_signals(text or "", {}).item_ids)

    def wants(self, text: str, nlu: NLUResult, state: DeskState) -> bool:
        """Should the desk take this turn? (an active flow it can continue, or an order/account request)."""
        take, _, _ = self._route(text or "", nlu, self._signals(text or "", nlu), state)
        return take

    def acts_on_last_order(self, text: str, nlu: NLUResult, state: DeskState) -> bool:
        """A verified customer asks to change or return a product of the order the desk last worked on ("Can I also
        change the headphones to black?" after an item change): a request worded as a question, for the desk."""
        sig = self._signals(text or "", nlu)
        return bool({"exchange", "return_items"} & set(sig.flows)) and self._in_last_order(text or "", state)

    def step(self, text: str, nlu: NLUResult, state: DeskState) -> tuple[DeskTurn, DeskState]:
        text = text or ""
        sig = self._signals(text, nlu)
        language = self._language(text, nlu, state)
        take, requested, why = self._route(text, nlu, sig, state)
        if not take:
            return DeskTurn(reply="", language=language, flow=state.flow, action="done", reason=why,
                            handled=False), state
        st = state.copy()
        st.context["language"] = language
        t = _Turn(language)

        if sig.abandon and st.active and not (requested and requested != st.flow):
            label = self._flow_label(st, language)
            flow = st.flow
            st.end_flow()
            st.context.pop("identity", None)
            return t.done(st, flow, R.say("abandoned", language, what=label), "customer abandoned the flow",
                          action="abandoned")
        if requested and requested != st.flow:
            self._start_flow(st, t, requested, sig, text)
            t.cache["started"] = True

        stop = self._identify(text, sig, st, t)
        if stop is not None:
            return stop
        if st.flow is None:
            if sig.order_ids:
                self._start_flow(st, t, "order_status", sig, text)
            elif st.user_id:
                t.prefix.clear()
                first = st.context.get("own", {}).get("first", "")
                return t.done(st, None, R.say("verified_how_help", language, first=first),
                              "customer verified" if t.cache.get("just_verified") else "customer already verified")
            else:
                return t.done(st, None, R.say("still_need", language, what=R.slot_what("identity", language)),
                              "waiting for the customer's identity")
        if st.flow in PERSONAL_FLOWS and not st.user_id:
            st.awaiting = "identity"
            if sig.user_ids:
                return t.done(st, st.flow, R.say("ask_identity_user_id", language), "user id alone is not enough")
            return t.done(st, st.flow, R.say("ask_identity", language, what=R.what(st.flow, language)),
                          "verification required before anything personal")
        handler = getattr(self, "_flow_" + st.flow)
        turn, new_state = handler(text, sig, st, t)
        log.debug("desk %s/%s: %s (%d tool calls)", turn.flow, turn.action, turn.reason, len(turn.tool_calls))
        return turn, new_state

    # -- routing -------------------------------------------------------------------------------------------------
    @staticmethod
    def _language(text: str, nlu: NLUResult, state: DeskState) -> str:
        """nlu.language; but a message with no words of its own ("92147", an email, "#W1234567"), or a name
        given while verifying, keeps the language the conversation was in."""
        language = nlu.language if nlu.language in ("en", "zh") else detect_language(text)
        previous = state.context.get("language")
        if previous == "zh" and _CJK.search(text):
            return "zh"  # "就要 purple, S, polyester, v-neck": option values are English, the customer is not
        if previous and previous != language and not _CJK.search(text):
            words = _WORDS.findall(_IDENTIFIERS.sub(" ", text))
            if not words or (state.awaiting == "identity" and len(words) <= 3):
                return previous
        return language

    def _signals(self, text: str, nlu: NLUResult) -> Signals:
        return read_signals(text, nlu.entities)

    def _products(self) -> ProductMatcher:
        if self._matcher is None:
            self._matcher = ProductMatcher([name for _, name in self.shop.product_names()])
        return self._matcher

    def _requested_flow(self, text: str, nlu: NLUResult, sig: Signals, state: DeskState) -> str | None:
        intent_flow = None
        # "what about #W4277243?" names no request: the classifier would be reading the order number, so the
        # order is looked up (below) rather than guessed into an exchange or a cancellation
        if (nlu.intent in INTENT_FLOWS and nlu.confidence >= 0.5 and not nlu.out_of_scope and not sig.only_reference
                and not OTHER_RETURNS.search(text)):
            intent_flow = INTENT_FLOWS[nlu.intent]
        if nlu.intent in ("check_invoice", "get_invoice") and sig.order_ids:
            intent_flow = "order_status"
        flows = sig.flows
        if sig.weak_exchange and state.flow != "exchange" and not self._products().find(text):
            flows = [f for f in flows if f != "exchange"]  # "change the delivery to ..." names no product
        keyword_flow = next((f for f in flows if f != "availability"), None)
        # inside a flow only the customer's own words switch to another flow; a classifier's guess on a short
        # answer ("#W6392164" read as get_invoice) must not
        flow = keyword_flow if state.flow else (keyword_flow or intent_flow)
        if (flow in (None, "order_status") and not state.flow and sig.order_ids and not set(flows) - {"order_status"}
                and state.context.get("last_flow") in ORDER_FLOWS and _AND_ANOTHER.search(text)
                and (sig.reason or state.context["last_flow"] != "cancel_order")):
            flow = state.context["last_flow"]  # after a cancellation: "and #W7109609, I don't need it either"
        has_context = bool(sig.order_ids or sig.personal or sig.order_topic or state.active
                           or (state.context.get("last_order_id") and _REFERS_BACK.search(text))
                           or (flow in ("exchange", "return_items") and self._in_last_order(text, state)))
        if flow and not has_context and flow != "change_user_address":  # the profile needs no order context
            flow = None
        if flow and flow != "profile" and not sig.order_ids and (
                sig.policy_question or (sig.not_order_topic and not sig.order_topic and not state.active)):
            flow = None  # "what is your return policy?", "cancel my account": not an order flow
        if flow and flow != "profile" and not sig.order_ids and not state.active \
                and nlu.intent in _GENERAL_INTENTS and nlu.confidence >= 0.7 and not nlu.out_of_scope \
                and not (state.context.get("last_order_id") and state.user_id and _REFERS_BACK.search(text)):
            flow = None  # the NLU is confident this is a general question ("set up a delivery address")
        if flow is None:
            products = self._products().find(text) or sig.item_ids
            # inside a write flow, naming an item ("the wireless earbuds") answers the flow: only the customer's
            # own words ("is it in stock?") ask about availability, not the classifier's guess
            availability_intent = nlu.intent in ("place_order", "product_availability") and nlu.confidence >= 0.5 \
                and not nlu.out_of_scope and state.flow not in _WRITE_FLOWS
            # a question naming only the customer's own item ("the wheel on my suitcase broke, can you help?") asks
            # about that item, not about the shop's stock
            asks_of_stock = sig.question and bool(sig.item_ids or self._products().find(_OWN_ITEM.sub(" ", text)))
            if products and ("availability" in sig.flows or availability_intent or asks_of_stock):
                flow = "availability"
            elif "availability" in sig.flows and state.flow == "availability":
                flow = "availability"
            elif nlu.intent == "product_availability" and availability_intent and not state.active:
                flow = "availability"  # "这件衣服有M码吗": ask which product
        if state.flow and state.flow != "profile" and flow == "profile" and not sig.question:
            flow = None  # "use my gift card" while settling a payment names a method, it asks for no profile
        if state.flow == "exchange" and flow == "availability":
            flow = None  # "which colours are there?" while choosing the new item: the exchange answers it
        if state.flow == "cancel_order" and flow == "return_items" and not _RETURN_WORDS.search(text):
            flow = None  # "I don't need it, I just want a full refund": a cancellation's words
        if state.flow == "return_items" and state.awaiting == "payment_method_id" and flow == "order_status" \
                and not sig.order_ids:
            flow = None  # "where can the refund go?" asks for the refund options
        other_order = bool(sig.order_ids) and sig.order_ids[-1] != state.slots.get("order_id") \
            and state.awaiting != "order_id"  # "also return the notebook from #W1763367": a new request
        if state.flow and flow and flow != state.flow and self._fills_awaited(text, sig, state) \
                and not _CHANGE_MIND.search(text) and not (other_order and flow in _WRITE_FLOWS) \
                and (state.awaiting in _ANSWER_SLOTS or flow not in _WRITE_FLOWS):
            # an answer, not a new request: "yes, refund it" while confirming a cancellation, "deliver it to
            # 12 Oak Road, ..." while giving a new address; "cancel #W..." while asked for an order does switch
            return None
        return flow

    def _fills_awaited(self, text: str, sig: Signals, state: DeskState) -> bool:
        awaiting = state.awaiting
        if awaiting == "identity":
            return bool(sig.emails or sig.bad_email or sig.zip or sig.name or sig.dont_know_email or sig.user_ids
                        or (2 <= len(sig.name_words) <= 3 and not sig.question))
        if awaiting == "order_id":
            return bool(sig.order_ids or sig.bad_order_ids or sig.bare_seven
                        or (sig.ordinals and state.slots.get("order_choices")))
        if awaiting == "reason":
            return sig.reason is not None
        if awaiting == "confirm":
            return sig.yes or sig.no
        if awaiting in ("item_ids", "which_item"):
            return bool(sig.all_items or sig.item_ids or sig.ordinals or self._products().find(text)
                        or (awaiting == "which_item" and not sig.question))
        if awaiting == "new_options":  # anything but another request: "glass, 5 ft", "the cheaper one", "黑色的"
            return not sig.abandon and not sig.policy_question and not (
                set(sig.flows) - {"exchange", "availability", "order_status"})
        if awaiting == "payment_method_id":
            return bool(sig.payment_ids or sig.wants_gift_card or sig.wants_original_payment or sig.wants_paypal
                        or sig.wants_credit_card)
        if awaiting == "address":
            return bool(sig.address or sig.default_address or (state.flow == "change_user_address" and sig.order_ids))
        if awaiting == "product":
            return bool(self._products().find(text)) or bool(state.slots.get("candidates"))
        return False

    def _route(self, text: str, nlu: NLUResult, sig: Signals, state: DeskState) -> tuple[bool, str | None, str]:
        requested = self._requested_flow(text, nlu, sig, state)
        if state.active:
            if requested or self._fills_awaited(text, sig, state):
                return True, requested, "continues the active flow"
            if sig.abandon or sig.order_ids or sig.bad_order_ids or sig.emails or sig.yes or sig.no:
                return True, requested, "continues the active flow"
            if state.flow == "exchange" and sig.question and (self._products().find(text) or _OPTION_WORDS.search(text)):
                return True, None, "a question about the items being changed"
            if state.awaiting == "payment_method_id" and sig.question and _PAYMENT_WORDS.search(text):
                return True, None, "a question about the payment options; ask again with them listed"
            if sig.question:
                return False, None, "a different question in the middle of a flow; the flow stays open"
            unrelated_intent = nlu.intent not in _DESK_INTENTS and nlu.confidence >= 0.7 and not nlu.out_of_scope
            if unrelated_intent and state.awaiting not in ("reason", "confirm"):
                return False, None, f"a different request ({nlu.intent}) in the middle of a flow; the flow stays open"
            return True, None, "an answer the flow cannot use yet; ask again"
        if requested:
            return True, requested, f"asks for {requested}"
        if sig.emails or sig.order_ids or (sig.name and sig.zip) or sig.user_ids or sig.dont_know_email:
            return True, None, "identity or order reference"
        if sig.zip and len(sig.name_words) >= 2 and not sig.question:
            return True, None, "name and zip code"
        return False, None, "not an order or account request"

    def _start_flow(self, st: DeskState, t: _Turn, flow: str, sig: Signals, text: str) -> None:
        """Switch to `flow`; the order being discussed carries over ("actually, return it instead")."""
        carry = st.slots.get("order_id") if st.flow in ORDER_FLOWS else None
        if carry is None and st.user_id and (_REFERS_BACK.search(text) or _CHANGE_MIND.search(text)):
            carry = st.context.get("last_order_id")
        if carry is None and st.user_id and flow in ("exchange", "return_items") and self._in_last_order(text, st):
            carry = st.context.get("last_order_id")  # "can I also change the headphones to black?"
        keep_identity = st.awaiting == "identity"
        st.flow, st.slots, st.awaiting = flow, {}, ("identity" if keep_identity and not st.user_id else None)
        if sig.order_ids:
            carry = sig.order_ids[-1]
        if flow in ORDER_FLOWS and carry:
            st.slots["order_id"] = carry
            t.slot_events.append({"slot": "order_id", "value": carry})
        if flow in ("return_items", "exchange"):
            st.slots["said"] = text  # "return the charger from my order": the items, before the order is known

    def _order_with_products(self, st, t, own: list[str], eligible: tuple[str, ...], text: str) -> str | None:
        """The one eligible order holding every product the message names ("the kettle from my last order",
        "the one with the sneakers"), or None when there is no such order or more than one."""
        names = set(self._products().find(text))
        if not names:
            return None
        fitting = [o for o in own if self._order(t, o)["status"] in eligible
                   and names <= {i["name"] for i in self._order(t, o)["items"]}]
        return fitting[0] if len(fitting) == 1 else None

    def _in_last_order(self, text: str, state: DeskState) -> bool:
        """Does the message name a product of the order this (verified) customer last talked about?"""
        last = state.context.get("last_order_id")
        if not (last and state.user_id):
            return False
        order = self.shop.get_order(last)
        if not order or order["user_id"] != state.user_id:
            return False
        return bool(set(self._products().find(text)) & {i["name"] for i in order["items"]})

    def _flow_label(self, st: DeskState, language: str) -> str:
        order_id = st.slots.get("order_id")
        labels = {"cancel_order": ("cancelling the order{o}", "取消订单{z}"), "profile": ("the profile lookup", "账户查询"),
                  "return_items": ("the return{of}", "退货{z}"),
                  "change_address": ("changing the address{of}", "修改地址{z}"),
                  "order_status": ("the order lookup{of}", "订单查询{z}"), "list_orders": ("listing your orders", "列出订单"),
                  "availability": ("the product check", "商品查询"),
                  "exchange": ("the item change{of}", "更换商品{z}"),
                  "change_payment": ("changing the payment method{of}", "修改支付方式{z}"),
                  "change_user_address": ("changing your default address", "修改默认地址")}
        english, chinese = labels.get(st.flow or "", ("verifying your account", "身份验证"))
        return (chinese if language == "zh" else english).format(
            o=f" {order_id}" if order_id else "", of=f" of {order_id}" if order_id else "",
            z=f" {order_id}" if order_id else "")

    # -- tools ---------------------------------------------------------------------------------------------------
    def _call(self, t: _Turn, name: str, _owner: str | None = None, **arguments):
        """Run one shop operation and record it; ValueError comes back as (None, message). `_owner`: the verified
        customer, passed to a write so the database refuses another customer's order, and not recorded: the trace
        holds exactly the shop tool schema's arguments."""
        extra = {"user_id": _owner} if _owner is not None else {}
        return record_call(t.tool_calls, name, getattr(self.shop, name), arguments, extra)

    def _set(self, st: DeskState, t: _Turn, slot: str, value) -> None:
        st.slots[slot] = value
        t.slot_events.append({"slot": slot, "value": value})

    def _profile(self, st: DeskState, t: _Turn) -> dict:
        if "profile" not in t.cache:
            t.cache["profile"], _ = self._call(t, "user_profile", user_id=st.user_id)
        return t.cache["profile"]

    def _own_orders(self, st: DeskState, t: _Turn) -> list[str]:
        if "orders" not in t.cache:
            t.cache["orders"], _ = self._call(t, "orders_of", user_id=st.user_id)
        return t.cache["orders"] or []

    def _order(self, t: _Turn, order_id: str) -> dict:
        key = "order:" + order_id
        if key not in t.cache:
            t.cache[key], _ = self._call(t, "get_order", order_id=order_id)
        return t.cache[key]

    # -- identity ------------------------------------------------------------------------------------------------
    def _identify(self, text: str, sig: Signals, st: DeskState, t: _Turn):
        """Verify the customer from this message. Returns a finished turn to stop, or None to go on."""
        lang = t.language
        if st.user_id:
            own = st.context.get("own", {})
            foreign = (any(e.lower() != own.get("email") for e in sig.emails)
                       or any(u != st.user_id for u in sig.user_ids)
                       or (sig.name is not None and sig.zip is not None and
                           ((sig.name[0].lower(), sig.name[1].lower(), sig.zip) !=
                            (own.get("first", "").lower(), own.get("last", "").lower(), own.get("zip")))))
            if foreign:
                flow = st.flow
                if t.cache.get("started"):
                    st.end_flow()
                return t.done(st, flow, R.say("one_customer_only", lang),
                              "asked about another customer; refused without looking anything up",
                              action="clarify" if st.awaiting else "done")
            return None

        identity = st.context.setdefault("identity", {})
        user_id = None
        failure = None
        if sig.emails:
            email = sig.emails[-1]
            user_id, _ = self._call(t, "find_user_by_email", email=email)
            if not user_id:
                failure = R.say("email_not_found", lang, email=email)
        elif sig.bad_email and (st.awaiting == "identity" or st.flow in PERSONAL_FLOWS):
            st.awaiting = "identity"
            return t.done(st, st.flow, R.say("bad_email", lang, email=sig.bad_email), "malformed email")
        else:
            if sig.zip:
                identity["zip"] = sig.zip
            if sig.name:
                identity["name"] = list(sig.name)
            elif sig.name_words and (st.awaiting == "identity" or sig.zip) and not identity.get("name"):
                identity["name_words"] = sig.name_words[:4]
            has_name = identity.get("name") or identity.get("name_words")
            if identity.get("zip") and has_name:
                first, last = self._resolve_name(identity)
                user_id, _ = self._call(t, "find_user_by_name_zip", first=first, last=last, zip=identity["zip"])
                if not user_id:
                    failure = R.say("name_zip_not_found", lang, name=f"{first} {last}".strip(), zip=identity["zip"])
            elif st.awaiting == "identity" or st.flow in PERSONAL_FLOWS or not st.flow:
                if identity.get("zip") and not has_name and (sig.zip or st.awaiting == "identity"):
                    st.awaiting = "identity"
                    return t.done(st, st.flow, R.say("ask_name", lang), "have a zip code, need the name")
                if has_name and (sig.name or st.awaiting == "identity") and len(identity.get("name_words", [1, 2])) >= 2:
                    st.awaiting = "identity"
                    name = " ".join(identity.get("name") or identity.get("name_words")[:2])
                    return t.done(st, st.flow, R.say("ask_zip", lang, name=name), "have a name, need the zip code")
                if sig.dont_know_email:
                    st.awaiting = "identity"
                    return t.done(st, st.flow, R.say("ask_name_zip", lang), "customer has no email at hand")
                if sig.user_ids:
                    st.awaiting = "identity"
                    return t.done(st, st.flow, R.say("ask_identity_user_id", lang), "user id alone is not enough")
        if failure:
            st.context.pop("identity", None)
            failures = int(st.context.get("auth_failures", 0)) + 1
            st.context["auth_failures"] = failures
            if failures >= MAX_AUTH_FAILURES:
                st.end_flow()
                return t.done(st, None, R.say("auth_locked", lang), f"{failures} failed verifications",
                              handoff=True)
            st.awaiting = "identity"
            return t.done(st, st.flow, failure, "verification failed")
        if user_id:
            st.user_id = user_id
            st.context.pop("identity", None)
            st.context["auth_failures"] = 0
            profile = self._profile(st, t)
            st.context["own"] = {"email": profile["email"].lower(), "first": profile["name"]["first_name"],
                                 "last": profile["name"]["last_name"], "zip": profile["address"]["zip"]}
            if st.awaiting == "identity":
                st.awaiting = None
            t.cache["just_verified"] = True
            t.prefix.append(R.say("verified", lang, first=profile["name"]["first_name"]))
        return None

    def _resolve_name(self, identity: dict) -> tuple[str, str]:
        """The first/last name in what the customer wrote, using the names on file for that zip when the text is
        free-form ("Raj Sanchez 92147"). Only a match on both name and zip verifies anyone."""
        if identity.get("name"):
            return identity["name"][0], identity["name"][1]
        words = identity.get("name_words", [])
        lowered = [w.lower() for w in words]
        for first, last in self.shop.names_with_zip(identity["zip"]):
            for i in range(len(lowered) - 1):
                if lowered[i] == first.lower() and lowered[i + 1] == last.lower():
                    return words[i], words[i + 1]
        if len(words) >= 2:
            return words[0], words[1]
        return (words[0] if words else ""), ""

    # -- shared order step ---------------------------------------------------------------------------------------
    def _order_lines(self, st: DeskState, t: _Turn, order_ids: list[str]) -> str:
        parts = []
        for order_id in order_ids:
            order = self._order(t, order_id)
            status = R.status_text(order["status"], t.language)
            parts.append(f"{order_id}：{status}" if t.language == "zh" else f"{order_id} ({status})")
        return R.join(parts, t.language)

    def _pick_order(self, st: DeskState, sig: Signals, t: _Turn, eligible: tuple[str, ...] | None,
                    verb: tuple[str, str]):
        """The customer's order for this flow, or a finished turn asking for it / refusing it."""
        lang = t.language
        own = self._own_orders(st, t)
        new = None
        if sig.order_ids:
            new = sig.order_ids[-1]  # the last one wins: "sorry, I meant #W..."
        elif st.awaiting == "order_id" and sig.bare_seven:
            new = "#W" + sig.bare_seven[-1]
        elif st.awaiting == "order_id" and sig.ordinals and st.slots.get("order_choices"):
            choices = st.slots["order_choices"]
            if 0 <= sig.ordinals[0] < len(choices):
                new = choices[sig.ordinals[0]]
        elif not st.slots.get("order_id") and eligible and st.flow in ("return_items", "exchange", "cancel_order"):
            new = self._order_with_products(st, t, own, eligible, text_of(sig) + " " + st.slots.get("said", ""))
        if new and new != st.slots.get("order_id"):
            for slot in ("item_ids", "payment_method_id", "address", "confirm_for", "order_choices", "targets",
                         "which", "asking"):
                st.slots.pop(slot, None)
            self._set(st, t, "order_id", new)
        order_id = st.slots.get("order_id")
        if order_id is None:
            if sig.bad_order_ids and st.awaiting in (None, "order_id", "identity"):
                st.awaiting = "order_id"
                return t.done(st, st.flow, R.say("bad_order_id", lang, given=sig.bad_order_ids[0]),
                              "malformed order id")
            if not own:
                st.end_flow()
                return t.done(st, None, R.say("no_orders", lang), "customer has no orders")
            candidates = own
            if eligible:
                candidates = [o for o in own if self._order(t, o)["status"] in eligible]
                if not candidates:
                    flow = st.flow
                    st.end_flow()
                    status = (" 或 " if lang == "zh" else " or ").join(R.status_text(e, lang) for e in eligible)
                    verb_text = verb[1] if lang == "zh" else verb[0]
                    return t.done(st, flow, R.say("no_eligible_orders", lang, status=status, verb=verb_text,
                                                  orders=self._order_lines(st, t, own)),
                                  f"no {eligible[0]} orders")
            if st.flow == "order_status" and len(own) == 1:
                self._set(st, t, "order_id", own[0])
                return self._order(t, own[0])
            st.slots["order_choices"] = candidates
            st.awaiting = "order_id"
            if eligible:
                listing = R.say("eligible_orders_are", lang,
                                status=(" 或 " if lang == "zh" else " or ").join(R.status_text(e, lang) for e in eligible),
                                orders=self._order_lines(st, t, candidates))
            else:
                listing = R.say("your_orders_are", lang, orders=self._order_lines(st, t, candidates))
            return t.done(st, st.flow, R.say("ask_order", lang, orders=listing), "need the order id")
        if order_id not in own:
            # same answer whether the order belongs to someone else or does not exist; never fetched
            st.slots.pop("order_id", None)
            st.slots.pop("confirm_for", None)
            st.awaiting = "order_id"
            listing = R.say("your_orders_are", lang, orders=self._order_lines(st, t, own)) if own else \
                R.say("no_orders", lang)
            return t.done(st, st.flow, R.say("not_your_order", lang, order_id=order_id, orders=listing),
                          "order id is not on the verified customer's account")
        st.context["last_order_id"] = order_id
        return self._order(t, order_id)

    def _confirmed_write(self, st: DeskState, sig: Signals, t: _Turn, flow: str, question: str, details: list,
                         what: str, tool: str, **arguments):
        """The write step every consequential flow shares: list the details and wait for an explicit yes, then
        call the tool. Returns the tool's result (a dict) when it ran, else the turn to answer with."""
        answer = self._confirm(st, sig, t, details)
        if answer is None:
            return t.done(st, flow, question, f"listed the {what}; waiting for an explicit yes")
        if answer == "ask_again":
            return t.done(st, flow, R.say("ask_yes_no", t.language, question=question), "need yes or no")
        if answer == "no":
            return self._declined(st, t)
        if tool == "modify_user_address":
            result, error = self._call(t, tool, **arguments)
        else:
            result, error = self._call(t, tool, _owner=st.user_id, **arguments)
        if not error:
            st.context["last_flow"] = flow
        st.end_flow()
        if error:
            return t.done(st, flow, R.say("write_failed", t.language, error=error), f"{what} refused: " + error)
        return result

    def _confirm(self, st: DeskState, sig: Signals, t: _Turn, details: list) -> str | None:
        """'yes' / 'no' when the customer is answering the confirmation of exactly these details, else None."""
        if st.awaiting == "confirm" and st.slots.get("confirm_for") == details:
            if sig.yes:
                return "yes"
            if sig.no:
                return "no"
            return "ask_again"
        st.slots["confirm_for"] = details
        st.awaiting = "confirm"
        return None

    def _declined(self, st: DeskState, t: _Turn) -> tuple[DeskTurn, DeskState]:
        flow = st.flow
        label = self._flow_label(st, t.language)
        st.end_flow()
        return t.done(st, flow, R.say("not_done", t.language, what=label),
                      "customer said no at the confirmation", action="abandoned")

    def _refund_plan(self, payments: list[dict], profile: dict, lang: str) -> str:
        parts = []
        for payment in payments:
            method_id = payment["payment_method_id"]
            gift = profile.get("payment_methods", {}).get(method_id, {}).get("source") == "gift_card"
            parts.append(R.say("refund_line", lang, amount=R.money(payment["amount"]),
                               method=R.payment_method_text(method_id, profile, lang),
                               timing=R.say("timing_gift" if gift else "timing_other", lang)))
        return R.join(parts, lang)

    # -- flows ---------------------------------------------------------------------------------------------------
    def _flow_order_status(self, text, sig, st, t):
        profile = self._profile(st, t)  # the customer's own payment methods, to name them in the payments
        order = self._pick_order(st, sig, t, None, ("look up", "查询"))
        if not isinstance(order, dict):
            return order
        reply = self._order_details(order, profile, t.language)
        st.end_flow()
        return t.done(st, "order_status", reply, f"showed {order['order_id']} to its owner")

    def _order_details(self, order: dict, profile: dict, lang: str) -> str:
        simple = order["status"] in ("pending", "processed", "delivered", "cancelled")
        lines = [R.say("status_intro" if simple else "status_intro_other", lang, order_id=order["order_id"],
                       status=R.status_text(order["status"], lang)),
                 R.say("items_header", lang)]
        lines += [f"- {R.item_text(item)}: ${R.money(item['price'])}" for item in order["items"]]
        tracking = [tid for f in order.get("fulfillments", []) for tid in f.get("tracking_id", [])]
        lines.append(R.say("tracking", lang, ids=", ".join(tracking)) if tracking else R.say("no_tracking", lang))
        lines.append(R.say("ship_to", lang, address=R.address_text(order["address"])))
        payments = []
        for p in order.get("payment_history", []):
            kind = {"payment": ("payment", "付款"), "refund": ("refund", "退款")}.get(p["transaction_type"],
                                                                                  (p["transaction_type"],) * 2)
            method = R.payment_method_text(p["payment_method_id"], profile, lang)
            payments.append(f"{kind[1] if lang == 'zh' else kind[0]} ${R.money(p['amount'])} ({method})")
        lines.append(R.say("payments", lang, lines="; ".join(payments)))
        if order["status"] == "cancelled":
            refunded = [p for p in order.get("payment_history", []) if p["transaction_type"] == "refund"]
            gift = all(profile.get("payment_methods", {}).get(p["payment_method_id"], {}).get("source") == "gift_card"
                       for p in refunded)
            if refunded:
                lines.append(R.say("refund_timing_gift" if gift else "refund_timing_other", lang))
        if order["status"] == "return requested" and order.get("return_items"):
            names = [R.item_text(i) for i in order["items"] if i["item_id"] in order["return_items"]]
            lines.append(R.say("return_info", lang, items=R.join(names, lang),
                               method=R.payment_method_text(order.get("return_payment_method_id", ""), profile, lang)))
        return "\n".join(lines)

    def _flow_list_orders(self, text, sig, st, t):
        own = self._own_orders(st, t)
        if not own:
            st.end_flow()
            return t.done(st, "list_orders", R.say("no_orders", t.language), "customer has no orders")
        lines = []
        for order_id in own:
            order = self._order(t, order_id)
            names = R.join([i["name"] for i in order["items"]], t.language)
            lines.append(f"- {order_id}: {R.status_text(order['status'], t.language)}, {names}")
        st.end_flow()
        return t.done(st, "list_orders", R.say("list_orders", t.language, count=len(own), lines="\n".join(lines)),
                      "listed the customer's own orders")

    def _flow_profile(self, text, sig, st, t):
        lang = t.language
        profile = self._profile(st, t)
        methods = []
        for method_id, method in profile.get("payment_methods", {}).items():
            described = R.payment_method_text(method_id, profile, lang)
            if method.get("source") == "gift_card":
                described += R.say("balance", lang, amount=R.money(float(method.get("balance", 0))))
            methods.append(described)
        name = f"{profile['name']['first_name']} {profile['name']['last_name']}"
        reply = R.say("profile", lang, name=name, email=profile["email"],
                      address=R.address_text(profile["address"]), methods=R.join(methods, lang),
                      orders=len(profile.get("orders", [])))
        st.end_flow()
        return t.done(st, "profile", reply, "showed the customer's own profile")

    def _flow_cancel_order(self, text, sig, st, t):
        lang = t.language
        order = self._pick_order(st, sig, t, ("pending",), ("cancel", "取消"))
        if not isinstance(order, dict):
            return order
        if order["status"] != "pending":
            hint = R.say("hint_return", lang) if order["status"] == "delivered" else ""
            st.end_flow()
            return t.done(st, "cancel_order", R.say("cannot_cancel", lang, order_id=order["order_id"],
                                                    status=R.status_text(order["status"], lang), hint=hint),
                          f"policy: {order['status']} orders cannot be cancelled")
        if sig.reason and sig.reason != st.slots.get("reason"):
            self._set(st, t, "reason", sig.reason)
        reason = st.slots.get("reason")
        if not reason:
            st.awaiting = "reason"
            return t.done(st, "cancel_order", R.say("ask_reason", lang, order_id=order["order_id"]),
                          "need a cancellation reason")
        profile = self._profile(st, t)
        payments = [p for p in order["payment_history"] if p["transaction_type"] == "payment"]
        plan = self._refund_plan(payments, profile, lang)
        items = R.join([R.item_text(i) for i in order["items"]], lang)
        question = R.say("confirm_cancel", lang, order_id=order["order_id"], items=items, reason=reason, plan=plan)
        outcome = self._confirmed_write(
            st, sig, t, "cancel_order", question, [order["order_id"], reason], "cancellation",
            "cancel_pending_order", order_id=order["order_id"], reason=reason)
        if not isinstance(outcome, dict):
            return outcome
        t.cache["order:" + order["order_id"]] = outcome
        return t.done(st, "cancel_order", R.say("cancelled", lang, order_id=order["order_id"], plan=plan),
                      f"cancelled {order['order_id']} ({reason})")

    def _flow_return_items(self, text, sig, st, t):
        lang = t.language
        order = self._pick_order(st, sig, t, ("delivered",), ("return", "退货"))
        if not isinstance(order, dict):
            return order
        if order["status"] != "delivered":
            hint = R.say("hint_cancel", lang) if order["status"] == "pending" else ""
            st.end_flow()
            return t.done(st, "return_items", R.say("cannot_return", lang, order_id=order["order_id"],
                                                    status=R.status_text(order["status"], lang), hint=hint),
                          f"policy: {order['status']} orders cannot be returned")
        if st.awaiting != "payment_method_id" or sig.all_items or sig.item_ids:
            asked = self._choose_items(text, sig, st, t, order, add=sig.also)
            if asked is not None:
                return asked
        item_ids = st.slots.get("item_ids")
        if not item_ids:
            st.awaiting = "item_ids"
            listing = "; ".join(f"{n}. {R.item_text(i)} ${R.money(i['price'])}"
                                for n, i in enumerate(order["items"], 1))
            return t.done(st, "return_items", R.say("ask_items", lang, order_id=order["order_id"], items=listing),
                          "need the items to return")
        profile = self._profile(st, t)
        original = order["payment_history"][0]["payment_method_id"]
        gift_cards = [pm for pm, m in profile["payment_methods"].items()
                      if m.get("source") == "gift_card" and pm != original]
        options = [original] + gift_cards
        chosen = self._choose_refund_method(sig, profile, original, gift_cards)
        if chosen and chosen != st.slots.get("payment_method_id"):
            self._set(st, t, "payment_method_id", chosen)
        if not st.slots.get("payment_method_id") and len(options) == 1:
            self._set(st, t, "payment_method_id", original)
        method_id = st.slots.get("payment_method_id")
        if not method_id:
            st.awaiting = "payment_method_id"
            described = [R.payment_method_text(original, profile, lang) + (" (原支付方式)" if lang == "zh"
                                                                           else " (the original payment method)")]
            described += [R.payment_method_text(g, profile, lang) for g in gift_cards]
            return t.done(st, "return_items", R.say("ask_refund_method", lang,
                                                    options=(" 或 " if lang == "zh" else " or ").join(described)),
                          "need the refund method")
        remaining = list(item_ids)
        chosen_items = []
        for item in order["items"]:
            if item["item_id"] in remaining:
                remaining.remove(item["item_id"])
                chosen_items.append(item)
        total = R.money(sum(i["price"] for i in chosen_items))
        names = R.join([R.item_text(i) for i in chosen_items], lang)
        method = R.payment_method_text(method_id, profile, lang)
        question = R.say("confirm_return", lang, items=names, order_id=order["order_id"], total=total, method=method)
        outcome = self._confirmed_write(
            st, sig, t, "return_items", question, [order["order_id"], sorted(item_ids), method_id], "return",
            "return_delivered_order_items", order_id=order["order_id"], item_ids=list(item_ids),
            payment_method_id=method_id)
        if not isinstance(outcome, dict):
            return outcome
        return t.done(st, "return_items", R.say("returned", lang, items=names, order_id=order["order_id"],
                                                total=total, method=method),
                      f"return requested for {len(item_ids)} item(s) of {order['order_id']}")

    @staticmethod
    def _choose_refund_method(sig: Signals, profile: dict, original: str, gift_cards: list[str]) -> str | None:
        for pm in sig.payment_ids:
            if pm == original or pm in gift_cards:
                return pm
        source = profile["payment_methods"].get(original, {}).get("source")
        if sig.wants_gift_card:
            if source == "gift_card" and not gift_cards:
                return original
            if len(gift_cards) == 1:
                return gift_cards[0]
            return None
        if sig.wants_original_payment or (sig.wants_paypal and source == "paypal") or \
                (sig.wants_credit_card and source == "credit_card"):
            return original
        return None

    def _pending_order(self, st, sig, t, refusal: str):
        """The customer's pending order for a modification, or the turn asking for it / refusing it."""
        order = self._pick_order(st, sig, t, ("pending",), ("change", "修改"))
        if isinstance(order, dict) and order["status"] != "pending":
            flow = st.flow
            st.end_flow()
            return t.done(st, flow, R.say(refusal, t.language, order_id=order["order_id"],
                                          status=R.status_text(order["status"], t.language)),
                          f"policy: {order['status']} orders cannot be modified")
        return order

    def _flow_change_address(self, text, sig, st, t):
        lang = t.language
        order = self._pending_order(st, sig, t, "cannot_modify")
        if not isinstance(order, dict):
            return order
        new = None
        if sig.address:
            new = sig.address
        elif sig.default_address:
            home = dict(self._profile(st, t)["address"])
            new = {k: home.get(k, "") for k in ("address1", "address2", "city", "state", "country", "zip")}
        if new and new != st.slots.get("address"):
            self._set(st, t, "address", new)
        address = st.slots.get("address")
        if not address:
            st.awaiting = "address"
            return t.done(st, "change_address", R.say("ask_address", lang, order_id=order["order_id"]),
                          "need the new address")
        old_text, new_text = R.address_text(order["address"]), R.address_text(address)
        if old_text.lower() == new_text.lower():
            st.end_flow()
            return t.done(st, "change_address", R.say("same_address", lang, order_id=order["order_id"], new=new_text),
                          "the address is unchanged")
        question = R.say("confirm_address", lang, order_id=order["order_id"], old=old_text, new=new_text)
        outcome = self._confirmed_write(
            st, sig, t, "change_address", question, [order["order_id"], address], "change",
            "modify_pending_order_address", order_id=order["order_id"], **address)
        if not isinstance(outcome, dict):
            return outcome
        return t.done(st, "change_address", R.say("address_changed", lang, order_id=order["order_id"], new=new_text),
                      f"changed the address of {order['order_id']}")

    def _flow_availability(self, text, sig, st, t):
        lang = t.language
        names = self._products().find(text)
        if not names and sig.item_ids:  # "is product 1234567890 in stock?": a product or item id
            found = self.shop.product_availability(sig.item_ids[0])
            names = [found["name"]] if found.get("found") else []
        candidates = st.slots.get("candidates") or []
        if candidates and (not names or len(names) > 1):
            lowered = text.lower()
            chosen = [c for c in candidates if c.lower() in lowered or any(
                w in lowered for w in c.lower().split() if len(w) > 2 and
                not any(w in o.lower() for o in candidates if o != c))]
            names = chosen or names
        examples = R.join([name for _, name in self.shop.product_names()[:6]], lang)
        if not names:
            key = "unknown_product" if st.awaiting == "product" else "ask_product"
            st.awaiting = "product"
            return t.done(st, "availability", R.say(key, lang, query=text.strip(), examples=examples),
                          "need a product name")
        if len(names) > 1:
            st.awaiting = "product"
            st.slots["candidates"] = names
            return t.done(st, "availability", R.say("which_product", lang, options=(" 还是 " if lang == "zh" else
                                                                                     " or ").join(names)),
                          "ambiguous product")
        name = names[0]
        full, _ = self._call(t, "product_availability", name_or_id=name)
        values = ProductMatcher.option_values(text, full["variants"]) if full and full.get("found") else []
        result = full
        if values:
            result, _ = self._call(t, "product_availability", name_or_id=name, options={"*": values})
        st.end_flow()
        if not result or not result.get("found"):
            return t.done(st, "availability", R.say("unknown_product", lang, query=name, examples=examples),
                          "product not found")
        reply = [R.say("availability", lang, name=result["name"], filter=f" ({', '.join(values)})" if values else "",
                       available=result["available_count"], total=result["total_variants"])]
        available = [v for v in result["variants"] if v.get("available")]
        unavailable = [v for v in result["variants"] if not v.get("available")]
        if available:
            reply.append(R.say("available_header", lang))
            for variant in available[:MAX_VARIANT_LINES]:
                options = ", ".join(f"{k} {v}" for k, v in variant["options"].items())
                reply.append(f"- {options}: ${R.money(variant['price'])} (item {variant['item_id']})")
            if len(available) > MAX_VARIANT_LINES:
                reply.append(R.say("more_variants", lang, count=len(available) - MAX_VARIANT_LINES))
        if unavailable and len(unavailable) <= MAX_VARIANT_LINES:
            reply.append(R.say("unavailable_header", lang) + " " +
                         "; ".join(", ".join(f"{k} {x}" for k, x in v["options"].items()) for v in unavailable))
        return t.done(st, "availability", "\n".join(reply), f"availability of {result['name']}")

    # -- items, exchanges and item changes -------------------------------------------------------------------------
    def _choose_items(self, text: str, sig: Signals, st: DeskState, t: _Turn, order: dict, add: bool):
        """Put the items this message names into the item_ids slot (added to those already chosen when `add`).
        Returns a turn asking which one when the customer named a product the order holds in several variants."""
        items = order["items"]
        if sig.all_items and (sig.yes or st.awaiting == "confirm"):
            sig = dataclasses.replace(sig, all_items=False)  # "yes, that's all" confirms; it adds nothing
        if st.awaiting == "which_item" and st.slots.get("which"):
            group = st.slots["which"]
            picked, _ = match_items(text, sig, [items[i] for i in group])
            pivot = PIVOT.search(text)
            for part in ((text[:pivot.start()], text) if pivot else (text,)):  # "the robotic one, for a canister"
                scores = {i: len(ProductMatcher.option_values(part, [items[i]])) for i in group}
                best = [i for i in group if scores[i] == max(scores.values()) and scores[i] > 0]
                if not picked and len(best) == 1:  # "the robotic one"
                    picked = [items[best[0]]["item_id"]]
            if not picked and sig.ordinals and 0 <= sig.ordinals[0] < len(group):
                picked = [items[group[sig.ordinals[0]]]["item_id"]]
            ambiguous = [] if picked else [group]
            if picked:
                st.slots.pop("which", None)
                t.cache["earlier_text"] = st.slots.pop("which_text", "")
                add = True
        else:
            said = st.slots.pop("said", "")
            picked, ambiguous = match_items(text, sig, items)
            if said and said != text:
                earlier, earlier_ambiguous = match_items(said, read_signals(said), items)
                picked = earlier + [i for i in picked if i not in earlier]
                ambiguous = ambiguous or ([g for g in earlier_ambiguous if not set(items[i]["item_id"] for i in g)
                                           & set(picked)])
            if not picked and not ambiguous and len({i["item_id"] for i in items}) == 1 \
                    and _REFERS_BACK.search(text):
                picked = [items[0]["item_id"]]  # a one-item order: "refund it to my PayPal"
        current = list(st.slots.get("item_ids") or [])
        if picked:
            chosen = current + [i for i in picked if i not in current] if add and current else picked
            if chosen != current:
                self._set(st, t, "item_ids", chosen)
        if ambiguous:
            group = ambiguous[0]
            st.slots["which"] = group
            st.slots["which_text"] = text
            st.awaiting = "which_item"
            options = "; ".join(f"{n}. {R.item_text(items[i])} ${R.money(items[i]['price'])}"
                                for n, i in enumerate(group, 1))
            return t.done(st, st.flow, R.say("which_item", t.language, order_id=order["order_id"],
                                             name=items[group[0]]["name"], options=options),
                          f"the order holds several {items[group[0]]['name']} variants; asked which")
        return None

    def _variants(self, t: _Turn, product_id: str) -> list[dict]:
        key = "product:" + product_id
        if key not in t.cache:
            found, _ = self._call(t, "product_availability", name_or_id=product_id)
            t.cache[key] = found["variants"] if found and found.get("found") else []
        return t.cache[key]

    @staticmethod
    def _variant_text(variant: dict) -> str:
        return ", ".join(str(v) for v in variant["options"].values()) + f" ${R.money(variant['price'])}"

    def _segments(self, text: str, items: list[dict]) -> dict:
        """item_id -> the part of the message about that item, when the message names several products
        ("the mouse to white, and the bookshelf to 5 ft glass")."""
        matcher = ProductMatcher(sorted({item["name"] for item in items}))
        parts: dict[str, str] = {}
        current: list[str] = []
        for clause in _CLAUSE.split(text):
            named = matcher.find(clause)
            if named:
                current = named
            for name in current:
                parts[name] = parts.get(name, "") + " " + clause
        if len(parts) <= 1:
            return {}
        return {item["item_id"]: parts[item["name"]] for item in items if item["name"] in parts}

    def _flow_exchange(self, text, sig, st, t):
        lang = t.language
        order = self._pick_order(st, sig, t, ("delivered", "pending"), ("change", "更换"))
        if not isinstance(order, dict):
            return order
        status = order["status"]
        if status in _CHANGED_ONCE:
            st.end_flow()
            return t.done(st, "exchange", R.say("change_once", lang, order_id=order["order_id"],
                                                status=R.status_text(status, lang),
                                                reason=R.say(_CHANGED_ONCE[status], lang)),
                          f"policy: a {status} order cannot be changed again")
        if status not in ("delivered", "pending"):
            st.end_flow()
            return t.done(st, "exchange", R.say("cannot_change_items", lang, order_id=order["order_id"],
                                                status=R.status_text(status, lang)),
                          f"policy: {status} orders cannot be exchanged or modified")
        exchange = status == "delivered"
        items = order["items"]
        if st.awaiting not in ("payment_method_id",) or sig.item_ids:
            asked = self._choose_items(text, sig, st, t, order, add=True)
            if asked is not None:
                return asked
        item_ids = st.slots.get("item_ids") or []
        if not item_ids:
            st.awaiting = "item_ids"
            listing = "; ".join(f"{n}. {R.item_text(i)} ${R.money(i['price'])}" for n, i in enumerate(items, 1))
            verb = ("exchange", "换货") if exchange else ("change", "修改")
            return t.done(st, "exchange", R.say("ask_change_items", lang, order_id=order["order_id"], items=listing,
                                                verb=verb[1] if lang == "zh" else verb[0]),
                          "need the items to change")
        chosen = []
        remaining = list(item_ids)
        for item in items:
            if item["item_id"] in remaining:
                remaining.remove(item["item_id"])
                chosen.append(item)
        if t.cache.get("earlier_text"):  # "the 4 hours one" answered which earbuds; the request said what to
            text = t.cache["earlier_text"]  # change them to
        targets = dict(st.slots.get("targets") or {})
        segments = self._segments(text, chosen)
        asking = st.slots.get("asking")
        wishes = dict(st.slots.get("wish") or {})
        in_order = {i["name"] for i in items}
        others = [n for n in self._products().find(text) if n not in in_order]
        if others and not any(ProductMatcher.option_values(text, self._variants(t, i["product_id"])) for i in chosen):
            alternative = R.say("alt_return" if exchange else "alt_cancel", lang)
            st.end_flow()
            return t.done(st, "exchange", R.say("other_product_type", lang, item=R.join(
                [R.item_text(i) for i in chosen], lang), other=others[0], alternative=alternative),
                "policy: an item can only change to another option of the same product")
        named = set(ProductMatcher(sorted({i["name"] for i in chosen})).find(text))
        if sig.question and not sig.yes:  # "which colours are there?": list them unless it decides something new
            about = next((i for i in chosen if i["name"] in named), None) or \
                next((i for i in chosen if i["item_id"] == asking), None) or chosen[-1]
            variants = self._variants(t, about["product_id"])
            choice = choose_variant(wishes.get(about["item_id"], "") + " " + text, about, variants,
                                    sig.cheapest, sig.item_ids)
            if choice.kind != "chosen" or targets.get(about["item_id"]) == choice.item_id:
                fitting = choice.candidates if choice.candidates else \
                    [v for v in variants if v.get("available") and v["item_id"] != about["item_id"]]
                st.slots["asking"] = about["item_id"]
                if about["item_id"] not in targets:
                    st.awaiting = "new_options"
                listing = "; ".join(self._variant_text(v) for v in fitting[:MAX_VARIANT_LINES])
                return t.done(st, "exchange", R.say("ask_new_options", lang, item=R.item_text(about),
                                                    options=listing),
                              f"listed the available {about['name']} variants")
        for item in chosen:
            targeted = item["item_id"] in targets
            if targeted and item["item_id"] != asking and not segments.get(item["item_id"]) and len(chosen) > 1:
                continue
            variants = self._variants(t, item["product_id"])
            part = segments.get(item["item_id"]) or text
            if segments and item["item_id"] not in segments and item["item_id"] != asking:
                part = ""
            cheapest = bool(part) and read_signals(part).cheapest
            if part and ProductMatcher.option_values(part, variants):
                # the customer's words about this item add up over turns, unless they start over ("actually...")
                earlier = "" if _CHANGE_MIND.search(part) else wishes.get(item["item_id"], "")
                wishes[item["item_id"]] = (earlier + " " + part).strip()
                st.slots["wish"] = wishes
                if sig.yes or sig.no:  # "not sure... let me go with brown" is a choice, not an answer
                    sig = dataclasses.replace(sig, yes=False, no=False)
            if part:
                part = wishes.get(item["item_id"], part)
            choice = choose_variant(part, item, variants, cheapest, sig.item_ids) if part else None
            if choice is not None and choice.kind == "chosen":
                if targets.get(item["item_id"]) != choice.item_id:
                    targets[item["item_id"]] = choice.item_id
                    self._set(st, t, "targets", dict(targets))
                continue
            if targeted and (choice is None or choice.kind == "none"):
                continue  # "yes", "PayPal": nothing about this item's options
            if targeted:
                targets.pop(item["item_id"])
                self._set(st, t, "targets", dict(targets))
            stop = self._ask_variant(st, t, order, item, variants, choice, part)
            if stop is not None:
                return stop
        if st.slots.get("asking") in targets:
            st.slots.pop("asking", None)
        new_ids = [targets[i] for i in item_ids]
        by_id = {v["item_id"]: v for item in chosen for v in self._variants(t, item["product_id"])}
        difference = round(sum(by_id[n]["price"] - i["price"] for i, n in zip(chosen, new_ids)), 2)
        profile = self._profile(st, t)
        method_id = self._settle_method(st, sig, t, profile, order, difference)
        if not isinstance(method_id, str):
            return method_id
        changes = R.join([f"{R.item_text(i)} → {self._variant_text(by_id[n])}" for i, n in zip(chosen, new_ids)],
                         lang)
        settle = self._settle_text(difference, method_id, profile, lang)
        key = "confirm_exchange" if exchange else "confirm_modify_items"
        question = R.say(key, lang, order_id=order["order_id"], changes=changes, settle=settle)
        tool = "exchange_delivered_order_items" if exchange else "modify_pending_order_items"
        outcome = self._confirmed_write(
            st, sig, t, "exchange", question, [order["order_id"], list(item_ids), new_ids, method_id],
            "exchange" if exchange else "change", tool, order_id=order["order_id"], item_ids=list(item_ids),
            new_item_ids=new_ids, payment_method_id=method_id)
        if not isinstance(outcome, dict):
            return outcome
        t.cache["order:" + order["order_id"]] = outcome
        done = "exchanged" if exchange else "items_modified"
        return t.done(st, "exchange", R.say(done, lang, order_id=order["order_id"], changes=changes, settle=settle),
                      f"{tool} on {order['order_id']} ({len(item_ids)} item(s), difference {difference})")

    def _ask_variant(self, st, t, order, item, variants, choice, part):
        """The turn asking what `item` should become (or saying why what was asked cannot be had)."""
        lang = t.language
        available = [v for v in variants if v.get("available") and v["item_id"] != item["item_id"]]
        listing = "; ".join(self._variant_text(v) for v in available[:MAX_VARIANT_LINES])
        if len(available) > MAX_VARIANT_LINES:
            listing += " " + R.say("more_variants", lang, count=len(available) - MAX_VARIANT_LINES).rstrip(".。")
        st.slots["asking"] = item["item_id"]
        st.awaiting = "new_options"
        if choice is None or choice.kind == "none":
            return t.done(st, "exchange", R.say("ask_new_options", lang, item=R.item_text(item), options=listing),
                          f"need the new options for {item['name']}")
        by_id = {v["item_id"]: v for v in variants}
        if choice.kind == "unavailable" and choice.item_id in by_id:
            wanted = ", ".join(str(v) for v in by_id[choice.item_id]["options"].values())
        else:
            wanted = ", ".join(choice.changes.values()) if choice.changes else (choice.item_id or "")
        if choice.kind == "unavailable":
            key = "variant_unavailable" if choice.candidates else "variant_none_available"
            options = "; ".join(self._variant_text(v) for v in choice.candidates[:MAX_VARIANT_LINES]) or listing
            return t.done(st, "exchange", R.say(key, lang, name=item["name"], wanted=wanted, item=R.item_text(item),
                                                options=options),
                          f"the {item['name']} with {wanted} is out of stock")
        options = "; ".join(self._variant_text(v) for v in choice.candidates[:MAX_VARIANT_LINES])
        return t.done(st, "exchange", R.say("variant_which", lang, name=item["name"], wanted=wanted, options=options),
                      f"several {item['name']} variants fit {wanted}")

    def _method_from_words(self, sig: Signals, profile: dict, candidates: list[str], original: str | None):
        """The payment method among `candidates` the customer named: an id, "gift card", "PayPal", "credit card"
        (when only one of that kind fits), or "the original one"."""
        for pm in sig.payment_ids:
            if pm in candidates:
                return pm
        methods = profile.get("payment_methods", {})
        for wanted, source in ((sig.wants_gift_card, "gift_card"), (sig.wants_paypal, "paypal"),
                               (sig.wants_credit_card and not sig.wants_gift_card, "credit_card")):
            if wanted:
                fitting = [pm for pm in candidates if methods.get(pm, {}).get("source") == source]
                if len(fitting) == 1:
                    return fitting[0]
                last_four = [pm for pm in fitting if methods[pm].get("last_four")
                             and re.search(r"(?<!\d)" + methods[pm]["last_four"] + r"(?!\d)", sig.raw_text or "")]
                if len(last_four) == 1:
                    return last_four[0]
        if sig.wants_original_payment and original in candidates:
            return original
        return None

    def _settle_method(self, st, sig, t, profile: dict, order: dict, difference: float):
        """The payment method that pays or receives the price difference (any of the customer's methods; a gift
        card must cover what it pays). Returns its id, or the turn asking for it."""
        lang = t.language
        methods = profile.get("payment_methods", {})
        candidates = list(methods)
        original = order["payment_history"][0]["payment_method_id"] if order.get("payment_history") else None
        named = self._method_from_words(sig, profile, candidates, original)
        if named and named != st.slots.get("payment_method_id"):
            self._set(st, t, "payment_method_id", named)
        if not st.slots.get("payment_method_id") and len(candidates) == 1:
            self._set(st, t, "payment_method_id", candidates[0])
        method_id = st.slots.get("payment_method_id")
        options = self._methods_text(profile, candidates, lang)
        if method_id and not self._covers(methods, method_id, difference):
            return self._gift_card_short(st, t, profile, method_id, difference, candidates)
        if not any(self._covers(methods, pm, difference) for pm in candidates):
            flow = st.flow
            st.end_flow()
            return t.done(st, flow, R.say("nothing_covers", lang, amount=R.money(difference),
                                          options=self._methods_text(profile, candidates, lang)),
                          "policy: no payment method of the customer can pay the difference")
        if not method_id:
            st.awaiting = "payment_method_id"
            direction = "direction_pay" if difference > 0 else "direction_refund"
            return t.done(st, st.flow, R.say("ask_settle_method", lang, difference=self._money_signed(difference),
                                             direction=R.say(direction, lang), options=options),
                          "need the payment method for the price difference")
        return method_id

    @staticmethod
    def _covers(methods: dict, method_id: str, amount: float) -> bool:
        """Policy: a gift card pays only what its balance covers; other methods pay anything."""
        method = methods.get(method_id, {})
        return method.get("source") != "gift_card" or float(method.get("balance", 0)) >= amount

    @staticmethod
    def _methods_text(profile: dict, method_ids: list[str], lang: str) -> str:
        """"your PayPal account or gift card gift_card_1 (balance $5.00)": the methods to choose from."""
        described = []
        for pm in method_ids:
            line = R.payment_method_text(pm, profile, lang)
            method = profile.get("payment_methods", {}).get(pm, {})
            if method.get("source") == "gift_card":
                line += R.say("balance", lang, amount=R.money(float(method.get("balance", 0))))
            described.append(line)
        return (" 或 " if lang == "zh" else " or ").join(described)

    def _gift_card_short(self, st, t, profile: dict, method_id: str, amount: float, candidates: list[str]):
        """The turn refusing a gift card that cannot cover `amount`, offering the methods that can."""
        methods = profile.get("payment_methods", {})
        st.slots.pop("payment_method_id", None)
        st.awaiting = "payment_method_id"
        able = [pm for pm in candidates if self._covers(methods, pm, amount)]
        return t.done(st, st.flow, R.say("gift_card_short", t.language, method=method_id,
                                         balance=R.money(float(methods[method_id].get("balance", 0))),
                                         amount=R.money(amount), options=self._methods_text(profile, able, t.language)),
                      "policy: a gift card must cover the amount it pays")

    @staticmethod
    def _money_signed(amount: float) -> str:
        return ("+" if amount > 0 else "-" if amount < 0 else "") + "$" + R.money(abs(amount))

    @staticmethod
    def _settle_text(difference: float, method_id: str, profile: dict, lang: str) -> str:
        method = R.payment_method_text(method_id, profile, lang)
        if difference > 0:
            return R.say("difference_pay", lang, amount=R.money(difference), method=method)
        if difference < 0:
            return R.say("difference_refund", lang, amount=R.money(-difference), method=method)
        return R.say("difference_none", lang, method=method)

    # -- payment method of a pending order, the customer's default address ---------------------------------------
    def _flow_change_payment(self, text, sig, st, t):
        lang = t.language
        order = self._pending_order(st, sig, t, "cannot_modify_payment")
        if not isinstance(order, dict):
            return order
        history = order["payment_history"]
        if len(history) != 1 or history[0]["transaction_type"] != "payment":
            st.end_flow()
            return t.done(st, "change_payment", R.say("payment_once", lang, order_id=order["order_id"]),
                          "the order's payment was changed already")
        profile = self._profile(st, t)
        methods = profile.get("payment_methods", {})
        current_id, total = history[0]["payment_method_id"], float(history[0]["amount"])
        current = R.payment_method_text(current_id, profile, lang)
        others = [pm for pm in methods if pm != current_id]
        if not others:
            st.end_flow()
            return t.done(st, "change_payment", R.say("no_other_payment", lang, order_id=order["order_id"],
                                                      current=current), "no other payment method on file")
        named = self._method_from_words(sig, profile, others, None)
        if named is None and current_id in sig.payment_ids and not [p for p in sig.payment_ids if p in others]:
            st.end_flow()
            return t.done(st, "change_payment", R.say("same_payment", lang, order_id=order["order_id"],
                                                      current=current), "already paid with that method")
        if named and named != st.slots.get("payment_method_id"):
            self._set(st, t, "payment_method_id", named)
        if not st.slots.get("payment_method_id") and len(others) == 1 and (
                sig.wants_gift_card or sig.wants_paypal or sig.wants_credit_card):
            self._set(st, t, "payment_method_id", others[0])
        method_id = st.slots.get("payment_method_id")
        options = self._methods_text(profile, others, lang)
        if method_id and not self._covers(methods, method_id, total):
            return self._gift_card_short(st, t, profile, method_id, total, others)
        if not method_id:
            st.awaiting = "payment_method_id"
            return t.done(st, "change_payment", R.say("ask_new_payment", lang, order_id=order["order_id"],
                                                      total=R.money(total), current=current, options=options),
                          "need the new payment method")
        timing = R.say("timing_gift" if methods.get(current_id, {}).get("source") == "gift_card" else "timing_other",
                       lang)
        new = R.payment_method_text(method_id, profile, lang)
        question = R.say("confirm_payment", lang, order_id=order["order_id"], total=R.money(total), new=new,
                         current=current, timing=timing)
        outcome = self._confirmed_write(
            st, sig, t, "change_payment", question, [order["order_id"], method_id], "payment change",
            "modify_pending_order_payment", order_id=order["order_id"], payment_method_id=method_id)
        if not isinstance(outcome, dict):
            return outcome
        t.cache["order:" + order["order_id"]] = outcome
        return t.done(st, "change_payment", R.say("payment_changed", lang, order_id=order["order_id"], new=new,
                                                  current=current, timing=timing),
                      f"changed the payment of {order['order_id']} to {method_id}")

    def _flow_change_user_address(self, text, sig, st, t):
        lang = t.language
        profile = self._profile(st, t)
        new = sig.address
        if new is None and sig.order_ids and st.awaiting in ("address", None):
            own = self._own_orders(st, t)
            if sig.order_ids[-1] in own:  # "the same address as order #W..."
                new = dict(self._order(t, sig.order_ids[-1])["address"])
        if new:
            new = {k: str(new.get(k, "") or "") for k in ("address1", "address2", "city", "state", "country", "zip")}
            new["country"] = new["country"] or "USA"
            if new != st.slots.get("address"):
                self._set(st, t, "address", new)
        address = st.slots.get("address")
        old_text = R.address_text(profile["address"])
        if not address:
            st.awaiting = "address"
            return t.done(st, "change_user_address", R.say("ask_user_address", lang, old=old_text),
                          "need the new default address")
        new_text = R.address_text(address)
        if new_text.lower() == old_text.lower():
            st.end_flow()
            return t.done(st, "change_user_address", R.say("same_user_address", lang, new=new_text),
                          "the default address is unchanged")
        question = R.say("confirm_user_address", lang, old=old_text, new=new_text)
        outcome = self._confirmed_write(
            st, sig, t, "change_user_address", question, [st.user_id, address], "change", "modify_user_address",
            user_id=st.user_id, **address)
        if not isinstance(outcome, dict):
            return outcome
        t.cache.pop("profile", None)
        return t.done(st, "change_user_address", R.say("user_address_changed", lang, new=new_text),
                      f"changed the default address of {st.user_id}")


def build_desk(workspace_dir: Path, data_dir: Path) -> OrderDesk:
    """The shop workspace's desk factory (assets/workspaces/shop/workspace.yaml): the tau-bench shop shipped in
    assets/shop/, copied into <data_dir>/shop.sqlite3 on first start as always; a copy of the shop imported under
    another id (python app.py workspaces import --id outlet) gets its own <id>_shop.sqlite3."""
    shipped = Path(workspace_dir).resolve().parent.parent / "shop"  # assets/workspaces/shop -> assets/shop
    if not shipped.is_dir():  # a copy of the shop imported as a team's workspace (python app.py workspaces import)
        from components.settings import PROJECT_ROOT

        shipped = PROJECT_ROOT / "assets" / "shop"
    workspace_id = Path(workspace_dir).name
    name = "shop.sqlite3" if workspace_id == "shop" else f"{workspace_id}_shop.sqlite3"
    return OrderDesk(ShopDatabase(Path(data_dir) / name, shipped))
