"""The console and the tools see each workspace's own data (issue 19): the customer panel reads the desk of the
conversation's workspace (the clinic's appointments, the bank's cards, the shop's orders) and its past conversations
in that workspace only; `check-kb` checks every served workspace's knowledge base (or the one named); a shop
imported under another id keeps its own orders file. Real SQLite desks, store, registries and Chroma (only the
check-kb test embeds: a few FAQ rows)."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest

from components.cli import main
from components.console.operator_desk import OperatorDesk
from components.embedder import SentenceEmbedder
from components.settings import Settings
from components.storage.conversation_store import ConversationStore
from components.storage.database import open_database
from components.ui.console_tab import open_conversation, short_id
from components.workspaces.registry import WorkspaceRegistry
from components.workspaces.services import SharedParts, WorkspaceHub

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def console(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", workspaces="shop,bank,clinic")
    settings.data_dir.mkdir()
    store = ConversationStore(open_database(settings.database))
    hub = WorkspaceHub(settings, WorkspaceRegistry.from_settings(settings),
                       SharedParts(store, SentenceEmbedder.from_settings(settings), None, None))
    services = SimpleNamespace(store=store, operators=OperatorDesk(store, dialogue=None), workspaces=hub)
    yield services
    hub.close()
    store.close()
    store.db.close()


def _panel(services, cid: str, language: str = "en") -> str:
    return open_conversation(cid, services=services, language=language)[2]


def test_the_customer_panel_reads_the_desk_of_the_conversations_workspace(console):
    store = console.store
    clinic = store.create_conversation(customer="P100238", workspace_id="clinic")
    panel = _panel(console, clinic)
    assert "Upcoming appointments" in panel and "#9" in panel and "Dr. Ben Howe" in panel and "Orders" not in panel
    assert "豪威医生" in _panel(console, clinic, "zh") and "即将到来的预约" in _panel(console, clinic, "zh")
    bank = store.create_conversation(customer="31570922", workspace_id="bank")  # Wei Zhang: a frozen card
    panel = _panel(console, bank)
    assert "Cards and disputes" in panel and "…9012" in panel and "frozen" in panel
    shop_user = "raj_sanchez_2970"
    shop = store.create_conversation(customer=shop_user, workspace_id="shop")
    orders = console.workspaces.get("shop", seed=False).desk.shop.orders_of(shop_user)
    panel = _panel(console, shop)
    assert "Orders" in panel and orders and all(order_id in panel for order_id in orders[:8])
    # a clinic patient id in the bank: not a bank member, so no records (and no error)
    stranger = store.create_conversation(customer="P100238", workspace_id="bank")
    assert "#9" not in _panel(console, stranger) and "Dr. Ben Howe" not in _panel(console, stranger)


def test_past_conversations_are_the_workspaces_own(console):
    store = console.store
    first = store.create_conversation(customer="P100231", workspace_id="clinic")
    elsewhere = store.create_conversation(customer="P100231", workspace_id="shop")
    now = store.create_conversation(customer="P100231", workspace_id="clinic")
    panel = _panel(console, now)
    assert short_id(first) in panel and short_id(elsewhere) not in panel


def test_a_shop_imported_under_another_id_keeps_its_own_orders(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("KEFU_DATA_DIR", str(data))
    monkeypatch.setenv("KEFU_WORKSPACES", "all")
    assert main(["workspaces", "export", "shop", "--out", str(tmp_path / "shop.zip"), "--json"]) == 0
    assert main(["workspaces", "import", str(tmp_path / "shop.zip"), "--id", "outlet", "--json"]) == 0
    capsys.readouterr()
    settings = Settings(data_dir=data, workspaces="shop,outlet")
    store = ConversationStore(open_database(settings.database))
    hub = WorkspaceHub(settings, WorkspaceRegistry.from_settings(settings),
                       SharedParts(store, SentenceEmbedder.from_settings(settings), None, None))
    try:
        shop, outlet = hub.get("shop", seed=False).desk.shop, hub.get("outlet", seed=False).desk.shop
        assert shop.path == data / "shop.sqlite3" and outlet.path == data / "outlet_shop.sqlite3"
        user = "raj_sanchez_2970"
        pending = next(o for o in outlet.orders_of(user) if outlet.get_order(o)["status"] == "pending")
        outlet.cancel_pending_order(pending, "no longer needed", user_id=user)
        assert outlet.get_order(pending)["status"] == "cancelled"
        assert shop.get_order(pending)["status"] == "pending"  # the shop's own copy is untouched
    finally:
        hub.close()
        store.close()
        store.db.close()


def _check_kb(capsys, *argv) -> tuple[int, dict]:
    code = main(["check-kb", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_check_kb_checks_every_served_workspace_or_the_one_named(tmp_path, capsys, monkeypatch):
    """Two workspaces' registries and Chroma collections, one of them broken by hand: the check names it, the
    repair fixes it, the other is left alone."""
    data = tmp_path / "data"
    monkeypatch.setenv("KEFU_DATA_DIR", str(data))
    monkeypatch.setenv("KEFU_WORKSPACES", "shop,clinic")
    settings = Settings.from_env()
    data.mkdir()
    from components.workspaces.services import build_knowledge
    from components.workspaces.workspace_eval import find_workspace

    embedder = SentenceEmbedder.from_settings(settings)
    kb, _ = build_knowledge(settings, find_workspace(settings, "clinic"), embedder)
    try:
        kb.ingest_file(ROOT / "assets" / "workspaces" / "clinic" / "kb" / "faq-en.csv")
        chunks = kb.stats()["chunks"]
        assert chunks > 0
        kb.vectors.delete([sorted(kb.registry.chunk_ids())[0]])  # a vector lost, as after a crash
    finally:
        kb.close()
    code, report = _check_kb(capsys)
    assert code == 1 and not report["ok"] and set(report["workspaces"]) == {"shop", "clinic"}
    assert report["workspaces"]["clinic"]["missing_vectors"] == 1 and report["workspaces"]["shop"]["ok"]
    assert report["missing_vectors"] == 1 and report["chunks"] == chunks
    code, only_shop = _check_kb(capsys, "--workspace", "shop")
    assert code == 0 and only_shop["ok"] and list(only_shop["workspaces"]) == ["shop"]
    code, repaired = _check_kb(capsys, "--workspace", "clinic", "--repair")
    assert code == 0 and repaired["repaired"] and repaired["ok_after_repair"]
    code, again = _check_kb(capsys)
    assert code == 0 and again["ok"] and again["vectors"] == chunks
    assert main(["check-kb", "--workspace", "nowhere", "--json"]) == 2
    assert "nowhere" in capsys.readouterr().err
