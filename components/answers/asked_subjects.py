"""What a question names that the evidence a reply would state must name too, or the reply answers something else.

The confidence model scores how well a unit matches a part; a unit can match every word and still be about another
thing. Two such near misses, each checked on the units a part would state (after answerability.py's checks):
- `unstated_offering`: "do you offer pet insurance?" / "你们有宠物保险吗？" asks whether the business offers a thing
  named by a compound ("pet insurance", 宠物 + 保险); a unit that says the compound's words apart ("damage caused by
  pets is not covered" under a home insurance article) is about something else, and stating it reads as a yes or a
  no the documents never gave. The compound must be said as one phrase (in the unit, its context or its title).
- `unstated_place`: a Chinese part naming a place (jieba's `ns` tag: 土耳其, 日本; not 东西, which the dictionary
  knows first as "thing") is not answered by a unit that names
  it neither in Chinese nor by one of its dictionary senses ("Turkey"): "在欧盟国家开车不需要绿卡" states the rule for
  the EU, not for Turkey. (An English part's names are checked against every retrieved unit by the composer's
  `_mark_unmentioned`; this is the stated units' check for a Chinese place, which the documents may well name
  elsewhere, in English.)
- `uncounted_thing`: "How many claims can I make …?" asks for a number of claims: a unit whose numbers count other
  things ("4 or more years of NCD", "Years without a claim: 4 years") does not state it, however many of the
  question's words it has. A number must count the thing ("up to 6 withdrawals", "2 free airport lounge visits"), or
  stand bare beside a label naming it ("Students per group: up to 8").
- `not_about_part_before`: a part that only names a new thing ("免赔额呢？", "And the cashback?") after another part of
  the same question asks it of that part's subject ("Premium 房屋保险…？免赔额呢？": the home policy's excess): a unit that
  shares no word of the part before (the car policy's excess) is about another subject.
`said_in_english(word, corpus)` is the composer's dictionary check: a Chinese word stated in English in `corpus`.
"""
from __future__ import annotations

import re
from typing import Callable

from components.answers.evidence_selection import ScoredUnit, terms
from components.answers.question_analysis import QuestionPart

_CJK = re.compile(r"[\u3400-\u9fff]")
# "do you offer pet insurance?", "do you have any student discounts?", "do you sell gift vouchers?" (not "do you have
# to ...": an obligation, no offering)
_OFFERING_EN = re.compile(r"^\s*(?:(?:so|and|hi|hello|also|ok|okay)\W+)*(?:do|does) (?:you|your \w+|the \w+) "
                          r"(?:guys )?(?:have|offer|sell|provide|do)\s+(?!to\b)(?:a |an |any |some )?"
                          r"([a-z][\w-]*(?: [a-z][\w-]*){1,2})\s*[?？.!]*\s*$", re.I)
# "你们有宠物保险吗？", "有没有旅游保险？", "贵公司提供宠物保险吗"
_OFFERING_ZH = re.compile(r"^\s*(?:请问)?(?:你们|您们|贵公司|贵店|这里)?(?:有没有|有|提供|卖|办理)([\u3400-\u9fff]{3,8}?)"
                          r"(?:吗|么|嘛)?\s*[?？。]?\s*$")
# "can I order a vegetarian meal for my flight?", "can we book a family room?": asking to be given a thing names it
# the same way (a trailing "for my flight" / "on Sunday" is where or when, not the thing)
_ASKED_FOR_EN = re.compile(r"^\s*(?:(?:so|and|hi|hello|also|ok|okay)\W+)*(?:can|could|may) (?:i|we) "
                           r"(?:order|get|have|request|book|buy|rent|hire|pre-?order) (?:a |an |any |some )"
                           r"([a-z][\w-]*(?: [a-z][\w-]*){1,2}?)"
                           r"(?:\s+(?:for|on|in|at|with|from|during)\b[\w\s'-]*)?\s*[?？.!]*\s*$", re.I)
