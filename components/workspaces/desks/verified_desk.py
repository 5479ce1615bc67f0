"""The skeleton every workspace desk shares: flows asked for in English or Chinese, identity verified before
anything personal, writes only after an explicit yes, every tool call recorded.

A desk subclasses `VerifiedDesk` and declares
  FLOWS        [Flow(name, asks, personal, label, intents)]: the customer's words (a regex over EN+ZH) that ask
               for a flow, strongest first; `personal` flows need a verified customer
  IDENTITY     [IdentityField(name, label, read)]: what verifies a customer, all of them together
  TEMPLATES    {key: (english, chinese)} merged over COMMON_TEMPLATES
and implements `verify(t, identity) -> (customer_id, first_name) | None` and `flow_<name>(text, sig, st, t)`.
`wants()` and `step()` are pure functions of (text, NLU result, state) plus the database; the state is plain JSON.
The order desk (components/orders/order_desk.py) is the model: same DeskState/DeskTurn, same yes/no reading.
"""
from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable

from components.nlu.cjk_characters import HAN_NO_HEXAGRAMS
from components.nlu.language import carries_language, detect_language
from components.nlu.result import NLUResult
from components.orders.desk_signals import Signals, read_signals
from components.orders.order_desk import DeskState, DeskTurn
from components.orders.tool_calls import record_call
from components.workspaces.safety import normalise_text

log = logging.getLogger(__name__)

MAX_AUTH_FAILURES = 3
_CJK = re.compile(f"[{HAN_NO_HEXAGRAMS}]")
# a general question about how things work: the knowledge base answers it, not the desk
GENERAL_QUESTION = re.compile(
    r"\b(fees?|charges?|limits?|polic(y|ies)|rules?|how (long|much|many|do|does|can)|what happens|is there a|"
    r"do you (charge|offer|have)|opening hours|open on)\b|手续费|费用|限额|规定|政策|怎么|如何|多久|多长时间|(?<!花了)多少钱|是否收费|营业时间",
    re.I)
_ASKS_TO_ACT = re.compile(r"\b(i want|i'd like|i would like|i need|please|can you|could you|help me|i wanna)\b|"
                          r"我想|我要|帮我|请帮|麻烦|给我", re.I)
_QUESTION = re.compile(r"\?|？|吗|么|\b(what|how|why|when|which|who|where|is there|are there|do you|does)\b", re.I)

COMMON_TEMPLATES: dict[str, tuple[str, str]] = {
    "ask_identity": ("To help with {what}, I first need to verify your identity. Please tell me {fields}.",
                     "为了处理{what}，我需要先验证您的身份。请提供{fields}。"),
    "ask_missing": ("Thanks. I still need {fields}.", "谢谢。还需要您提供{fields}。"),
    "verify_failed": ("I couldn't verify you with those details. Please check {fields} and try again.",
                      "无法用这些信息验证您的身份。请核对{fields}后再试一次。"),
    "auth_locked": ("I'm sorry, I still can't verify your identity, so I can't go further with your records here. "
                    "I'll pass you to a member of our team who can help.",
                    "抱歉，仍然无法验证您的身份，我不能继续处理您的信息。我会为您转接人工客服。"),
    "verified": ("Thank you, {first}. You're verified.", "谢谢，{first}，身份已验证。"),
    "verified_how_help": ("Thank you, {first}. You're verified. How can I help?",
                          "谢谢，{first}，身份已验证。请问有什么可以帮您？"),
    "one_customer_only": ("I can only help with the identity verified in this conversation, so I can't look up or "
                          "change anything for someone else.",
                          "在本次对话中我只能处理已验证的身份，无法查询或修改其他人的任何信息。"),
    "ask_yes_no": ("Please answer yes to go ahead or no to stop. {question}", "请回答“是”继续，或“否”停止。{question}"),
    "not_done": ("OK, I won't go ahead with {what}. Nothing was changed.", "好的，不会继续{what}，没有做任何更改。"),
    "abandoned": ("OK, I've stopped {what}. Nothing was changed.", "好的，已停止{what}，没有做任何更改。"),
    "write_failed": ("I couldn't do that: {error}", "无法完成该操作：{error}"),
}


