"""PII through the real dialogue manager (real SQLite store, real order desk and shop, real vault): what is stored
is redacted, the trace lists each redaction, and the raw values are in no byte of the database files."""
from __future__ import annotations

from pathlib import Path

import pytest

from components.dialogue.dialogue_manager import DialogueManager
from components.orders.order_desk import OrderDesk
from components.orders.shop_database import ShopDatabase
from components.privacy.pii_redactor import PiiRedactor
from components.privacy.redaction_vault import RedactionVault
from components.settings import Settings
from components.storage.conversation_store import ConversationStore

RAW = ["noah.brown7922@example.com", "13812345678", "4111 1111 1111 1111", "11010519491231002X",
       "GB82 WEST 1234 5698 7654 32", "世纪大道100号", "+44 20 7946 0958"]


@pytest.fixture()
def pipeline(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", vault_key_file=tmp_path / "keys" / "vault.key")
    store = ConversationStore(settings.sqlite_path)
    vault = RedactionVault.from_settings(settings)
    shop = ShopDatabase(settings.data_dir / "shop.sqlite3", settings.assets_dir / "shop")
    dialogue = DialogueManager(settings, store, desk=OrderDesk(shop), redactor=PiiRedactor(vault), vault=vault)
    yield settings, store, vault, dialogue
    shop.close()
    vault.close()
    store.close()


def _bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def _forms(raw: str) -> set[bytes]:
    return {f.encode("utf-8") for f in (raw, raw.replace(" ", ""), raw.lower())}


def test_customer_pii_is_stored_only_as_tokens(pipeline):
    settings, store, vault, dialogue = pipeline
    messages = ["Hi, my phone is 13812345678 and my card 4111 1111 1111 1111 was charged twice",
                "身份证号 11010519491231002X，地址上海市浦东新区世纪大道100号",
                "refund to IBAN GB82 WEST 1234 5698 7654 32 or call +44 20 7946 0958"]
    cid = None
    for text in messages:
        result = dialogue.chat(cid, text)
        cid = result.conversation_id
        assert result.trace["redactions"], text
        for r in result.trace["redactions"]:
            assert set(r) == {"type", "token", "start", "end"}
    customer = [m["text"] for m in store.messages(cid) if m["role"] == "customer"]
    assert customer[0] == "Hi, my phone is [PHONE_1] and my card [CARD_1] was charged twice"
    assert "[CN_ID_1]" in customer[1] and "[ADDRESS_1]" in customer[1]
    assert customer[2] == "refund to IBAN [IBAN_1] or call [PHONE_2]"
    blob = _bytes(settings.sqlite_path) + _bytes(vault.path)
    for raw in RAW[1:]:
        for form in _forms(raw):
            assert form not in blob, form
    assert vault.resolve(cid, "[CARD_1]") == "4111 1111 1111 1111"


def test_the_order_desk_authenticates_through_the_vault_and_nothing_raw_is_stored(pipeline):
    settings, store, vault, dialogue = pipeline
    first = dialogue.chat(None, "Where is my order #W7678072?")
    second = dialogue.chat(first.conversation_id, "my email is noah.brown7922@example.com")
    assert "Noah" in second.reply and "Electric Kettle" in second.reply
    blob = _bytes(settings.sqlite_path) + _bytes(vault.path)
    for needle in (b"noah.brown7922", b"986 Sunset Drive"):
        assert needle not in blob, needle


def test_the_routing_reads_the_corrected_turn_with_the_customers_own_values(tmp_path, monkeypatch):
    """The turn is spell-corrected once, on its redacted text: the routing reads it with the customer's values put
    back, the answer keeps the token, and the raw value is in no trace."""
    from components.answers.composer import AnswerComposer
    from components.dialogue import dialogue_manager
    from tests.fakes import FakeKnowledge, hit

    settings = Settings(data_dir=tmp_path / "data", vault_key_file=tmp_path / "keys" / "vault.key")
    store = ConversationStore(settings.sqlite_path)
    vault = RedactionVault.from_settings(settings)
    knowledge = FakeKnowledge([hit()])
    composer = AnswerComposer(knowledge, knowledge.embedder.embed, style="evidence", min_score=1e-6)
    dialogue = DialogueManager(settings, store, knowledge=knowledge, answers=composer, redactor=PiiRedactor(vault),
                               vault=vault)
    routed = []
    classify = dialogue_manager.classify_message
    monkeypatch.setattr(dialogue_manager, "classify_message",
                        lambda text, **kw: routed.append(text) or classify(text, **kw))
    try:
        r = dialogue.chat(None, "I'm noah.brown7922@example.com, how long do reefunds take?")
        assert routed == ["I'm noah.brown7922@example.com, how long do refunds take?"]
        answer = r.trace["answer"]
        assert answer["question"] == "I'm [EMAIL_1], how long do refunds take?"
        assert answer["corrections"] == [{"from": "reefunds", "to": "refunds", "kind": "spelling"}]
        assert "noah.brown7922" not in str(r.trace)
    finally:
        vault.close()
        store.close()
