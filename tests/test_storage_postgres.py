"""The stores on real PostgreSQL (a cluster the tests start, tests/servers.py) against the same code on SQLite:
the same history gives the same KPIs, gaps, export and forget results; migrations; `db copy` with checksums;
rate-limit buckets and logins shared through the database."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from components.analytics.export import conversation_rows, turn_rows
from components.analytics.knowledge_gaps import gap_questions
from components.analytics.kpis import AnalyticsFilter, compute_kpis, kpis_for, load_frames
from components.console.agent_accounts import AgentAccounts
from components.privacy.data_rights import apply_retention
from components.privacy.rate_limiter import RateLimiter
from components.storage.conversation_store import ConversationStore
from components.storage.database import IntegrityError, open_database, parse_database_url
from components.storage.database_copy import copy_database, table_summary
from components.storage.migrations import LATEST, MIGRATIONS, current_version, upgrade
from components.storage.rate_limit_buckets import DatabaseBuckets
from tests.test_analytics_kpis import DAY, T0, build_store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return tmp_path / "kefu.sqlite3"
    return request.getfixturevalue("postgres_url")


def test_store_round_trip_on_both_engines(location):
    store = ConversationStore(location)
    cid = store.create_conversation(customer="noah", created_at=1_000.25)
    mid = store.add_message(cid, "customer", "héllo 100% ? ", created_at=1_001.5)
    bot = store.add_message(cid, "bot", "", state="streaming")
    store.finish_message(bot, "hi there", trace={"policy": {"action": "small_talk"}, "zh": "你好"})
    assert [m["id"] for m in store.messages(cid)] == [mid, bot] and bot > mid
    assert store.get_message(bot)["trace"]["zh"] == "你好"
    assert store.messages(cid)[0]["text"] == "héllo 100% ? "  # % and ? survive the placeholder translation
    assert store.get_conversation(cid)["created_at"] == 1_000.25  # float64 timestamps, not float4
    store.append_event(cid, "handoff", {"reason": "x"})
    store.append_event(cid, "nlu", {"intent": "y"})
    assert [e["type"] for e in store.events(cid, ("handoff",))] == ["handoff"]
    note = store.add_note(cid, "ana", "VIP")
    assert store.notes(cid)[0]["id"] == note
    store.rate_message(bot, -1)
    store.update_conversation(cid, status="waiting", csat=4)
    assert store.list_conversations(status="waiting")[0]["message_count"] == 2
    assert store.claim(cid, "ana") and not store.claim(cid, "bo")
    store.audit("ana", "claim", cid, {"n": 1})
    assert store.audit_log()[0]["action"] == "claim"
    streaming = store.add_message(cid, "bot", "half", state="streaming")
    assert store.recover_interrupted(older_than_s=3600) == 0  # a turn another replica may still be answering
    assert store.recover_interrupted() == 1 and store.get_message(streaming)["state"] == "interrupted"
    assert store.counts() == {"conversations": 1, "messages": 3}
    with pytest.raises(ValueError):
        store.update_conversation(cid, status="nonsense")
    store.delete_conversation(cid)  # cascades on both engines
    assert store.messages(cid) == [] and store.notes(cid) == [] and store.events(cid) == []
    store.close()


def test_racing_claims_on_postgres_give_one_winner(postgres_url):
    store = ConversationStore(postgres_url)
    cid = store.create_conversation()
    store.update_conversation(cid, status="waiting")
    wins, barrier = [], threading.Barrier(8)

    def claim(agent):
        barrier.wait()
        wins.append(store.claim(cid, agent))

    threads = [threading.Thread(target=claim, args=(f"agent{i}",)) for i in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum(wins) == 1
    store.close()


def test_analytics_export_and_gaps_agree_between_engines(tmp_path, postgres_url):
    lite, pg = build_store(tmp_path / "kefu.sqlite3"), build_store(postgres_url)
    for flt in (AnalyticsFilter(), AnalyticsFilter(start=T0 + DAY, include_demo=False),
                AnalyticsFilter(domain="ecommerce")):
        assert compute_kpis(load_frames(pg, flt)) == compute_kpis(load_frames(lite, flt))
    assert kpis_for(pg)["conversations"] == kpis_for(lite)["conversations"] > 0
    assert gap_questions(pg).to_dict("records") == gap_questions(lite).to_dict("records")
    assert len(gap_questions(pg)) > 0
    flt = AnalyticsFilter()
    a, b = conversation_rows(pg, flt), conversation_rows(lite, flt)
    assert list(a.columns) == list(b.columns) and a["id"].tolist() == b["id"].tolist()
    pd.testing.assert_frame_equal(turn_rows(pg, flt), turn_rows(lite, flt), check_dtype=False)
    assert pg.domains() == lite.domains()
    kept, removed = apply_retention(pg, None, days=1), apply_retention(lite, None, days=1)
    assert {k: v for k, v in kept.items() if k != "cutoff"} == {k: v for k, v in removed.items() if k != "cutoff"}
    assert kept["conversations"] > 0 and pg.counts() == lite.counts()
    lite.close()
    pg.close()


def test_retention_on_postgresql_deletes_the_spoken_turns_recordings(tmp_path, postgres_url):
    """No SQLite file to find the data directory beside: the recordings' folder comes from the settings."""
    import numpy as np

    from components.speech.audio_archive import SpokenAudioArchive

    pg = ConversationStore(postgres_url)
    old = pg.create_conversation("noah", created_at=T0)
    pg.add_message(old, "customer", "refund?", created_at=T0)
    archive = SpokenAudioArchive(tmp_path / "speech_audio")
    archive.attach(archive.save_pending(np.zeros(1600, dtype=np.float32)), old)
    recent = pg.create_conversation("ana")
    pg.add_message(recent, "customer", "hello")
    archive.attach(archive.save_pending(np.zeros(1600, dtype=np.float32)), recent)
    result = apply_retention(pg, None, days=1, audio_dir=tmp_path / "speech_audio")
    assert result["conversations"] == 1 and result["recordings"] == 1
    assert not (tmp_path / "speech_audio" / old).exists() and (tmp_path / "speech_audio" / recent).is_dir()
    pg.close()