@dataclass(frozen=True)
class Flow:
    name: str
    asks: re.Pattern                  # the words that ask for this flow (English and Chinese)
    personal: bool
    label: tuple[str, str]            # ("checking your balance", "查询余额"): for "to help with ..." and "stopped ..."
    intents: tuple[str, ...] = ()     # NLU labels that ask for it (when confident)
    general_ok: bool = False          # True: a general question may still start it (a public lookup)


@dataclass(frozen=True)
class IdentityField:
    name: str
    label: tuple[str, str]            # ("your member number", "会员号")
    read: Callable[[str, bool], str | None]   # (text, awaiting identity) -> value


@dataclass
class Turn:
    """What one step collects before it becomes a DeskTurn."""
    language: str
    tool_calls: list[dict] = field(default_factory=list)
    slot_events: list[dict] = field(default_factory=list)
    prefix: list[str] = field(default_factory=list)

    def done(self, state: DeskState, flow: str | None, reply: str, reason: str, action: str | None = None,
             handoff: bool = False) -> tuple[DeskTurn, DeskState]:
        if action is None:
            action = ("tool_flow" if self.tool_calls else "clarify") if state.awaiting else "done"
        text = ("" if self.language == "zh" else " ").join(self.prefix + [reply]).strip()
        return DeskTurn(reply=text, language=self.language, flow=flow, action=action, reason=reason,
                        tool_calls=self.tool_calls, slot_events=self.slot_events, handoff=handoff), state


