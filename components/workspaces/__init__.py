"""Workspaces: several businesses (shop, bank, school, clinic, ...) in one app, each with its own knowledge,
intents, desk, phrases and safety rules, and its own rows in every store.

    registry.py         which workspace folders are served (assets/workspaces/, <data_dir>/workspaces/, KEFU_WORKSPACES)
    workspace.py        one folder's workspace.yaml, loaded and validated
    services.py         each workspace's knowledge base, intent domain, desk and DialogueManager, built on first use
    dialogue_router.py  each turn to its conversation's workspace
    rules.py, safety.py the workspace's phrases, handoff intents and safety rules inside a turn
    sensitive_data.py   extra redaction classes (health)
    desks/              the bank, school and clinic desks (their own package)
"""
from components.workspaces.registry import DEFAULT_WORKSPACE, WorkspaceRegistry
from components.workspaces.workspace import Workspace, WorkspaceError, load_workspace

__all__ = ["DEFAULT_WORKSPACE", "Workspace", "WorkspaceError", "WorkspaceRegistry", "load_workspace"]
