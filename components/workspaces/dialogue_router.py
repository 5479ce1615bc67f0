"""The dialogue entry point when several workspaces are served: each turn goes to the DialogueManager of the
workspace its conversation belongs to (a new conversation: the workspace the caller names, else the first).

    dialogue = WorkspaceDialogue(hub)
    dialogue.chat(None, "Can I reschedule?", workspace="clinic")     # a new clinic conversation
    dialogue.chat(cid, "tomorrow at 10")                              # stays in the clinic
    dialogue.chat(cid, "hi", workspace="bank")                        # ValueError: the conversation is the clinic's

Anything else (settings, store, knowledge, desk, answers, ...) is the first workspace's manager's, so code written
for one DialogueManager keeps working.
"""
from __future__ import annotations

from typing import Any, Iterator


class WorkspaceDialogue:
    def __init__(self, hub):
        self.hub = hub

    def manager(self, conversation_id: str | None = None, workspace: str | None = None):
        """The DialogueManager for this conversation (or for a new one in `workspace`). ValueError when the
        conversation belongs to another workspace than the one named, or to one this app does not serve."""
        if conversation_id:
            owner = self.hub.shared.store.workspace_of(conversation_id)
            if owner is not None:
                if workspace and owner != workspace:
                    raise ValueError(f"Conversation {conversation_id!r} belongs to the {owner!r} workspace, not "
                                     f"{workspace!r}: start a new conversation to switch.")
                return self.hub.get(owner).dialogue
        return self.hub.get(workspace).dialogue

    def respond(self, conversation_id: str | None, text: str, *, workspace: str | None = None,
                **kwargs: Any) -> Iterator:
        yield from self.manager(conversation_id, workspace).respond(conversation_id, text, **kwargs)

    def chat(self, conversation_id: str | None, text: str, *, workspace: str | None = None, **kwargs: Any):
        return self.manager(conversation_id, workspace).chat(conversation_id, text, **kwargs)

    def hand_off(self, cid: str, reason: str, detail: str, language: str) -> tuple[str, str]:
        return self.manager(cid).hand_off(cid, reason, detail, language)

    def __getattr__(self, name: str):
        return getattr(self.hub.get(None, seed=False).dialogue, name)
