"""Names the customer mentions while telling their situation, not what they ask about: they need not be in the evidence.

A name the customer writes that no retrieved unit states ("Apple Pay", "支付宝") leaves a part unanswered
(`AnswerComposer._mark_unmentioned`): the documents cannot confirm or deny what they never mention. Customers also name
things only to set the scene, and then ask about something the documents do answer:
- "Going to Brazil in spring - can I get my yellow fever jab with you?" ("We do not give the yellow fever vaccine");
- "I live in Belfast in Northern Ireland, can you supply my house?" ("We do not supply homes in Northern Ireland": the
  rule is written for the region, the customer names a member of it and the region too);
- "I use a Mac with Safari, will the classroom work?" ("Safari is not supported");
- "狗把沙发咬坏了，房屋保险能赔吗？" ("宠物造成的损坏（咬坏、抓坏）不在保障范围内").
Blocking such an answer on the scene's name hides a confident, correct answer. So a name is `incidental` when
- it stands only in the part's story (question_analysis.story_and_question: "I'm going to Brazil, …"; a Chinese part's
  clause ending in 了 before the question), not in the question it asks;
- it does not qualify a thing the documents speak of ("I have a Revolut card, what's the foreign transaction fee?":
  which card is what the fee depends on);
- the question itself does not point back at the story ("Can I use *it* at Linford?" after "I have Tallowmere Mutual
  Silver" asks about the named thing); and
- the evidence the part states is not about other named things only: it names no name at all (a rule for everyone:
  the yellow fever vaccine, pets' damage), or it names one the customer wrote too (Northern Ireland, Safari: the
  customer said which of the documents' cases is theirs). "I'm driving to Georgia, do I need a green card?" against
  "You need a green card for Albania, … and Ukraine" stays unanswered: that rule lists other members, not theirs.
What it cannot see: a scene's name that changes the answer although the evidence names nothing ("I'm in Guernsey, do
you deliver?" against "We deliver within the UK").
"""
from __future__ import annotations

import re
from typing import Callable

from components.answers.evidence_selection import entity_names, terms
from components.answers.question_analysis import REFERS_BACK, QuestionPart, story_and_question
from components.nlu.cjk_characters import HAN, has_cjk

# a Chinese part that opens with what happened: the clause ending in 了, then the question ("房子漏水了，要在几天内报案？")
_ZH_STORY = re.compile(rf"^\s*([{HAN}][^，,。；;？?]*了)[，,。；;]\s*([^，,。；;]+[？?]?)\s*$")
_NAME = re.compile(r"\b[A-Z][a-zA-Z0-9]+(?:[ -][A-Z][a-zA-Z0-9]+)*")


def story_and_asked(part: QuestionPart) -> tuple[str, str]:
    """(the situation the part tells, the question it asks); ("", text) when it tells none."""
    text = part.text or ""
    if has_cjk(text):
        m = _ZH_STORY.match(text)
        return (m.group(1), m.group(2)) if m else ("", text)
    if part.story:
        return story_and_question(text)
    return "", text


def customer_names(text: str) -> set[str]:
    """The capitalised names a customer wrote ("Belfast", "Northern Ireland"), lower-cased, with their words."""
    names: set[str] = set()
    for match in _NAME.finditer(text or ""):
        name = match.group(0).lower()
        if name in ("i", "i'm"):
            continue
        names.add(name)
        names.update(w for w in re.split(r"[ -]", name) if len(w) >= 3)
    return names


def _names_a_kind(name: str, story: str, known: Callable[[str], bool]) -> bool:
    """"I have a Revolut card, what's the foreign transaction fee?": the name qualifies a noun the documents (or the
    question and its evidence) speak of ("card"), so it says which of those things the customer has."""
    # "a Revolut card", "my Samsung TV": a determiner, the name, a noun ("to Brazil next month" is a place and a time)
    m = re.search(r"\b(?:a|an|my|our|his|her|their|your|the)\s+" + re.escape(name) + r"\s+([A-Za-z][\w'’-]*)", story,
                  re.I)
    following = set(terms(m.group(1))) if m else set()
    return bool(following) and all(known(t) for t in following)


def incidental(names: list[str], part: QuestionPart, evidence_texts: list[str],
               known: Callable[[str], bool] | None = None) -> list[str]:
    """Of the names no unit states, those the part only tells its situation with (see the module docstring)."""
    if not names or not evidence_texts:
        return []
    story, asked = story_and_asked(part)
    if not story or REFERS_BACK.search(asked):
        return []
    evidence = " ".join(evidence_texts)
    discussed = set(terms(f"{asked} {evidence}"))
    in_documents = known or (lambda t: False)
    in_story = [n for n in names if n.lower() in story.lower() and n.lower() not in asked.lower()
                and not _names_a_kind(n, story, lambda t: t in discussed or in_documents(t))]
    if not in_story:
        return []
    written = customer_names(part.text) - {n.lower() for n in names}
    stated = entity_names(evidence)
    lowered = evidence.lower()
    if stated and not any(re.search(r"\b" + re.escape(n) + r"\b", lowered) for n in written if len(n) >= 3):
        return []   # the evidence is about other named things only
    return in_story
