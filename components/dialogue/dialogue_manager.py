"""One customer turn, end to end: guard → (redact) → NLU → policy → knowledge / order desk → generation → trace.

`DialogueManager.respond()` is a generator of typed chunks: ("started", TurnResult with only the conversation id) as
soon as the conversation exists, ("token", delta) while the answer streams, then one ("final", TurnResult). Everything the turn decided lands in its trace, stored with the bot message; the dialogue
state is an append-only event log in the conversation store.
"""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

from components.dialogue import prompts
from components.dialogue.input_guard import guard_input
from components.dialogue.policy import PolicyInput, decide
from components.engine.types import EngineBusy, EngineError, GenerationParams
from components.knowledge.types import Hit
from components.nlu.language import detect_language
from components.nlu.result import NLUResult
from components.privacy.grounding_check import check_grounding
from components.privacy.injection_guard import detect_injection, leaks_system_prompt, remove_instructions
from components.storage.conversation_store import ConversationStore

log = logging.getLogger(__name__)

# languages the generation model writes well; other languages get extractive answers from the passages
DEFAULT_GENERATION_LANGUAGES = ("en",)


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
class TurnChunk:
    kind: str                       # "started" | "token" | "final"
    text: str = ""
    result: TurnResult | None = None


class DialogueManager:
    def __init__(self, settings, store: ConversationStore, engine=None, knowledge=None, nlu=None, desk=None,
                 redactor=None, vault=None,
                 generation_languages: tuple[str, ...] = DEFAULT_GENERATION_LANGUAGES):
        self.settings = settings
        self.store = store
        self.engine = engine
        self.knowledge = knowledge
        self.nlu = nlu
        self.desk = desk
        self.redactor = redactor
        self.vault = vault
        self.generation_languages = generation_languages
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
        if conversation_id and not self.store.exists(conversation_id):
            raise ValueError(f"Unknown conversation id {conversation_id!r}: leave it empty to start a new conversation.")
        if not guarded.ok:
            # nothing is stored for input we refuse; the customer is told what to change
            trace = {"input": {"problem": guarded.problem, "chars": len(str(text or ""))},
                     "policy": {"action": "reject_input", "reason": guarded.problem}}
            yield TurnChunk("final", result=TurnResult(conversation_id or "", guarded.message or "", trace=trace,
                                                       error=guarded.problem))
            return
        cid = conversation_id or self.store.create_conversation(is_demo=is_demo)
        # the caller learns the conversation before the turn runs (a customer may ask for a person meanwhile)
        yield TurnChunk("started", result=TurnResult(cid, ""))
        with self._lock_for(cid):
            yield from self._turn(cid, guarded.text, guarded.removed_control_chars, cancel, started, timings, speech)

    # -- the turn ----------------------------------------------------------------------------------------------
    def _turn(self, cid: str, text: str, removed_control: int, cancel, started: float,
              timings: dict[str, float], speech: dict | None = None) -> Iterator[TurnChunk]:
        trace: dict[str, Any] = {"conversation_id": cid, "input": {"chars": len(text),
                                                                     "control_chars_removed": removed_control}}
        if speech:  # a spoken turn (components/speech/spoken_turn.py): confidence, timings, the recording's name
            trace["speech"] = speech
        # privacy: redact before anything is stored or reaches the model
        t = time.perf_counter()
        redactions: list[dict] = []
        if self.redactor is not None:
            text, redactions = self.redactor.redact(text, conversation_id=cid)
        trace["redactions"] = redactions
        timings["redaction_ms"] = _ms(t)

        customer_message_id = self.store.add_message(cid, "customer", text)
        self.store.append_event(cid, "user_turn", {"message_id": customer_message_id})
        conversation = self.store.get_conversation(cid) or {}

        t = time.perf_counter()
        nlu = self.nlu.parse(text) if self.nlu is not None else NLUResult(language=detect_language(text))
        timings["nlu_ms"] = _ms(t)
        trace["nlu"] = nlu.to_dict()
        language = nlu.language
        self.store.append_event(cid, "nlu", {"intent": nlu.intent, "confidence": nlu.confidence,
                                             "sentiment": nlu.sentiment, "language": language})
        self.store.update_conversation(cid, language=language, last_intent=nlu.intent,
                                       last_sentiment=nlu.sentiment)

        if conversation.get("status") in ("waiting", "human"):
            # a person owns (or is about to own) this conversation: the bot stays silent
            trace["policy"] = {"action": "human_owned", "reason": f"conversation status is {conversation['status']}"}
            trace["timings_ms"] = {**timings, "total_ms": _ms(started)}
            yield TurnChunk("final", result=TurnResult(cid, "", trace=trace, customer_message_id=customer_message_id,
                                                       status=conversation["status"]))
            return

        injection = detect_injection(text)
        trace["injection"] = injection
        desk_state = self._desk_state(cid)
        # the order desk is a tool allowed to see the customer's own redacted values (e.g. the email to log in)
        desk_text = self.vault.resolve_text(cid, text) if self.vault is not None else text
        t = time.perf_counter()
        desk_wants = bool(self.desk is not None and injection is None
                          and self.desk.wants(desk_text, nlu, desk_state))
        hits: list[Hit] = []
        curated = None
        if not desk_wants and injection is None and self.knowledge is not None:
            curated = self.knowledge.curated_answer(text)
            if curated is None:
                hits = self.knowledge.search(text, k=self.settings.kb_top_k)
        timings["retrieval_ms"] = _ms(t)
        min_score = getattr(self.knowledge, "min_score", self.settings.kb_min_score)
        trace["retrieval"] = {
            "hits": [{"doc_id": h.doc_id, "title": h.title, "chunk_id": h.chunk_id, "score": round(h.score, 4),
                      "dense_score": h.dense_score, "keyword_score": h.keyword_score,
                      "heading_path": h.metadata.get("heading_path")} for h in hits],
            "best_score": round(hits[0].score, 4) if hits else None,
            "min_score": min_score,
            "nothing_found": not hits or hits[0].score < min_score,
        }
        trace["curated"] = curated.to_dict() if curated else None

        negative_run, failed_run = self._recent_runs(cid, nlu)
        decision = decide(PolicyInput(
            text=text, nlu=nlu, hits=hits, curated=curated, desk_wants=desk_wants, min_score=min_score,
            manipulation=injection["kind"] if injection else None,
            recent_negative_turns=negative_run, recent_failed_turns=failed_run,
            negative_turns_for_handoff=self.settings.handoff_negative_turns,
            failed_turns_for_handoff=self.settings.handoff_low_confidence_turns))
        trace["policy"] = decision.to_dict()

        bot_message_id = self.store.add_message(cid, "bot", "", state="streaming")
        sources: list[dict] = []
        status = "bot"
        error = None
        reply = ""
        t = time.perf_counter()
        try:
            if decision.action == "tool_flow":
                turn, new_state = self.desk.step(desk_text, nlu, desk_state)
                reply = turn.reply
                tool_calls = self._scrub(turn.tool_calls, cid)
                trace["tool_calls"] = tool_calls
                trace["desk"] = self._scrub({"flow": turn.flow, "action": turn.action, "reason": turn.reason,
                                             "slots": new_state.to_dict().get("slots", {})}, cid)
                for event in self._scrub(turn.slot_events, cid):
                    self.store.append_event(cid, "slot_set", event)
                for call in tool_calls:
                    self.store.append_event(cid, "tool_call", call)
                self.store.append_event(cid, "desk_state", self._scrub(new_state.to_dict(), cid))
                if new_state.user_id and new_state.user_id != conversation.get("customer"):
                    self.store.update_conversation(cid, customer=new_state.user_id)
                if getattr(turn, "handoff", False):
                    # the desk cannot do this itself (exchanges, repeated failed verification): a person takes over
                    notice, status = self.hand_off(cid, "order_desk", turn.reason, language)
                    reply = f"{reply}\n\n{notice}"
                    trace["handoff"] = {"reason": "order_desk", "detail": turn.reason}
                yield TurnChunk("token", reply)
            elif decision.action == "handoff":
                reply, status = self.hand_off(cid, decision.handoff_reason, decision.reason, language)
                trace["handoff"] = {"reason": decision.handoff_reason, "detail": decision.reason}
                yield TurnChunk("token", reply)
            elif decision.action == "small_talk":
                reply = prompts.phrase(decision.small_talk or "greeting", language)
                yield TurnChunk("token", reply)
            elif decision.action == "curated_answer":
                reply = curated.answer
                sources = [{"title": curated.title, "doc_id": curated.doc_id, "score": round(curated.score, 4)}]
                yield TurnChunk("token", reply)
            elif decision.action == "knowledge_answer":
                used = [h for h in hits if h.score >= min_score][:3]
                sources = [{"title": h.title, "doc_id": h.doc_id, "score": round(h.score, 4)} for h in used]
                for delta in self._knowledge_answer(cid, text, used, language, trace, cancel):
                    reply += delta
                    cut = repetition_cut(reply)
                    if cut is not None:
                        # a small model can loop on a sentence: stop generating and keep the text before the loop
                        reply = reply[:cut].rstrip()
                        trace["repetition_stopped"] = True
                        break
                    self._checkpoint(bot_message_id, reply, cid)
                    yield TurnChunk("token", delta)
                verdict = self._verify_answer(reply, used, language, text, trace)
                if verdict is not None:
                    # the streamed draft is replaced: the final chunk carries the reply that stands
                    reply, sources = verdict, sources[:1]
            elif decision.action == "decline_out_of_scope":
                reply = prompts.phrase("manipulation" if injection else "out_of_scope", language)
                yield TurnChunk("token", reply)
            else:  # clarify
                reply = prompts.phrase("nothing_found", language)
                yield TurnChunk("token", reply)
        except EngineBusy:
            reply, error = prompts.phrase("busy", language), "busy"
            yield TurnChunk("token", reply)
        except EngineError as exc:
            log.warning("generation failed in %s: %s", cid, exc)
            reply, error = prompts.phrase("generation_failed", language), "generation_failed"
            yield TurnChunk("token", reply)
        timings["answer_ms"] = _ms(t)
        timings["total_ms"] = _ms(started)
        trace["timings_ms"] = timings
        trace["sources"] = sources
        trace["language"] = language
        state = "complete" if error is None else "error"
        if cancel is not None and cancel.is_set():
            state = "interrupted"
        self.store.finish_message(bot_message_id, self._scrub(reply, cid), trace=self._scrub(trace, cid),
                                  state=state)
        # the decision that stood (a rejected generated answer turns into a clarification)
        self.store.append_event(cid, "policy", trace["policy"])
        self.store.append_event(cid, "bot_turn", {"message_id": bot_message_id, "action": trace["policy"]["action"]})
        yield TurnChunk("final", result=TurnResult(cid, reply, sources, trace, customer_message_id, bot_message_id,
                                                   status, error))

    # -- stages ------------------------------------------------------------------------------------------------
    def _knowledge_answer(self, cid: str, question: str, hits: list[Hit], language: str, trace: dict,
                          cancel) -> Iterator[str]:
        if self.engine is None or language not in self.generation_languages:
            # the model does not write this language well: answer with the best passage itself
            best = hits[0]
            text = _first_sentences(remove_instructions(best.text), 420)
            trace["generation"] = {"mode": "extractive",
                                   "reason": f"generation model does not write '{language}'" if self.engine
                                   else "no generation engine configured"}
            yield prompts.phrase("according_to", language, title=best.title, text=text)
            return
        history = self._history(cid)
        messages = prompts.knowledge_messages(question, hits, history, language)
        params = GenerationParams(max_new_tokens=self.settings.max_new_tokens,
                                  deadline_s=self.settings.request_deadline_s)
        stream = self.engine.stream(messages, params, cancel=cancel)
        try:
            for delta in stream:
                yield delta
        finally:  # also when the caller stops early (a repetition loop): leaving the loop cancels the request
            trace["generation"] = {"mode": "generated", "model": getattr(self.engine, "model_name", "?"),
                                   **{k: v for k, v in getattr(stream, "stats", {}).items()}}

    def hand_off(self, cid: str, reason: str, detail: str, language: str) -> tuple[str, str]:
        """Put the conversation in the human queue; returns the customer's notice and the new status."""
        now = time.time()
        self.store.update_conversation(cid, status="waiting", handoff_reason=reason, handoff_at=now)
        self.store.append_event(cid, "handoff", {"reason": reason, "detail": detail})
        ahead = sum(1 for c in self.store.list_conversations(status="waiting", limit=10_000)
                    if c["id"] != cid and (c["handoff_at"] or 0) < now)
        if language == "zh":
            return (f"好的，正在为您转接人工客服，请稍候。您前面还有 {ahead} 位客户在等待。", "waiting")
        people = "customer" if ahead == 1 else "customers"
        return (f"I'm connecting you with a human agent. There {'is' if ahead == 1 else 'are'} {ahead} {people} "
                "ahead of you; an agent will reply here shortly.", "waiting")

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

    def _verify_answer(self, reply: str, used: list[Hit], language: str, question: str, trace: dict) -> str | None:
        """Grounding and leak checks on a generated answer; returns the replacement reply when it fails."""
        if (trace.get("generation") or {}).get("mode") != "generated":
            return None
        passages = [remove_instructions(h.text) for h in used]
        verdict = check_grounding(reply, passages, language=language, question=question) \
            if self.settings.grounding_check else {"grounded": True, "reason": "grounding check disabled"}
        leaked = leaks_system_prompt(reply, prompts.SYSTEM_PROMPT)
        hijacked = detect_injection(reply)
        trace["grounding"] = {**verdict, "system_prompt_leak": leaked, "injection_in_reply": hijacked}
        if verdict.get("grounded") and not leaked and not hijacked:
            return None
        why = ("it repeated the system prompt" if leaked else "it followed instructions it should not have"
               if hijacked else verdict.get("reason", "unsupported by the sources"))
        trace["grounding"]["replaced"] = True
        trace["policy"] = {**trace.get("policy", {}), "action": "clarify",
                           "reason": f"generated answer rejected ({why}); quoting the best source instead and "
                                     "asking whether it answers the question"}
        quote = _first_sentences(remove_instructions(used[0].text), 420)
        return (prompts.phrase("according_to", language, title=used[0].title, text=quote) + " "
                + prompts.phrase("did_that_help", language))

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

    def _history(self, cid: str, turns: int = 2) -> list[dict]:
        rows = [m for m in self.store.messages(cid) if m["state"] == "complete" and m["text"]]
        rows = rows[:-1]  # the current customer message is added by the prompt itself
        out = []
        for m in rows[-2 * turns:]:
            role = "user" if m["role"] == "customer" else "assistant"
            out.append({"role": role, "content": m["text"][:600]})
        return out

    def _checkpoint(self, message_id: int, text: str, cid: str) -> None:
        # cheap progress save every ~200 characters so a crash leaves the partial answer visible as interrupted
        if len(text) // 200 != (len(text) - 1) // 200:
            self.store.finish_message(message_id, self._scrub(text, cid), state="streaming")

    def _lock_for(self, cid: str) -> threading.Lock:
        with self._locks_guard:
            return self._conversation_locks.setdefault(cid, threading.Lock())


_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def repetition_cut(text: str, min_chars: int = 10) -> int | None:
    """Where a sentence that already appeared in `text` starts again (the start of a generation loop), or None."""
    seen: set[str] = set()
    position = 0
    parts = _SENTENCE_END.split(text)
    for part in parts[:-1]:  # the last part may still be growing
        start = text.find(part, position)
        position = start + len(part)
        key = " ".join(part.lower().split())
        if len(key) >= min_chars:
            if key in seen:
                return start
            seen.add(key)
    return None


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


def _first_sentences(text: str, limit: int) -> str:
    text = " ".join(line.strip().lstrip("#").strip() for line in text.splitlines() if line.strip())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [cut.rfind(ch) for ch in ("。", "！", "？", ". ", "! ", "? ")]
    end = max(ends)
    return cut[: end + 1].strip() if end > limit // 3 else cut.rstrip() + "…"
