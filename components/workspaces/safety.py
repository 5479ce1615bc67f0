"""The safety stage: a workspace's emergency and refusal rules, checked on every customer turn before anything else
(before redaction, understanding, retrieval or the desk), in English and Chinese.

    check = SafetyCheck(workspace.safety)
    verdict = check.check("I have chest pain", language="en")
    verdict.kind       # "emergency": the emergency reply (call 911 / 120) and an immediate handoff
    verdict.reply      # the workspace's reply in the customer's language

An emergency wins over a refusal; a refusal ("should I double my dose?") gets the refusal reply and, when the rule
says so, the offer of a person (the conversation goes to the queue). A conversation a person already owns still
gets the emergency reply: nobody should wait in a queue to be told to call an ambulance.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from components.workspaces.workspace import SafetyRule, SafetyRules


@dataclass(frozen=True)
class SafetyVerdict:
    kind: str            # "emergency" | "refuse"
    rule: str            # the rule's name ("emergency", "diagnosis", ...)
    pattern: str         # the pattern that matched
    reply: str
    handoff: bool

    def to_dict(self) -> dict:
        return {"kind": self.kind, "rule": self.rule, "pattern": self.pattern, "handoff": self.handoff}


class SafetyCheck:
    def __init__(self, rules: SafetyRules):
        self.rules = rules

    @property
    def active(self) -> bool:
        return self.rules.emergency is not None or bool(self.rules.refuse)

    def check(self, text: str, language: str) -> SafetyVerdict | None:
        """The first rule `text` matches (the emergency rule first), or None."""
        if not self.active or not text:
            return None
        normalised = normalise_text(text)
        rules: list[tuple[str, SafetyRule]] = []
        if self.rules.emergency is not None:
            rules.append(("emergency", self.rules.emergency))
        rules.extend(("refuse", rule) for rule in self.rules.refuse)
        for kind, rule in rules:
            pattern = rule.match(normalised)
            if pattern is not None:
                reply = rule.reply.get(language) or next(iter(rule.reply.values()))
                return SafetyVerdict(kind, rule.name, pattern, reply, rule.handoff)
        return None


def normalise_text(text: str) -> str:
    """Full-width letters and curly apostrophes as their plain forms (can’t = can't), spaces collapsed;
    traditional characters as simplified so 呼吸困難 matches 呼吸困难."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\s+", " ", text)
    try:
        from components.nlu.chinese_script import to_simplified

        text = to_simplified(text)
    except Exception:  # noqa: BLE001 - the conversion is a convenience; the plain text is still checked
        pass
    return text
