"""Workspaces without models: loading and validating workspace.yaml, the registry, the safety stage in a turn,
the storage migration and every store read kept to its workspace (SQLite; PostgreSQL in test_workspaces_postgres)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from components.answers.composer import AnswerComposer
from components.dialogue.dialogue_manager import DialogueManager
from components.nlu.result import NLUResult
from components.settings import Settings
from components.storage.conversation_store import ConversationStore
from components.workspaces.registry import WorkspaceRegistry
from components.workspaces.rules import WorkspaceRules
from components.workspaces.safety import SafetyCheck
from components.workspaces.sensitive_data import SensitiveRedactor, find_health
from components.workspaces.workspace import WorkspaceError, load_workspace
from tests.fakes import FakeEngine, FakeKnowledge, hit

ROOT = Path(__file__).resolve().parent.parent

CLINIC = {
    "id": "testclinic",
    "name": {"en": "Test Clinic", "zh": "测试诊所"},
    "languages": ["en", "zh"],
    "welcome": {"en": "Welcome to the Test Clinic.", "zh": "欢迎来到测试诊所。"},
    "examples": {"en": ["When are you open?"], "zh": ["几点开门？"]},
    "tone": {"en": "Calm.", "zh": "冷静。"},
    "scope": {"en": "appointments and opening hours", "zh": "预约和营业时间"},
    "public_contacts": ["+1 (800) 555-0177"],
    "intents": [],
    "desk": None,
    "handoff": {"intents": ["complaint"]},
    "safety": {
        "emergency": {"patterns": {"en": ["chest pain", "can'?t breathe", "suicid"], "zh": ["胸痛", "呼吸困难", "想自杀"]},
                      "reply": {"en": "Call 911 now.", "zh": "请立即拨打120。"}, "handoff": True},
        "refuse": [{"name": "dosage", "patterns": {"en": [r"\b(dose|dosage)\b"], "zh": ["剂量", "吃几片"]},
                    "reply": {"en": "I can't advise on doses.", "zh": "我不能提供剂量建议。"}, "handoff": True}],
        "sensitive_pii": ["health"],
    },
}


def write_workspace(parent: Path, data: dict) -> Path:
    folder = parent / data["id"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workspace.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


# -- loading ---------------------------------------------------------------------------------------------------
def test_the_shop_workspace_points_at_the_existing_kb_and_desk():
    shop = load_workspace(ROOT / "assets" / "workspaces" / "shop")
    assert shop.id == "shop" and shop.kb_dir == (ROOT / "kb").resolve() and shop.nlu_domain == "ecommerce"
    assert shop.desk == "components.orders.order_desk:build_desk" and shop.order == 0
    assert "+1 (800) 555-0134" in shop.public_contacts


@pytest.mark.parametrize("change, key", [
    ({"colour": "blue"}, "colour"),
    ({"welcome": None}, "welcome"),
    ({"scope": {"en": "x"}}, "scope.zh"),
    ({"id": "other"}, "id"),
    ({"languages": ["fr"]}, "languages"),
    ({"safety": {"emergency": {"patterns": {"en": ["("]}, "reply": {"en": "a", "zh": "b"}}}},
     "safety.emergency.patterns.en[0]"),
    ({"safety": {"refuse": [{"name": "x", "patterns": {"en": ["a"]}, "reply": {"en": "a", "zh": "b"},
                             "when": 1}]}}, "safety.refuse[0].when"),
    ({"safety": {"sensitive_pii": ["dna"]}}, "safety.sensitive_pii[0]"),
    ({"intents": ["intents/missing.csv"]}, "intents[0]"),
    ({"desk": "not a factory"}, "desk"),
    ({"personal": {"en": ["my (appointment"]}}, "personal.en[0]"),
    ({"personal": {"fr": ["mon rendez-vous"]}}, "personal"),
])
def test_bad_workspace_files_name_the_file_and_the_key(tmp_path, change, key):
    folder = write_workspace(tmp_path, CLINIC)  # a folder named testclinic, whatever the file says
    (folder / "workspace.yaml").write_text(yaml.safe_dump({**CLINIC, **change}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(WorkspaceError) as err:
        load_workspace(folder)
    assert str(folder / "workspace.yaml") in str(err.value) and f"{key}:" in str(err.value)


def test_registry_orders_filters_and_reports_broken_folders(tmp_path):
    shipped, user = tmp_path / "shipped", tmp_path / "user"
    shutil.copytree(ROOT / "assets" / "workspaces" / "shop", shipped / "shop")
    (shipped / "shop" / "workspace.yaml").write_text(
        (ROOT / "assets" / "workspaces" / "shop" / "workspace.yaml").read_text().replace("../../../kb", "kb"))
    write_workspace(user, CLINIC)
    write_workspace(user, {**CLINIC, "id": "broken", "tone": 3})
    everything = WorkspaceRegistry([shipped, user], "all")
    assert everything.ids() == ["shop", "testclinic"] and everything.default.id == "shop"
    assert "broken" in " ".join(everything.problems) and "tone" in " ".join(everything.problems.values())
    assert WorkspaceRegistry([shipped, user], "testclinic").ids() == ["testclinic"]
    assert WorkspaceRegistry([shipped, user], "testclinic,shop").default.id == "testclinic"  # the setting's order
    with pytest.raises(ValueError, match="serves shop, testclinic"):
        everything.get("bank")
    assert everything.get("TestClinic ").id == "testclinic"


def test_workspaces_setting_is_checked():
    with pytest.raises(ValueError, match="KEFU_WORKSPACES"):
        Settings(workspaces="shop;bank")
    assert Settings(workspaces="shop, clinic").workspaces == "shop, clinic"


# -- safety ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, kind", [
    ("I have chest pain", "emergency"), ("I CAN'T BREATHE", "emergency"), ("i can’t breathe well", "emergency"),
    ("I've been having suicidal thoughts", "emergency"), ("我胸痛得厉害", "emergency"), ("呼吸困難", "emergency"),
    ("我想自杀", "emergency"), ("what dose of ibuprofen should I take?", "refuse"), ("这个药吃几片？", "refuse"),
    ("chest pain and what dosage", "emergency"),  # the emergency wins
    ("When are you open?", None), ("我想预约明天上午", None),
])
def test_safety_rules_in_english_and_chinese(tmp_path, text, kind):
    check = SafetyCheck(load_workspace(write_workspace(tmp_path, CLINIC)).safety)
    verdict = check.check(text, "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")
    assert (verdict.kind if verdict else None) == kind
    if verdict is not None and kind == "emergency":
        assert verdict.reply in ("Call 911 now.", "请立即拨打120。") and verdict.handoff


class RecordingNLU:
    def __init__(self):
        self.calls = []

    def parse(self, text, domain=None):
        self.calls.append(text)
        return NLUResult(intent="complaint" if "complain" in text else "faq", confidence=0.9, language="en")


@pytest.fixture
def store(tmp_path):
    s = ConversationStore(tmp_path / "kefu.sqlite3")
    yield s
    s.close()


def clinic_manager(tmp_path, store, nlu=None):
    ws = load_workspace(write_workspace(tmp_path / "ws", CLINIC))
    knowledge = FakeKnowledge([hit(title="Hours", text="We are open 8:00 to 18:00 on weekdays.")])
    composer = AnswerComposer(knowledge, knowledge.embedder.embed, engine=FakeEngine(), style="evidence",
                              min_score=1e-6)
    return DialogueManager(Settings(data_dir=tmp_path), store, engine=FakeEngine(), knowledge=knowledge,
                           answers=composer, nlu=nlu or RecordingNLU(), rules=WorkspaceRules(ws))


def test_an_emergency_is_answered_before_anything_else_and_handed_off(tmp_path, store):
    nlu = RecordingNLU()
    dm = clinic_manager(tmp_path, store, nlu)
    result = dm.chat(None, "I have chest pain and I can't breathe")
    assert result.reply.startswith("Call 911 now.") and result.status == "waiting"
    assert nlu.calls == []  # nothing read the message before the safety stage answered
    assert result.trace["policy"]["action"] == "safety" and result.trace["safety"]["kind"] == "emergency"
    conversation = store.get_conversation(result.conversation_id)
    assert conversation["workspace_id"] == "testclinic" and conversation["handoff_reason"] == "emergency"
    # a person owns the conversation now; another emergency message is still answered at once
    again = dm.chat(result.conversation_id, "我胸痛")
    assert again.reply == "请立即拨打120。" and again.status == "waiting"


def test_a_refused_topic_gets_the_refusal_and_a_person(tmp_path, store):
    dm = clinic_manager(tmp_path, store)
    result = dm.chat(None, "What dosage of aspirin is safe for me?")
    assert result.reply.startswith("I can't advise on doses.") and result.status == "waiting"
    assert result.trace["safety"] == {"kind": "refuse", "rule": "dosage", "pattern": r"\b(dose|dosage)\b",
                                      "handoff": True}


def test_workspace_phrases_handoff_intents_and_ownership(tmp_path, store):
    dm = clinic_manager(tmp_path, store)
    hello = dm.chat(None, "hello")
    assert hello.reply == "Welcome to the Test Clinic."
    complaint = dm.chat(None, "I want to complain about the waiting room")
    assert complaint.trace["policy"]["handoff_reason"] == "workspace_rule" and complaint.status == "waiting"
    shop_cid = store.create_conversation()  # the shop's
    with pytest.raises(ValueError, match="belongs to the 'shop' workspace"):
        dm.chat(shop_cid, "hello")


def test_health_data_is_redacted_as_sensitive(tmp_path):
    from components.privacy.pii_redactor import PiiRedactor

    redactor = SensitiveRedactor(PiiRedactor(None), ("health",))
    text, found = redactor.redact("I'm taking metformin, mail me at a@b.example. MRN 12345678", conversation_id="")
    assert "metformin" not in text and "12345678" not in text and "a@b.example" not in text
    assert sorted(f["type"] for f in found) == ["EMAIL", "HEALTH", "HEALTH"]
    for f in found:
        assert text[f["start"]:f["end"]] == f["token"]
    assert find_health("Do you treat diabetes?") == [] and find_health("我患有糖尿病")


# -- storage ---------------------------------------------------------------------------------------------------
def test_store_reads_stay_in_their_workspace(store):
    shop = store.create_conversation()
    bank = store.create_conversation(workspace_id="bank")
    for cid in (shop, bank):
        store.add_message(cid, "customer", f"hello from {cid}")
        store.append_event(cid, "user_turn", {})
        store.add_note(cid, "ann", "a note")
        store.audit("ann", "claim", cid)
    assert store.db.scalar("SELECT workspace_id FROM messages WHERE conversation_id = ?", (bank,)) == "bank"
    assert store.db.scalar("SELECT workspace_id FROM events WHERE conversation_id = ?", (bank,)) == "bank"
    assert store.db.scalar("SELECT workspace_id FROM notes WHERE conversation_id = ?", (bank,)) == "bank"
    assert [c["id"] for c in store.list_conversations(workspace="bank")] == [bank]
    assert [c["id"] for c in store.list_conversations(workspace="shop")] == [shop]
    assert {r["conversation_id"] for r in store.audit_log(workspace="bank")} == {bank}
    assert store.counts("bank") == {"conversations": 1, "messages": 1}
    assert store.get_conversation(bank, workspace="shop") is None and store.workspace_of(bank) == "bank"
    assert store.workspaces() == ["bank", "shop"]