def test_migrations_are_versioned_and_adopt_an_old_sqlite_file(tmp_path, postgres_url):
    import sqlite3

    old = tmp_path / "old.sqlite3"  # a database written before migrations existed
    conn = sqlite3.connect(old)
    conn.executescript("CREATE TABLE conversations (id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL "
                       "NOT NULL, status TEXT NOT NULL DEFAULT 'bot', customer TEXT, language TEXT, domain TEXT NOT "
                       "NULL DEFAULT 'ecommerce', channel TEXT NOT NULL DEFAULT 'web', is_demo INTEGER NOT NULL "
                       "DEFAULT 0, assigned_agent TEXT, handoff_reason TEXT, handoff_at REAL, csat INTEGER, "
                       "last_intent TEXT, last_sentiment TEXT, session_token TEXT);"
                       "INSERT INTO conversations (id, created_at, updated_at) VALUES ('kept', 1, 2);")
    conn.close()
    db = open_database(old)
    assert current_version(db) == 0
    assert upgrade(db)["to"] == LATEST and upgrade(db)["applied"] == []
    assert ConversationStore(db).get_conversation("kept")["updated_at"] == 2
    db.close()
    # two replicas starting at once on PostgreSQL: each migration is applied exactly once
    results = []
    threads = [threading.Thread(target=lambda: results.append(upgrade(open_database(postgres_url)))) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    # (which replica applies which migration depends on who gets the lock first; each is applied by one of them)
    assert len(results) == 3 and sorted(m for r in results for m in r["applied"]) == \
        [f"{version}: {name}" for version, name, _ in MIGRATIONS]
    pg = open_database(postgres_url)
    assert pg.scalar("SELECT count(*) FROM schema_migrations") == LATEST
    with pytest.raises(ValueError, match="no schema version"):
        upgrade(pg, target=LATEST + 1)
    pg.close()


def test_db_copy_moves_everything_with_equal_checksums(tmp_path, postgres_server):
    source_path = tmp_path / "kefu.sqlite3"
    store = build_store(source_path)
    accounts = AgentAccounts(store.db)
    accounts.add("ana", "correct horse")
    token = accounts.login("ana", "correct horse")
    RateLimiter(60, 2, buckets=DatabaseBuckets(store.db)).check("c1")
    store.add_message("A", "bot", "cut off", state="streaming")
    store.append_event("A", "handoff", {"reason": "customer_request", "zh": "转人工"})
    store.add_note("C", "ana", "refund approved")
    store.close()
    target = postgres_server.new_database()
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "db", "copy", "--from", f"sqlite:///{source_path}",
                          "--to", target, "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["equal"] and report["schema_versions"]["conversations"] == LATEST
    for table in ("conversations", "messages", "events", "notes", "audit", "agents", "agent_sessions",
                  "rate_limit_buckets"):
        row = report["tables"][table]
        assert row["rows"] == row["target_rows"] > 0 and row["checksum"] == row["target_checksum"], table
    # the copy is the install: logins, ids and the sequences carry on
    pg = ConversationStore(target)
    assert AgentAccounts(pg.db).agent_for_token(token) == "ana"
    assert AgentAccounts(pg.db).verify("ana", "correct horse")
    lite = ConversationStore(source_path)
    assert pg.messages("A") == lite.messages("A")
    new_id = pg.add_message("A", "customer", "after the move")
    assert new_id > max(m["id"] for m in lite.messages("A"))
    assert compute_kpis(load_frames(lite))["bot_messages"] == compute_kpis(load_frames(pg))["bot_messages"]
    # a second copy into the same (now non-empty) database is refused, and nothing there changes
    before = table_summary(pg.db, "messages", pg.db.columns("messages"))
    with pytest.raises(ValueError, match="already has rows"):
        copy_database(lite.db, pg.db)
    assert table_summary(pg.db, "messages", pg.db.columns("messages")) == before
    bad = subprocess.run([sys.executable, str(ROOT / "app.py"), "db", "copy", "--from", "sqlite:///nowhere.db",
                          "--to", target], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "no SQLite file" in bad.stderr
    pg.close()
    lite.close()


def test_db_copy_back_from_postgresql_to_the_embedded_files(tmp_path, postgres_server):
    """PostgreSQL → SQLite (leaving the scaled shape): kefu.sqlite3 gets the conversations schema, knowledge.sqlite3
    the knowledge registry; each copy says what it left for the other file; the embedded stores read the result."""
    from components.knowledge.registry import Registry

    source = postgres_server.new_database()
    pg = ConversationStore(source)
    cid = pg.create_conversation("noah", created_at=T0)
    pg.add_message(cid, "customer", "退货要多久？", created_at=T0 + 1)
    pg.add_message(cid, "bot", "5-7 days", created_at=T0 + 2, trace={"route": "knowledge_answer", "x": 1.5})
    pg.append_event(cid, "handoff", {"reason": "customer_request", "zh": "转人工"})
    AgentAccounts(pg.db).add("ana", "correct horse")
    RateLimiter(60, 2, buckets=DatabaseBuckets(pg.db)).check("c1")
    Registry(pg.db).set_meta("generation", "42")
    lite_path, knowledge_path = tmp_path / "data" / "kefu.sqlite3", tmp_path / "data" / "knowledge.sqlite3"
    reports = []
    for target in (lite_path, knowledge_path):
        out = subprocess.run([sys.executable, str(ROOT / "app.py"), "db", "copy", "--from", source, "--to",
                              f"sqlite:///{target}", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        reports.append(json.loads(out.stdout))
    conversations, knowledge = reports
    assert conversations["equal"] and set(conversations["tables"]) <= {"conversations", "messages", "events", "notes",
                                                                       "audit", "agents", "agent_sessions",
                                                                       "rate_limit_buckets"}
    for table in ("conversations", "messages", "events", "agents", "rate_limit_buckets"):
        row = conversations["tables"][table]
        assert row["rows"] == row["target_rows"] > 0 and row["checksum"] == row["target_checksum"], table
    assert conversations["not_copied"]["rows"]["meta"] >= 1 and "knowledge.sqlite3" in conversations["not_copied"]["why"]
    assert knowledge["equal"] and knowledge["tables"]["meta"]["rows"] >= 1 and "messages" not in knowledge["tables"]
    lite = ConversationStore(lite_path)
    assert lite.messages(cid) == pg.messages(cid)
    assert AgentAccounts(lite.db).verify("ana", "correct horse")
    assert lite.add_message(cid, "customer", "after the move") > max(m["id"] for m in pg.messages(cid))
    assert "meta" not in lite.db.tables()  # the knowledge registry did not land in the conversations file
    assert Registry(knowledge_path).get_meta("generation") == "42"
    pg.close()
    lite.close()


def test_rate_limit_and_logins_are_shared_between_replicas(postgres_url):
    a, b = open_database(postgres_url), open_database(postgres_url)  # two replicas' connections
    clock = [1_000.0]
    limit_a = RateLimiter(6, 3, buckets=DatabaseBuckets(a), clock=lambda: clock[0])
    limit_b = RateLimiter(6, 3, buckets=DatabaseBuckets(b), clock=lambda: clock[0])
    assert [limit_a.check("c"), limit_b.check("c"), limit_a.check("c")] == [None, None, None]
    assert limit_b.check("c") == pytest.approx(10.0)  # the burst of 3 is spent across both replicas
    clock[0] += 10.0
    assert limit_b.check("c") is None and limit_a.check("other") is None
    assert len(limit_a) == 2
    limit_a.reset("c")
    assert limit_b.check("c") is None
    accounts_a, accounts_b = AgentAccounts(a), AgentAccounts(b)
    accounts_a.add("ana", "long enough")
    with pytest.raises(ValueError, match="exists already"):
        accounts_b.add("ana", "long enough")
    assert accounts_b.agent_for_token(accounts_a.login("ana", "long enough")) == "ana"
    with pytest.raises(IntegrityError):
        a.execute("INSERT INTO agents (name, salt, hash, created_at) VALUES (?,?,?,?)", ("ana", b"", b"", 0.0))
    a.close()
    b.close()


def test_bad_database_urls_say_what_to_write(tmp_path):
    from components.settings import Settings
    from components.storage.database import DatabaseError

    with pytest.raises(ValueError, match="postgresql://user:password@host"):
        parse_database_url("mysql://x")
    with pytest.raises(ValueError, match="KEFU_DATABASE_URL"):
        Settings(data_dir=tmp_path, database_url="mongodb://x")
    assert Settings(data_dir=tmp_path).database == f"sqlite:///{tmp_path / 'kefu.sqlite3'}"
    with pytest.raises(DatabaseError, match="Cannot connect to PostgreSQL at postgresql://u:\\*\\*\\*@127.0.0.1:1/x"):
        open_database("postgresql://u:secret@127.0.0.1:1/x?connect_timeout=2")


def test_redaction_vault_is_shared_between_replicas_on_postgresql(tmp_path, postgres_url):
    from components.privacy.pii_redactor import PiiRedactor
    from components.privacy.redaction_vault import RedactionVault
    from components.settings import Settings

    def replica(name: str, key: str = "one passphrase for every replica") -> RedactionVault:
        return RedactionVault.from_settings(Settings(data_dir=tmp_path / name, database_url=postgres_url,
                                                     vault_key=key))

    a, b = replica("a"), replica("b")  # two replicas, each with its own data dir, one database
    assert a.shared and b.shared and a.path is None
    redacted, _ = PiiRedactor(a).redact("I'm Noah.Brown7922@example.com, card 4111 1111 1111 1111", conversation_id="c1")
    assert "[EMAIL_1]" in redacted and "[CARD_1]" in redacted
    assert b.resolve("c1", "[EMAIL_1]") == "Noah.Brown7922@example.com"  # the order desk on the other replica
    assert b.resolve_text("c1", redacted) == "I'm Noah.Brown7922@example.com, card 4111 1111 1111 1111"
    assert b.store("c1", "EMAIL", "noah.brown7922@EXAMPLE.com") == "[EMAIL_1]"  # same value, same token
    assert b.conversations_with_value("EMAIL", "noah.brown7922@example.com") == ["c1"]
    assert not (tmp_path / "a" / "vault.sqlite3").exists()  # nothing per replica
    stored = open_database(postgres_url)
    dump = " ".join(str(v) for row in stored.rows("SELECT * FROM vault_entries") for v in row)
    assert "7922" not in dump and "4111" not in dump  # encrypted, and the index is a keyed HMAC
    # two replicas storing different values in one conversation at once: distinct tokens, none lost
    tokens: dict[str, list[str]] = {"1": [], "2": []}
    threads = [threading.Thread(target=lambda v=v, n=n: tokens[n].extend(
        v.store("c2", "PHONE", f"+86 138 0013 {n}{i:03d}") for i in range(15))) for v, n in ((a, "1"), (b, "2"))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(set(tokens["1"] + tokens["2"])) == 30
    assert b.resolve("c2", tokens["1"][7]) == "+86 138 0013 1007"
    # forgetting on one replica forgets everywhere
    assert a.forget_value("c1", "CARD", "4111-1111-1111-1111") == 1
    assert b.resolve("c1", "[CARD_1]") is None and b.resolve("c1", "[EMAIL_1]") is not None
    assert b.forget_conversation("c1") == 1 and a.resolve("c1", "[EMAIL_1]") is None
    assert a.conversations_with_value("EMAIL", "noah.brown7922@example.com") == []
    a.compact()
    with pytest.raises(ValueError, match="every replica needs the same one"):
        replica("c", key="a different passphrase")
    a.close()
    b.close()
    assert stored.scalar("SELECT COUNT(*) FROM vault_entries") == 30  # closing a replica's vault keeps the rows
    stored.close()


VAULT_KEY = "one passphrase for the whole install"


def test_db_copy_moves_the_redaction_vault_both_ways(tmp_path, postgres_server):
    """A value redacted before the move resolves after it: vault.sqlite3 → the shared vault tables on PostgreSQL →
    vault.sqlite3 again, rows verbatim under the same key, with counts and checksums; a target vault with another
    key or conflicting tokens is refused before anything is written."""
    from components.privacy.pii_redactor import PiiRedactor
    from components.privacy.redaction_vault import RedactionVault
    from components.settings import Settings
    from components.storage.database_copy import run_db_copy

    said = "I'm Noah.Brown7922@example.com, card 4111 1111 1111 1111"
    lite_dir = tmp_path / "lite"
    store = ConversationStore(lite_dir / "kefu.sqlite3")
    cid = store.create_conversation("noah")
    vault = RedactionVault.from_settings(Settings(data_dir=lite_dir, vault_key=VAULT_KEY))
    redacted, _ = PiiRedactor(vault).redact(said, conversation_id=cid)
    vault.store(cid, "PHONE", "+86 138 0013 8000")
    vault.close()
    store.add_message(cid, "customer", redacted)
    store.close()
    assert "[EMAIL_1]" in redacted and "7922" not in redacted

    target = postgres_server.new_database()
    env = {**os.environ, "KEFU_VAULT_KEY": VAULT_KEY}
    out = subprocess.run([sys.executable, str(ROOT / "app.py"), "db", "copy", "--from",
                          f"sqlite:///{lite_dir / 'kefu.sqlite3'}", "--to", target, "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    moved = json.loads(out.stdout)["vault"]
    assert moved["rows"] == moved["target_rows"] == 3 and moved["checksum"] == moved["target_checksum"]
    assert moved["from"].endswith("vault.sqlite3") and moved["equal"]

    def resolved(settings) -> str:
        store, vault = ConversationStore(settings.database), RedactionVault.from_settings(settings)
        try:
            return vault.resolve_text(cid, store.messages(cid)[0]["text"])
        finally:
            vault.close()
            store.close()

    scaled = Settings(data_dir=tmp_path / "replica", database_url=target, vault_key=VAULT_KEY)
    assert resolved(scaled) == said  # a replica on PostgreSQL resolves what the embedded install redacted
    # and back to the embedded shape
    back_dir = tmp_path / "back"
    back = run_db_copy(scaled, source=target, target=f"sqlite:///{back_dir / 'kefu.sqlite3'}")
    assert back["vault"]["to"] == str(back_dir / "vault.sqlite3") and back["vault"]["target_rows"] == 3
    assert back["vault"]["checksum"] == moved["checksum"]  # verbatim both ways
    assert resolved(Settings(data_dir=back_dir, vault_key=VAULT_KEY)) == said
    knowledge = run_db_copy(scaled, source=target, target=f"sqlite:///{back_dir / 'knowledge.sqlite3'}")
    assert "vault" not in knowledge  # the second copy of the way back (the knowledge registry) leaves the vault be

    # refusals, each before a single row is written
    source = f"sqlite:///{lite_dir / 'kefu.sqlite3'}"
    other_key = postgres_server.new_database()
    RedactionVault.from_settings(Settings(data_dir=tmp_path / "x", database_url=other_key,
                                          vault_key="another install's passphrase")).close()
    with pytest.raises(ValueError, match="different key than the source vault"):
        run_db_copy(scaled, source=source, target=other_key)
    conflicting = postgres_server.new_database()
    theirs = RedactionVault.from_settings(Settings(data_dir=tmp_path / "y", database_url=conflicting,
                                                   vault_key=VAULT_KEY))
    assert theirs.store(cid, "EMAIL", "someone.else@example.com") == "[EMAIL_1]"
    theirs.close()
    with pytest.raises(ValueError, match=r"1 token\(s\) of the same conversations for different values"):
        run_db_copy(scaled, source=source, target=conflicting)
    with pytest.raises(ValueError, match="different key than the one configured"):
        run_db_copy(Settings(data_dir=tmp_path / "z", vault_key="not the key it was written with"), source=source,
                    target=postgres_server.new_database())
    for url, vault_rows in ((other_key, 0), (conflicting, 1)):
        db = open_database(url)
        assert db.scalar("SELECT COUNT(*) FROM vault_entries") == vault_rows
        assert "conversations" not in db.tables() or db.scalar("SELECT COUNT(*) FROM conversations") == 0
        db.close()
    lite_vault = RedactionVault(lite_dir / "vault.sqlite3", key=VAULT_KEY)
    assert lite_vault.count() == 3  # the source is only read
    lite_vault.close()
