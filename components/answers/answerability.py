"""Does the selected evidence state what the question asks? Checks run after the confidence passed, on the units a
reply would state for one part; each failure is a reason a person can read, and the part is then said to be unknown.

The confidence model scores how well the best unit *matches* a part; a unit can match well and still not answer it
("How many days do I have to return something?" → "refunds to a credit card take 5 to 7 business days"). So:
- `value_subject`: a part that asks for a value ("how much", "how long", "what rate", "多少", "多久") is answered only by
  a value stated about something the part asks about: the clause (a sentence or its ";" piece; a table row or a FAQ
  answer with its question as a whole) holding a value of that kind shares a word with the part, besides its
  question words and the names it asks about (these may sit in a heading; a Chinese part's English words count for
  English evidence), or the section heading over it names at least half of what is asked ("Overdraft coverage" over
  "Fee: $32 per item"; not "What each branch offers"). A part that names nothing but the value
  ("利率是多少？" after "你们提供房贷吗？") asks about the subject of the part before it. A Chinese word is shared when
  the clause says it verbatim, however the segmenter cuts the clause ("按年付" in "按年付费：Plus 每年 50 欧元"). A Chinese part that opens with
  what happened ("房子漏水损坏了，要在几天内报案？") asks the value of its question clause's words (报案), when it has any.
  "会员可以暂停几个月吗？" asks how many months with 吗 and is checked so too ("几个月", "多少年": a duration).
  "How much printing is included?" asks a quantity of a thing, not a sum: a number of it ("100 printed pages") states
  it, whatever the unit's sums are about.
- `no_value`: a part that asks for a value is not answered by evidence with no value of the kind at all (not even a
  number: "How big is the dividend bonus?" → "a dividend bonus, decided by the board each year"; a sum of money or a
  percentage is no duration or count: "€5 credit" does not say how late an order must be; a distance or a span of
  time is no sum of money asked for by name: "1,000 km in total" does not say what each extra km costs; nor is a
  count of things, "at most 2 screens", or "no free trial" when no trial is asked about); "what
  time" / "几点" is not answered by evidence naming no time, day or opening at all ("度假村收费 40 欧元。").
- `no_when`: "…, when does it start?" is not answered by a best unit that says no when at all (no figure, day,
  span, before/after, "immediately", "next": a definition of the thing asked about).
- `no_list`: "which methods / what options" is answered by a list (a table row, a list, items joined by commas, 、,
  and/or): a sentence with none of these names one thing at most, and the best unit must be the list.
- `echo`: a "how does X work" / "which" part is not answered by a unit that only repeats the question's own words
  ("When a class is full you can join the waiting list" for "The class is full - how does the waiting list work?").
  `echo_ranking` ranks the part without such units when the same section's next unit stands near (composer).
- `other_section`: a word the part asks about is neither in the unit nor in its own section heading, but is the whole
  heading of another section of the same document among the candidates ("towels" asked, "Lockers" stated, while the
  document has a "Towels" section): the unit is from the wrong section. Not when the stated section's own heading
  names what the part asks ("Cancelling …" for "how late can I cancel a large room booking?", beside a "Booking"
  section): the other word says what the matter is of.
  `other_section_ranking` ranks the part without such units when the named section's unit stands near (composer).
- `other_variant`: the part names a numbered variant ("a 48-month certificate", "3 个月定期") and the evidence names
  the same kind with other numbers only ("36-month certificate"); "2 个完整的自然月" names 2 个月.
Near misses (the evidence states a neighbouring case, not the one asked):
- `other_day`: the part names a day ("on saturday", "周末") and the evidence speaks of other days only ("each
  weekday", a holiday table's row); a schedule naming its days in full ("Monday to Friday", "weekdays only") answers,
  and so does a rule drawn by the time of day for a part naming one ("after 14:00, or at the weekend" for "at 3pm on
  a Tuesday").
  When the best unit is such another day's rule and a unit naming the asked day stands among the next,
  `asked_day_ranking` ranks the part without the other days' units (composer: the part is chosen again from them).
- `undated_evidence`: a yes/no part about a month ("Will prices go up in April?") is not answered by evidence naming
  no month, date or period of the year ("Its prices can go up or down").
- `opposite_condition`: the best unit holds under a condition the customer's words deny ("If you have studied the
  language before, …" for "I've never studied german").
- `rival_case`: the customer names their case ("a discount for teachers", "a corporate discount") and
  the best unit is another case of the same thing (a table row's first cell, "Student discount"), with no word of
  theirs in the evidence. A coordinated heading ("Extra and overweight bags") names each of its kinds: a question
  naming one of them is about that one.
- `value_of_other_label`: a unit of labelled statements ("月度和学生会员：… 年度会员：…") whose value of the kind asked
  stands only under another case's label than the one the part names ("Plus 月度会员多少钱？" → the annual plan's
  59.90 refund) states the other case's value.
- `other_charge` (charge_kinds.py): a part asking for one kind of charge ("the cross-border fee") is not answered by
  evidence whose every sum is another kind ("we charge a penalty of €250"); `other_charge_ranking` ranks it again
  without such units (composer), as `asked_day_ranking` does for another day's rule.
- `other_period` (charge_periods.py): a part asking a sum for one period ("Plus 每个月多少钱？") is not answered by
  evidence whose every sum is given for another period ("每年额度为 20,000 欧元").
- `other_scope` (case_scopes.py): the best unit opens with a case the part does not name ("At the city hotels, …")
  while the part names a case of its own the unit does not state ("… at the resort?"): another case's rule;
  `other_scope_ranking` ranks the part again without such units (composer).
- `other_person` (other_persons.py): "can my husband pick up my order?" is not answered by evidence that speaks only
  of what the customer may do ("you can … pick up your order"), naming nobody else.
- `which_thing`: "Which teacher …?" is not answered by a list naming no teacher that lists what the question names.
- `value_asked_before`: a part that only names a new thing after a part asking for a value ("次日达几点前下单？冷链药品
  呢？") asks that value of the new thing: evidence with no value of the kind ("冷链药品只能选择次日达") does not answer.
- `value_of_earlier_part`: two parts of one question that ask for the same kind of value ("how long do I have to
  return something and how long does the refund take") ask two things; a unit other than the earlier part's that
  states only figures the earlier part's evidence states ("within 14 days … for a full refund" after "the same 14
  days") gives the earlier answer again, not the later one.
- `unnamed_row` (comparison_rows.py): a comparison table's cell is stated only when the part names its row, and no
  other row of the table as well ("the contents limit" names "Contents cover" and "Single item limit (contents)").
`focus_items` narrows a unit of labelled items ("Lisbon store: ready in 2 hours. Porto store: the next day.") to the
items about the name asked, as composer.focus_row does for table columns.
"""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import Callable

from components.answers.case_scopes import other_scope
from components.answers.charge_kinds import other_charge
from components.answers.charge_periods import other_period
from components.answers.comparison_rows import unnamed_row
from components.answers.evidence_selection import (ScoredUnit, _VALUE_PATTERNS, entity_names, has_value,
                                                   near_duplicate, number_other, numbered_terms, stated_values, terms)
from components.answers.money_amounts import FREE, SUM, asks_money, free_of_charge
from components.answers.number_conditions import asked_quantities, holds
from components.answers.word_families import share_a_family
from components.answers.other_persons import other_person
from components.answers.question_analysis import REFERS_BACK, QuestionPart, story_and_question, type_phrase_of
from components.nlu.cjk_characters import CJK, HAN, has_cjk