_NOT_A_THING = frozenset("a an any some the your my our for to of in on at with".split())


def offering_asked(text: str) -> str | None:
    """The compound a question asks whether the business offers, as written ("pet insurance", "宠物保险"), or None
    (a single word, or no such question)."""
    text = (text or "").strip()
    if _CJK.search(text):
        m = _OFFERING_ZH.match(text)
        if not m:
            return None
        words = _chinese_words(m.group(1))
        return m.group(1) if len(words) >= 2 and all(len(w) >= 2 for w in words) else None
    m = _OFFERING_EN.match(text) or _ASKED_FOR_EN.match(text)
    if not m:
        return None
    words = m.group(1).split()
    if any(w.lower() in _NOT_A_THING for w in words):
        return None
    return m.group(1)


def _chinese_words(text: str) -> list[str]:
    from components.knowledge.keyword_index import _jieba

    _jieba()
    import jieba

    return [w for w in jieba.cut(text) if w.strip()]


def _said_text(evidence: list[ScoredUnit]) -> str:
    return " ".join(f"{e.unit.text} {e.unit.context} {e.unit.source_title}" for e in evidence).lower()


def _phrase_in(phrase: str, text: str) -> bool:
    # each word in the singular or plural ("student discounts" is said by "Student discount")
    stems = [re.sub(r"(?<=\w{3})(?:es|s)$", "", w) for w in re.findall(r"[\w-]+", phrase.lower())]
    words = [re.escape(w) + r"(?:s|es)?" for w in stems]
    return bool(words) and re.search(r"\b" + r"\W+".join(words) + r"\b", text) is not None


def unstated_offering(part: QuestionPart, evidence: list[ScoredUnit],
                      said_in_english: Callable[[str, str], bool] = lambda w, c: False) -> str | None:
    """Why the evidence does not answer "do you offer <compound>?", or None."""
    asked = offering_asked(part.text)
    if not asked or not evidence:
        return None
    said = _said_text(evidence)
    if _CJK.search(asked):
        if asked in said or said_in_english(asked, said):
            return None
    elif _phrase_in(asked, said) or any(_kind_in_its_section(asked, e) for e in evidence):
        return None
    return f"asks whether “{asked}” is offered; the evidence does not name it"


def _kind_in_its_section(asked: str, scored: ScoredUnit) -> bool:
    """The unit's own section is about the compound's head and the unit names the kind ("Students get 10% off" under
    "Discounts" answers "do you offer a student discount?"); "Damage caused by pets is not covered" under "What is not
    covered" of a home insurance article does not say pet insurance."""
    from components.answers.answerability import leaf_heading

    *kind, head = re.findall(r"[\w-]+", asked.lower())
    heading = leaf_heading(scored.unit.source_title).lower()
    return bool(kind) and _phrase_in(head, heading) and all(_phrase_in(w, scored.unit.text.lower()) for w in kind)


def places_named(text: str) -> list[str]:
    """The place names of a Chinese text (jieba's `ns`: 土耳其, 日本, 上海)."""
    if not _CJK.search(text or ""):
        return []
    from components.knowledge.keyword_index import _jieba

    _jieba()
    import jieba.posseg

    from components.answers.answerability import _NOT_A_SUBJECT_ZH
    from components.answers.cross_language import QUESTION_WORDS, dictionary

    def a_name(word: str) -> bool:
        # the tagger reads 东西 ("thing"; "east and west") as a place: a word the dictionary knows first as a common
        # word is none
        senses = dictionary().get(word) or []
        return word not in _NOT_A_SUBJECT_ZH | QUESTION_WORDS and (not senses or senses[0][:1].isupper())

    return list(dict.fromkeys(w.word for w in jieba.posseg.cut(text)
                              if w.flag == "ns" and len(w.word) >= 2 and a_name(w.word)))


