"""The console's inbox pieces on real SQLite with a fake model: queue rows, bubbles with the folded why (rounded),
the live-update signature, resolve confirmation and the customer being told."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from components.console.conversation_view import queue_rows, signature, waiting_words
from components.console.operator_desk import OperatorDesk
from components.dialogue.dialogue_manager import DialogueManager
from components.settings import Settings
from components.storage.conversation_store import ConversationStore
from components.ui.console_tab import open_conversation, queue_table
from tests.fakes import FakeEngine, FakeKnowledge, hit


@pytest.fixture
def desk(tmp_path):
    store = ConversationStore(tmp_path / "kefu.sqlite3")
    dialogue = DialogueManager(Settings(data_dir=tmp_path), store, engine=FakeEngine(), knowledge=FakeKnowledge([hit()]))
    ops = OperatorDesk(store, dialogue)
    yield SimpleNamespace(store=store, operators=ops, dialogue=dialogue, shop=None)
    store.close()


def test_queue_shows_the_last_customer_message_and_readable_columns(desk):
    cid = desk.dialogue.chat(None, "How long do refunds take?").conversation_id
    desk.operators.request_human(cid)
    rows = queue_rows(desk.operators, desk.store, None)
    assert rows[0]["last_customer_message"] == "How long do refunds take?"
    table, ids = queue_table("all", services=desk, language="zh")
    assert ids == [cid] and list(table.columns)[:2] == ["状态", "等待"]
    assert "等待中" in table.iloc[0, 0]
    assert waiting_words(42) == "42 s" and waiting_words(185) == "3 min" and waiting_words(7500) == "2 h 05 min"


def test_bubbles_fold_the_why_with_rounded_numbers_and_the_signature_moves(desk):
    cid = desk.dialogue.chat(None, "How long do refunds take?").conversation_id
    head, body, panel, sig = open_conversation(cid, services=desk)
    assert body.count('class="kefu-bubble ') == 2 and "<details><summary>Why this answer</summary>" in body
    assert "ttft" not in body and "0000" not in body  # numbers rounded, names readable
    assert "Identity" in panel and "not verified" in panel
    desk.operators.add_note(cid, "dana", "call back tomorrow")
    _, body, _, moved = open_conversation(cid, services=desk)
    assert moved != sig and "call back tomorrow" in body and "kefu-note" in body
    assert signature(desk.operators.transcript(cid)) == moved


def test_resolve_asks_first_when_the_customer_wrote_last_and_tells_the_customer(desk):
    cid = desk.dialogue.chat(None, "I want to talk to a person").conversation_id
    desk.operators.claim(cid, "dana")
    assert not desk.operators.awaits_reply(cid)  # the bot's handoff notice came last
    desk.dialogue.chat(cid, "hello? anyone?")
    assert desk.operators.awaits_reply(cid)
    desk.operators.resolve(cid, "dana")
    told = desk.operators.poll(cid)["messages"][-1]
    assert told["role"] == "agent" and "resolved" in told["text"]
    assert desk.store.get_conversation(cid)["status"] == "resolved"