# "几个月", "多少年", "几个小时": how many of a unit of time, a duration; said with 吗 ("会员可以暂停几个月吗？") it still
# asks the value ("can I pause for a few months?" is answered by how many)
_CHINESE_HOW_MANY_UNITS = r"(?:几|多少)个?(?:月|星期|礼拜|周|年|小时|钟头|分钟|晚)"
# what a part asks for, said explicitly (the kinds of question_analysis are looser: "deposit" makes an amount there)
_ASKS_VALUE = [
    # "how late does my order have to be to …", "how early must I be at the gate": a margin of time
    ("duration", re.compile(r"\bhow (long|soon|quickly)\b|\bhow many (days|weeks|months|years|hours|minutes)\b|"
                            r"\bhow much (advance )?notice\b|"
                            r"\bhow (late|early) (do|does|did|must|should|will) [\w' -]{1,40}? (have to |need to )?be\b|"
                            r"多久|多长时间|几天|多少天|" + _CHINESE_HOW_MANY_UNITS, re.I)),
    ("percentage", re.compile(r"\bwhat(?:'s| is| are)? (?:the )?(?:\w+ ){0,3}(percent(?:age)?|rate|apr|apy)\b|"
                              r"\bhow much interest\b|利率是多少|比例是多少|百分之几|年化.{0,4}多少", re.I)),
    ("amount", re.compile(r"\bhow (much|big|large|high)\b|\bwhat (?:do|does|did|would|will|should|must) "
                          r"(?:i|we|you|they) (?:have to |need to )?pay\b|\bwhat(?:'s| is| are| does)? (?:the )?(?:\w+ ){0,3}"
                          r"(fees?|costs?|price|charges?|limits?)\b|多少钱|费用是多少|收费多少|多少费用|限额是多少|多少", re.I)),
    ("count", re.compile(r"\bhow many( times)?\b|几次|多少次", re.I)),
]
# "how much notice", "提前几天通知": the notice is the value asked (a duration before something); what it is the notice of
# is the subject ("提前 30 天通知" of a price change answers no question about moving home)
NOTICE_WORDS = frozenset(terms("notice notices advance beforehand")) | {"提前", "通知", "预先", "事先"}
# words that only say a value is asked for, never what it is about
_QUESTION_WORDS = frozenset(terms("""how what when which much many long soon quickly big large high does do did is are
can could will would cost costs price time times day days week weeks month months year years hour hours minute
minutes percent percentage rate rates what's whats how's when's where's which's""")) | {"多少", "几", "什么", "哪些", "多久", "多长", "时间", "长时间", "多长时间", "几天",
                                            "多少天", "利率", "年利率", "比例", "费用", "价格", "收费"} | NOTICE_WORDS
QUESTION_WORDS = _QUESTION_WORDS
# items joined by a separator, or by "and"/"or" beside a name or a number ("Main Street and Northgate", "card or
# PayPal"); "to pay or receive the difference" joins two verbs, no options
_LIST_MARKS = re.compile(r"[、,，;；]|和|或|及|以及|\b([A-Z][\w-]*|\d\S*) (and|or)\b|\b(and|or) ([A-Z]|\d)")
# a part asking for several options in so many words ("which payment methods", "哪些方式"); "waiting list" is none
_ASKS_OPTIONS = re.compile(r"\b(which|what) (\w+ )?(methods|options|ways|types|kinds|reasons|documents|cards|"
                           r"services|plans)\b|\bwhat can (i|we|you) (pay|use)\b|哪些|哪几种|什么方式|哪种方式|用什么", re.I)
# any value of the kind, loosely (a number will do): a part asking for a value is not answered by evidence with none
_NUMBERISH = (r"\d|\b(once|twice|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|"
              r"hundred|single|half|unlimited|no limit)\b|[一两二三四五六七八九十百千万半]")
# a number that may be a sum asked for by name (digits: a table's prices go without their currency; "unlimited")
_MONEY_NUMBER = re.compile(r"\d|\b(?:half|unlimited|no limit)\b", re.I)
_ANY_VALUE = {"amount": re.compile(f"{_NUMBERISH}|{FREE.pattern}", re.I),
              "duration": re.compile(_NUMBERISH + r"|immediate|instant|same[- ]day|next (business )?day|never|"
                                     r"\b(a|one) (day|week|month|year)\b|立即|即时|当天|永久", re.I),
              "percentage": re.compile(_NUMBERISH + r"|percent|百分", re.I),
              "count": re.compile(_NUMBERISH, re.I)}
# a sum of money or a percentage ("€5 credit", "10%"): how much, never how long or how many
_MONEY_OR_RATE = re.compile(rf"{SUM.pattern}|\d[\d,.]*\s?[%％]", re.I)
# a time of day asked for in so many words (the looser "time" kind of question_analysis counts "open", "weekend")
_ASKS_CLOCK_TIME = re.compile(r"\bwhat time\b|\bfrom what time\b|\buntil what time\b|几点", re.I)
# a number that measures a distance or a span of time, never money
_MEASURED = re.compile(r"\d[\d,.]*\s?-?\s?(?:km|kilomet(?:re|er)s?|miles?|days?|weeks?|months?|years?|hours?|"
                       r"minutes?|nights?)\b|"
                       # and in Chinese, a count with its measure word ("5 次", "3 个月", "2 晚", "10 公里", "18 岁")
                       r"\d[\d,.]*\s?(?:次|个工作日|个月|个小时|天|周|年|小时|分钟|晚|公里|岁|人(?!民)|页)", re.I)
# a number that counts things ("at most 2 screens", "2 packs (32 tablets)") or names a picture quality ("4K"): no sum
# of money, as a currency named after a number is ("25 euros", money_amounts.SUM); "49.8p a day" is a sum in pence
_COUNTED = re.compile(r"\b\d+\s?(?:[A-Z]\b|(?!(?:cents|euros|dollars|pounds|francs|kronas?|kroner|yen|rupees|pesos|"
                      r"reais|rand|baht|zlotys)\b)[a-z]{2,}s\b)")
# "There is no free trial" says nothing of what the thing costs, unless the trial is what is asked about
_FREE_TRIAL = re.compile(r"\bfree trials?\b|免费试用", re.I)
_NAMES_TRIAL = re.compile(r"\btrials?\b|试用", re.I)
_CLAUSES = re.compile(r"(?<=[;。；!?！？])\s*|(?<=\.)(?!\d)\s*")  # "1.8%" is one number, not two clauses
_LABEL = re.compile(r"^\s*([^:：;；.。]{2,40})[:：]\s")


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


@lru_cache(maxsize=4096)
def asked_value(text: str) -> str | None:
    """The kind of value a part asks for in so many words, or None. Cached: the composer asks it of the same part's
    text for every unit it narrows (`composer._focused`)."""
    for kind, pattern in _ASKS_VALUE:
        if pattern.search(text or ""):
            return kind
    return None


def asked_value_phrase(text: str) -> str:
    """The words that ask for a value ("how much", "多少钱"), or ""."""
    for _, pattern in _ASKS_VALUE:
        match = pattern.search(text or "")
        if match:
            return match.group(0)
    return ""


def subject_terms(text: str) -> set[str]:
    """What a part asks about: its words besides question words and the names it asks about."""
    names = " ".join(entity_names(text))
    return set(terms(text)) - _QUESTION_WORDS - set(terms(names))


def _clauses(scored: ScoredUnit) -> list[str]:
    """The pieces a value may be stated in, each with what it is about when the unit leaves that to its frame: a
    table row with its headings, a FAQ answer (or one of its sentences: "Only once per order.") with its question.
    A section heading is not added: "What each branch offers" is about every sentence under it, not what each says."""
    unit = scored.unit
    if unit.kind == "row":
        return [f"{unit.text} {unit.context}"]
    faq = unit.kind == "faq_answer" or unit.source_title.rstrip().endswith(("?", "？"))
    extra = f"{unit.source_title} {unit.context}" if faq else ""
    return [f"{c} {extra}" for c in _CLAUSES.split(unit.text) if c.strip()]


