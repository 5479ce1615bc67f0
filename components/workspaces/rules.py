"""What a workspace changes in a turn, handed to its DialogueManager as `rules`: the safety check, its own fixed
phrases (greeting = its welcome, "I can only help with <its scope>"), its handoff intents, and the desk offers after
an answer (the shop's "I can start the return"; other workspaces make none, their desks say what they can do).
"""
from __future__ import annotations

import re

from components.dialogue import prompts
from components.dialogue.policy import Decision
from components.workspaces.safety import SafetyCheck, SafetyVerdict, normalise_text
from components.workspaces.workspace import Workspace

_OWN_PHRASES = ("greeting", "out_of_scope", "manipulation")
# "how do I check my balance?" asks how things work, even when it names the customer's records: the knowledge base
HOW_TO = re.compile(r"^\s*(how (do|can|could|should|would) (i|we|you)|is it possible to|what do i need to)\b|"
                    r"如何|怎样|怎么(才能|查|办|申请|操作|交|缴|付|预约|取消|改)", re.I)


class WorkspaceRules:
    def __init__(self, workspace: Workspace, *, own_phrases: bool | None = None):
        """`own_phrases`: use the workspace's welcome and scope for the greeting and refusals (default: every
        workspace but the shop, whose phrases are prompts.PHRASES as they always were)."""
        self.workspace = workspace
        self.workspace_id = workspace.id
        self.safety = SafetyCheck(workspace.safety)
        self.handoff_intents = frozenset(workspace.handoff_intents)
        self.own_phrases = workspace.id != "shop" if own_phrases is None else own_phrases

    def check_safety(self, text: str, language: str) -> SafetyVerdict | None:
        return self.safety.check(text, language)

    def asks_about_own_records(self, text: str) -> bool:
        """The workspace's `personal` cues ("when is my next appointment", "我的学费还欠多少"): routing hands such a
        question to the desk, which verifies the customer, instead of answering it from the knowledge base."""
        if not self.workspace.personal:
            return False
        text = normalise_text(text or "")
        return self.workspace.asks_about_own_records(text) and not HOW_TO.search(text)

    def phrase(self, key: str, language: str) -> str:
        if not self.own_phrases or key not in _OWN_PHRASES:
            return prompts.phrase(key, language)
        ws, lang = self.workspace, language if language in self.workspace.languages else self.workspace.languages[0]
        name, scope = ws.text("name", lang), ws.text("scope", lang)
        if key == "greeting":
            return ws.text("welcome", lang)
        if key == "out_of_scope":
            return (f"抱歉，我是{name}的客服助手，只能处理{scope}相关的问题。" if lang == "zh" else
                    f"I'm sorry, I'm the {name} assistant and can only help with {scope}.")
        return (f"抱歉，这个请求我无法处理。我是{name}的客服助手，可以帮您处理{scope}相关的问题。" if lang == "zh" else
                f"I can't do that. I'm the {name} assistant and can help with {scope}.")

    def offer(self, topic: str, language: str, *, verified: bool = False) -> str:
        """The shop's desk offers; the other workspaces' desks are not the order desk, so nothing is offered."""
        return prompts.offer(topic, language, verified=verified) if not self.own_phrases else ""

    def apply_handoff_intents(self, decision: Decision, nlu, *, in_flow: bool) -> Decision:
        """A workspace's `handoff.intents` always go to a person (not in the middle of a desk flow)."""
        if (decision.action == "handoff" or in_flow or nlu is None or nlu.intent not in self.handoff_intents
                or nlu.out_of_scope):
            return decision
        return Decision("handoff", f"intent {nlu.intent} ({nlu.confidence:.2f}) always goes to a person in the "
                                   f"{self.workspace_id} workspace", handoff_reason="workspace_rule")
