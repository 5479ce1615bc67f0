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
  stand bare beside a label naming it ("Students per group: up to 8"; a label may be a sentence: "How many screens
  can play at the same time depends on your plan: 1 on Basic, 2 on Standard").
- `uncounted_kind`: "How many free minutes do I get on each ride?" asks for minutes of a kind: a unit whose minutes
  are not said to be free ("reserve … up to 15 minutes before you unlock it"; "by 10 minutes, for another 50p (free
  for members)", where the free is the extension's price) does not state it. The kind's word must stand before the
  unit ("Free minutes per ride: Monthly: 45 minutes") or after the number in the same phrase ("30 days free").
- `other_kind_than_before`: "can I give the bags back …?" after "how much do you charge for grocery bags?" asks of
  the grocery bags: evidence that names no "grocery" (the couriers' delivery bag deposit) is about another kind.
- `not_about_part_before`: a part that only names a new thing ("免赔额呢？", "And the cashback?") after another part of
  the same question asks it of that part's subject ("Premium 房屋保险…？免赔额呢？": the home policy's excess): a unit that
  shares no word of the part before (the car policy's excess) is about another subject.
- `unstated_thing`: a yes/no question about a thing ("is there parking at the X store?", "can I pay cash?", "可以开
  发票吗？", "旧电视可以以旧换新吗？") is answered only by evidence that names the thing (its head word, in any form
  the stemmer folds; a Chinese object in Chinese, by one of its dictionary senses, or by a Chinese word sharing a
  sense): the store's address row says nothing about parking, the Chinese hotline nothing about invoices. A compound
  asked for its value ("what's the wifi password?") whose evidence names the first word but not the head is about
  the first word's thing (the network's name), not the password. Nouns that ask whether a rule exists ("is there a
  limit / a fee / a penalty / another way", "收费") are left to the value checks: a rule is stated without the noun.
  Things joined by "or" ("do you rent campervans or motorhomes?") are answered by evidence naming one of them (a
  later one in all its words: "ESG or ethical funds" qualify one head, which "funds" alone does not answer). An
  exclusive list ("We rent cars and our minibus only.") was tried as a "no" to any thing it does not list and not
  kept: it said no to "do you rent GPS units?" and "a roof box", which are no vehicles. Reading "can I get a gift
  code refunded?" as asking about a "gift code" was tried and not kept: the part's right unit then counted as the
  same statement as the other part's "Refunds to a gift card are immediate" (composer), and the reply said neither.
`said_in_english(word, corpus)` is the composer's dictionary check: a Chinese word stated in English in `corpus`.
"""
from __future__ import annotations

import re
from typing import Callable

from components.answers.evidence_selection import ScoredUnit, terms
from components.answers.money_amounts import sums
from components.answers.question_analysis import QuestionPart
from components.answers.thing_and_place import CLAUSE_END, bare_name_item, thing_apart_from_place
from components.nlu.cjk_characters import HAN, cjk_runs, has_cjk


def _without_plural(word: str) -> str:
    """A word without its plural ending ("bags" → "bag", "boxes" → "box"), from its fourth letter on."""
    return re.sub(r"(?<=\w{3})(?:es|s)$", "", word)


# "do you offer pet insurance?", "do you have any student discounts?", "do you sell gift vouchers?" (not "do you have
# to ...": an obligation, no offering)
_OFFERING_EN = re.compile(r"^\s*(?:(?:so|and|hi|hello|also|ok|okay)\W+)*(?:do|does) (?:you|your \w+|the \w+) "
                          r"(?:guys )?(?:have|offer|sell|provide|do)\s+(?!to\b)(?:a |an |any |some )?"
                          r"([a-z][\w-]*(?: [a-z][\w-]*){1,2})\s*[?？.!]*\s*$", re.I)
# "你们有宠物保险吗？", "有没有旅游保险？", "贵公司提供宠物保险吗"
_OFFERING_ZH = re.compile(rf"^\s*(?:请问)?(?:你们|您们|贵公司|贵店|这里)?(?:有没有|有|提供|卖|办理)([{HAN}]{{3,8}}?)"
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
    if has_cjk(text):
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
    stems = [_without_plural(w) for w in re.findall(r"[\w-]+", phrase.lower())]
    words = [re.escape(w) + r"(?:s|es)?" for w in stems]
    return bool(words) and re.search(r"\b" + r"\W+".join(words) + r"\b", text) is not None


def unstated_offering(part: QuestionPart, evidence: list[ScoredUnit],
                      said_in_english: Callable[[str, str], bool] = lambda w, c: False) -> str | None:
    """Why the evidence does not answer "do you offer <compound>?", or None."""
    asked = offering_asked(part.text)
    if not asked or not evidence:
        return None
    said = _said_text(evidence)
    if has_cjk(asked):
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
    if not has_cjk(text):
        return []
    from components.answers.answerability import _NOT_A_SUBJECT_ZH
    from components.answers.cross_language import QUESTION_WORDS, dictionary
    from components.knowledge.keyword_index import chinese_tags

    def a_name(word: str) -> bool:
        # the tagger reads 东西 ("thing"; "east and west") as a place: a word the dictionary knows first as a common
        # word is none
        senses = dictionary().get(word) or []
        return word not in _NOT_A_SUBJECT_ZH | QUESTION_WORDS and (not senses or senses[0][:1].isupper())

    return list(dict.fromkeys(word for word, flag in chinese_tags(text)
                              if flag == "ns" and len(word) >= 2 and a_name(word)))


def unstated_place(part: QuestionPart, evidence: list[ScoredUnit],
                   said_in_english: Callable[[str, str], bool] = lambda w, c: False) -> str | None:
    """Why the evidence does not answer a Chinese part about a place it never names, or None."""
    if not evidence or not has_cjk(part.text):
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
    stem = re.escape(_without_plural(thing))
    if re.search(r"\b" + _NUMBER + r"\s+(?:[\w-]+\s+){0,3}?" + stem + r"(?:s|es)?\b", text, re.I):
        return True
    # "Students per group: up to 8": a label naming the thing, a bare number after it (not "Years without a claim:
    # 4 years", whose number counts years); a table cell's row label stands after the title and before its column
    # ("Plans: Free trades per month: Premium: 10"), so every label is read, each with what follows it
    # (a label may be a sentence: "How many screens can play at the same time depends on your plan: 1 on Basic, …")
    for label, value in re.findall(r"(?:^|(?<=[:;.]))\s*([^:;.]{2,80}):(?=\s*([^;]{1,60}))", text):
        if re.search(r"\b" + stem, label, re.I):
            money = [(m.start, m.end) for m in sums(value)]   # a sum of money ("€15", "15 欧元") counts nothing
            for n in re.finditer(r"(?<![\d.,])\d[\d,.]*", value):
                if not _UNIT_AFTER.match(value[n.end():]) and not any(a <= n.start() < b for a, b in money):
                    return True
    return False


# "how many free minutes", "how many sick days": a span of time of one kind. "working", "business" and the like only
# say how the span is counted, and "more" asks for any
_TIME_UNITS = frozenset("minutes minute hours hour days day weeks week months month years year nights night".split())
_NOT_KINDS = frozenset("""more many much working business calendar full whole clear consecutive total the of a an
extra additional""".split())


def counted_kind(text: str) -> tuple[str, str] | None:
    """The kind and the unit of a span of time "how many <kind> <unit>" asks for ("free", "minutes"), or None."""
    m = _HOW_MANY.search(text or "")
    if not m:
        return None
    words = m.group(1).lower().split()
    if len(words) < 2 or words[-1] not in _TIME_UNITS or words[-2] in _NOT_KINDS or not terms(words[-2]):
        return None
    return words[-2], words[-1]


def _counts_kind(kind: str, unit: str, text: str) -> bool:
    """A sentence (or ";" piece) with a number of the unit said to be of the kind: the kind's word before the unit
    ("Free minutes per ride: Monthly: 45 minutes", "up to 10 sick days") or after the number and unit in the same
    phrase ("30 days free", "the first 30 minutes of every ride free"), not across a comma ("by 10 minutes, for
    another 50p (free for members)": the free is the extension's price)."""
    stem = re.escape(re.sub(r"(?<=\w{3})s$", "", unit))
    kind_stem = re.escape(_without_plural(kind))
    number = r"\b" + _NUMBER + r"\s+"
    for clause in CLAUSE_END.split(text or ""):
        if not re.search(number + r"(?:[\w-]+\s+){0,3}?" + stem + r"s?\b", clause, re.I):
            continue
        if re.search(r"\b" + kind_stem + r"\w*\s+" + stem + r"s?\b", clause, re.I) or \
                re.search(number + stem + r"s?\s+(?:[\w-]+\s+){0,3}?" + kind_stem + r"\b", clause, re.I):
            return True
    return False


def uncounted_kind(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why the evidence does not state the span of time of the kind a part asks about ("how many free minutes …?" →
    "reserve … up to 15 minutes before you unlock it"), or None."""
    asked = counted_kind(part.text)
    if not asked or not evidence or has_cjk(part.text):
        return None
    kind, unit = asked
    if any(_counts_kind(kind, unit, f"{e.unit.source_title}: {e.unit.text}") for e in evidence):
        return None
    return f"asks how many {kind} {unit}; the evidence gives {unit} of another kind"


def uncounted_thing(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why the evidence does not state how many of the thing a part asks about, or None."""
    thing = counted_thing(part.text)
    if not thing or not evidence or has_cjk(part.text):
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
    wanted = {t for t in wanted if not re.fullmatch(rf"\d+|[{HAN}]", t)}
    if not wanted:
        return None
    said = set().union(*(set(terms(f"{e.unit.text} {e.unit.context} {e.unit.source_title}")) for e in evidence))
    if wanted & said:
        return None
    return f"goes on from “{before.strip()}”; the evidence names none of its words"


# "the bags" in a later part of "how much do you charge for grocery bags, and can I give the bags back …?": the thing
# the part before named with its kind
_THE_NOUN = re.compile(r"\bthe ([a-z][\w-]+)\b", re.I)
_NOT_A_KIND = frozenset("""the a an my our your their his her its this that these those any some each every all no
of for to in on at by with from and or but is are was were be do does did can could will would how what which
much many more other same new own extra""".split())


def kind_of_thing_before(part: QuestionPart, before: str) -> tuple[str, str] | None:
    """The kind and the thing a part names by "the <thing>" when the part before named the thing with its kind
    ("grocery", "bags"), or None."""
    if not before or has_cjk(part.text) or has_cjk(before):
        return None
    for m in _THE_NOUN.finditer(part.text or ""):
        noun = m.group(1).lower()
        stem = re.escape(_without_plural(noun))
        named = re.search(r"\b([a-z][\w-]+) " + stem + r"(?:s|es)?\b", before, re.I)
        if named and named.group(1).lower() not in _NOT_A_KIND and terms(named.group(1)) and \
                not re.search(r"\b" + re.escape(named.group(1)) + r"\b", part.text, re.I):
            return named.group(1).lower(), noun
    return None


def other_kind_than_before(part: QuestionPart, evidence: list[ScoredUnit], before: str) -> str | None:
    """Why evidence about another kind of the thing does not answer a part naming "the <thing>" the part before named
    with its kind ("can I give the bags back …?" after "grocery bags": the couriers' delivery bag's deposit), or
    None."""
    asked = kind_of_thing_before(part, before)
    if not asked or not evidence:
        return None
    kind, noun = asked
    if set(terms(kind)) <= set(terms(_said_text(evidence))):
        return None
    return f"the {noun} are the {kind} {noun} of the part before; the evidence does not name {kind} {noun}"


# -- the thing a yes/no question asks about --------------------------------------------------------------------------
_AFTER_THING = (r"(?:\s+(?:at|in|on|for|to|with|near|from|during|when|while|if|after|before|inside|outside|by|of|"
                r"here|there|please|abroad|overseas|online|today|tomorrow|tonight|now|later|again|instead|too|also|"
                r"anymore|early|late|first|yet|still|then|and|or|but|so)\b.*)?\s*[?？.!]*\s*$")
_THING = r"([a-z][\w-]*(?:\s[a-z][\w-]*){0,2}?)"
# "is there parking at …", "are there lockers?", "can I pay cash when …", "can we pay by cheque?", "do you take amex?"
_THING_EN = [re.compile(r"\b(?:is|are) there (?:a |an |any |some )?" + _THING + _AFTER_THING, re.I),
             re.compile(r"\b(?:can|could|may) (?:i|we) (?:pay|settle up|top up)(?: (?:for )?(?:it|this|that|them))?"
                        r"(?: with| by| in| using)? (?:a |an |my |our )?" + _THING + _AFTER_THING, re.I),
             re.compile(r"\b(?:do|does) (?:you|the \w+) (?:accept|take) (?:a |an )?" + _THING + _AFTER_THING, re.I),
             re.compile(r"\b(?:do|does) (?:you|your \w+|the \w+) (?:guys )?(?:have|offer|sell|provide|rent|hire|stock) "
                        r"(?!to\b)(?:a |an |any |some )?" + _THING + _AFTER_THING, re.I),
             re.compile(r"\b(?:can|could|may) (?:i|we) (?:get|have|order|book|buy|rent|hire|bring|use) "
                        r"(?:a |an |any |some |my |our )?" + _THING + _AFTER_THING, re.I)]
# "what's the wifi password (in the waiting room)?": a two-word compound asked for its value
_VALUE_OF_COMPOUND = re.compile(r"^\s*(?:and\s+)?what(?:'s|s| is| are) (?:the |your )?([a-z][\w-]*) ([a-z][\w-]*)"
                                + _AFTER_THING, re.I)
# heads that ask whether a rule or a value exists, which the evidence states without the word ("cancel at least 2
# hours before" answers "is there a penalty?")
_RULE_NOUNS = frozenset("""limit limits fee fees charge charges cost costs penalty penalties fine fines minimum maximum
deadline deadlines way ways option options restriction restrictions cap caps catch difference discount discounts
problem problems reason reasons time times chance requirement requirements rule rules policy age number amount
price prices deposit period window extra surcharge""".split())
_NOT_NOUNS = _NOT_A_THING | frozenset("""it this that them these those one anything something everything nothing
way here there back out off up""".split())
_RULE_NOUNS_ZH = frozenset("收费 费用 手续费 罚款 限制 上限 下限 期限 区别 办法 方法 方式 要求 规定 时间 条件 问题".split())
# jieba's tags of what a Chinese object may be: nouns, idioms and set phrases (以旧换新), nominal verbs
_OBJECT_FLAGS = ("n", "l", "i", "j", "vn")


def thing_asked(text: str) -> str | None:
    """The thing a yes/no question asks about, as written ("parking", "cash", "发票", "以旧换新"), or None."""
    text = (text or "").strip()
    if has_cjk(text):
        return _chinese_object(text)
    for pattern in _THING_EN:
        m = pattern.search(text)
        if m:
            words = m.group(1).split()
            if not words or any(w.lower() in _NOT_NOUNS for w in words) or words[-1].lower() in _RULE_NOUNS:
                return None
            return " ".join(words)
    return None


def _chinese_object(text: str) -> str | None:
    """The word a Chinese yes/no question ends on before 吗 ("可以开中文发票吗？": 发票), when it is a noun or a set
    phrase; "能取消吗" ends on a verb and asks about no thing."""
    if not re.search(r"吗\s*[?？。]?\s*$", text):
        return None
    from components.answers.answerability import _NOT_A_SUBJECT_ZH
    from components.knowledge.keyword_index import chinese_tags

    words = [(w, flag) for w, flag in chinese_tags(re.sub(r"吗\s*[?？。]?\s*$", "", text)) if w.strip()]
    if not words:
        return None
    last, flag = words[-1]
    if len(last) < 2 or not has_cjk(last) or not flag.startswith(_OBJECT_FLAGS) or last in _RULE_NOUNS_ZH:
        return None
    return None if last in _NOT_A_SUBJECT_ZH else last


def _said_by_sense(word: str, said: str) -> bool:
    """A Chinese word said by a Chinese word of the evidence that shares one of its dictionary senses' words (订单
    "(purchase) order" by 下单 "to place an order")."""
    from components.answers.cross_language import dictionary

    def sense_words(w: str) -> set[str]:
        return {t for sense in dictionary().get(w) or [] for t in re.findall(r"[a-z]{3,}", sense.lower())} - \
            _SENSE_STOP

    own = sense_words(word)
    if not own:
        return False
    return any(len(w) >= 2 and own & sense_words(w) for w in set(_chinese_words(" ".join(cjk_runs(said)))))


_SENSE_STOP = frozenset("the and for with one that this used from into out off not its all any can".split())


def _alternatives(text: str, asked: str) -> list[str]:
    """The things a yes/no question names beside `asked` with "or" ("campervans or motorhomes", "a roof box or a bike
    rack"), as written."""
    m = re.search(re.escape(asked) + r"((?:(?:,|,? or) (?:a |an |any |some )?[a-z][\w-]*(?: [a-z][\w-]*){0,2}?)+)"
                  + _AFTER_THING, text or "", re.I)
    if not m or " or " not in f" {m.group(1)} ":
        return []
    things = [re.sub(r"^(?:or )?(?:a |an |any |some )?", "", t.strip(), flags=re.I)
              for t in re.split(r",", re.sub(r"\bor\b", ",", m.group(1)))]
    return [t for t in things if t and not set(t.lower().split()) & _NOT_NOUNS]


def unstated_thing(part: QuestionPart, evidence: list[ScoredUnit],
                   said_in_english: Callable[[str, str], bool] = lambda w, c: False) -> str | None:
    """Why the evidence does not answer a yes/no question about a thing it never names, or a compound's value of
    which it names only the first word; or None."""
    if not evidence:
        return None
    said = _said_text(evidence)
    said_terms = set(terms(said))
    asked = thing_asked(part.text)
    if asked and has_cjk(asked):
        if asked in said or said_in_english(asked, said) or _said_by_sense(asked, said):
            return None
        return f"asks about {asked}; the evidence does not name it"
    if asked:
        if set(terms(asked.split()[-1])) <= said_terms:
            return None
        # "do you rent campervans or motorhomes?" asks about either: evidence naming one of them answers it, in all
        # its words ("ESG or ethical funds" is not answered by funds: "ESG" and "ethical" qualify one head)
        if any(set(terms(thing)) <= said_terms for thing in _alternatives(part.text, asked)):
            return None
        return f"asks about {asked}; the evidence does not name it"
    m = _VALUE_OF_COMPOUND.match(part.text or "")
    if m and not has_cjk(part.text):
        kind, head = m.group(1).lower(), m.group(2).lower()
        if kind in _NOT_NOUNS or head in _NOT_NOUNS | _RULE_NOUNS or not terms(kind) or not terms(head):
            return None
        if set(terms(kind)) <= said_terms and not set(terms(head)) <= said_terms:
            return f"asks for the {kind} {head}; the evidence names the {kind}, not its {head}"
    return None


def unstated_subject(part: QuestionPart, evidence: list[ScoredUnit],
                     said_in_english: Callable[[str, str], bool] = lambda w, c: False) -> str | None:
    """The first reason the evidence is about something other than what the part names, or None."""
    return unstated_offering(part, evidence, said_in_english) or unstated_place(part, evidence, said_in_english) \
        or uncounted_thing(part, evidence) or uncounted_kind(part, evidence) \
        or unstated_thing(part, evidence, said_in_english) or thing_apart_from_place(part, evidence) \
        or bare_name_item(part, evidence)
