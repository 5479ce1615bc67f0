"""A question that asks for a policy as a whole ("what's your return policy?", "退货政策是什么？") is answered by the
opening of the document about that policy.

Such a question names a subject and nothing else to find: every sentence about returns matches "return" as well as
the next, so the ranking picks one step of the procedure, or none confidently ("I bought headphones last week and
they don't fit, what's your return policy?" abstained although the returns article opens with which orders can be
returned). A business writes one document per policy and says what the policy is first, so the answer is the opening
of the document whose title names the subject:
- `overview_subject(text)`: the subject of an overview ask, the clause after any story told before it ("X policy",
  "policy on X", "X政策", "X规定"), or "";
- `overview_units(subject, documents, passages)`: the first unit(s) of the one document whose title is about the
  subject (its title names "X policy"/"X政策", or its lead, before a colon, is the subject: "Returns: sending back
  items …", "换货政策", "退货与退款政策"); none when no title, or several of the same standing, name it.
Only a one-part question the ranked evidence leaves unanswered reaches it (composer.py), so no confident answer
changes; the trace marks the part `overview`.
"""
from __future__ import annotations

import re
from typing import Callable

from components.answers.evidence_selection import normalize_term, terms
from components.answers.evidence_units import EvidenceUnit, units_from_hit
from components.answers.question_analysis import story_and_question
from components.knowledge.types import Hit
from components.nlu.cjk_characters import HAN, has_cjk

MAX_UNITS = 2   # the opening sentence and the one after it, from the document's first passage

_EN_POLICY = r"(?:policy|policies|rules|guidelines)"
_EN_LEAD = r"(?:(?:so|and|ok|okay|hi|hey)[\s,]+)?(?:(?:can|could) you\s+)?(?:please\s+)?"
_EN_ASKS = [
    # "what's your return policy?", "what are the exchange rules", "tell me about your cancellation policy"
    re.compile(rf"^{_EN_LEAD}(?:what(?:'s|’s|s| is| are)|tell me about|explain|describe|share)\s+(?:your|the|ur|our)\s+"
               rf"(?P<subject>[a-z][a-z -]{{1,30}}?)\s+{_EN_POLICY}(?:\s+like)?\W*$", re.I),
    # "how does your return policy work?"
    re.compile(rf"^{_EN_LEAD}how (?:does|do) (?:your|the|ur) (?P<subject>[a-z][a-z -]{{1,30}}?)\s+{_EN_POLICY}\s+work\W*$",
               re.I),
    # "what's your policy on returns?", "what is the policy for exchanges"
    re.compile(rf"^{_EN_LEAD}what(?:'s|’s|s| is| are)\s+(?:your|the|ur|our)\s+{_EN_POLICY}\s+(?:on|for|about|regarding)\s+"
               r"(?P<subject>[a-z][a-z -]{1,30}?)\W*$", re.I),
    # "return policy?"
    re.compile(rf"^(?:your\s+)?(?P<subject>[a-z][a-z -]{{1,30}}?)\s+{_EN_POLICY}\s*\?+\s*$", re.I),
]
_ZH_POLICY = r"(?:政策|规定|规则)"
# "退货政策是什么？", "你们的换货政策是怎样的", "说一下退款规定", "退货政策？"
_ZH_ASK = re.compile(rf"^(?:请问|想问一下|想问|能不能|可以)?(?:说一下|介绍一下|讲一下|告诉我)?(?:你们|贵店|贵公司)?的?"
                     rf"(?P<subject>[{HAN}]{{2,6}}?){_ZH_POLICY}"
                     r"(?:是什么|是怎样的?|是怎么样的|是啥|怎么样|有哪些|如何)?[?？。!！]*\s*$")
_ZH_CLAUSE = re.compile(r"\s*[，,；;]\s*")
_WORDS = re.compile(r"[a-z]+", re.I)


def overview_subject(text: str) -> str:
    """The policy an overview question asks about ("return" in "…, what's your return policy?"), or ""."""
    text = (text or "").strip()
    if not text:
        return ""
    if has_cjk(text):
        m = _ZH_ASK.match(_ZH_CLAUSE.split(text)[-1])
        return m.group("subject") if m else ""
    asked = story_and_question(text)[1]
    for pattern in _EN_ASKS:
        m = pattern.match(asked.strip())
        if m:
            subject = m.group("subject").strip()
            # "what's your policy" names no subject; "what is the cancellation and refund policy" names two
            if subject and len(_WORDS.findall(subject)) <= 3 and not re.search(r"\b(and|or|&)\b", subject):
                return subject
    return ""


def _norm(text: str) -> set[str]:
    return {normalize_term(t) for t in terms(text)}


def title_standing(title: str, subject: str) -> int:
    """How surely a document titled `title` is about the policy `subject`: 2 when its title names the policy
    ("What is your refund policy?", "换货政策"), 1 when its lead is the subject ("Returns: sending back items from a
    delivered order", "Cancelling an order", "退货与退款政策"), 0 when it is about something else."""
    title = (title or "").strip()
    if not title or not subject:
        return 0
    if has_cjk(subject):
        if re.search(re.escape(subject) + _ZH_POLICY, title):
            return 2
        return 1 if title.startswith(subject) else 0
    wanted = _norm(subject)
    if not wanted:
        return 0
    words = re.findall(r"[\w'’-]+", title.lower())
    for i, w in enumerate(words):
        if re.fullmatch(_EN_POLICY, w) and wanted <= _norm(" ".join(words[max(0, i - 3):i])):
            return 2
    lead = re.split(r"\s*(?::|：| - | – | — )\s*", title, maxsplit=1)[0]
    lead_terms = _norm(lead)
    first = _norm(re.findall(r"[\w'’-]+", lead)[0]) if re.search(r"\w", lead) else set()
    if wanted <= lead_terms and len(lead_terms) <= len(wanted) + 2 and first & wanted:
        return 1
    return 0


def overview_units(subject: str, documents: list[dict], passages: Callable[[str], list[Hit]],
                   language: str = "en", prefer: Callable[[str], bool] | None = None) -> list[EvidenceUnit]:
    """The opening unit(s) of the one document about `subject`. `documents`: {doc_id, title, language} rows;
    `passages(doc_id)`: its chunks in order, as search hits (KnowledgeBase.passages); `prefer(doc_id)`: documents
    the business wrote itself, which stand before the others. A document in the question's language stands before
    one in another."""
    if not subject:
        return []
    scored = [(title_standing(d.get("title") or "", subject), d) for d in documents]
    scored = [(s, d) for s, d in scored if s]
    if not scored:
        return []

    def rank(item):
        standing, d = item
        return (standing, bool(prefer and prefer(d["doc_id"])), (d.get("language") or "") == language)

    best = max(rank(x) for x in scored)
    chosen = [d for x in scored if rank(x) == best for d in [x[1]]]
    if len(chosen) != 1:
        return []   # several documents of the same standing: which one the customer means is not known
    for hit in passages(chosen[0]["doc_id"]):
        units = [u for u in units_from_hit(hit) if u.kind != "list_item"]
        if units:
            return units[:MAX_UNITS]
    return []
