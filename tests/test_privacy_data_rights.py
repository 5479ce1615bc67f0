"""Forget a customer and apply retention on real SQLite files (conversation store, vault, demo shop database)."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from components.orders.shop_database import ShopDatabase
from components.privacy.data_rights import apply_retention, forget_customer, run_forget, run_retention
from components.privacy.pii_redactor import PiiRedactor
from components.privacy.redaction_vault import RedactionVault
from components.settings import Settings
from components.storage.conversation_store import ConversationStore

SEED = Path(__file__).resolve().parent.parent / "assets" / "shop"
NOAH = {"email": "noah.brown7922@example.com", "user_id": "noah_brown_6181"}
IVAN = {"email": "ivan.santos3158@example.com", "user_id": "ivan_santos_6635"}


@pytest.fixture(scope="module")
def seeded_shop(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("shop") / "shop.sqlite3"
    shop = ShopDatabase(path, SEED)
    assert shop.find_user_by_email(NOAH["email"]) == NOAH["user_id"]
    shop.close()
    return path


@pytest.fixture()
def env(tmp_path, seeded_shop):
    data = tmp_path / "data"
    data.mkdir()
    for suffix in ("", "-wal", "-shm"):
        src = seeded_shop.with_name(seeded_shop.name + suffix)
        if src.exists():
            shutil.copy(src, data / src.name)
    settings = Settings(data_dir=data, vault_key_file=tmp_path / "keys" / "vault.key")
    store = ConversationStore(settings.sqlite_path)
    vault = RedactionVault.from_settings(settings)
    yield settings, store, vault, PiiRedactor(vault)
    vault.close()
    store.close()


def _turn(store, redactor, cid: str, customer_text: str, bot_text: str, *, at: float | None = None) -> None:
    """What the pipeline stores for one turn: redacted customer text, events, the bot answer with its trace."""
    text, redactions = redactor.redact(customer_text, conversation_id=cid)
    store.add_message(cid, "customer", text, created_at=at)
    store.append_event(cid, "user_turn", {"chars": len(text)})
    store.add_message(cid, "bot", redactor.redact(bot_text, conversation_id=cid)[0],
                      trace={"redactions": redactions, "policy": {"action": "tool_flow"}}, created_at=at)


def _db_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def test_forget_leaves_no_trace_of_the_customer(env):
    settings, store, vault, redactor = env
    # 1. authenticated conversation: the order desk set conversations.customer to the shop user id
    verified = store.create_conversation()
    _turn(store, redactor, verified, f"hi, my email is {NOAH['email']} and my phone is 13812345678",
          "Thanks, Noah! Your order #W7678072 (sentinel-kettle-verified) was delivered.")
    store.update_conversation(verified, customer=NOAH["user_id"])
    store.add_note(verified, "agent1", "sentinel-note: customer was polite")
    store.append_event(verified, "tool_call", {"name": "find_user_by_email", "arguments": {"email": "[EMAIL_1]"}})
    # 2. never authenticated, but the email was typed: only the vault knows
    typed = store.create_conversation()
    _turn(store, redactor, typed, f"I am {NOAH['email']}, sentinel-typed-only", "Please tell me the order id.")
    # 3. from before redaction was switched on: the raw email sits in the text
    legacy = store.create_conversation()
    store.add_message(legacy, "customer", f"old message sentinel-legacy from {NOAH['email']}")
    # 4. another customer: must survive untouched
    other = store.create_conversation(customer=IVAN["user_id"])
    _turn(store, redactor, other, f"my email is {IVAN['email']}", "Thanks, Ivan! sentinel-ivan")
    _turn(store, redactor, other, f"and show me the orders of {NOAH['email']}", "I can only help with your account.")

    result = forget_customer(settings, store, vault, email="Noah.Brown7922@EXAMPLE.com")

    assert json.loads(json.dumps(result)) == result
    assert result["conversations"] == 3 and set(result["conversation_ids"]) == {verified, typed, legacy}
    assert result["shop_user_id"] == NOAH["user_id"]
    assert result["messages"] == 5 and result["traces"] == 2 and result["notes"] == 1
    # EMAIL+PHONE in 1, EMAIL in 2, and Noah's email typed in Ivan's conversation
    assert result["events"] == 3 and result["vault_entries"] == 4
    assert result["matched_by"] == {"shop_user": 1, "vault_email": 3, "text_mentions": 1}
    assert result["other_customers_conversations_mentioning_the_email"] == [other]
    for cid in (verified, typed, legacy):
        assert store.get_conversation(cid) is None and store.messages(cid) == [] and vault.tokens(cid) == []
        assert store.events(cid) == [] and store.notes(cid) == []
    # the other customer is untouched, and their token still resolves
    assert len(store.messages(other)) == 4 and vault.resolve(other, "[EMAIL_1]") == IVAN["email"]
    assert vault.resolve(other, "[EMAIL_2]") is None   # Ivan's conversation keeps only a dead token
    # nothing of the forgotten customer is left in the bytes of either database file
    kefu_bytes, vault_bytes = _db_bytes(settings.sqlite_path), _db_bytes(vault.path)
    for needle in (b"noah.brown7922", NOAH["user_id"].encode(), b"sentinel-kettle-verified", b"sentinel-note",
                   b"sentinel-typed-only", b"sentinel-legacy", b"13812345678"):
        assert needle not in kefu_bytes, needle
        assert needle not in vault_bytes, needle
    assert b"sentinel-ivan" in kefu_bytes
    # the audit log says what happened, without the email
    audit = [a for a in store.audit_log() if a["action"] == "forget"]
    assert len(audit) == 1 and "noah" not in audit[0]["detail"].lower()
    assert json.loads(audit[0]["detail"])["conversations"] == 3
    # forgetting again finds nothing
    again = forget_customer(settings, store, vault, email=NOAH["email"])
    assert again["conversations"] == 0 and again["vault_entries"] == 0


def test_forget_rejects_what_is_not_an_email(env):
    settings, store, vault, _ = env
    with pytest.raises(ValueError, match="not an email"):
        forget_customer(settings, store, vault, email="noah_brown_6181")


def test_run_forget_cli_function(env):
    settings, store, vault, redactor = env
    cid = store.create_conversation(customer=NOAH["user_id"])
    _turn(store, redactor, cid, f"email {NOAH['email']}", "ok")
    result = run_forget(settings, customer=NOAH["email"])
    assert result["conversations"] == 1 and result["vault_entries"] == 1
    assert store.get_conversation(cid) is None and vault.tokens(cid) == []


def test_retention_deletes_only_old_conversations(env):
    settings, store, vault, redactor = env
    old_time = time.time() - 40 * 86400
    old = store.create_conversation(created_at=old_time)
    _turn(store, redactor, old, "card 4111 1111 1111 1111 sentinel-old", "noted", at=old_time)
    recent = store.create_conversation(created_at=old_time)   # started long ago, active today
    _turn(store, redactor, recent, "mail me at keep@example.com", "sure")
    vault.store("c_orphan", "EMAIL", "orphan@example.com")    # a vault entry whose conversation is gone

    result = apply_retention(store, vault, days=30)

    assert result["conversations"] == 1 and result["messages"] == 2 and result["orphan_vault_entries"] == 1
    assert result["vault_entries"] == 2
    assert store.get_conversation(old) is None and store.get_conversation(recent) is not None
    assert vault.resolve(recent, "[EMAIL_1]") == "keep@example.com" and vault.tokens("c_orphan") == []
    assert b"sentinel-old" not in _db_bytes(settings.sqlite_path)
    assert [a["action"] for a in store.audit_log()][:1] == ["retention"]
    assert run_retention(settings, days=30)["conversations"] == 0
    for bad in (0, -5, "soon"):
        with pytest.raises(ValueError):
            apply_retention(store, vault, days=bad)
