"""Choose one action per turn, with the reason. Pure: takes what the earlier stages found, returns a decision."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from components.answers.question_analysis import asks_a_question
from components.nlu.result import NLUResult

ACTIONS = ("curated_answer", "knowledge_answer", "tool_flow", "clarify", "handoff", "small_talk",
           "decline_out_of_scope")

_HUMAN = re.compile(r"\b(human|person|real agent|live agent|representative|operator|someone real|talk to an agent|"
                    r"speak to an agent|customer service agent)\b|人工|真人|转人工|客服人员|人工客服", re.I)
_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|你好|您好|嗨|哈喽)[\s!！,.。?？]*$", re.I)
_THANKS = re.compile(r"^\s*(thanks|thank you|thx|cheers|谢谢|多谢|感谢)[\s!！,.。a-z]*$", re.I)
_BYE = re.compile(r"^\s*(bye|goodbye|see you|再见|拜拜)[\s!！,.。]*$", re.I)

HUMAN_INTENTS = {"contact_human_agent"}
RELATED_SHARE = 0.6  # evidence scoring this share of the threshold or more: the documents speak of what is asked


@dataclass
class PolicyInput:
    text: str
    nlu: NLUResult
    answer_mode: str | None = None       # the answer composer's mode (curated | evidence | abstain), None if not asked
    evidence_score: float = 0.0          # its best evidence score
    message_kind: str = "request"        # question | request | stock_question (components/dialogue/message_kind.py)
    desk_wants: bool = False
    manipulation: str | None = None      # kind of prompt-injection / manipulation attempt detected, if any
    min_score: float = 0.42               # the calibrated evidence threshold
    abstain_reason: str | None = None     # why the composer abstained (ComposedAnswer.abstain_reason), if it did
    recent_negative_turns: int = 0       # consecutive negative customer turns including this one
    recent_failed_turns: int = 0         # consecutive earlier turns that found nothing / were low confidence
    negative_turns_for_handoff: int = 2
    failed_turns_for_handoff: int = 2
    emotion_trend: dict | None = None    # components.nlu.emotions.emotion_trend over the customer's turns, this one last
    names_in_documents: tuple[str, ...] = ()  # an unanswered question's words its passages write as names
    words_in_documents: tuple[str, ...] = ()  # an unanswered question's content words, most of them the documents'
    names_a_product: bool = False        # the message names one of the desk's products (order_desk.names_product)


@dataclass
class Decision:
    action: str
    reason: str
    small_talk: str | None = None        # greeting | thanks | goodbye
    handoff_reason: str | None = None    # customer_request | negative_sentiment | emotion_trend | repeated_failure

    def to_dict(self) -> dict:
        return asdict(self)


def escalating_emotions(trend: dict | None, turns: int = 2) -> list[str]:
    """Anger or frustration that is rising (emotions.emotion_trend's `rising`: its mean over the last three turns
    at least 0.25 above the earlier turns') and shown on each of the last `turns` customer turns."""
    if not trend:
        return []
    return [e for e in ("anger", "frustration")
            if e in trend.get("rising", []) and trend.get("streak", {}).get(e, 0) >= turns]


def _documents_answer_its_question(p: PolicyInput) -> bool:
    """The message asks a question and the answer composer answered it: the intent model alone (no words asking for
    a person) is no reason to hand it off. "I have three things I want to talk to the doctor about, is one
    appointment enough" reads as contact_human_agent to the classifier; the business's documents answer it."""
    return p.answer_mode is not None and p.answer_mode != "abstain" and asks_a_question(p.text)


def decide(p: PolicyInput) -> Decision:
    best = p.evidence_score
    if p.manipulation:
        return Decision("decline_out_of_scope", f"manipulation attempt ({p.manipulation}): declined without the "
                                                "model, the knowledge base or the order desk")
    # inside an order-desk flow only explicit wording counts: a bare email can look like "contact" to the classifier
    # a question about people ("when are your agents available?") asks for information, not for a transfer
    asked_by_intent = (not p.desk_wants and p.message_kind != "question" and p.nlu.intent in HUMAN_INTENTS
                       and p.nlu.confidence >= 0.5 and not _documents_answer_its_question(p))
    if (_HUMAN.search(p.text) and p.message_kind != "question") or asked_by_intent:
        return Decision("handoff", "the customer asked for a person", handoff_reason="customer_request")
    # the customer is getting angrier turn after turn: a person takes over, and the reason names the trend
    escalating = escalating_emotions(p.emotion_trend, p.negative_turns_for_handoff)
    if escalating:
        trend = p.emotion_trend
        return Decision("handoff", "rising " + " and ".join(
            f"{e} over the last {trend['streak'][e]} turns (recent score {trend['recent'].get(e, 0):.2f})"
            for e in escalating), handoff_reason="emotion_trend")
    # "No thanks, I'll keep it" reads as negative: inside a flow it takes an anger/frustration cue to hand off
    if (p.recent_negative_turns >= p.negative_turns_for_handoff and p.nlu.sentiment == "negative"
            and (p.nlu.emotions or not p.desk_wants)):
        return Decision("handoff", f"negative sentiment in {p.recent_negative_turns} consecutive turns"
                        + (f" with {', '.join(p.nlu.emotions)}" if p.nlu.emotions else ""),
                        handoff_reason="negative_sentiment")
    if p.desk_wants:
        what = "stock question" if p.message_kind == "stock_question" else "order-desk request"
        return Decision("tool_flow", f"{what} (intent {p.nlu.intent} {p.nlu.confidence:.2f}, "
                                     f"entities {sorted(p.nlu.entities)})")
    for kind, pattern in (("greeting", _GREETING), ("thanks", _THANKS), ("goodbye", _BYE)):
        if pattern.match(p.text):
            return Decision("small_talk", f"{kind} recognised", small_talk=kind)
        if p.nlu.intent == kind and p.nlu.confidence >= 0.6 and len(p.text) <= 40:
            return Decision("small_talk", f"{kind} intent ({p.nlu.confidence:.2f})", small_talk=kind)
    asked = "an information question" if p.message_kind == "question" else "no order-desk request"
    if p.answer_mode == "curated":
        return Decision("curated_answer", f"{asked}: a curated FAQ row matches (score {best:.2f})")
    if p.answer_mode is not None and p.answer_mode != "abstain":
        if best < p.min_score:
            # a part answered by a rule of its own (the opening of the document about the asked policy): the answer
            # trace says which
            return Decision("knowledge_answer", f"{asked}: evidence found by the composer's rules (best score "
                                                f"{best:.2f} < calibrated threshold {p.min_score:.2f})")
        return Decision("knowledge_answer", f"{asked}: evidence found, best score {best:.2f} "
                                            f">= calibrated threshold {p.min_score:.2f}")
    if p.recent_failed_turns + 1 > p.failed_turns_for_handoff:
        return Decision("handoff", f"nothing relevant found in {p.recent_failed_turns + 1} consecutive turns",
                        handoff_reason="repeated_failure")
    if p.abstain_reason and best >= p.min_score:
        # the knowledge base speaks of it (confidently matched), it just does not state what was asked: in scope,
        # a knowledge gap, never "I can only help with ..."
        return Decision("clarify", f"no trustworthy evidence ({p.abstain_reason}): says it does not know and offers "
                                   "a person")
    # a question the knowledge base nearly answers is in scope whatever the intent model says: a knowledge gap the
    # business should see, not "I can only help with ..." (a gym's own questions over its uploaded documents scored
    # 0.53-0.80 of the 0.80 threshold; weather, jokes, films or a tax return over the shop's documents 0.16-0.41)
    # so is a question naming what the documents name ("how many bags on a Classic ticket?", "can I pay cash at
    # Linford?"): the business's own subject, unanswered; weather, jokes or another company name none of it
    # and so is a question most of whose content words are the documents' own ("my laptop stopped charging after 3
    # weeks, what are my options?" over an electronics shop's help centre; components/answers/document_vocabulary.py)
    # and so is a question about one of the shop's own products ("what's the warranty on headphones?"): what the
    # business sells is its subject, whatever its help articles say
    if (p.nlu.out_of_scope and best < RELATED_SHARE * p.min_score and not p.names_in_documents
            and not p.words_in_documents and not p.names_a_product):
        return Decision("decline_out_of_scope", f"out of scope (best intent {p.nlu.intent} "
                                                f"{p.nlu.confidence:.2f}) and nothing relevant found "
                                                f"(best score {best:.2f})")
    if p.names_in_documents:
        return Decision("clarify", f"no trustworthy evidence (best score {best:.2f} < calibrated threshold "
                                   f"{p.min_score:.2f}) about {', '.join(p.names_in_documents)}, which the documents "
                                   "name: says it does not know and offers a person")
    if p.words_in_documents and p.nlu.out_of_scope:
        return Decision("clarify", f"no trustworthy evidence (best score {best:.2f} < calibrated threshold "
                                   f"{p.min_score:.2f}) for a question in the documents' words "
                                   f"({', '.join(p.words_in_documents[:6])}): says it does not know and offers a "
                                   "person")
    if p.names_a_product and p.nlu.out_of_scope:
        return Decision("clarify", f"no trustworthy evidence (best score {best:.2f} < calibrated threshold "
                                   f"{p.min_score:.2f}) for a question naming one of the shop's products: says it "
                                   "does not know and offers a person")
    return Decision("clarify", f"no trustworthy evidence (best score {best:.2f} < calibrated threshold "
                               f"{p.min_score:.2f}): says it does not know and offers a person")
