"""One customer turn, end to end: guard → the workspace's safety rules → redact → understand → route (question or
request; the order desk or the answer composer) → the policy's action, run by its handler → the trace, stored with
the reply.

`DialogueManager.respond()` is a generator of typed chunks: ("started", TurnResult with only the conversation id) as
soon as the conversation exists, ("token", delta) while the answer streams, then one ("final", TurnResult). Everything
the turn decided lands in its `TurnTrace`, stored with the bot message; the dialogue state is an append-only event log
in the conversation store. Answers themselves (evidence, composition, verification) live in components/answers/.

A manager serves one workspace (components/workspaces/: its knowledge, intents, desk, phrases and safety rules come
in as `rules`, a `WorkspaceRules`); without `rules` it is the shop as it always was. A conversation belongs to the
workspace that created it; components/workspaces/dialogue_router.py sends each turn to its workspace's manager.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable, Iterator

from components.answers.composer import AnswerComposer, ComposedAnswer
from components.answers.followup_evidence import previous_units
from components.dialogue import prompts
from components.dialogue.input_guard import guard_input
from components.dialogue.message_kind import MessageKind, classify_message, every_part_asks
from components.dialogue.policy import Decision, PolicyInput, decide
from components.dialogue.turn_trace import TurnTrace
from components.engine.types import EngineBusy, EngineError, GenerationParams
from components.nlu.emotions import emotion_trend
from components.nlu.language import carries_language, detect_language
from components.nlu.result import NLUResult
from components.privacy.injection_guard import detect_injection, leaks_system_prompt
from components.storage.conversation_store import ConversationStore

log = logging.getLogger(__name__)


@dataclass
class TurnResult:
    conversation_id: str
    reply: str
    sources: list[dict] = field(default_factory=list)
    trace: dict = field(default_factory=dict)
    customer_message_id: int | None = None
    bot_message_id: int | None = None
    status: str = "bot"
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TurnContext:
    """What the stages of one turn hand each other."""
    cid: str
    text: str
    cancel: threading.Event | None
    started: float
    timings: dict
    trace: TurnTrace
    conversation: dict = field(default_factory=dict)
    customer_message_id: int | None = None
    bot_message_id: int | None = None
    nlu: NLUResult | None = None
    language: str = "en"
    desk_state: Any = None
    desk_text: str = ""
    safety: Any = None              # the workspace's SafetyVerdict when a safety rule matched
    kind: MessageKind | None = None
    answer: ComposedAnswer | None = None
    decision: Decision | None = None
    reply: str = ""
    sources: list = field(default_factory=list)
    status: str = "bot"
    error: str | None = None


@dataclass
class TurnChunk:
    kind: str                       # "started" | "token" | "final"
    text: str = ""
    result: TurnResult | None = None


class DialogueManager:
    def __init__(self, settings, store: ConversationStore, engine=None, knowledge=None, nlu=None, desk=None,
                 redactor=None, vault=None, answers: AnswerComposer | None = None, rules=None):
        self.settings = settings
        self.rules = rules  # components.workspaces.rules.WorkspaceRules, or None: the shop's phrases, no safety rules
        self.workspace_id = rules.workspace_id if rules is not None else "shop"
        self.store = store
        self.engine = engine
        self.knowledge = knowledge
        self.nlu = nlu
        self.desk = desk
        self.redactor = redactor
        self.vault = vault
        if answers is None and knowledge is not None:
            answers = build_composer(settings, knowledge, engine)
        self.answers = answers
        self._conversation_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # -- public ------------------------------------------------------------------------------------------------
    def chat(self, conversation_id: str | None, text: str, **kwargs: Any) -> TurnResult:
        result = None
        for chunk in self.respond(conversation_id, text, **kwargs):
            if chunk.kind == "final":
                result = chunk.result
        if result is None:  # respond() always ends with a final chunk
            raise RuntimeError("the turn ended without a result")
        return result

    def respond(self, conversation_id: str | None, text: str, *, cancel: threading.Event | None = None,
                is_demo: bool = False, speech: dict | None = None) -> Iterator[TurnChunk]:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        guessed_language = detect_language(str(text or ""))
        guarded = guard_input(text, max_chars=self.settings.message_max_chars, language=guessed_language)
        if conversation_id:
            owner = self.store.workspace_of(conversation_id)
            if owner is None:
                raise ValueError(f"Unknown conversation id {conversation_id!r}: leave it empty to start a new "
                                 "conversation.")
            if owner != self.workspace_id:
                raise ValueError(f"Conversation {conversation_id!r} belongs to the {owner!r} workspace, not "
                                 f"{self.workspace_id!r}: start a new conversation here.")
        if not guarded.ok:
            # nothing is stored for input we refuse; the customer is told what to change
            trace = {"input": {"problem": guarded.problem, "chars": len(str(text or ""))},
                     "policy": {"action": "reject_input", "reason": guarded.problem}}
            yield TurnChunk("final", result=TurnResult(conversation_id or "", guarded.message or "", trace=trace,
                                                       error=guarded.problem))
            return
        cid = conversation_id or self.store.create_conversation(is_demo=is_demo, workspace_id=self.workspace_id)
        # the caller learns the conversation before the turn runs (a customer may ask for a person meanwhile)
        yield TurnChunk("started", result=TurnResult(cid, ""))
        with self._lock_for(cid):
            yield from self._turn(cid, guarded.text, guarded.removed_control_chars, cancel, started, timings, speech)

    # -- the turn: stages around one trace, then the handler of the action the policy chose ----------------------
    def _turn(self, cid: str, text: str, removed_control: int, cancel, started: float,
              timings: dict[str, float], speech: dict | None = None) -> Iterator[TurnChunk]:
        ctx = TurnContext(cid, text, cancel, started, timings,
                          TurnTrace(cid, {"chars": len(text), "control_chars_removed": removed_control}))
        if speech:  # a spoken turn (components/speech/spoken_turn.py): confidence, timings, the recording's name
            ctx.trace.extra["speech"] = speech
        if self.rules is not None:  # safety first: before the text is redacted, understood or routed
            ctx.safety = self.rules.check_safety(text, detect_language(text))
        self._redact(ctx)
        ctx.customer_message_id = self.store.add_message(cid, "customer", ctx.text)
        self.store.append_event(cid, "user_turn", {"message_id": ctx.customer_message_id})
        ctx.conversation = self.store.get_conversation(cid) or {}
        human_owned = ctx.conversation.get("status") in ("waiting", "human")
        if ctx.safety is not None and (ctx.safety.kind == "emergency" or not human_owned):
            # an emergency is answered even while a person owns the conversation
            ctx.language = detect_language(text)
            ctx.trace.language = ctx.language
            ctx.trace.extra["safety"] = ctx.safety.to_dict()
            ctx.decision = Decision("safety", f"{ctx.safety.kind} rule {ctx.safety.rule!r} matched "
                                              f"{ctx.safety.pattern!r}", handoff_reason=ctx.safety.kind)
            ctx.trace.policy = ctx.decision.to_dict()
        else:
            self._understand(ctx)
        if ctx.decision is None and human_owned:
            # a person owns (or is about to own) this conversation: the bot stays silent
            status = ctx.conversation["status"]
            ctx.trace.policy = {"action": "human_owned", "reason": f"conversation status is {status}"}
            ctx.trace.timings_ms = {**timings, "total_ms": _ms(started)}
            yield TurnChunk("final", result=TurnResult(cid, "", trace=ctx.trace.to_dict(),
                                                       customer_message_id=ctx.customer_message_id, status=status))
            return
        if ctx.decision is None:
            self._route(ctx)
        ctx.bot_message_id = self.store.add_message(cid, "bot", "", state="streaming")
        t = time.perf_counter()
        try:
            yield from self._handlers[ctx.decision.action](ctx)
        except EngineBusy:
            ctx.reply, ctx.error = self._phrase("busy", ctx.language), "busy"
            yield TurnChunk("token", ctx.reply)
        except EngineError as exc:
            log.warning("generation failed in %s: %s", cid, exc)
            ctx.reply, ctx.error = self._phrase("generation_failed", ctx.language), "generation_failed"
            yield TurnChunk("token", ctx.reply)
        timings["answer_ms"] = _ms(t)
        yield self._finish(ctx)

    # -- stages ------------------------------------------------------------------------------------------------
    def _redact(self, ctx: "TurnContext") -> None:
        """Privacy first: personal data is replaced by tokens before anything is stored or reaches the model."""
        t = time.perf_counter()
        if self.redactor is not None:
            ctx.text, ctx.trace.redactions = self.redactor.redact(ctx.text, conversation_id=ctx.cid)
        ctx.timings["redaction_ms"] = _ms(t)

    def _understand(self, ctx: "TurnContext") -> None:
        t = time.perf_counter()
        nlu = self.nlu.parse(ctx.text) if self.nlu is not None else NLUResult(language=detect_language(ctx.text))
        if not carries_language(ctx.text):  # "31570922 1979-11-03 5566" in a Chinese conversation stays Chinese
            previous = ctx.conversation.get("language")  # read when the turn started, before this turn's update
            if previous in ("en", "zh") and previous != nlu.language:
                nlu = replace(nlu, language=previous)
        ctx.timings["nlu_ms"] = _ms(t)
        ctx.nlu, ctx.language = nlu, nlu.language
        ctx.trace.nlu = nlu.to_dict()
        ctx.trace.language = nlu.language
        self.store.append_event(ctx.cid, "nlu", {"intent": nlu.intent, "confidence": nlu.confidence,
                                                 "sentiment": nlu.sentiment, "language": nlu.language,
                                                 "emotions": nlu.emotion_scores})
        self.store.update_conversation(ctx.cid, language=nlu.language, last_intent=nlu.intent,
                                       last_sentiment=nlu.sentiment)

    def _route(self, ctx: "TurnContext") -> None:
        """Question or request; the order desk for requests, the answer composer for questions; then the policy."""
        text, nlu = ctx.text, ctx.nlu
        injection = detect_injection(text)
        ctx.trace.injection = injection
        ctx.desk_state = self._desk_state(ctx.cid)
        # the order desk is a tool allowed to see the customer's own redacted values (e.g. the email to log in)
        ctx.desk_text = self.vault.resolve_text(ctx.cid, text) if self.vault is not None else text
        names_product = getattr(self.desk, "names_product", None)
        personal = getattr(self.rules, "asks_about_own_records", None)  # the workspace's cues (workspace.yaml)
        # read as the knowledge base spells it ("pls can i cancle", "訂單可以取消嗎"), once per turn: the routing reads
        # it (with the customer's own values), the answer composer answers it; the desk keeps the customer's words
        spell = getattr(self.answers, "spell", None)
        spelled, routed = None, ctx.desk_text
        if spell is not None:
            t = time.perf_counter()
            spelled = spell(text, ctx.language)
            ctx.timings["spelling_ms"] = _ms(t)
            if spelled.text != text:
                routed = self.vault.resolve_text(ctx.cid, spelled.text) if self.vault is not None else spelled.text
        previous = self._previous_question(ctx.cid)
        ctx.kind = classify_message(routed, names_product=names_product, personal=personal,
                                    after_question=previous is not None, own_words=self._own_words(names_product))
        ctx.trace.message_kind = ctx.kind.to_dict()
        t = time.perf_counter()
        # a question goes to the knowledge base, unless the desk is in the middle of a flow (then the desk decides
        # whether it is a reply: "which colours are there?" while choosing an exchange)
        in_flow = bool(getattr(ctx.desk_state, "active", False))
        composed = None
        if (self.desk is not None and not in_flow and injection is None and self.answers is not None
                and ctx.kind.kind == "request" and every_part_asks(routed, names_product)):
            # every part a question, a request worded as one among them ("When will my card refund arrive? and can
            # I get it in cash instead?"): when the documents answer every part, the policy answers, then the offer
            composed = self.answers.compose(text, ctx.language, previous=previous, spelled=spelled)
            every_part = not composed.abstained and all(
                part.answered or (part.curated or {}).get("same_as_earlier_part") for part in composed.parts)
            ctx.trace.extra["documents_first"] = {"answered_every_part": every_part, "parts": [
                {"question": p.part.text, "answered": p.answered, "confidence": round(p.confidence, 4),
                 "unanswered": p.unanswered} for p in composed.parts]}
            if every_part:
                ctx.kind = MessageKind("question", "every part is a question and the documents answer each: the "
                                                   "policy answers, then the offer to act", ctx.kind.topic)
                ctx.trace.message_kind = ctx.kind.to_dict()
        acts_on_last_order = getattr(self.desk, "acts_on_last_order", None)
        if (ctx.kind.kind == "question" and not in_flow and injection is None and acts_on_last_order is not None
                and acts_on_last_order(ctx.desk_text, nlu, ctx.desk_state)):
            ctx.kind = MessageKind("request", "asks to change or return a product of the order the desk last worked "
                                              "on: a request worded as a question", ctx.kind.topic)
            ctx.trace.message_kind = ctx.kind.to_dict()
        desk_wants = bool(self.desk is not None and injection is None and (in_flow or ctx.kind.kind != "question")
                          and self.desk.wants(ctx.desk_text, nlu, ctx.desk_state))
        if not desk_wants and injection is None and self.answers is not None:
            ctx.answer = composed or self.answers.compose(text, ctx.language, previous=previous, spelled=spelled)
        ctx.timings["retrieval_ms"] = _ms(t)
        answer = ctx.answer
        hits = answer.hits if answer is not None else []
        min_score = answer.min_score if answer is not None else self.settings.kb_min_score
        ctx.trace.retrieval = {
            "hits": [{"doc_id": h.doc_id, "title": h.title, "chunk_id": h.chunk_id, "score": round(h.score, 4),
                      "dense_score": h.dense_score, "keyword_score": h.keyword_score,
                      "heading_path": h.metadata.get("heading_path")} for h in hits[:6]],
            "best_score": round(answer.best_score, 4) if answer is not None else None,
            "min_score": min_score,
            "nothing_found": answer is None or answer.abstained,
        }
        if answer is not None and answer.mode == "curated":
            curated = answer.parts[0].curated or {}
            ctx.trace.curated = {**curated, "title": answer.sources[0]["title"] if answer.sources else ""}
        negative_run, failed_run = self._recent_runs(ctx.cid, nlu)
        trend = self._emotion_trend(ctx.cid)
        ctx.trace.extra["emotion_trend"] = trend
        # what an unanswered question names that the documents name: in scope, a knowledge gap (no extra search)
        names = tuple(answer.names_from_documents) if answer is not None and answer.abstained else ()
        # and what it asks in the documents' own words: the business's subject, unanswered (document_vocabulary.py)
        held = ()
        document_coverage = getattr(self.answers, "document_coverage", None)
        if answer is not None and answer.abstained and document_coverage is not None:
            words = document_coverage(answer)
            ctx.trace.extra["document_vocabulary"] = {"held": list(words.held), "unheld": list(words.unheld),
                                                      "unknown_names": list(words.unknown_names)}
            held = words.held if words.in_documents else ()
        ctx.decision = decide(PolicyInput(
            text=text, nlu=nlu, answer_mode=answer.mode if answer is not None else None,
            evidence_score=answer.best_score if answer is not None else 0.0, min_score=min_score,
            abstain_reason=answer.abstain_reason if answer is not None else None,
            message_kind=ctx.kind.kind, desk_wants=desk_wants,
            manipulation=injection["kind"] if injection else None,
            recent_negative_turns=negative_run, recent_failed_turns=failed_run,
            negative_turns_for_handoff=self.settings.handoff_negative_turns,
            failed_turns_for_handoff=self.settings.handoff_low_confidence_turns, emotion_trend=trend,
            names_in_documents=names, words_in_documents=held,
            names_a_product=bool(answer is not None and answer.abstained and names_product
                                 and names_product(routed))))
        if self.rules is not None:  # the workspace's own handoff intents ("always a person for a complaint")
            ctx.decision = self.rules.apply_handoff_intents(ctx.decision, nlu, in_flow=in_flow)
        ctx.trace.policy = ctx.decision.to_dict()

    def _finish(self, ctx: "TurnContext") -> TurnChunk:
        """Store the reply with its trace and the events the state is folded from; the final chunk."""
        ctx.timings["total_ms"] = _ms(ctx.started)
        trace = ctx.trace
        trace.timings_ms = ctx.timings
        trace.sources = ctx.sources
        state = "complete" if ctx.error is None else "error"
        if ctx.cancel is not None and ctx.cancel.is_set():
            state = "interrupted"
        data = trace.to_dict()
        self.store.finish_message(ctx.bot_message_id, self._scrub(ctx.reply, ctx.cid), trace=self._scrub(data, ctx.cid),
                                  state=state)
        self.store.append_event(ctx.cid, "policy", trace.policy)
        self.store.append_event(ctx.cid, "bot_turn", {"message_id": ctx.bot_message_id,
                                                      "action": trace.policy["action"]})
        return TurnChunk("final", result=TurnResult(ctx.cid, ctx.reply, ctx.sources, data, ctx.customer_message_id,
                                                    ctx.bot_message_id, ctx.status, ctx.error))

    # -- one handler per action --------------------------------------------------------------------------------
    @property
    def _handlers(self) -> dict:
        return {"tool_flow": self._handle_desk, "handoff": self._handle_handoff, "small_talk": self._handle_small_talk,
                "curated_answer": self._handle_answer, "knowledge_answer": self._handle_answer,
                "decline_out_of_scope": self._handle_decline, "clarify": self._handle_clarify,
                "safety": self._handle_safety}

    def _handle_desk(self, ctx: "TurnContext") -> Iterator[TurnChunk]:
        cid = ctx.cid
        turn, new_state = self.desk.step(ctx.desk_text, ctx.nlu, ctx.desk_state)
        ctx.reply = turn.reply
        tool_calls = self._scrub(turn.tool_calls, cid)
        ctx.trace.tool_calls = tool_calls
        ctx.trace.desk = self._scrub({"flow": turn.flow, "action": turn.action, "reason": turn.reason,
                                      "slots": new_state.to_dict().get("slots", {})}, cid)
        for event in self._scrub(turn.slot_events, cid):
            self.store.append_event(cid, "slot_set", event)
        for call in tool_calls:
            self.store.append_event(cid, "tool_call", call)
        self.store.append_event(cid, "desk_state", self._scrub(new_state.to_dict(), cid))
        if new_state.user_id and new_state.user_id != ctx.conversation.get("customer"):
            self.store.update_conversation(cid, customer=new_state.user_id)
        if getattr(turn, "handoff", False):
            # the desk cannot do this itself (repeated failed verification, ...): a person takes over
            notice, ctx.status = self.hand_off(cid, "order_desk", turn.reason, ctx.language)
            ctx.reply = f"{ctx.reply}\n\n{notice}"
            ctx.trace.handoff = {"reason": "order_desk", "detail": turn.reason}
        yield TurnChunk("token", ctx.reply)

    def _handle_handoff(self, ctx: "TurnContext") -> Iterator[TurnChunk]:
        decision = ctx.decision
        ctx.reply, ctx.status = self.hand_off(ctx.cid, decision.handoff_reason, decision.reason, ctx.language)
        ctx.trace.handoff = {"reason": decision.handoff_reason, "detail": decision.reason}
        yield TurnChunk("token", ctx.reply)

    def _handle_safety(self, ctx: "TurnContext") -> Iterator[TurnChunk]:
        """The workspace's emergency or refusal reply; the conversation goes to a person when the rule says so."""
        verdict = ctx.safety
        ctx.reply = verdict.reply
        if verdict.handoff and ctx.conversation.get("status") not in ("waiting", "human"):
            notice, ctx.status = self.hand_off(ctx.cid, verdict.kind, f"{verdict.rule}: {verdict.pattern}",
                                               ctx.language)
            ctx.reply = f"{ctx.reply}\n\n{notice}"
            ctx.trace.handoff = {"reason": verdict.kind, "detail": verdict.rule}
        else:
            ctx.status = ctx.conversation.get("status") or "bot"
        yield TurnChunk("token", ctx.reply)

    def _handle_small_talk(self, ctx: "TurnContext") -> Iterator[TurnChunk]:
        ctx.reply = self._phrase(ctx.decision.small_talk or "greeting", ctx.language)
        yield TurnChunk("token", ctx.reply)

    def _handle_decline(self, ctx: "TurnContext") -> Iterator[TurnChunk]:
        ctx.reply = self._phrase("manipulation" if ctx.trace.injection else "out_of_scope", ctx.language)
        if ctx.answer is not None and ctx.answer.abstained:
            # declined as out of scope, it is still what "ok and at Cedar Quay?" in the next turn refers to
            ctx.trace.answer = ctx.answer.to_trace()
            self._record_question(ctx.cid, ctx.answer)
        yield TurnChunk("token", ctx.reply)

    def _handle_clarify(self, ctx: "TurnContext") -> Iterator[TurnChunk]:
        """Nothing trustworthy to say: the bot says it does not know and offers a person (a knowledge gap)."""
        answer = ctx.answer
        ctx.reply = answer.reply if answer is not None and answer.abstained else \
            self._phrase("nothing_found", ctx.language)
        if answer is not None:
            ctx.trace.answer = answer.to_trace()
            ctx.trace.generation = {"mode": "abstain"}
            # unanswered, it is still what the customer's next "and for the intensive one?" refers to
            self._record_question(ctx.cid, answer)
        yield TurnChunk("token", ctx.reply)

    def _handle_answer(self, ctx: "TurnContext") -> Iterator[TurnChunk]:
        """The evidence answer (curated or selected sentences); a configured stronger model may reword it, and the
        rewording stands only if the verifier passes it."""
        answer = ctx.answer
        params = GenerationParams(max_new_tokens=self.settings.max_new_tokens,
                                  deadline_s=self.settings.request_deadline_s)
        reworded = ""
        if answer.mode != "curated":
            for text in self.answers.reword(answer, params, cancel=ctx.cancel):
                if leaks_system_prompt(text, prompts.SYSTEM_PROMPT) or detect_injection(text):
                    answer.rejected.append({"text": text[:600], "reason": "leaked the system prompt or followed "
                                                                          "instructions"})
                    break
                reworded = text
        if not reworded and answer.mode in ("rephrased", "generated"):
            answer.mode = "evidence"
            answer.reply = self.answers.evidence_reply(answer)
        ctx.reply = answer.reply
        offer = self._offer(ctx)
        if offer:
            ctx.reply = f"{ctx.reply}\n\n{offer}"
        ctx.sources = answer.sources
        trace = answer.to_trace()
        trace["offer"] = offer or None
        ctx.trace.answer = trace
        ctx.trace.generation = {"mode": answer.mode, **(answer.timings_ms.get("generation") or {})}
        self._record_question(ctx.cid, answer)
        # stated paragraph by paragraph, so the chat shows the answer as it is laid out
        pieces = ctx.reply.split("\n\n")
        for i, piece in enumerate(pieces):
            yield TurnChunk("token", piece + ("\n\n" if i < len(pieces) - 1 else ""))

    def _offer(self, ctx: "TurnContext") -> str:
        """After answering a question about something the desk can do, offer to do it."""
        if self.desk is None or ctx.kind is None or ctx.kind.kind != "question" or not ctx.kind.topic:
            return ""
        offer = self.rules.offer if self.rules is not None else prompts.offer
        return offer(ctx.kind.topic, ctx.language, verified=bool(getattr(ctx.desk_state, "user_id", None)))

    def _phrase(self, key: str, language: str) -> str:
        """A fixed phrase in the workspace's words (its welcome, its scope), else the shop's."""
        return self.rules.phrase(key, language) if self.rules is not None else prompts.phrase(key, language)

    def _record_question(self, cid: str, answer: ComposedAnswer) -> None:
        """What a follow-up in the next turn refers to: the question (resolved), its subject terms, and the
        documents its stated evidence came from ("answered"), or the question alone when it was not answered
        ("asked", with its best units: followup_evidence.py)."""
        if answer.abstained:
            self.store.append_event(cid, "asked", {"question": answer.question, "subject_terms": answer.subject_terms,
                                                   "units": previous_units(answer.parts)})
            return
        # a curated FAQ row's document holds many unrelated questions: no place to look first
        doc_ids = [] if answer.mode == "curated" else list(dict.fromkeys(s["doc_id"] for s in answer.sources
                                                                          if s.get("doc_id")))
        self.store.append_event(cid, "answered", {"question": answer.question, "subject_terms": answer.subject_terms,
                                                  "doc_ids": doc_ids, "evidence": " ".join(answer.evidence_texts)[:600],
                                                  "units": [] if answer.mode == "curated" else previous_units(answer.parts)})

    def _own_words(self, names_product) -> Callable[[str], list[str]] | None:
        """The words of a message only the business's own documents use, none naming one of the desk's products
        (message_kind.classify_message); None without a desk or documents of both kinds."""
        sources = getattr(self.answers, "sources", None)
        if self.desk is None or sources is None or not sources.has_own_documents():
            return None
        return lambda text: [w for w in sources.only_own_words(text) if not (names_product and names_product(w))]

    def _previous_question(self, cid: str) -> dict | None:
        events = self.store.events(cid, types=("answered", "asked", "user_turn"))
        # the question asked in the turn before this one (its user_turn is the last event but one)
        for event in reversed(events[:-1]):
            if event["type"] in ("answered", "asked"):
                return event["payload"]
            if event["type"] == "user_turn":
                return None
        return None

    def hand_off(self, cid: str, reason: str, detail: str, language: str) -> tuple[str, str]:
        """Put the conversation in the human queue; returns the customer's notice and the new status."""
        now = time.time()
        self.store.update_conversation(cid, status="waiting", handoff_reason=reason, handoff_at=now)
        self.store.append_event(cid, "handoff", {"reason": reason, "detail": detail})
        ahead = sum(1 for c in self.store.list_conversations(status="waiting", limit=10_000,
                                                             workspace=self.workspace_id)
                    if c["id"] != cid and (c["handoff_at"] or 0) < now)
        from components.console.queue_position import handoff_notice

        return handoff_notice(ahead, language), "waiting"

    def _desk_state(self, cid: str):
        if self.desk is None:
            return None
        from components.orders.order_desk import DeskState

        events = self.store.events(cid, types=("desk_state",))
        payload = events[-1]["payload"] if events else {}
        if self.vault is not None:
            payload = self.vault.resolve_data(cid, payload)
        return DeskState.from_dict(payload)

    def _scrub(self, data, cid: str):
        """Redact personal data in anything about to be stored (replies, traces, tool results, desk state)."""
        if self.redactor is None:
            return data
        if isinstance(data, str):
            return self.redactor.redact(data, conversation_id=cid)[0]
        return self.redactor.redact_data(data, conversation_id=cid)[0]

    def _recent_runs(self, cid: str, nlu: NLUResult) -> tuple[int, int]:
        """Consecutive negative customer turns (including this one) and consecutive earlier failed turns."""
        negative = 1 if nlu.sentiment == "negative" else 0
        if negative:
            nlu_events = self.store.events(cid, types=("nlu",))[:-1]
            for event in reversed(nlu_events):
                if event["payload"].get("sentiment") != "negative":
                    break
                negative += 1
        failed = 0
        for event in reversed(self.store.events(cid, types=("policy", "resume"))):
            if event["type"] == "resume" or event["payload"].get("action") not in ("clarify", "decline_out_of_scope"):
                break
            failed += 1
        return negative, failed

    def _emotion_trend(self, cid: str) -> dict:
        """The emotions' trend over the customer's turns since the last handoff was resumed (this turn's NLU event
        is already stored, so it is the last)."""
        turns = []
        for event in self.store.events(cid, types=("nlu", "resume")):
            turns = [] if event["type"] == "resume" else turns + [event["payload"].get("emotions") or {}]
        return emotion_trend(turns)

    def _lock_for(self, cid: str) -> threading.Lock:
        with self._locks_guard:
            return self._conversation_locks.setdefault(cid, threading.Lock())


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def build_composer(settings, knowledge, engine=None) -> AnswerComposer:
    """The answer composer over this knowledge base (its embedder) and engine, as the settings say."""
    embedder = getattr(knowledge, "embedder", None)
    if embedder is None:
        raise ValueError("the knowledge base has no embedder for evidence selection")
    model = str(getattr(settings, "model", "") or "")
    packaged = model.startswith("packaged:") or "smollm2-135m" in model.lower()
    from components.engine import Engine

    likelihood = None
    # a real engine's app (any backend) reads the packaged model's likelihood; a test's stand-in engine does not
    if getattr(settings, "answer_query_likelihood", False) and isinstance(engine, Engine):
        from components.answers.query_likelihood import QueryLikelihood

        likelihood = QueryLikelihood(settings, engine)
    return AnswerComposer(knowledge, embedder.embed, engine=engine, style=settings.answer_style,
                          min_score=settings.answer_min_evidence, packaged_model=packaged, likelihood=likelihood,
                          spelling=bool(getattr(settings, "answer_spelling", True)))
