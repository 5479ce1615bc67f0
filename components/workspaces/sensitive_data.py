"""Extra redaction classes a workspace asks for in `safety.sensitive_pii` (the clinic: `health`).

HEALTH is a person's own health data, not a topic: a medical record or insurance member number, and what the
customer says they have or take ("I was diagnosed with diabetes", "I'm taking metformin", "我患有高血压", "我在吃
阿司匹林"). "Do you treat diabetes?" names no one's condition and is left alone, so questions still find their
answers. Like every class, the values go to the encrypted vault and the stored text holds `[HEALTH_1]`; the desk
reads them back through the vault as it does e-mail addresses.
"""
from __future__ import annotations

import re

from components.privacy.pii_redactor import PiiRedactor

_HEALTH = [
    # record and member numbers
    re.compile(r"\b(?:MRN|medical record(?: number| no\.?)?|patient (?:id|number)|member (?:id|number)|"
               r"insurance (?:id|number|no\.?))\s*(?:is|:|#)?\s*([A-Z0-9][A-Z0-9-]{4,})", re.I),
    re.compile(r"(?:病历号|病案号|就诊卡号|医保卡号|社保卡号)(?:是|为|：|:)?\s*([A-Za-z0-9-]{5,})"),
    # the customer's own conditions and medicines
    re.compile(r"\bI(?:'m| am| was| have been| 've been)? (?:diagnosed with|suffering from|taking|on medication for|"
               r"being treated for)\s+([A-Za-z][A-Za-z -]{2,40}?)(?=[.,;!?]|\s+(?:and|but|since|for|so)\b|$)", re.I),
    re.compile(r"\bI have (?:had )?(diabetes|asthma|cancer|hiv|hepatitis [abc]|epilepsy|depression|"
               r"high blood pressure|hypertension|heart disease|[a-z]+ cancer)\b", re.I),
    re.compile(r"(?:我|本人)(?:患有|有|得了|确诊了?|被诊断为?|正在吃|在吃|服用)"
               r"((?:高血压|糖尿病|哮喘|癌症|[\u4e00-\u9fff]{1,4}癌|乙肝|艾滋病|抑郁症|心脏病|癫痫|[\u4e00-\u9fff]{2,6}(?:片|胶囊|药)))"),
]


def find_health(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for pattern in _HEALTH:
        for match in pattern.finditer(text):
            start, end = match.span(1)
            if all(end <= s or start >= e for s, e in spans) and "[" not in match.group(1):
                spans.append((start, end))
    return sorted(spans)


class SensitiveRedactor(PiiRedactor):
    """The usual classes first, then the workspace's sensitive ones over what is left."""

    def __init__(self, base: PiiRedactor, classes: tuple[str, ...]):
        super().__init__(base.vault)
        self.keep = base.keep
        self.classes = tuple(classes)

    def redact(self, text: str, *, conversation_id: str) -> tuple[str, list[dict]]:
        text, redactions = super().redact(text, conversation_id=conversation_id)
        if "health" not in self.classes:
            return text, redactions
        spans = find_health(text)
        if not spans:
            return text, redactions
        out, cursor, shift, extra = [], 0, 0, []
        for start, end in spans:
            value = text[start:end]
            token = (self.vault.store(conversation_id, "HEALTH", value) if self.vault is not None and conversation_id
                     else f"[HEALTH_{len(extra) + 1}]")
            out.append(text[cursor:start])
            new_start = start + shift
            extra.append({"type": "HEALTH", "token": token, "start": new_start, "end": new_start + len(token)})
            out.append(token)
            shift += len(token) - (end - start)
            cursor = end
        out.append(text[cursor:])
        # earlier findings move by the length change of the health tokens before them
        moved = []
        for r in redactions:
            delta = sum(len(e["token"]) - (s_end - s_start) for e, (s_start, s_end) in zip(extra, spans)
                        if s_end <= r["start"])
            moved.append({**r, "start": r["start"] + delta, "end": r["end"] + delta})
        return "".join(out), sorted(moved + extra, key=lambda r: r["start"])


def with_sensitive_classes(redactor: PiiRedactor, classes: tuple[str, ...]) -> PiiRedactor:
    return SensitiveRedactor(redactor, classes) if classes else redactor
