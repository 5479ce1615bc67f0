"""Choose one action per turn, with the reason. Pure: takes what the earlier stages found, returns a decision."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from components.knowledge.types import CuratedAnswer, Hit
from components.nlu.result import NLUResult

ACTIONS = ("curated_answer", "knowledge_answer", "tool_flow", "clarify", "handoff", "small_talk",
           "decline_out_of_scope")

_HUMAN = re.compile(r"\b(human|person|real agent|live agent|representative|operator|someone real|talk to an agent|"
                    r"speak to an agent|customer service agent)\b|人工|真人|转人工|客服人员|人工客服", re.I)
_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|你好|您好|嗨|哈喽)[\s!！,.。?？]*$", re.I)
_THANKS = re.compile(r"^\s*(thanks|thank you|thx|cheers|谢谢|多谢|感谢)[\s!！,.。a-z]*$", re.I)
_BYE = re.compile(r"^\s*(bye|goodbye|see you|再见|拜拜)[\s!！,.。]*$", re.I)

HUMAN_INTENTS = {"contact_human_agent"}


@dataclass
class PolicyInput:
    text: str
    nlu: NLUResult
    hits: list[Hit] = field(default_factory=list)
    curated: CuratedAnswer | None = None
    desk_wants: bool = False
    manipulation: str | None = None      # kind of prompt-injection / manipulation attempt detected, if any
    min_score: float = 0.35
    recent_negative_turns: int = 0       # consecutive negative customer turns including this one
    recent_failed_turns: int = 0         # consecutive earlier turns that found nothing / were low confidence
    negative_turns_for_handoff: int = 2
    failed_turns_for_handoff: int = 2


@dataclass
class Decision:
    action: str
    reason: str
    small_talk: str | None = None        # greeting | thanks | goodbye
    handoff_reason: str | None = None    # customer_request | negative_sentiment | repeated_failure | out_of_scope

    def to_dict(self) -> dict:
        return asdict(self)


def decide(p: PolicyInput) -> Decision:
    best = p.hits[0].score if p.hits else 0.0
    if p.manipulation:
        return Decision("decline_out_of_scope", f"manipulation attempt ({p.manipulation}): declined without the "
                                                "model, the knowledge base or the order desk")
    # inside an order-desk flow only explicit wording counts: a bare email can look like "contact" to the classifier
    asked_by_intent = not p.desk_wants and p.nlu.intent in HUMAN_INTENTS and p.nlu.confidence >= 0.5
    if _HUMAN.search(p.text) or asked_by_intent:
        return Decision("handoff", "the customer asked for a person", handoff_reason="customer_request")
    # "No thanks, I'll keep it" reads as negative: inside a flow it takes an anger/frustration cue to hand off
    if (p.recent_negative_turns >= p.negative_turns_for_handoff and p.nlu.sentiment == "negative"
            and (p.nlu.emotions or not p.desk_wants)):
        return Decision("handoff", f"negative sentiment in {p.recent_negative_turns} consecutive turns"
                        + (f" with {', '.join(p.nlu.emotions)}" if p.nlu.emotions else ""),
                        handoff_reason="negative_sentiment")
    if p.desk_wants:
        return Decision("tool_flow", f"order-desk request (intent {p.nlu.intent} {p.nlu.confidence:.2f}, "
                                     f"entities {sorted(p.nlu.entities)})")
    for kind, pattern in (("greeting", _GREETING), ("thanks", _THANKS), ("goodbye", _BYE)):
        if pattern.match(p.text):
            return Decision("small_talk", f"{kind} recognised", small_talk=kind)
        if p.nlu.intent == kind and p.nlu.confidence >= 0.6 and len(p.text) <= 40:
            return Decision("small_talk", f"{kind} intent ({p.nlu.confidence:.2f})", small_talk=kind)
    if p.curated is not None:
        return Decision("curated_answer", f"curated FAQ \"{p.curated.question}\" matched with score "
                                          f"{p.curated.score:.2f}")
    if best >= p.min_score:
        return Decision("knowledge_answer", f"{len(p.hits)} passages retrieved, best score {best:.2f} "
                                            f">= threshold {p.min_score:.2f}")
    if p.recent_failed_turns + 1 > p.failed_turns_for_handoff:
        return Decision("handoff", f"nothing relevant found in {p.recent_failed_turns + 1} consecutive turns",
                        handoff_reason="repeated_failure")
    if p.nlu.out_of_scope:
        return Decision("decline_out_of_scope", f"out of scope (best intent {p.nlu.intent} "
                                                f"{p.nlu.confidence:.2f}) and nothing relevant found "
                                                f"(best score {best:.2f})")
    return Decision("clarify", f"nothing relevant found (best score {best:.2f} < threshold {p.min_score:.2f})")
