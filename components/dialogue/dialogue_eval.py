"""`python app.py eval dialogues --scenarios FILE.yaml`: scripted conversations through the full pipeline.

Runs on a temporary data directory with a fresh copy of the demo shop's database and a freshly indexed knowledge
base, so an evaluation never changes the real data; the model weights cache is shared with the real data dir.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import yaml

log = logging.getLogger(__name__)


def load_scenarios(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No scenario file at {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list) or not all(isinstance(s, dict) and "turns" in s for s in data):
        raise ValueError(f"{path}: expected a YAML list of scenarios, each {{name, turns: [{{user, expect}}]}}")
    return data


def turn_function(dialogue, workspace: str | None = None):
    """Adapt the dialogue manager to the scenario runner: one conversation per scenario key (new ones in
    `workspace` when the dialogue is components/workspaces' router)."""
    conversations: dict[str, str] = {}
    extra = {"workspace": workspace} if workspace else {}

    def turn(key: str, text: str) -> dict:
        result = dialogue.chat(conversations.get(key), text, **extra)
        if result.conversation_id:
            conversations[key] = result.conversation_id
        trace = result.trace or {}
        calls = trace.get("tool_calls") or []
        return {"reply": result.reply, "intent": (trace.get("nlu") or {}).get("intent"),
                "action": (trace.get("policy") or {}).get("action"),
                "tool": calls[-1]["name"] if calls else None,
                "tools": [c["name"] for c in calls],
                "handoff": result.status == "waiting" or (trace.get("policy") or {}).get("action") == "handoff"}

    return turn


def run_dialogue_eval(settings, *, scenarios: str | None = None, ingest: list[str] | tuple = (), services=None,
                      workspace: str | None = None) -> dict:
    """`ingest`: extra documents added to the temporary knowledge base first (e.g. a poisoned document for the
    planted-instruction attacks). `workspace`: run in that workspace (components/workspaces/), by default its own
    scenarios/*.yaml."""
    from components.orders.scenario_runner import run_scenarios
    from components.workspaces.workspace_eval import choose_scenarios, evaluation_services, run_facts

    suite, files = choose_scenarios(settings, scenarios, workspace)
    started = time.perf_counter()
    with evaluation_services(settings, services, workspace, prefix="kefu-eval-") as services:
        knowledge = services.workspaces.get(workspace).knowledge if workspace else services.knowledge
        for path in ingest:
            added = knowledge.ingest_file(Path(path))
            if added.status == "error":
                raise ValueError(f"could not ingest {path}: {added.message}")
        result = run_scenarios(turn_function(services.dialogue, workspace), suite)
    return run_facts(result, started, files, workspace)
