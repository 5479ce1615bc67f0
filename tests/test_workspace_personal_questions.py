"""Personal questions reach the workspace's desk, not the knowledge base (issue 19): each workspace's `personal:`
cues (workspace.yaml) make "When is my next appointment?" or "我的学费还欠多少？" a request in routing
(components/dialogue/message_kind.py, asked through components/workspaces/rules.py), and the real desk on its
seeded SQLite file takes it and asks for verification; questions about how things work stay with the knowledge
base. The same questions run through the full pipeline in each workspace's scenarios
(assets/workspaces/*/scenarios/, tests/test_workspace_scenarios_real.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from components.dialogue.message_kind import classify_message
from components.nlu.language import detect_language
from components.nlu.result import NLUResult
from components.orders.order_desk import DeskState
from components.workspaces.desks import bank_desk, clinic_desk, school_desk
from components.workspaces.rules import WorkspaceRules
from components.workspaces.workspace import load_workspace

WORKSPACES = Path(__file__).resolve().parent.parent / "assets" / "workspaces"
BUILDERS = {"bank": bank_desk.build_desk, "school": school_desk.build_desk, "clinic": clinic_desk.build_desk}

PERSONAL = [  # (workspace, question, the desk flow that takes it)
    ("clinic", "When is my next appointment?", "my_appointments"),
    ("clinic", "Do I have any appointments coming up?", "my_appointments"),
    ("clinic", "我下次预约是什么时候？", "my_appointments"),
    ("clinic", "我有预约吗？", "my_appointments"),
    ("clinic", "我的預約是幾點？", "my_appointments"),
    ("school", "Am I enrolled in CS240?", "enrollment"),
    ("school", "Which courses am I taking?", "enrollment"),
    ("school", "我选上HIST120了吗？", "enrollment"),
    ("school", "How much do I still owe?", "tuition"),
    ("school", "我的学费还欠多少？", "tuition"),
    ("bank", "What's my balance?", "balance"),
    ("bank", "How much money do I have?", "balance"),
    ("bank", "我账户里还有多少钱？", "balance"),
    ("bank", "我的余额是多少？", "balance"),
    ("bank", "What did I spend last week?", "transactions"),
    ("bank", "我上周花了多少钱？", "transactions"),
]
GENERAL = [  # questions about how things work: the knowledge base answers them
    ("clinic", "What are your opening hours?"), ("clinic", "How do I cancel an appointment?"),
    ("clinic", "预约需要带什么？"), ("school", "How much is tuition?"),
    ("school", "How do I request my transcript?"), ("school", "学费怎么交？"),
    ("bank", "What happens if I lose my card?"), ("bank", "What are your ATM fees?"),
    ("bank", "How do I check my balance?"), ("bank", "余额怎么查？"),
]


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    data = tmp_path_factory.mktemp("desks")
    out = {}
    for workspace, build in BUILDERS.items():
        ws = load_workspace(WORKSPACES / workspace)
        out[workspace] = (WorkspaceRules(ws), build(WORKSPACES / workspace, data))
    return out


def _route(parts, workspace: str, text: str):
    rules, desk = parts[workspace]
    kind = classify_message(text, personal=rules.asks_about_own_records)
    nlu = NLUResult(language=detect_language(text))
    # the pipeline's gate (components/dialogue/dialogue_manager.py): a question never reaches an idle desk
    wants = kind.kind != "question" and desk.wants(text, nlu, DeskState())
    return kind, wants, desk, nlu


@pytest.mark.parametrize("workspace, text, flow", PERSONAL)
def test_personal_questions_reach_the_desk_which_verifies_first(parts, workspace, text, flow):
    kind, wants, desk, nlu = _route(parts, workspace, text)
    assert kind.kind == "request", kind
    assert wants
    turn, state = desk.step(text, nlu, DeskState())
    assert state.flow == flow and state.awaiting == "identity"
    assert turn.tool_calls == []  # nothing personal before verification
    assert ("验证" in turn.reply) if nlu.language == "zh" else ("verify" in turn.reply)


@pytest.mark.parametrize("workspace, text", GENERAL)
def test_questions_about_how_things_work_stay_with_the_knowledge_base(parts, workspace, text):
    kind, wants, _, _ = _route(parts, workspace, text)
    assert not wants, kind


def test_without_the_cues_the_same_questions_went_to_the_knowledge_base(parts):
    """What routing did before `personal:` (the shop has none): the cue is what sends them to the desk."""
    reached = [text for workspace, text, _ in PERSONAL if classify_message(text).kind == "question"]
    assert len(reached) >= 10
    shop = WorkspaceRules(load_workspace(WORKSPACES / "shop"))
    assert not shop.asks_about_own_records("When is my next appointment?")


def test_the_named_course_is_answered_first(parts):
    _, desk = parts["school"]
    state = DeskState()
    for text in ("Am I enrolled in PHYS 101?", "S2023222 2003-12-25"):
        turn, state = desk.step(text, NLUResult(language="en"), state)
    assert turn.reply.startswith("Thank you, Yu. You're verified. You are not enrolled or waitlisted in PHYS101")
    assert "CS240 Data Structures: enrolled" in turn.reply