MIN_VERBATIM = 2   # the characters of a Chinese word that value_subject finds verbatim in a clause


def value_subject(part: QuestionPart, evidence: list[ScoredUnit], carried: set[str]) -> str | None:
    kind = asked_value(part.text)
    if kind is None or "yes_no" in part.types and not re.search(_CHINESE_HOW_MANY_UNITS, part.text):
        return None
    wanted = subject_terms(part.asked_text) or carried
    # "房子漏水损坏了，要在几天内报案？": what happened (漏水) is the story; the value is asked of the report (报案)
    asked_after_story = {t for t in subject_terms(_chinese_question_after_story(part.text))
                         if not re.fullmatch(f"[{HAN}]", t)}   # "内" of "几天内" says nothing
    if asked_after_story:
        wanted = asked_after_story
    # "分红多久到账？": a Chinese character alone (到, 账) names nothing the evidence must share when the part names a
    # word of two or more (分红): "退款多久到账" says 到账 of a refund, not of a dividend
    words = {t for t in wanted if not CJK.fullmatch(t)}
    if words and words != wanted and has_cjk(part.text):
        wanted = words
    if REFERS_BACK.search(part.text):
        # "what does it cost without insurance?" after "How long is a long appointment?": "it" is the appointment
        wanted = wanted | carried
    if not wanted:
        return None
    pattern = _VALUE_PATTERNS[kind]
    holding = [c for e in evidence for c in _clauses(e) if pattern.search(c)]
    if not holding:
        return None  # no value of that kind at all: the confidence model's type_missing already weighs it
    if kind == "amount" and any(counts_measured_thing(part.text, c) for e in evidence for c in _clauses(e)):
        return None
    if any(share_a_family(wanted, terms(c)) for c in holding):   # "a decision" is asked of "we decide"
        return None
    # a Chinese word said verbatim, however the segmenter cuts the clause ("按年付" of "Plus 按年付多少钱？" in
    # "按年付费：Plus 每年 50 欧元", cut 按年 + 付费)
    if any(w in c for w in wanted if len(w) >= MIN_VERBATIM and re.fullmatch(f"[{HAN}]+", w) for c in holding):
        return None
    # a value stated under a section heading that names what is asked, at least half of its words ("Overdraft
    # coverage" over "Fee: $32 per item"; "Becoming a member" over "… a $5 membership share"); a heading over every
    # sentence of its section ("What each branch offers") names one word of "how much cash at the Main Street branch"
    # ... or a title over it that names all of it, under a section heading that names nothing else ("Click and
    # collect: order online, pick up in store › Cost" over "For smaller orders the pick-up fee is €2.50"; not
    # "Overdrafts › Stop payments" for the overdraft fee)
    if any(2 * len(wanted & set(terms(leaf_heading(e.unit.source_title)))) >= len(wanted)
           or wanted <= set(terms(e.unit.source_title))
           and set(terms(leaf_heading(e.unit.source_title))) - _QUESTION_WORDS <= wanted for e in evidence
           if any(pattern.search(c) for c in _clauses(e))):
        return None
    return (f"asks for {_a(kind)} about {', '.join(sorted(wanted))}; the {kind} the evidence states is about "
            f"something else")


_CHINESE_STORY = re.compile(rf"^\s*([{HAN}][^，,。；;？?]*了)[，,。；;]\s*([^，,。；;]+[？?]?)\s*$")


# "how much printing is included", "how much data do I get": a quantity of a thing, asked by the word after "how
# much" (not "how much is …", "how much does it cost": those ask a sum, money_amounts.asks_money)
_HOW_MUCH_THING = re.compile(r"\bhow much ([a-z][\w-]*)\b", re.I)
_NOT_A_MEASURED_THING = frozenset(terms("""is are was were will would can could do does did should must it this that
they you i we he she more less longer extra notice cash money credit refund deposit discount compensation interest
""")) | _QUESTION_WORDS


def counts_measured_thing(question: str, clause: str) -> bool:
    """"How much printing is included with Flex?" asks how much of a thing, not a sum: a clause that gives a number
    of that thing, the number before a word of its family ("100 printed pages a month"), states the value asked,
    though a sum of money elsewhere in the unit ("Extra days cost €20 each") is about something else."""
    if asks_money(question):
        return False
    m = _HOW_MUCH_THING.search(question or "")
    measured = terms(m.group(1)) if m else []
    if not measured or set(measured) & _NOT_A_MEASURED_THING:
        return False
    for number in re.finditer(r"\d[\d,.]*\s*((?:[a-z][\w-]*\s+){0,2}[a-z][\w-]*)", clause, re.I):
        if share_a_family(measured, terms(number.group(1))):
            return True
    return False


def _chinese_question_after_story(text: str) -> str:
    """The question of a Chinese part that opens with what happened ("房子漏水损坏了，要在几天内报案？": the clause
    after one ending in 了), or "" (no such story; English stories are cut by question_analysis.story_and_question)."""
    m = _CHINESE_STORY.match(text or "")
    return m.group(2) if m else ""


def chinese_story(text: str) -> str:
    """What happened, in a Chinese part that opens with it ("估算账单太高了，要在多少天内交读数？": 估算账单太高了), or ""."""
    m = _CHINESE_STORY.match(text or "")
    return m.group(1) if m else ""


