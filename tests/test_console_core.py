"""Operator desk (takeover, handoff, feedback, teach) and agent accounts, on real SQLite with a fake model/KB."""
from __future__ import annotations

import base64
import threading

import pytest

from components.answers.composer import AnswerComposer
from components.console.agent_accounts import AgentAccounts, AuthError
from components.console.operator_desk import ConversationNotFound, OperatorDesk
from components.dialogue.dialogue_manager import DialogueManager
from components.settings import Settings
from components.storage.conversation_store import ConversationStore
from tests.fakes import FakeEngine, FakeKnowledge, hit


class TeachableKnowledge(FakeKnowledge):
    def __init__(self):
        super().__init__([hit()])
        self.taught = []

    def add_curated_answer(self, question, answer, *, source="agent"):
        self.taught.append((question, answer, source))
        return f"faq-{len(self.taught)}"


@pytest.fixture
def world(tmp_path):
    store = ConversationStore(tmp_path / "kefu.sqlite3")
    kb = TeachableKnowledge()
    engine = FakeEngine()
    composer = AnswerComposer(kb, kb.embedder.embed, engine=engine, style="evidence", min_score=1e-6)
    dm = DialogueManager(Settings(data_dir=tmp_path), store, engine=engine, knowledge=kb, answers=composer)
    ops = OperatorDesk(store, dm, knowledge=kb, engine=engine)
    yield store, dm, ops, kb
    store.close()


def test_takeover_round_trip(world):
    store, dm, ops, kb = world
    cid = dm.chat(None, "How long do refunds take?").conversation_id
    assert ops.request_human(cid)["status"] == "waiting"
    assert ops.queue("waiting")[0]["conversation_id"] == cid
    ops.claim(cid, "alice")
    with pytest.raises(ValueError, match="alice has already claimed"):
        ops.claim(cid, "bob")
    with pytest.raises(ValueError, match="Claim the conversation"):
        ops.agent_reply(cid, "bob", "hi")
    silent = dm.chat(cid, "are you there?")
    assert silent.reply == "" and silent.status == "human"
    sent = ops.agent_reply(cid, "alice", "Hi, I'm Alice. Your refund is on its way.")
    polled = ops.poll(cid, 0)["messages"]
    assert polled[-1] == {**polled[-1], "role": "agent", "id": sent["message_id"]}
    assert ops.poll(cid, sent["message_id"])["messages"] == []
    ops.add_note(cid, "alice", "VIP customer")
    assert ops.transcript(cid)["notes"][0]["text"] == "VIP customer"
    draft = ops.teach(cid, "alice")  # a draft to edit: nothing is published yet
    assert draft == {**draft, "question": "are you there?", "answer": "Hi, I'm Alice. Your refund is on its way.",
                     "published": False}
    assert kb.taught == []
    taught = ops.publish_taught(cid, "alice", "Where is my refund?", draft["answer"])
    assert kb.taught[0] == ("Where is my refund?", "Hi, I'm Alice. Your refund is on its way.", "agent:alice")
    assert taught["doc_id"] == "faq-1" and taught["published"]
    with pytest.raises(ValueError, match="both the question and the answer"):
        ops.publish_taught(cid, "alice", "  ", "x")
    ops.hand_back(cid, "alice")
    back = dm.chat(cid, "How long do refunds take?")
    assert back.reply and back.trace["policy"]["action"] == "knowledge_answer"
    draft = ops.suggest_reply(cid)  # the copilot answers the last customer question from the same evidence
    assert "5 to 7 business days" in draft["draft"] and draft["sources"][0]["doc_id"] == "refunds"
    assert draft["question"] == "How long do refunds take?" and draft["mode"] == "evidence"
    ops.resolve(cid, "alice")
    assert store.get_conversation(cid)["status"] == "resolved"
    actions = [a["action"] for a in store.audit_log()]
    assert {"claim", "reply", "note", "teach", "hand_back", "resolve"} <= set(actions)


def test_teach_drafts_the_question_without_pleasantries(world):
    store, dm, ops, kb = world
    cid = dm.chat(None, "I want to talk to a person").conversation_id
    ops.claim(cid, "alice")
    dm.chat(cid, "Thanks! Do I need to print a shipping label?")
    ops.agent_reply(cid, "alice", "No, the return email contains everything you need.")
    draft = ops.teach(cid, "alice")
    assert draft["question"] == "Do I need to print a shipping label?"


def test_only_one_of_two_racing_agents_claims(world):
    store, dm, ops, kb = world
    cid = dm.chat(None, "I want to talk to a person").conversation_id
    wins = []

    def grab(agent):
        try:
            ops.claim(cid, agent)
            wins.append(agent)
        except ValueError:
            pass

    threads = [threading.Thread(target=grab, args=(f"agent{i}",)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(wins) == 1 and store.get_conversation(cid)["assigned_agent"] == wins[0]


def test_feedback_and_csat(world):
    store, dm, ops, kb = world
    r = dm.chat(None, "How long do refunds take?")
    ops.feedback(r.conversation_id, r.bot_message_id, -1)
    assert store.get_message(r.bot_message_id)["rating"] == -1
    with pytest.raises(ValueError):
        ops.feedback(r.conversation_id, r.customer_message_id, 1)  # customers rate bot answers only
    other = dm.chat(None, "hello")
    with pytest.raises(ValueError):
        ops.feedback(other.conversation_id, r.bot_message_id, 1)   # not a message of this conversation
    ops.rate_conversation(r.conversation_id, 5)
    assert store.get_conversation(r.conversation_id)["csat"] == 5
    with pytest.raises(ValueError):
        ops.rate_conversation(r.conversation_id, 9)
    with pytest.raises(ConversationNotFound):
        ops.poll("c_guessed", 0)


def test_queue_puts_longest_waiting_first(world):
    store, dm, ops, kb = world
    a = dm.chat(None, "I want a human").conversation_id
    b = dm.chat(None, "talk to a person please").conversation_id
    c = dm.chat(None, "How long do refunds take?").conversation_id
    order = [row["conversation_id"] for row in ops.queue()]
    assert order[:2] == [a, b] and order[2] == c


def test_agent_accounts(tmp_path):
    accounts = AgentAccounts(tmp_path / "kefu.sqlite3")
    assert not accounts.protected and accounts.require() == "demo-agent"
    with pytest.raises(ValueError):
        accounts.add("alice", "short")
    accounts.add("alice", "correct horse battery")
    with pytest.raises(ValueError, match="exists"):
        accounts.add("alice", "another password")
    assert accounts.protected
    with pytest.raises(AuthError):
        accounts.require()
    with pytest.raises(AuthError):
        accounts.login("alice", "wrong password")
    token = accounts.login("alice", "correct horse battery")
    assert accounts.require(token=token) == "alice"
    assert accounts.require(authorization=f"Bearer {token}") == "alice"
    basic = base64.b64encode(b"alice:correct horse battery").decode()
    assert accounts.require(authorization=f"Basic {basic}") == "alice"
    with pytest.raises(AuthError):
        accounts.require(authorization="Bearer forged")
    # the password is stored hashed
    raw = (tmp_path / "kefu.sqlite3").read_bytes()
    assert b"correct horse battery" not in raw
