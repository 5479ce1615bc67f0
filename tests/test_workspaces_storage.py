"""Workspace isolation in the stores on SQLite and real PostgreSQL (tests/servers.py): conversations, messages,
notes, audit, analytics and agents of one workspace are never seen from another; old rows are the shop's."""
from __future__ import annotations

import pytest

from components.analytics.kpis import AnalyticsFilter, compare_workspaces, kpis_for, load_frames
from components.console.agent_accounts import AgentAccounts, AuthError
from components.storage.conversation_store import ConversationStore
from components.storage.database import open_database
from components.storage.migrations import current_version, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kefu.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def _history(store: ConversationStore) -> dict[str, list[str]]:
    made: dict[str, list[str]] = {"shop": [], "bank": [], "clinic": []}
    for workspace, n in (("shop", 3), ("bank", 2), ("clinic", 1)):
        for i in range(n):
            cid = store.create_conversation(workspace_id=workspace, created_at=1_000.0 + i)
            store.add_message(cid, "customer", f"{workspace} question {i}")
            bot = store.add_message(cid, "bot", "", state="streaming")
            action = "handoff" if workspace == "clinic" else "knowledge_answer"
            store.finish_message(bot, f"{workspace} answer", trace={"policy": {"action": action}})
            store.rate_message(bot, 1 if workspace == "bank" else -1)
            store.add_note(cid, "ann", f"{workspace} note")
            store.audit("ann", "claim", cid)
            made[workspace].append(cid)
    return made


def test_conversations_analytics_and_audit_stay_in_their_workspace(location):
    store = ConversationStore(location)
    try:
        made = _history(store)
        for workspace, ids in made.items():
            assert {c["id"] for c in store.list_conversations(workspace=workspace)} == set(ids)
            assert {r["conversation_id"] for r in store.audit_log(workspace=workspace)} == set(ids)
            frames = load_frames(store, AnalyticsFilter(workspace=workspace))
            assert set(frames.conversations["id"]) == set(ids)
            assert set(frames.turns["conversation_id"]) == set(ids)
            for cid in ids:
                assert store.db.scalar("SELECT count(*) FROM messages WHERE conversation_id = ? AND "
                                       "workspace_id <> ?", (cid, workspace)) == 0
        bank = kpis_for(store, workspace="bank")
        assert bank["conversations"] == 2
        compared = {row["workspace"]: row for row in compare_workspaces(store, ["shop", "bank", "clinic"])}
        assert compared["shop"]["conversations"] == 3 and compared["clinic"]["conversations"] == 1
        assert store.get_conversation(made["bank"][0], workspace="clinic") is None
    finally:
        store.close()


def test_agents_have_roles_per_workspace(location):
    accounts = AgentAccounts(location)
    try:
        accounts.add("ann", "correct horse", workspace="bank")
        accounts.add("bob", "battery staple")  # the shop's, as every account made before workspaces
        accounts.grant("ann", "clinic", "supervisor")
        assert accounts.names("bank") == ["ann"] and accounts.names("shop") == ["bob"]
        assert accounts.roles("ann") == {"bank": "agent", "clinic": "supervisor"}
        token = accounts.login("bob", "battery staple")
        assert accounts.require(token=token, workspace="shop") == "bob"
        with pytest.raises(AuthError, match="no role in the 'bank' workspace"):
            accounts.require(token=token, workspace="bank")
        with pytest.raises(ValueError, match="role must be"):
            accounts.grant("ann", "shop", "owner")
        assert accounts.revoke("ann", "clinic") and accounts.names("clinic") == []
    finally:
        accounts.close()


def test_an_older_database_keeps_its_rows_and_agents_as_the_shops(location):
    db = open_database(location)
    try:
        upgrade(db, target=2)
        db.execute("INSERT INTO conversations (id, created_at, updated_at) VALUES ('c_old', 1, 1)")
        db.execute("INSERT INTO agents (name, salt, hash, created_at) VALUES ('old', ?, ?, 1)", (b"s", b"h"))
        upgrade(db)
        assert current_version(db) >= 3
        assert db.scalar("SELECT workspace_id FROM conversations WHERE id = 'c_old'") == "shop"
        assert db.rows("SELECT agent, workspace_id, role FROM agent_roles") == [("old", "shop", "agent")]
    finally:
        db.close()


def test_knowledge_registries_of_workspaces_share_nothing_on_postgresql(postgres_url):
    """Replicas keep each workspace's documents in its own schema: the same doc_id in two workspaces, each sees
    only its own (tests/test_workspaces_real.py shows the same for the embedded files and Chroma collections)."""
    from components.workspaces.services import workspace_registry

    shared = open_database(postgres_url)
    try:
        registries = {ws: workspace_registry(shared, ws) for ws in ("bank", "clinic")}
        for ws, registry in registries.items():
            doc = {"doc_id": "kb/faq.csv", "title": f"{ws} FAQ", "filename": "faq.csv", "kind": "csv",
                   "size_bytes": 10, "language": "en", "content_hash": ws, "version": "v1", "tags": [],
                   "domain": ws, "source": "seed", "source_path": None, "encoding": "utf-8", "chunk_count": 1,
                   "indexed_at": 1.0}
            chunk = {"chunk_id": "kb/faq.csv#0", "doc_id": "kb/faq.csv", "ordinal": 0, "kind": "text",
                     "text": f"{ws} text", "heading_path": [], "language": "en", "meta": {}, "tokens": ws}
            registry.commit_document(doc, [chunk])
        for ws, registry in registries.items():
            assert [d["title"] for d in registry.documents()] == [f"{ws} FAQ"]
            assert [c["text"] for c in registry.chunks("kb/faq.csv")] == [f"{ws} text"]
            registry.close()
        # the shop's registry (the public schema) has none of them
        assert shared.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' "
                             "AND table_name = 'documents'") == 0
    finally:
        shared.close()
