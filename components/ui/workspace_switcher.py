"""Which workspace a page or an API call is about (components/workspaces/): the chat's `?workspace=clinic`, the
demo-mode dropdown, the `workspace` argument every endpoint takes (default: the first served workspace).

The first workspace's chat looks as it always did (the UI's own welcome and examples); another workspace's chat
shows that workspace's welcome message and example questions.
"""
from __future__ import annotations

import gradio as gr

from components.ui.i18n import say, t

EXAMPLE_KEYS = ("example_1", "example_2", "example_3", "example_4")


def served(services) -> list[str]:
    hub = getattr(services, "workspaces", None)
    return hub.ids() if hub is not None else ["shop"]


def default_workspace(services) -> str:
    return served(services)[0]


def resolve_workspace(services, workspace: str | None) -> str:
    """The workspace id to use (empty = the first); gr.Error naming the served ones for an unknown id."""
    hub = getattr(services, "workspaces", None)
    if hub is None:
        return "shop"
    try:
        return hub.registry.get((workspace or "").strip() or None).id
    except ValueError as exc:
        raise gr.Error(str(exc)) from exc


def routing(services, workspace: str) -> dict:
    """The keyword a dialogue call takes to start a conversation in `workspace` (none without workspaces)."""
    return {"workspace": workspace} if workspace and getattr(services, "workspaces", None) is not None else {}


def knowledge_for(services, conversation_id: str):
    """The knowledge base of the conversation's workspace (its sources are shown from it, never another's)."""
    hub = getattr(services, "workspaces", None)
    if hub is None or not conversation_id:
        return getattr(services, "knowledge", None)
    try:
        return hub.for_conversation(conversation_id).knowledge
    except ValueError:
        return None


def workspace_from_request(services, request) -> str:
    """`?workspace=ID` on the page's address (an unknown id falls back to the first workspace)."""
    params = getattr(request, "query_params", None) or {}
    wanted = (params.get("workspace") or "").strip().lower() if hasattr(params, "get") else ""
    return wanted if wanted in served(services) else default_workspace(services)


def choices(services, language: str = "en") -> list[tuple[str, str]]:
    hub = getattr(services, "workspaces", None)
    if hub is None:
        return [("shop", "shop")]
    return [(ws.text("name", language), ws.id) for ws in hub.registry.list()]


def welcome_history(services, workspace: str, language: str) -> list:
    if workspace == default_workspace(services) or getattr(services, "workspaces", None) is None:
        return [{"role": "assistant", "content": say("welcome", language)}]
    ws = services.workspaces.registry.get(workspace)
    return [{"role": "assistant", "content": "👋 " + ws.text("welcome", language)}]


def example_samples(services, workspace: str, language: str) -> list[list[str]]:
    if workspace == default_workspace(services) or getattr(services, "workspaces", None) is None:
        return [[say(key, language)] for key in EXAMPLE_KEYS]
    return [[text] for text in services.workspaces.registry.get(workspace).example_questions(language)]


def build_dropdown(services, elem_id: str = "kefu-workspace", agents: bool = False) -> gr.Dropdown:
    """The switcher, shown when more than one workspace is served: in the chat only in demo mode (in protected mode
    the address decides), in the agents' tabs always (each handler checks the agent's role in the workspace)."""
    ids = served(services)
    accounts = getattr(services, "accounts", None)
    visible = len(ids) > 1 and (agents or accounts is None or not accounts.protected)
    return gr.Dropdown(choices=choices(services), value=ids[0], label=t("workspace"), visible=visible,
                       interactive=True, elem_id=elem_id, scale=1)