def unstated_place(part: QuestionPart, evidence: list[ScoredUnit],
                   said_in_english: Callable[[str, str], bool] = lambda w, c: False) -> str | None:
    """Why the evidence does not answer a Chinese part about a place it never names, or None."""
    if not evidence or not _CJK.search(part.text):
        return None
    said = _said_text(evidence)
    missing = [p for p in places_named(part.text) if p not in said and not said_in_english(p, said)]
    if not missing:
        return None
    return f"asks about {', '.join(missing)}; the evidence does not name it"


_HOW_MANY = re.compile(r"\bhow many ((?:[a-z][\w-]*\s+){0,3}?[a-z][\w-]*)\s+(?:can|could|do|does|did|are|is|will|would|"
                       r"should|have|has|come|i|we|you|a|an|the|per|of|in|on|for|with|at|to|each|every|must|may)\b",
                       re.I)
_NOT_THINGS = frozenset("""times time days day weeks week months month years year hours hour minutes minute people
more""".split())
_NUMBER = (r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|"
           r"hundred|unlimited|single)")
_UNIT_AFTER = re.compile(r"^\s*(?:or more |to \d+ )?(?:business |working |calendar )?(?:days?|weeks?|months?|years?|"
                         r"hours?|minutes?|%|percent)\b", re.I)


def counted_thing(text: str) -> str | None:
    """What "how many <thing>" counts ("claims", "visits" of "free airport lounge visits"), or None."""
    m = _HOW_MANY.search(text or "")
    if not m:
        return None
    thing = m.group(1).split()[-1].lower()
    return None if thing in _NOT_THINGS else thing


def _counts(thing: str, text: str) -> bool:
    stem = re.escape(re.sub(r"(?<=\w{3})(?:es|s)$", "", thing))
    if re.search(r"\b" + _NUMBER + r"\s+(?:[\w-]+\s+){0,3}?" + stem + r"(?:s|es)?\b", text, re.I):
        return True
    # "Students per group: up to 8": a label naming the thing, a bare number after it (not "Years without a claim:
    # 4 years", whose number counts years)
    for label, value in re.findall(r"([^:;.]{2,60}):\s*([^;]{1,60})", text):
        if re.search(r"\b" + stem, label, re.I):
            for n in re.finditer(r"\d[\d,.]*", value):
                if not _UNIT_AFTER.match(value[n.end():]):
                    return True
    return False


def uncounted_thing(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why the evidence does not state how many of the thing a part asks about, or None."""
    thing = counted_thing(part.text)
    if not thing or not evidence or _CJK.search(part.text):
        return None
    if any(_counts(thing, f"{e.unit.source_title}: {e.unit.text}") for e in evidence):
        return None
    return f"asks how many {thing}; the evidence counts other things"


def not_about_part_before(part: QuestionPart, evidence: list[ScoredUnit], before: str) -> str | None:
    """Why the evidence for an elliptical part ("免赔额呢？") is not about what the part before it asked of, or None."""
    from components.answers.answerability import _QUESTION_WORDS
    from components.answers.cross_language import QUESTION_WORDS
    from components.answers.followups import is_followup

    if not evidence or not before or not is_followup(part.text):
        return None
    wanted = set(terms(before)) - set(terms(part.text)) - _QUESTION_WORDS - QUESTION_WORDS
    wanted = {t for t in wanted if not re.fullmatch(r"\d+|[\u3400-\u9fff]", t)}
    if not wanted:
        return None
    said = set().union(*(set(terms(f"{e.unit.text} {e.unit.context} {e.unit.source_title}")) for e in evidence))
    if wanted & said:
        return None
    return f"goes on from “{before.strip()}”; the evidence names none of its words"


def unstated_subject(part: QuestionPart, evidence: list[ScoredUnit],
                     said_in_english: Callable[[str, str], bool] = lambda w, c: False) -> str | None:
    """The first reason the evidence is about something other than what the part names, or None."""
    return unstated_offering(part, evidence, said_in_english) or unstated_place(part, evidence, said_in_english) \
        or uncounted_thing(part, evidence)