def no_value(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    kind = asked_value(part.text)
    if kind is None and _ASKS_CLOCK_TIME.search(part.text) and "yes_no" not in part.types and not any(
            _VALUE_PATTERNS["time"].search(f"{e.unit.text} {e.unit.source_title}") for e in evidence):
        # "度假村几点可以入住？" is not answered by "度假村收费 40 欧元。": no time of day, no day, no opening at all
        return "asks for a time; the evidence states none"
    if kind is None or "yes_no" in part.types:
        return None
    said = " ".join(f"{e.unit.text} {e.unit.source_title}" for e in evidence)
    if kind in ("duration", "count"):
        said = _MONEY_OR_RATE.sub(" ", said)   # "€5 credit" says how much, not how long or how many
    if kind == "amount" and asks_money(part.text):
        # "what do I pay for each km over that?" is not answered by "on a 5-day rental you can drive 1,000 km":
        # a distance or a span of time is no sum of money; nor is a number word ("two screens") or a free span of
        # time ("How much is Premium for a year?" → "about two months free compared with paying monthly")
        said = _COUNTED.sub(" ", _MEASURED.sub(" ", said))
        if not _NAMES_TRIAL.search(part.text):
            said = _FREE_TRIAL.sub(" ", said)
        if _MONEY_NUMBER.search(said) or free_of_charge(said):
            return None
        return f"asks for {_a(kind)}; the evidence states none"
    if _ANY_VALUE[kind].search(said):
        return None
    return f"asks for {_a(kind)}; the evidence states none"


# "when does it start?", "by when will I get a final answer?" (a question, not "can I cancel when …?")
_ASKS_WHEN = re.compile(r"\b(?:by |until |till |from |since )?when (?:does|do|did|will|would|is|are|was|can|could|"
                        r"should|must|shall)\b", re.I)
# any word or figure that says when: a number, a day, a span, before/after/until, "immediately", "next", "once"
_SAYS_WHEN = re.compile(r"\d|\b(?:today|tomorrow|tonight|immediate(?:ly)?|instant(?:ly)?|right away|at once|"
                        r"straight away|next|after|before|until|till|within|once|when|whenever|as soon as|during|while|"
                        r"dates?|days?|weeks?|months?|years?|hours?|minutes?|morning|afternoon|evening|night|noon|"
                        r"midnight|terms?|end|start|beginning|later|earlier|soon|first|last|any ?time|always|never|"
                        r"weekends?|weekdays?|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|holidays?)\b", re.I)


def no_when(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """"if I upgrade …, when does it start?" is not answered by a best unit that says no when at all: no figure, day,
    span, before/after, "immediately" or "next" ("An upgrade is a move to a plan with a higher monthly price, …" defines
    what is asked about; "An upgrade starts from the next day" answers). English only."""
    if not evidence or "yes_no" in part.types or has_cjk(part.text) or not _ASKS_WHEN.search(part.text):
        return None
    best = evidence[0].unit
    if _SAYS_WHEN.search(f"{best.text} {best.context}"):
        return None
    return "asks when; the evidence says no time"


def _listy(scored: ScoredUnit) -> bool:
    return has_value("options", scored.unit) or bool(_LIST_MARKS.search(scored.unit.text))


def no_list(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    if not _ASKS_OPTIONS.search(part.text) or "yes_no" in part.types:
        return None
    # the best unit lists them: a list stated beside it answers something else ("You need to give a payment method to
    # pay the difference." first, "a gift card … for an order, for a price difference or for a payment change" second)
    if _listy(evidence[0]):
        return None
    return "asks which options there are; the evidence lists none"


def echo(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    if "yes_no" in part.types or not ({"procedure", "options"} & set(part.types)) \
            or asked_value(part.text) is not None:
        return None
    asked = set(terms(part.text))
    new = {t for e in evidence for t in terms(e.unit.text)} - asked
    if len(new) >= 2:
        return None
    return "the evidence only repeats the question's words"


ECHO_LOOK = 2   # how far down a part's ranking the next unit of the echoing unit's section may stand


def echo_ranking(part: QuestionPart, ranked: list[ScoredUnit]) -> list[ScoredUnit] | None:
    """A part whose best unit only repeats its words (`echo`: "When a class is full you can join the waiting list"
    for "how does the waiting list work?") is ranked without the echoing units when the next unit of the same
    section, which says what happens then, stands among its best `ECHO_LOOK`; None otherwise."""
    if not ranked or not echo(part, ranked[:1]):
        return None
    rest = [s for s in ranked if not echo(part, [s])]
    if not rest or not any(rest[0] is s for s in ranked[:ECHO_LOOK]) \
            or rest[0].unit.source_title != ranked[0].unit.source_title:
        return None
    return rest


def leaf_heading(title: str) -> str:
    return (title or "").split("›")[-1].strip()


def other_section(part: QuestionPart, evidence: list[ScoredUnit], candidates: list[ScoredUnit],
                  known=lambda t: True) -> str | None:
    """A word the part asks about that names another section of the same document (not the stated unit's)."""
    if not evidence:
        return None
    best = evidence[0].unit
    own = set(terms(best.text)) | set(terms(leaf_heading(best.source_title)))
    for e in evidence[1:]:
        own |= set(terms(e.unit.text)) | set(terms(leaf_heading(e.unit.source_title)))
    asked = subject_terms(part.text)
    missing = {t for t in asked if t not in own and known(t)}
    if not missing:
        return None
    # the stated section's own heading names what the part asks ("Cancelling" for "how late can I cancel a large room
    # booking?"): the part is about that section's matter, and its other word ("booking") says what the matter is of
    if share_a_family(asked - missing, set(terms(leaf_heading(best.source_title))) - _QUESTION_WORDS):
        return None
    for c in candidates:
        u = c.unit
        if u.doc_id != best.doc_id or leaf_heading(u.source_title) == leaf_heading(best.source_title):
            continue
        # the other section is named by what the part asks and the stated unit lacks, and by nothing else: "Towels"
        # is; "Which orders can be exchanged" is not (for a question about exchanges that says "order" too)
        heading = set(terms(leaf_heading(u.source_title))) - _QUESTION_WORDS
        found = missing & heading
        # ... and only that section speaks of it: a word every section uses is the document's topic ("exchange" in
        # the exchanges policy), not a sign of the wrong section
        elsewhere = {leaf_heading(o.unit.source_title) for o in candidates
                     if o.unit.doc_id == best.doc_id and found & set(terms(o.unit.text))}
        if found and heading <= missing and "›" in u.source_title \
                and elsewhere <= {leaf_heading(u.source_title)}:
            return (f"asks about {', '.join(sorted(found))}, which is the section “{leaf_heading(u.source_title)}”, "
                    f"not the stated section “{leaf_heading(best.source_title)}”")
    return None


SECTION_LOOK = 3   # how far down a part's ranking the unit of the section the part names may stand


def other_section_ranking(part: QuestionPart, ranked: list[ScoredUnit], known=lambda t: True
                          ) -> list[ScoredUnit] | None:
    """A part whose best unit is from another section than the one it names (`other_section`: "Lockers" for "do you
    have towels …?") is ranked without the units `other_section` declines, when the unit that then ranks first is
    of the section named ("Towels") and stands among its best `SECTION_LOOK`, as `asked_day_ranking` does for
    another day's rule. None otherwise."""
    if not ranked:
        return None
    reason = other_section(part, ranked[:1], ranked, known)
    if not reason:
        return None
    rest = [s for s in ranked if not other_section(part, [s], ranked, known)]
    if not rest or not any(rest[0] is s for s in ranked[:SECTION_LOOK]):
        return None
    named = set(terms(leaf_heading(rest[0].unit.source_title))) - _QUESTION_WORDS
    if rest[0].unit.doc_id != ranked[0].unit.doc_id or not named & subject_terms(part.text):
        return None
    return rest


def other_variant(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """The part names a numbered variant ("a 48-month certificate", "3 个月定期") and every unit stated names the same
    kind with other numbers only ("36-month certificate"): it answers for another variant, as the Silver row does for
    a Gold question."""
    asked = numbered_terms(part.text)
    if not asked or not evidence:
        return None
    if all(number_other(asked, _months_in_full(f"{e.unit.context} {e.unit.text}")) for e in evidence):
        named = ", ".join(f"{'/'.join(sorted(v))}-{k}" for k, v in asked.items())
        return f"asks about the {named} one; the evidence is about another"
    return None


# "2 个完整的自然月", "3 个日历月": a number of months with words between 个 and 月 (not "3 个工作日内每月")
_MONTHS_APART = re.compile(r"(\d+)\s*个[^\d\s日天年周时，。；、,;]{1,5}?月")


def _months_in_full(text: str) -> str:
    """The text with "N 个完整的自然月" read as "N 个月", the numbered kind `numbered_terms` knows, so that "暂停 1 或 2
    个完整的自然月" names the 2 months asked, not only its "每 12 个月"."""
    return _MONTHS_APART.sub(r"\1 个月", text or "")


def said_terms(scored: ScoredUnit) -> set[str]:
    """The terms a unit states, with its context and the title the reply cites."""
    return set(terms(f"{scored.unit.text} {scored.unit.context} {scored.unit.source_title}"))


def unknown_kind(part: QuestionPart, evidence: list[ScoredUnit], known=lambda t: True) -> str | None:
    """A yes/no part whose kind of value comes from a word the documents never use ("Do gift cards expire?": a
    duration, by "expire") asks about something no document states: a duration the evidence gives (a refund's 5 to 7
    days) is about something else."""
    if "yes_no" not in part.types or has_cjk(part.text):
        return None
    said = set().union(*(said_terms(e) for e in evidence))
    for kind in part.types:
        if kind not in _ANY_VALUE:
            continue
        phrase = type_phrase_of(kind, part.text)
        missing = sorted(t for t in subject_terms(phrase) if t not in said and not known(t))
        if missing:
            return f"asks whether {', '.join(missing)} ({_a(kind)}), which the documents never mention"
    return None


# -- near misses: the evidence states a neighbouring case (another day, the opposite condition, another kind of
# customer) instead of the one asked about

_WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ZH_WEEK = "一二三四五六日"
WEEKDAY_NAME = r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b"   # "Saturday", "mondays"
_DAY = (WEEKDAY_NAME + r"|\bweek-?ends?\b|\bweek-?days?\b|"
        r"\b(?:public |bank |federal )?holidays?\b|\bchristmas\b|\bnew year(?:'s)?\b|\bevery day\b|\bdaily\b|"
        r"\b(?:7|seven) days a week\b|\b24/7\b|周[一二三四五六日天末]|星期[一二三四五六日天]|工作日|节假日|假日|每天")
_DAYS = re.compile(_DAY, re.I)
_DAY_NAME = WEEKDAY_NAME + r"|周[一二三四五六日天]|星期[一二三四五六日天]"
# "Monday to Friday", "周一至周五": a schedule that names its days in full (the days outside it are the answer)
_DAY_RANGE = re.compile(rf"({_DAY_NAME})\s*(?:to|through|thru|till|until|-|–|—|至|到)\s*({_DAY_NAME})", re.I)
# "weekdays only", "only on weekdays", "Monday to Friday only"
_DAYS_ONLY = re.compile(rf"\bonly (?:on |at )?(?:{_DAY})|(?:{_DAY}) only\b|仅(?:限)?(?:{_DAY})", re.I)


def _day_index(word: str) -> int | None:
    w = word.lower()
    for i, name in enumerate(_WEEK):
        if w.startswith(name[:3]) and not w.startswith("week"):
            return i
    for ch in w[-1:]:
        if ch in _ZH_WEEK:
            return _ZH_WEEK.index(ch)
        if ch == "天":
            return 6
    return None


def days_named(text: str) -> set[str]:
    """The days a text speaks of: weekdays by name ("monday" … "sunday", from "Saturdays", "周六", "weekends",
    "Monday to Friday"), and "holiday" for public holidays, Christmas and New Year."""
    out: set[str] = set()
    for m in _DAY_RANGE.finditer(text or ""):
        a, b = _day_index(m.group(1)), _day_index(m.group(2))
        if a is not None and b is not None:
            i = a
            while True:
                out.add(_WEEK[i])
                if i == b:
                    break
                i = (i + 1) % 7
    for m in _DAYS.finditer(text or ""):
        w = m.group(0).lower()
        if re.match(r"week-?days?|工作日", w):
            out.update(_WEEK[:5])
        elif re.match(r"week-?ends?|周末", w):
            out.update(_WEEK[5:])
        elif re.match(r"every day|daily|7 days|seven days|24/7|每天", w):
            out.update(_WEEK)
        elif re.search(r"holiday|christmas|new year|节假日|假日", w):
            out.add("holiday")
        else:
            i = _day_index(w)
            if i is not None:
                out.add(_WEEK[i])
    return out


def other_day(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """The part asks about a day ("on Saturday", "周末") and the evidence speaks of other days only ("released at 8:00
    each weekday", a holiday table's row): it states another day's rule. A schedule that names its days in full
    ("Human agents work Monday to Friday", "weekdays only") answers any day: the days it leaves out are closed."""
    asked = days_named(part.text)
    if not asked or not evidence:
        return None
    texts = [f"{e.unit.text} {e.unit.context} {e.unit.source_title}" for e in evidence]
    stated = set().union(*(days_named(t) for t in texts))
    if not stated or asked & stated:
        return None
    if any(_DAY_RANGE.search(t) or _DAYS_ONLY.search(t) for t in texts):
        return None
    # "at 3pm on a Tuesday" against "requested after 14:00, or at the weekend …": a rule drawn by the time of day
    # holds on any day, the asked one too; the days it names are other cases of it
    if _CLOCK.search(part.text) and any(_CLOCK_CONDITION.search(t) for t in texts):
        return None
    return f"asks about {_day_list(asked)}; the evidence speaks of {_day_list(stated)} only"


_CLOCK = re.compile(r"\b\d{1,2}(?:[:：.]\d{2})?\s?(?:am|pm)\b|\b\d{1,2}[:：]\d{2}\b|\d{1,2}\s?点", re.I)
# a condition on the time of day: "after 14:00", "before 3pm", "15:00 前", "14:00 以后"
_CLOCK_CONDITION = re.compile(r"\b(?:after|before|until|by|from)\s+(?:\d{1,2}[:：.]\d{2}|\d{1,2}\s?(?:am|pm))\b|"
                              r"\d{1,2}[:：]\d{2}\s?(?:前|之前|后|以后|之后)", re.I)


DAY_LOOK = 3   # how far down a part's ranking the unit about the asked day may stand


def asked_day_ranking(part: QuestionPart, ranked: list[ScoredUnit]) -> list[ScoredUnit] | None:
    """A part asking about a day whose best unit speaks of other days only (`other_day`: a holiday table's dated rows
    for "what time does the Porto store close on Saturday?") is ranked without the units that speak of other days
    only, when the unit that then ranks first names the asked day ("Monday to Saturday: 09:00 to 19:00.") and stands
    among its best `DAY_LOOK`: another day's rule ranking first says nothing of the asked day's. None when the best
    unit is not about another day, or the next best that is not names no day or stands lower."""
    asked = days_named(part.text)
    if not asked or not ranked or not other_day(part, ranked[:1]):
        return None
    rest = [s for s in ranked if not other_day(part, [s])]
    # the unit that then ranks first names the asked day: one naming no day ("cancel at least 24 hours before")
    # is no answer about it
    if not rest or not any(rest[0] is s for s in ranked[:DAY_LOOK]) \
            or not asked & days_named(f"{rest[0].unit.text} {rest[0].unit.context}"):
        return None
    return rest


_MONTH = re.compile(r"\b(?:january|february|march|april|june|july|august|september|october|november|december)\b|"
                    r"(?<![个几\d])\s?(?:1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])\s?月(?![度费底初])", re.I)
# a date or a month the evidence names ("15 January", "1 November", "2026-04-01", "4 月 1 日", "each month")
_DATED = re.compile(_MONTH.pattern + r"|\bmay\b|\b\d{4}-\d{2}(?:-\d{2})?\b|\b\d{1,2}/\d{1,2}\b|\bmonth(?:ly|s)?\b|"
                    r"\byear(?:ly|s)?\b|每月|每年|按月|日期", re.I)


def undated_evidence(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """A yes/no question about a month ("Will prices go up in April?", "四月会涨价吗？") is not answered by evidence
    that names no month, date or period of the year: it states a rule for no time in particular ("prices can go up
    or down"), which can neither confirm nor deny what happens then. A month in the customer's story ("we're driving
    to Turkey in August, do I need …") is not what is asked."""
    if "yes_no" not in part.types or not evidence:
        return None
    asked = story_and_question(part.text)[1] if part.story else part.text
    m = _MONTH.search(asked)
    if not m:
        return None
    if any(_DATED.search(f"{e.unit.text} {e.unit.context} {e.unit.source_title}") for e in evidence):
        return None
    return f"asks about {m.group(0).strip()}; the evidence names no month or date"


def _day_list(days: set[str]) -> str:
    """"weekdays", "weekends", "saturday", "holidays", in the week's order."""
    out, rest = [], set(days)
    for name, group in (("weekdays", set(_WEEK[:5])), ("weekends", set(_WEEK[5:]))):
        if group <= rest:
            out.append(name)
            rest -= group
    out += [d for d in _WEEK if d in rest] + (["holidays"] if "holiday" in rest else [])
    return ", ".join(out)


_NEGATIONS = re.compile(r"^(not|never|no|none|nothing|without|cannot|can't|won't|don't|doesn't|didn't|haven't|hasn't|"
                        r"hadn't|isn't|aren't|wasn't|weren't)$|n't$|n’t$", re.I)
# the condition a unit's statement holds under: "If you have studied the language before, take our test";
# "unless" is the negated condition
_CONDITION = re.compile(r"\b(if|unless|provided that|as long as)\b([^,;:.!?]{3,160})", re.I)


def _negated_words(text: str) -> dict[str, tuple[bool, str]]:
    """Each content term of a text: whether a negation bears on it, and the word as written. A negation bears on the
    first content word after it ("never studied", "don't have a receipt"), not on the words after that ("do not see
    a card": the seeing is denied, not the card)."""
    words = re.findall(r"[\w'’-]+", text or "")
    out: dict[str, tuple[bool, str]] = {}
    pending = False
    for w in words:
        if _NEGATIONS.match(w):
            pending = True
            continue
        found = terms(w)
        for t in found:
            out[t] = (out.get(t, (False, w))[0] or pending, out.get(t, (False, w))[1])
        if found:
            pending = False
    return out


_CLAUSE_BREAK = re.compile(r"[,.;:!?，。；！？]|\s-\s|\b(?:but|and so)\b|(?=\b(?:if|since|because) (?:i|we)\b)", re.I)
# a clause in which the customer says what their case is: "I've never studied german", "so I returned …", "if I
# have no receipt"; "when should I expect to see …" asks, it says nothing of the case
_CUSTOMER_CASE = re.compile(r"^\s*(?:(?:so|well|but|and|hi|hello|ok|okay|also|now)\s+)*(?:(?:if|since|as|because)\s+)?"
                            r"(?:i|i'm|i’m|i've|i’ve|i'd|we|we're|we've|my|our)\b", re.I)


def customer_case(text: str) -> str:
    """The clauses of a question in which the customer states their own case (the others ask)."""
    return " ".join(c for c in _CLAUSE_BREAK.split(text or "") if c and _CUSTOMER_CASE.match(c))


def opposite_condition(part: QuestionPart, evidence: list[ScoredUnit], statements: str = "") -> str | None:
    """The best unit holds under a condition ("If you have studied the language before, …") that the customer's own
    words about their case deny ("I've never studied german"), or the other way round ("If you have not …" / "I
    have …"): it is the rule for the other case, and stating it answers a question the customer did not ask. Only
    the clauses stating the customer's case are read: "when should I expect to see my refund?" states none."""
    if not evidence or part.language == "zh":
        return None
    asked = _negated_words(customer_case(part.text))
    for m in _CONDITION.finditer(evidence[0].unit.text):
        condition = m.group(2)
        said = _negated_words(condition)
        shared = (set(said) & set(asked)) - _QUESTION_WORDS
        flip = m.group(1).lower() == "unless"
        for t in sorted(shared):
            if said[t][0] and _denied_for_a_period(condition, said[t][1]):
                continue   # "no stay for 24 months" is a time condition: "my last stay was 2 years ago" may meet it
            if (said[t][0] != flip) != asked[t][0]:
                return (f"the evidence holds “{m.group(0).strip()}”; the question's case is the opposite "
                        f"(“{asked[t][1]}”{' negated' if asked[t][0] else ''} in the question)")
    # "I'm not on the Priority Services Register": a unit that names what the customer denies, under its heading or
    # in its words, and denies nothing itself ("Customers on the Priority Services Register get 4 days' notice") is
    # the rule for those who are
    # (a thing or a state denied, not an action: "without cancelling" leaves the cancelling rule to say what applies)
    case = _negated_words(customer_case(f"{statements}. {part.text}" if statements else part.text))
    denied = {t for t, (negated, w) in case.items() if negated and not re.search(r"(?:ing|ed)$", w, re.I)} - \
        _QUESTION_WORDS
    best = evidence[0].unit
    if denied and not _DENIES.search(best.text):
        said = _negated_words(f"{best.source_title}. {best.text}")
        named = sorted(t for t in denied if t in said and not said[t][0])
        if named:
            return (f"the evidence is about {said[named[0]][1]}; the question's case is the opposite "
                    f"(“{case[named[0]][1]}” negated in the question)")
    return None


_PERIOD = r"(?:for|in|within|during|over)\s+(?:the\s+)?(?:(?:last|past)\s+)?(?:\d+|a|an|one|two|three|four|five|six|" \
          r"seven|eight|nine|ten|eleven|twelve|eighteen|twenty-four)?\s*(?:full\s+)?(?:day|week|month|year)s?\b"


def _denied_for_a_period(condition: str, word: str) -> bool:
    """The condition denies `word` only over a period ("if you have had no stay for 24 months", "if the card is not
    used in the last 12 months"): whether the customer's case meets it is a question of dates ("my last stay was 2
    years ago"), not of a word the customer affirms."""
    return bool(re.search(rf"\b{re.escape(word)}\w*\b(?:\s+\w+){{0,3}}?\s+{_PERIOD}", condition, re.I))


_DENIES = re.compile(r"\b(?:not|never|no|none|without|unless|except|other|others|otherwise|else)\b|n['’]t\b", re.I)


_DETERMINER_WORDS = ("a", "an", "the", "my", "our", "your", "his", "her", "their", "this", "that", "some", "any")
_DETERMINERS = "(?:" + "|".join(f"{w} " for w in _DETERMINER_WORDS) + ")?"
_STOP_PHRASE = frozenset("""to on in at with and or if when while because so but is are do does can could will would
please please? thanks of from by about after before during than""".split())
# what the customer says of the case asked about: "a discount for teachers", "I'm a school teacher", "as a member"
# ("my company" was tried too: "my credit card", "my phone" name the customer's things, not a case)
_RESTRICTING = [re.compile(r"\bfor " + _DETERMINERS + r"([\w-]+(?: [\w-]+){0,2})", re.I),
                re.compile(r"\b(?:i'?m|i am|we'?re|we are) (?:a |an )([\w-]+(?: [\w-]+){0,2})", re.I),
                re.compile(r"\bas (?:a |an )([\w-]+(?: [\w-]+){0,1})", re.I)]


def _phrase_terms(phrase: str) -> set[str]:
    words = []
    for w in phrase.split():
        if w.lower().strip("?.!,") in _STOP_PHRASE or re.match(r"\d", w):
            break
        words.append(w)
    return set(terms(" ".join(words))) - _QUESTION_WORDS


def restricting_terms(text: str, heads: set[str] = frozenset()) -> list[set[str]]:
    """The phrases naming the case a question asks about, each as its terms: "for teachers", "I'm a school teacher",
    and the word before a `heads` word ("a corporate discount" when "discount" is a head)."""
    out = [t for pattern in _RESTRICTING for m in pattern.finditer(text or "") if (t := _phrase_terms(m.group(1)))]
    words = re.findall(r"[\w'’-]+", text or "")
    for before, word in zip(words, words[1:]):
        # "a corporate discount"; not "a 1 to 1 lesson" (a number is no kind of customer)
        if heads & set(terms(word)) and before.lower() not in _STOP_PHRASE and not re.match(r"\d", before):
            t = set(terms(before)) - _QUESTION_WORDS - heads
            if t:
                out.append(t)
    return out


def case_terms(scored: ScoredUnit, asked: set[str]) -> tuple[set[str], set[str]]:
    """What case a unit is about, as terms, and the head word it shares with the question: a table row's first cell
    ("Who: Full-time students") under a heading the question names, or the modifier of a section heading whose last
    word the question names ("Student discount" for a question about a discount)."""
    unit = scored.unit
    heading = leaf_heading(unit.source_title)
    words = re.findall(r"[\w'’-]+", heading)
    if len(words) > 1 and set(terms(words[-1])) & asked:
        # the words right before the head, a compound ("Student discount"); "Bringing a guest", "Getting your
        # results" name an action on the head, not a kind of it
        # a coordinated heading names several kinds ("Extra and overweight bags", "Domestic or international
        # flights"): a question naming one of them is about that one, not another case
        conjuncts: list[list[str]] = [[]]
        for i in range(len(words) - 2, -1, -1):
            w = words[i]
            if w.lower() in ("and", "or") and conjuncts[0] and i > 0 and terms(words[i - 1]) \
                    and words[i - 1].lower() not in _STOP_PHRASE | set(_DETERMINER_WORDS):
                conjuncts.insert(0, [])
                continue
            if w.lower() in _STOP_PHRASE or w.lower() in _DETERMINER_WORDS or not terms(w):
                break
            conjuncts[0].insert(0, w)
        modifier = [w for c in conjuncts for w in c]
        if len(conjuncts) > 1 and any(set(terms(" ".join(c))) & asked for c in conjuncts):
            return set(), set(terms(words[-1]))
        if modifier:
            return set(terms(" ".join(modifier))) - asked, set(terms(words[-1]))
    if unit.kind == "row":
        first = re.split(r"; ", unit.text, maxsplit=1)[0]
        label = re.split(r"[:：] ", first, maxsplit=1)
        heads = set(terms(f"{heading} {unit.context}")) & asked
        if len(label) == 2 and heads:
            return set(terms(label[1])), heads
    return set(), set()


def rival_case(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """The customer names the case asked about ("a discount for teachers", "my company … a corporate discount") and
    the best unit is about another case of the same thing (the full-time students' row of the discounts table, the
    "Student discount" section), with no word of the customer's case anywhere in the evidence: another case's rule."""
    if not evidence or part.language == "zh":
        return None
    asked = set(terms(part.text))
    case, heads = case_terms(evidence[0], asked)
    if not case or case & asked:
        return None
    # "Can my 4 year old fly alone?" against "Children from 5 to 11 years may travel alone …": the evidence's case is
    # drawn by the customer's own measure (an age, a size, a weight), so the customer is one of its cases
    own = asked_quantities(part.text)
    if own and any(holds(own, e.unit.text) is not None for e in evidence):
        return None
    said = set().union(*(said_terms(e) for e in evidence))
    for phrase in restricting_terms(part.text, heads):
        if phrase and not (phrase & said):
            return (f"asks about {' '.join(sorted(phrase))}; the evidence is about {' '.join(sorted(case))} "
                    f"(another case)")
    return None


_WHICH = re.compile(r"\bwhich ([a-z][\w-]*)", re.I)


def which_thing(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """"Which teacher teaches the Portuguese B1 group?" asks for a teacher: a list that names no teacher (nor has one
    in its heading) and lists what the question itself names ("We teach Spanish, French, … and Portuguese") is a
    list of another kind of thing. A list of new names answers "which" by itself ("Which branches have safe deposit
    boxes?" → "Main Street and Northgate only")."""
    if not evidence or part.language == "zh":
        return None
    m = _WHICH.search(part.text)
    if not m:
        return None
    wanted = set(terms(m.group(1))) - _QUESTION_WORDS
    if not wanted:
        return None
    if any(wanted & said_terms(e) for e in evidence):
        return None
    named = entity_names(part.text) - set(terms(m.group(1)))
    for e in evidence:
        listed = entity_names(e.unit.text) & named
        if listed and _listy(e):
            return (f"asks which {m.group(1).lower()}; the evidence names none, and lists "
                    f"{', '.join(sorted(listed))} among others")
    return None


def unanswered(part: QuestionPart, evidence: list[ScoredUnit], candidates: list[ScoredUnit],
               carried: set[str] = frozenset(), known=lambda t: True, statements: str = "") -> str | None:
    """Why the evidence a reply would state for `part` does not answer it, or None when it may. `statements`: what
    the customer said around the question ("I'm not on the register. How much notice …?")."""
    declined = declining_check(part, evidence, candidates, carried, known, statements)
    return declined[1] if declined else None


def declining_check(part: QuestionPart, evidence: list[ScoredUnit], candidates: list[ScoredUnit],
                    carried: set[str] = frozenset(), known=lambda t: True, statements: str = ""
                    ) -> tuple[Callable[[list[ScoredUnit]], str | None], str] | None:
    """The first check of `unanswered` that declines `evidence`, as the check over any evidence for the same part
    (so the units it would decline too can be told apart: check_retries.py) and its reason; None when none does."""
    if not evidence:
        return None
    checks = (lambda ev: no_value(part, ev), lambda ev: no_when(part, ev),
              lambda ev: value_subject(part, ev, set(carried)),
              lambda ev: no_list(part, ev),
              lambda ev: echo(part, ev), lambda ev: other_section(part, ev, candidates, known),
              lambda ev: other_variant(part, ev), lambda ev: unknown_kind(part, ev, known),
              lambda ev: other_day(part, ev), lambda ev: undated_evidence(part, ev),
              lambda ev: opposite_condition(part, ev, statements),
              lambda ev: rival_case(part, ev), lambda ev: value_of_other_label(part, ev),
              lambda ev: other_charge(part, ev), lambda ev: other_period(part, ev),
              lambda ev: other_scope(part, ev), lambda ev: other_person(part, ev),
              lambda ev: which_thing(part, ev),
              lambda ev: unnamed_row(part, ev, candidates, asked_value(part.text) is not None,
                                     _QUESTION_WORDS, asked_quantities(f"{statements} {part.text}")))
    for check in checks:
        reason = check(evidence)
        if reason:
            return check, reason
    return None


def value_asked_before(part: QuestionPart, evidence: list[ScoredUnit], before: QuestionPart | None) -> str | None:
    """Why the evidence for a part that only names a new thing ("冷链药品呢？", "and for the Gold card?") after a
    part asking for a value ("次日达几点前下单？") states no value of that kind, or None. Such a part asks the part
    before's value of the new thing: "冷链药品只能选择次日达" names no time to order by."""
    from components.answers.followups import is_followup

    if before is None or not evidence or not is_followup(part.text) or asked_value(part.text) is not None \
            or _ASKS_CLOCK_TIME.search(part.text):
        return None
    reason = no_value(before, evidence)
    return f"goes on from “{before.text.strip()}”, which {reason}" if reason else None


def value_of_earlier_part(part: QuestionPart, evidence: list[ScoredUnit],
                          earlier: list[tuple[QuestionPart, list[ScoredUnit]]]) -> str | None:
    """Why the evidence for a part gives the value an earlier part of the same question, asking for the same kind of
    value, is answered with, from another unit; or None."""
    kind = asked_value(part.text)
    if kind is None or "yes_no" in part.types or not evidence:
        return None
    figures = set().union(*(stated_values(kind, e.unit.text) for e in evidence))
    if not figures:
        return None
    for number, (other, stated) in enumerate(earlier, 1):
        if asked_value(other.text) != kind or not stated:
            continue
        if any(near_duplicate(e.unit.text, s.unit.text) for e in evidence for s in stated):
            continue  # one unit for both parts: the composer states it once (_place_evidence)
        if figures <= set().union(*(stated_values(kind, s.unit.text) for s in stated)):
            return (f"asks another {kind} than part {number} (“{other.text.strip()}”); the evidence states only "
                    f"the {kind} given there")
    return None


# a label opening a piece of a unit: "年度会员：付款后 …", "Plus Annual: if you cancel …" (at the start or after a
# sentence's end; a table row's "Card: Silver; Rate: 1%" names its columns, not cases)
_PIECE_LABEL = re.compile(r"(?:^|(?<=[。！？!?])|(?<=\.\s))\s*([^：:。；;，,.!?！？]{2,30})[：:]\s*")


def labelled_pieces(text: str) -> list[tuple[str, str]]:
    """The (label, text) pieces of a unit made of labelled statements ("月度和学生会员：… 年度会员：…"), or []."""
    marks = list(_PIECE_LABEL.finditer(text or ""))
    if len(marks) < 2:
        return []
    return [(m.group(1).strip(), text[m.end():(marks[i + 1].start() if i + 1 < len(marks) else len(text))])
            for i, m in enumerate(marks)]


def value_of_other_label(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """Why the evidence, labelled statements of several cases, gives the value asked only under another case's label
    than the one the part names ("Plus 月度会员多少钱？": "月度和学生会员：可随时取消… 年度会员：…全额退还 59.90 欧元" states
    no amount for the monthly plan; the 59.90 is the annual plan's); or None."""
    kind = asked_value(part.text)
    if kind is None or "yes_no" in part.types or not evidence:
        return None
    asked = set(terms(part.asked_text)) - _QUESTION_WORDS   # the names too: "Monthly" is the case asked
    pattern = _VALUE_PATTERNS[kind]
    for e in evidence:
        pieces = labelled_pieces(e.unit.text) if e.unit.kind != "row" else []
        if not pieces:
            continue
        labels = [set(terms(label)) for label, _ in pieces]
        common = set.intersection(*labels)
        named = [bool((words - common) & asked) for words in labels]
        valued = [bool(pattern.search(text)) for _, text in pieces]
        if not any(valued) or not any(named):
            continue
        if any(v and n for v, n in zip(valued, named)):
            continue
        if any(v and not n for v, n in zip(valued, named)):
            case = next(label for (label, _), n in zip(pieces, named) if n)
            return f"asks about {case}; the evidence states {_a(kind)} for another case only"
    return None


def focus_items(scored: ScoredUnit, question: str) -> ScoredUnit:
    """Keep, of a unit made of labelled items ("Lisbon store: … Porto store: …"), the items whose label names what
    the question asks about, when some do and others name something else."""
    unit = scored.unit
    if unit.kind not in ("list", "sentence", "list_item", "faq_answer"):
        return scored
    if has_cjk(question) and has_cjk(unit.text):
        return _focus_chinese_clauses(scored, question)
    items = [c for c in _CLAUSES.split(unit.text) if c.strip()]
    labels = [_LABEL.match(c) for c in items]
    if len(items) < 2 or sum(1 for m in labels if m) < 2:
        return scored
    asked = entity_names(question, headings=True)
    asked_terms = set(terms(" ".join(asked)))
    if not asked_terms:
        return scored

    def about(m) -> bool | None:
        if not m:
            return None  # no label: kept
        label_terms = set(terms(m.group(1)))
        label_names = set(terms(" ".join(entity_names(m.group(1), headings=True))))
        if label_terms & asked_terms:
            return True
        return False if label_names else None

    verdicts = [about(m) for m in labels]
    if True not in verdicts or False not in verdicts:
        return scored
    kept = [c for c, v in zip(items, verdicts) if v is not False]
    text = " ".join(c.strip() for c in kept)
    return ScoredUnit(dataclasses.replace(unit, text=text), scored.score, scored.parts)


# a Chinese sentence's clauses: "标准课程每班最多 12 人，强化课程每班最多 8 人。"
# (a comma between digits is a thousands separator, not a clause break: "每 30 天最多 10,000 美元")
_ZH_CLAUSE = re.compile(r"(?:[^，,；;。！？!?]|(?<=\d),(?=\d{3}))+[，,；;。！？!?]*")
_ASKS_FIGURE = ("amount", "duration", "count", "percentage", "time")


def _focus_chinese_clauses(scored: ScoredUnit, question: str) -> ScoredUnit:
    """Keep, of a Chinese sentence whose clauses state a figure each for one case ("标准课程每班最多 12 人，强化课程每班最多
    8 人"), the clauses with a figure that name the most of what a question asking for a figure names ("强化课程一个班最多几
    个人": 强化); the clauses without a figure stay. The Chinese counterpart of labelled items: one case is asked, one
    figure is the answer, and stating the other case's beside it answers a question the customer did not ask."""
    from components.answers.cross_language import QUESTION_WORDS
    from components.answers.question_analysis import answer_types

    unit = scored.unit
    if not set(answer_types(question)) & set(_ASKS_FIGURE):
        return scored
    clauses = [c for c in _ZH_CLAUSE.findall(unit.text) if c.strip()]
    figures = [i for i, c in enumerate(clauses) if re.search(r"\d", c)]
    if len(figures) < 2:
        return scored
    # a word the section heading says is the topic of every clause under it, not one clause's case: under "取消和退款",
    # "退款到 PayPal 要多久？" asks the clause "到 PayPal 需要 3 个工作日", not "退款到银行卡需要 5 到 10 个工作日"
    topic = set(terms(leaf_heading(unit.source_title)))
    asked = set(terms(question)) - _QUESTION_WORDS - QUESTION_WORDS - topic
    shared = {i: len(asked & set(terms(clauses[i]))) for i in figures}
    best = max(shared.values())
    if not best or all(n == best for n in shared.values()):
        return scored
    # a clause is another case's only when it says the same of it ("每班最多 … 人"): "截止时间 17:00，1 到 2 个工作日 到账"
    # states two things of one case, and both stay; nor is the heading's topic word, said in every clause, such a
    # "same" (under "暂停会员", "暂停固定工位…每月 60 欧元" is not another case of "暂停 1 或 2 个月")
    words = [set(t for t in terms(c) if not re.search(r"\d", t)) for c in clauses]
    top = set().union(*(words[i] for i in figures if shared[i] == best))
    dropped = {i for i in figures if shared[i] < best and words[i] & top - asked - topic}
    if not dropped:
        return scored
    kept = "".join(c for i, c in enumerate(clauses) if i not in dropped).strip()
    return ScoredUnit(dataclasses.replace(unit, text=re.sub(r"[，,；;]$", "。", kept)), scored.score, scored.parts)


_NOUN_FLAGS = ("n", "j", "eng")          # jieba's part-of-speech tags of nouns (n, nr, nz, ns, nt ...), abbreviations
_NOT_A_SUBJECT_ZH = frozenset("时候 东西 问题 事情 情况 方面 地方 办法 关门 开门 上班 下班".split())  # tagged nouns, none a subject
# the people a customer speaks of ("我儿子 8 岁，加床多少钱？"): their story, never a thing the documents must name (an
# English question's "my son" is no name either)
PERSONS_ZH = frozenset("""儿子 女儿 孩子 小孩 宝宝 妻子 丈夫 老公 老婆 太太 父亲 母亲 爸爸 妈妈 父母 家人 朋友 同事 哥哥
姐姐 弟弟 妹妹 爷爷 奶奶 外公 外婆 男朋友 女朋友 室友 邻居""".split())


def chinese_nouns(text: str) -> set[str]:
    """The nouns of a Chinese question ("支付宝", "房贷", "租车"), by jieba's part-of-speech tagger: what a question
    may name that the documents never mention; "一个", "几天", "周末", "上班" are no such subject, nor a person the
    customer speaks of ("我儿子")."""
    if not has_cjk(text):
        return set()
    from components.knowledge.keyword_index import chinese_tags

    return {word for word, flag in chinese_tags(text) if len(word) >= 2 and flag.startswith(_NOUN_FLAGS)
            and has_cjk(word) and word not in _NOT_A_SUBJECT_ZH | PERSONS_ZH}
