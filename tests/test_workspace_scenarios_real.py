"""A handful of each new workspace's shipped scenarios through the real pipeline (model, NLU, Chroma, SQLite, the
safety stage, the workspace's own desk and knowledge base). The full suites are evaluation commands (README
"Workspaces"): python app.py eval dialogues --workspace ID --scenarios assets/workspaces/ID/scenarios/ID.yaml"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.dialogue.dialogue_eval import turn_function
from components.orders.scenario_runner import run_scenarios
from components.workspaces.registry import WorkspaceRegistry, shipped_dir
from components.workspaces.services import WorkspaceHub

WORKSPACES = Path(__file__).resolve().parent.parent / "assets" / "workspaces"
CHOSEN = {
    "bank": ["international wire fee", "国际电汇手续费", "balance, verified in one message",
             "freeze the credit card after a yes", "three failed verifications hand over to a person", "我的余额是多少"],
    "school": ["refund when dropping a course", "正式成绩单费用", "enrollment status with a waitlist",
               "official transcript by post", "a hold blocks the official transcript",
               "am I enrolled in CS240"],
    "clinic": ["chest pain", "胸痛", "想自杀", "chest pain inside a booking request goes to the emergency answer first",
               "diagnosis refused", "剂量被拒绝", "opening hours on Saturday",
               "a taken slot is refused with alternatives, then booked", "我下次预约是什么时候"],
}


@pytest.fixture(scope="module")
def hub(real_services):
    """The three workspaces served beside the session's shop, on its model, embedder, NLU, store and data dir."""
    settings = real_services.settings
    return WorkspaceHub(settings, WorkspaceRegistry([shipped_dir(settings)], ",".join(sorted(CHOSEN))),
                        real_services.workspaces.shared)


@pytest.mark.parametrize("workspace", sorted(CHOSEN))
def test_workspace_scenarios_pass_through_the_real_pipeline(hub, workspace):
    suite = yaml.safe_load((WORKSPACES / workspace / "scenarios" / f"{workspace}.yaml").read_text(encoding="utf-8"))
    chosen = [s for s in suite if s["name"] in CHOSEN[workspace]]
    assert len(chosen) == len(CHOSEN[workspace])
    dialogue = hub.get(workspace).dialogue
    result = run_scenarios(turn_function(dialogue), chosen)
    assert result["failed"] == 0, result["failures"]
