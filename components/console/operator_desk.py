"""What human agents do with conversations: queue, claim, reply, hand back, resolve, notes, copilot, teach;
and what customers do around the bot: poll for new messages, ask for a person, rate answers.

Every agent action is written to the audit log. Access checks happen in the UI layer (AgentAccounts.require)."""
from __future__ import annotations

import time

from components.answers.question_analysis import is_interrogative, split_question
from components.storage.conversation_store import ConversationStore


class ConversationNotFound(LookupError):
    pass


RESOLVED_NOTICE = {"en": "This conversation has been marked as resolved. If you need anything else, just write here.",
                   "zh": "本次对话已标记为已解决。如还有其他问题，请直接在这里留言。"}


class OperatorDesk:
    def __init__(self, store: ConversationStore, dialogue, knowledge=None, engine=None, settings=None,
                 redactor=None, answers=None):
        self.store, self.dialogue, self.knowledge, self.engine = store, dialogue, knowledge, engine
        self.settings = settings
        self.redactor = redactor
        # the same composer the bot answers with (evidence first, verified)
        self.answers = answers if answers is not None else getattr(dialogue, "answers", None)
        self.workspaces = None  # components.workspaces WorkspaceHub: copilot and teaching use the conversation's own

    def _parts_of(self, conversation: dict) -> tuple:
        """(answer composer, knowledge base) of the conversation's workspace."""
        if self.workspaces is None:
            return self.answers, self.knowledge
        services = self.workspaces.get(conversation.get("workspace_id") or None)
        return services.dialogue.answers, services.knowledge

    def _redact(self, cid: str, text: str) -> str:
        return self.redactor.redact(text, conversation_id=cid)[0] if self.redactor is not None else text

    # -- reading -------------------------------------------------------------------------------------------------
    def _conversation(self, cid: str) -> dict:
        conversation = self.store.get_conversation((cid or "").strip())
        if conversation is None:
            raise ConversationNotFound(f"No conversation with id {cid!r}")
        return conversation

    def queue(self, status: str | None = None, include_demo: bool = True, workspace: str | None = None) -> list[dict]:
        """Conversations of one workspace (None: every workspace), most urgent first: waiting longest, then most
        negative, then most recent."""
        now = time.time()
        rows = self.store.list_conversations(status=None if status in (None, "", "all") else status,
                                             include_demo=include_demo, limit=500, workspace=workspace)
        out = []
        for r in rows:
            waiting_s = now - r["handoff_at"] if r["status"] == "waiting" and r["handoff_at"] else 0.0
            out.append({"conversation_id": r["id"], "status": r["status"], "customer": r["customer"],
                        "assigned_agent": r["assigned_agent"], "last_message": (r["last_message"] or "")[:200],
                        "intent": r["last_intent"], "sentiment": r["last_sentiment"],
                        "handoff_reason": r["handoff_reason"], "waiting_s": round(waiting_s, 1),
                        "messages": r["message_count"], "updated_at": r["updated_at"],
                        "handoff_at": r["handoff_at"], "workspace": r.get("workspace_id", "shop")})
        rank = {"waiting": 0, "human": 1, "bot": 2, "resolved": 3}
        out.sort(key=lambda c: (rank.get(c["status"], 9),
                                c["handoff_at"] or 0 if c["status"] == "waiting" else 0,
                                c["sentiment"] != "negative", -c["updated_at"]))
        return out

    def transcript(self, cid: str) -> dict:
        conversation = self._conversation(cid)
        return {"conversation": conversation, "messages": self.store.messages(conversation["id"]),
                "notes": self.store.notes(conversation["id"])}

    def poll(self, cid: str, after: int = 0) -> dict:
        """Messages the customer can see after message id `after` (finished turns only)."""
        conversation = self._conversation(cid)
        messages = [{"id": m["id"], "role": m["role"], "text": m["text"], "created_at": m["created_at"]}
                    for m in self.store.messages(conversation["id"], after=int(after or 0))
                    if m["role"] in ("customer", "bot", "agent") and m["state"] != "streaming"]
        return {"conversation_id": conversation["id"], "status": conversation["status"], "messages": messages}

    # -- customer side -------------------------------------------------------------------------------------------
    def request_human(self, cid: str, language: str | None = None) -> dict:
        conversation = self._conversation(cid)
        if conversation["status"] in ("waiting", "human"):
            return {"conversation_id": cid, "status": conversation["status"], "message": ""}
        notice, status = self.dialogue.hand_off(cid, "customer_request", "the customer pressed 'talk to a person'",
                                                language or conversation.get("language") or "en")
        message_id = self.store.add_message(cid, "bot", notice, trace={"policy": {
            "action": "handoff", "reason": "the customer pressed 'talk to a person'",
            "handoff_reason": "customer_request"}})
        return {"conversation_id": cid, "status": status, "message": notice, "message_id": message_id}

    def feedback(self, cid: str, message_id: int, rating: int) -> dict:
        conversation = self._conversation(cid)
        message = self.store.get_message(int(message_id))
        if message is None or message["conversation_id"] != conversation["id"] or message["role"] != "bot":
            raise ValueError("Only the bot's answers in this conversation can be rated")
        self.store.rate_message(int(message_id), int(rating))
        return {"ok": True, "message_id": int(message_id), "rating": int(rating)}

    def rate_conversation(self, cid: str, score: int) -> dict:
        self._conversation(cid)
        if int(score) not in range(1, 6):
            raise ValueError("The conversation rating is 1 to 5")
        self.store.update_conversation(cid, csat=int(score))
        self.store.append_event(cid, "csat", {"score": int(score)})
        return {"ok": True, "csat": int(score)}

    # -- agent side ----------------------------------------------------------------------------------------------
    def claim(self, cid: str, agent: str) -> dict:
        conversation = self._conversation(cid)
        if not self.store.claim(conversation["id"], agent):
            holder = self.store.get_conversation(cid)["assigned_agent"]
            raise ValueError(f"{holder} has already claimed this conversation")
        self.store.append_event(cid, "claim", {"agent": agent})
        self.store.audit(agent, "claim", cid)
        return {"conversation_id": cid, "status": "human", "assigned_agent": agent}

    def _require_holder(self, cid: str, agent: str) -> dict:
        conversation = self._conversation(cid)
        if conversation["assigned_agent"] != agent or conversation["status"] != "human":
            raise ValueError("Claim the conversation before replying to it")
        return conversation

    def agent_reply(self, cid: str, agent: str, text: str) -> dict:
        text = (text or "").strip()
        if not text:
            raise ValueError("The reply is empty")
        self._require_holder(cid, agent)
        message_id = self.store.add_message(cid, "agent", self._redact(cid, text), trace={"agent": agent})
        self.store.append_event(cid, "agent_turn", {"agent": agent, "message_id": message_id})
        self.store.audit(agent, "reply", cid, {"message_id": message_id})
        return {"conversation_id": cid, "message_id": message_id}

    def hand_back(self, cid: str, agent: str) -> dict:
        self._require_holder(cid, agent)
        self.store.release(cid, "bot")
        self.store.append_event(cid, "resume", {"agent": agent})
        self.store.audit(agent, "hand_back", cid)
        return {"conversation_id": cid, "status": "bot"}

    def resolve(self, cid: str, agent: str) -> dict:
        """Close the conversation; the customer is told (an agent message they see in the chat and via /poll)."""
        conversation = self._conversation(cid)
        notice = RESOLVED_NOTICE["zh" if (conversation.get("language") or "en") == "zh" else "en"]
        message_id = self.store.add_message(cid, "agent", notice, trace={"agent": agent, "notice": "resolved"})
        self.store.release(cid, "resolved")
        self.store.append_event(cid, "resolved", {"agent": agent})
        self.store.audit(agent, "resolve", cid, {"message_id": message_id})
        return {"conversation_id": cid, "status": "resolved", "message_id": message_id}

    def awaits_reply(self, cid: str) -> bool:
        """True when the customer wrote last (no bot or agent message after it): resolving now leaves them
        without an answer, so the console asks first."""
        messages = [m for m in self.store.messages(self._conversation(cid)["id"])
                    if m["role"] in ("customer", "bot", "agent") and (m["text"] or "").strip()]
        return bool(messages) and messages[-1]["role"] == "customer"

    def add_note(self, cid: str, agent: str, text: str) -> dict:
        self._conversation(cid)
        if not (text or "").strip():
            raise ValueError("The note is empty")
        note_id = self.store.add_note(cid, agent, self._redact(cid, text.strip()))
        self.store.audit(agent, "note", cid, {"note_id": note_id})
        return {"note_id": note_id}

    def suggest_reply(self, cid: str) -> dict:
        """Copilot: a draft answer to the customer's last question, composed from knowledge-base evidence the way
        the bot answers (cited; nothing the evidence does not say), for the agent to edit and send."""
        conversation = self._conversation(cid)
        customer = [m for m in self.store.messages(cid) if m["role"] == "customer" and m["text"].strip()]
        if not customer:
            raise ValueError("The customer has not written anything yet")
        last = next((m for m in reversed(customer) if is_interrogative(m["text"])), customer[-1])
        language = conversation.get("language") or "en"
        answers, _ = self._parts_of(conversation)
        if answers is None:
            return {"draft": "", "sources": [], "question": last["text"], "mode": "unavailable",
                    "note": "The knowledge base is not available yet."}
        answer = answers.compose(last["text"], language)
        if answer.abstained:
            return {"draft": "", "sources": [], "question": last["text"], "mode": "abstain",
                    "note": "Nothing in the knowledge base answers the customer's last question; answer it "
                            "yourself, then teach it as a FAQ."}
        return {"draft": answer.reply, "sources": answer.sources, "question": last["text"], "mode": answer.mode,
                "evidence": answer.evidence_texts}

    def teach(self, cid: str, agent: str, message_id: int | None = None) -> dict:
        """A FAQ draft from an agent's reply (the last one by default) and the customer's question before it, for
        the agent to edit: nothing is published until `publish_taught` (the customer's "Thanks! Do I need to
        print a label?" becomes "Do I need to print a label?")."""
        self._conversation(cid)
        messages = self.store.messages(cid)
        replies = [m for m in messages if m["role"] == "agent" and (message_id is None or m["id"] == int(message_id))]
        if not replies:
            raise ValueError("There is no agent reply to teach from in this conversation")
        reply = replies[-1]
        before = [m for m in messages if m["role"] == "customer" and m["id"] < reply["id"] and m["text"].strip()]
        if not before:
            raise ValueError("No customer question precedes that reply")
        asked = next((m for m in reversed(before) if is_interrogative(m["text"])), before[-1])
        parts, _ = split_question(asked["text"])
        question = " ".join(p.text.strip() for p in parts) or asked["text"].strip()
        return {"question": question, "answer": reply["text"].strip(), "message_id": reply["id"],
                "published": False}

    def publish_taught(self, cid: str, agent: str, question: str, answer: str) -> dict:
        """Publish the (edited) question and answer as a curated FAQ entry in the conversation's workspace; audited."""
        _, knowledge = self._parts_of(self._conversation(cid))
        question, answer = (question or "").strip(), (answer or "").strip()
        if not question or not answer:
            raise ValueError("Write both the question and the answer before publishing.")
        if knowledge is None:
            raise ValueError("The knowledge base is not available yet; wait until start-up has finished.")
        doc_id = knowledge.add_curated_answer(question, answer, source=f"agent:{agent}")
        self.store.audit(agent, "teach", cid, {"doc_id": doc_id, "question": question})
        return {"doc_id": doc_id, "question": question, "answer": answer, "published": True}