class VerifiedDesk(ABC):
    FLOWS: list[Flow] = []
    IDENTITY: list[IdentityField] = []
    TEMPLATES: dict[str, tuple[str, str]] = {}
    RECORDS_TITLE: tuple[str, str] = ("Records", "记录")  # the console's customer panel (customer_records)

    def __init__(self, db):
        self.db = db
        self._flows = {f.name: f for f in self.FLOWS}
        self._templates = {**COMMON_TEMPLATES, **self.TEMPLATES}

    # -- the desk protocol -------------------------------------------------------------------------------------
    def names_product(self, text: str) -> bool:
        return False

    def wants(self, text: str, nlu: NLUResult, state: DeskState) -> bool:
        take, _, _ = self._route(text or "", nlu, state)
        return take

    def step(self, text: str, nlu: NLUResult, state: DeskState) -> tuple[DeskTurn, DeskState]:
        text = text or ""
        language = self._language(text, nlu, state)
        take, requested, why = self._route(text, nlu, state)
        if not take:
            return DeskTurn(reply="", language=language, flow=state.flow, action="done", reason=why,
                            handled=False), state
        st = state.copy()
        st.context["language"] = language
        t = Turn(language)
        sig = read_signals(text)
        if sig.abandon and st.active and not (requested and requested != st.flow):
            flow = st.flow
            what = self.flow_label(flow, language)
            st.end_flow()
            st.context.pop("identity", None)
            return t.done(st, flow, self.say("abandoned", language, what=what), "customer abandoned the flow",
                          action="abandoned")
        if requested and requested != st.flow:
            identity_pending = st.awaiting == "identity" and not st.user_id
            st.flow, st.slots, st.awaiting = requested, {}, ("identity" if identity_pending else None)
            st.slots["said"] = text  # the request itself ("I was charged twice at X"), read again after verifying
        stop = self._identify(text, st, t)
        if stop is not None:
            return stop
        if st.flow is None:
            if st.user_id:
                t.prefix.clear()
                return t.done(st, None, self.say("verified_how_help", language, first=st.context.get("first", "")),
                              "customer verified")
            return t.done(st, None, self.say("ask_missing", language, fields=self._missing(st, language)),
                          "waiting for the rest of the identity")
        flow = self._flows[st.flow]
        if flow.personal and not st.user_id:
            st.awaiting = "identity"
            return t.done(st, st.flow, self.say("ask_identity", language, what=self.flow_label(st.flow, language),
                                                fields=self._missing(st, language)),
                          "verification required before anything personal")
        turn, new_state = getattr(self, "flow_" + st.flow)(text, sig, st, t)
        log.debug("desk %s/%s: %s (%d tool calls)", turn.flow, turn.action, turn.reason, len(turn.tool_calls))
        return turn, new_state

    # -- for subclasses ----------------------------------------------------------------------------------------
    @abstractmethod
    def verify(self, t: Turn, identity: dict) -> tuple[str, str] | None:
        """The customer's (id, first name) when `identity` matches the desk's records (each desk checks its own
        fields: bank member + birth date + card, school and clinic id + birth date), else None."""

    def fills(self, awaiting: str, text: str, sig: Signals, state: DeskState) -> bool:
        """Does `text` answer what the flow waits for (beyond identity and yes/no)?"""
        return False

    def say(self, key: str, language: str, **values) -> str:
        english, chinese = self._templates[key]
        return (chinese if language == "zh" else english).format(**values)

    def customer_records(self, customer_id: str, language: str = "en") -> list[dict]:
        """What the console's customer panel shows an agent of a verified customer: [{id, status}] (a desk
        overrides it; only the agents of this workspace see it)."""
        return []

    def flow_label(self, flow: str | None, language: str) -> str:
        if flow in self._flows:
            english, chinese = self._flows[flow].label
        else:
            english, chinese = "verifying your identity", "身份验证"
        return chinese if language == "zh" else english

    def call(self, t: Turn, name: str, **arguments):
        """Run one database operation and record it; ValueError comes back as (None, message)."""
        return record_call(t.tool_calls, name, getattr(self.db, name), arguments)

    def set_slot(self, st: DeskState, t: Turn, slot: str, value) -> None:
        st.slots[slot] = value
        t.slot_events.append({"slot": slot, "value": value})

    def fill_or_ask(self, st: DeskState, t: Turn, slot: str, value, question: str, reason: str):
        """Keep the first value the customer gives for `slot`; None once it is known, else the turn asking for it
        (the desk then waits for `slot`)."""
        if not st.slots.get(slot) and value:
            self.set_slot(st, t, slot, value)
        if st.slots.get(slot):
            return None
        st.awaiting = slot
        return t.done(st, st.flow, question, reason)

    def confirm(self, st: DeskState, sig: Signals, t: Turn, details: list, question: str):
        """None when the customer has just said yes to exactly `details`; otherwise the turn to answer with
        (the question, the question again, or "nothing was changed" after a no)."""
        if st.awaiting == "confirm" and st.slots.get("confirm_for") == details:
            if sig.yes:
                st.awaiting = None
                return None
            if sig.no:
                flow = st.flow
                what = self.flow_label(flow, t.language)
                st.end_flow()
                return t.done(st, flow, self.say("not_done", t.language, what=what),
                              "customer said no at the confirmation", action="abandoned")
            return t.done(st, st.flow, self.say("ask_yes_no", t.language, question=question), "need yes or no")
        st.slots["confirm_for"] = details
        st.awaiting = "confirm"
        return t.done(st, st.flow, question, "listed the details; waiting for an explicit yes")

    def finish_write(self, st: DeskState, t: Turn, result, error, reply: str, reason: str):
        """The turn after a confirmed write: done, or why the database refused it."""
        flow = st.flow
        st.end_flow()
        if error:
            return t.done(st, flow, self.say("write_failed", t.language, error=error), "write refused: " + error)
        return t.done(st, flow, reply, reason)

    # -- routing -----------------------------------------------------------------------------------------------
    @staticmethod
    def _language(text: str, nlu: NLUResult, state: DeskState) -> str:
        """The message's language; a message of numbers and dates only keeps the conversation's language."""
        if _CJK.search(text):
            return "zh"
        previous = state.context.get("language")
        if previous and not carries_language(text):
            return previous
        language = nlu.language if nlu.language in ("en", "zh") else detect_language(text)
        return language if language in ("en", "zh") else "en"

    def requested_flow(self, text: str, nlu: NLUResult, state: DeskState) -> str | None:
        """The flow the customer's words ask for (a confident NLU label counts outside a flow); traditional
        characters read as simplified (我的預約 as 我的预约)."""
        text = normalise_text(text)
        general = bool(GENERAL_QUESTION.search(text)) and not _ASKS_TO_ACT.search(text)
        for flow in self.FLOWS:
            if flow.asks.search(text) and (flow.general_ok or not general):
                return flow.name
        if not state.active and not general and not nlu.out_of_scope and nlu.confidence >= 0.6:
            for flow in self.FLOWS:
                if nlu.intent in flow.intents:
                    return flow.name
        return None

    def _identity_in(self, text: str, awaiting: bool) -> dict:
        values = {}
        for f in self.IDENTITY:
            value = f.read(text, awaiting)
            if value:
                values[f.name] = value
        return values

    def _route(self, text: str, nlu: NLUResult, state: DeskState) -> tuple[bool, str | None, str]:
        requested = self.requested_flow(text, nlu, state)
        awaiting_identity = state.awaiting == "identity"
        identity = self._identity_in(text, awaiting_identity)
        if state.active:
            if requested:
                return True, requested, f"asks for {requested}"
            sig = read_signals(text)
            if (awaiting_identity and identity) or sig.abandon or \
                    (state.awaiting == "confirm" and (sig.yes or sig.no)) or \
                    (state.awaiting and self.fills(state.awaiting, text, sig, state)):
                return True, None, "continues the active flow"
            if _QUESTION.search(text):
                return False, None, "a different question in the middle of a flow; the flow stays open"
            return True, None, "an answer the flow cannot use yet; ask again"
        if requested:
            return True, requested, f"asks for {requested}"
        first = self.IDENTITY[0].name if self.IDENTITY else None
        if first and first in identity:
            return True, None, "gives an identity"
        return False, None, "not a request for this desk"

    # -- identity ----------------------------------------------------------------------------------------------
    def _missing(self, st: DeskState, language: str) -> str:
        have = st.context.get("identity", {})
        labels = [(f.label[1] if language == "zh" else f.label[0]) for f in self.IDENTITY if f.name not in have]
        if language == "zh":
            return "、".join(labels)
        return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]

    def _identify(self, text: str, st: DeskState, t: Turn):
        """Verify the customer from this message. Returns a finished turn to stop, or None to go on."""
        lang = t.language
        found = self._identity_in(text, st.awaiting == "identity")
        if st.user_id:
            own = st.context.get("own_identity", {})
            first = self.IDENTITY[0].name
            if first in found and found[first] != own.get(first):
                flow = st.flow
                st.end_flow()
                return t.done(st, flow, self.say("one_customer_only", lang),
                              "asked about someone else; refused without looking anything up")
            return None
        if not found:
            return None
        identity = st.context.setdefault("identity", {})
        identity.update(found)
        if len(identity) < len(self.IDENTITY):
            st.awaiting = "identity"
            return t.done(st, st.flow, self.say("ask_missing", lang, fields=self._missing(st, lang)),
                          "part of the identity given; asking for the rest")
        verified = self.verify(t, dict(identity))
        st.context.pop("identity", None)
        if verified is None:
            failures = int(st.context.get("auth_failures", 0)) + 1
            st.context["auth_failures"] = failures
            if failures >= MAX_AUTH_FAILURES:
                flow = st.flow
                st.end_flow()
                return t.done(st, flow, self.say("auth_locked", lang), f"{failures} failed verifications",
                              handoff=True)
            st.awaiting = "identity"
            return t.done(st, st.flow, self.say("verify_failed", lang, fields=self._missing(st, lang)),
                          "verification failed")
        st.user_id, first_name = verified
        st.context["first"] = first_name
        st.context["own_identity"] = {self.IDENTITY[0].name: identity[self.IDENTITY[0].name]}
        st.context["auth_failures"] = 0
        if st.awaiting == "identity":
            st.awaiting = None
        t.prefix.append(self.say("verified", lang, first=first_name))
        return None
