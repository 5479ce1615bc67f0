"""Which evidence holds for the customer's own number: "I'm 30 weeks pregnant" against "until the end of week 28",
"from week 29 to the end of week 36" and "after week 36"; "my cat is 5 kg" against "no more than 8 kg" and "heavier
than 8 kg".

A rule often comes as several sentences, one per range of a quantity, all about the same thing: the ranking cannot
tell them apart (they share every word of the question) and the first is not the customer's case. So:
- `quantities`: the numbers the customer gives with their unit ("30 weeks", "week 2", "a 15 year old", "2,000 km",
  "a 55 inch TV"), and levels written as a letter and a digit ("I'm about B1 level" against "Levels: A1 to B1" and
  "Levels: B2 and C1");
- `conditions`: the limits a unit states on a quantity of the same unit ("up to", "no more than", "until the end
  of", "under", "over", "after", "at least", "or more", "from A to B", "between A and B", "A to B years", "within
  14 days", a list label "Within 14 days of buying it:", "after the first 14 days");
- `holds`: True when a limit of the unit holds for the customer's number, False when it states limits on that
  quantity and none holds, None when it states none (nothing to compare);
- `holding_first`: the ranking with the best unit that holds put first (it takes the best unit's score and the best
  unit takes its own), when the best unit does not hold and one of the next few of the same document does; and
  without the units that do not hold once the best one does (they state the rule for other numbers: no rivals);
  `without_failing`: the stated units without those that do not hold, when one that holds is stated;
- `settles`: the best unit's condition decides the customer's case, met or not: positive evidence that it is about
  the asked case (an unconfident part is lifted with it, `sub_threshold_lifts.lift_reason`), when it is the most
  particular rule for the number near the top (`settled_first`);
- `with_stated_condition`: a list item whose lead-in sets the condition is stated as the whole list, lead-in included.
The customer's quantities are also times of day ("at 3pm", "14:00", "at 11 in the morning": unit "clock"), amounts
of money with their currency ("€8", "45 euros", "€12k") and, in what the customer says only, ages said as a bare
number ("I'm 17", "my dad is 76"). Ages are also read in a document without a word of age when their bound says so
("you must be 18 or over", "a child aged under 25"); counts of people
(unit "person") from "5 riders", "4 people", "a team of 3", "7 of us" and a table's "Seats: 5 to 8".
Chinese numbers are read with their units ("76 岁", "21 至 24 岁", "30 天内", "未满 18 岁", "75 岁及以上").
A limit that does not hold, with no unit of its document that does, changes nothing: it is the answer then ("I
bought it 40 days ago": "only within 30 days"). Units of measure must agree, but for spans of time a number said in
a coarser unit is compared in the rule's finer one at the bound's scale (`in_unit`: "3 weeks" against "within 30
days"). `on_own_measure`: the compared condition is on an age, a time of day or a count of people (a lift from a
lower floor, sub_threshold_lifts.SETTLED_FLOOR).
Not kept (session 20, each added wrongs on the dev sets): "14 or 15" read as a range (a guest of 17 got the
"aged 16 or 17" room rule for "can I check in on my own?"); one-character Chinese numerals ("三天" settled a
membership's "14 天内"); a unit stating a condition on the number promoted over a best unit silent on it (a driving
licence's "at least 2 years" read as an age for "I'm 17"); spans converted into a coarser unit ("50 min late"
against "within 2 hours" of another rule); "drivers/riders/guests under 18" read as ages (a 15-year-old's e-bike
question got the helmet rule for riders under 18); "16- and 17-year-olds" read as a range (for "I'm 17, can I buy
sleep aids?" it held, came first and the list "aged 18 or over: … sleep aids" was dropped as failing); "be at least
23 to rent" as an age (fixed "can a 22 year old rent an SUV" but lifted it, wrong, for "I'm 19, can I rent a car?",
whose rule "we do not rent to drivers under 21" needs the drivers' form above).
"""
from __future__ import annotations

import dataclasses
import re

from components.answers.list_lead_ins import list_holding
from components.answers.money_amounts import sums

_UNITS = {"week": "week", "weeks": "week", "wk": "week", "wks": "week",
          "day": "day", "days": "day", "night": "night", "nights": "night",
          "month": "month", "months": "month", "year": "year", "years": "year", "yr": "year", "yrs": "year",
          "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour", "h": "hour",
          "minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute",
          "kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
          "km": "km", "kilometre": "km", "kilometres": "km", "kilometer": "km", "kilometers": "km",
          "mile": "mile", "miles": "mile", "lb": "lb", "lbs": "lb", "pound": "lb", "pounds": "lb",
          "cm": "cm", "inch": "inch", "inches": "inch", "percent": "%", "%": "%"}
# a count of people ("at least 5 riders", "3 or more people", "up to 4 guests"): unit "person"
_PERSONS = r"(?:people|persons|riders|guests|adults|passengers|travell?ers|participants|employees|members)"
_UNIT = r"(weeks?|wks?|days?|nights?|months?|years?|yrs?|hours?|hrs?|h|minutes?|mins?|kgs?|kilos?|kilograms?|km|" \
        r"kilomet(?:re|er)s?|miles?|lbs?|pounds?|cm|inch(?:es)?|percent|%|" + _PERSONS[3:-1] + ")"
_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
# "30 weeks", "a 15 year old", "2,000 km", "10-hour flight"; "week 30", "the 30th week"
_AFTER_NUMBER = re.compile(_NUMBER + r"\s*-?\s*" + _UNIT + r"(?![\w])", re.I)
# a Chinese number and its unit ("76 岁", "21 至 24 岁", "30 天", "3 个月", "500 公里"): the unit runs into the words
# after it, so it is read without the word boundary of the English units
_ZH_UNITS = {"岁": "year", "周岁": "year", "天": "day", "日": "day", "晚": "night", "周": "week", "星期": "week",
             "个月": "month", "年": "year", "小时": "hour", "分钟": "minute", "公里": "km", "千米": "km", "公斤": "kg",
             "千克": "kg", "厘米": "cm", "英寸": "inch", "人": "person"}
_ZH_AFTER_NUMBER = re.compile(_NUMBER + r"\s*(周岁|岁|个月|星期|小时|分钟|公里|千米|公斤|千克|厘米|英寸|天|晚|周|年|人)"
                              r"(?![\d度费底初])")
_BEFORE_NUMBER = re.compile(r"\b(week|day|month|year)\s+" + _NUMBER + r"\b", re.I)
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\s+(week|day|month|year)\b", re.I)
# an age written without its unit: "aged 14 and 15", "children under 5"
_AGE = re.compile(r"\b(?:aged?(?:\s+(?:under|over|below|above|at least|up to|from))?|ages(?:\s+of)?|"
                  r"(?:children|child|kids|infants?|teenagers|teens)\s+(?:under|over|below|above|"
                  r"younger than|older than|of))\s+(\d{1,3})\b(?!\s*(?:-|\s)?" + _UNIT + r"(?![\w]))", re.I)
# an age with no word of age but its bound: "you must be 18 or over"
_AGE_BOUND = re.compile(r"\b(\d{1,3})\s+(?:or|and)\s+(?:over|older)\b", re.I)
# a count of people said without its unit: "a team of 3", "groups of 5", "7 of us", a table's "Seats: 5 to 8"
_PARTY = re.compile(r"\b(?:teams?|groups?|party|parties)\s+of\s+(?P<a>\d{1,3})\b(?!\s*(?:-|\s)?" + _UNIT + r"(?![\w]))|"
                    r"\b(?P<b>\d{1,3})\s+of\s+us\b|"
                    r"\b(?:seats|capacity|persons|people|guests)\s*:\s*(?:up to\s+)?(?P<c>\d{1,3})\b", re.I)


# a time of day, read as hours after midnight: "3pm", "8.30am", "14:00", "at 11 in the morning", "noon"; unit "clock"
_CLOCK_AMPM = re.compile(r"\b(\d{1,2})(?:[:.]([0-5]\d))?\s*(a\.?m\.?|p\.?m\.?)(?![\w])", re.I)
_CLOCK_24 = re.compile(r"(?<![\d.,:])([01]?\d|2[0-3]):([0-5]\d)(?![\d:])")
_CLOCK_SAID = re.compile(r"\b(?:at|it'?s|it’s|it is|around)\s+(\d{1,2})\s+(?:o'?clock\s+)?in\s+the\s+"
                         r"(morning|afternoon|evening)\b|"
                         r"\b(?:at|it'?s|it’s|it is|around)\s+(\d{1,2})\s+(?:o'?clock\s+)?at\s+(night)\b", re.I)
_CLOCK_NAMED = re.compile(r"\b(noon|midday|midnight)\b", re.I)


def _clock_times(text: str) -> list["Quantity"]:
    found = []
    for m in _CLOCK_AMPM.finditer(text):
        hour = int(m.group(1))
        if 1 <= hour <= 12:
            pm = m.group(3).lower().startswith("p")
            found.append(Quantity(hour % 12 + (12 if pm else 0) + int(m.group(2) or 0) / 60, "clock",
                                  m.start(), m.end()))
    for m in _CLOCK_24.finditer(text):
        found.append(Quantity(int(m.group(1)) + int(m.group(2)) / 60, "clock", m.start(), m.end()))
    for m in _CLOCK_SAID.finditer(text):
        hour, part = (int(m.group(1)), m.group(2)) if m.group(1) else (int(m.group(3)), m.group(4))
        if 1 <= hour <= 12:
            later = part.lower() != "morning" and hour < 12 and not (part.lower() == "night" and hour < 5)
            found.append(Quantity(hour + (12 if later else 0), "clock", m.start(1) if m.group(1) else m.start(3),
                                  m.end()))
    for m in _CLOCK_NAMED.finditer(text):
        found.append(Quantity(0.0 if m.group(1).lower() == "midnight" else 12.0, "clock", m.start(), m.end()))
    return found


def _money(text: str) -> list["Quantity"]:
    """The amounts of money of `text` with their currency ("€5,000", "45 euros", "€12k"; `money_amounts.sums`);
    currencies are not converted."""
    return [Quantity(s.value, s.currency, s.start, s.end) for s in sums(text)]


# a level written as a capital and a digit ("A1", "B2"; "b1 level"), ordered as letters, then digits: "A1 to B1"
# holds A2, "B2 and C1" does not hold B1
_LEVEL = re.compile(r"\b[A-Z][1-9]\b|\b[a-z][1-9]\b(?=\s*(?:level|course|class))")


def level_rank(code: str) -> float:
    return float((ord(code[0].upper()) - ord("A") + 1) * 10 + int(code[1]))


@dataclasses.dataclass(frozen=True)
class Quantity:
    value: float
    unit: str
    start: int = 0
    end: int = 0


def _value(text: str) -> float:
    return float(text.replace(",", ""))


def _unit(word: str) -> str:
    word = word.lower()
    return "person" if re.fullmatch(_PERSONS, word) else _UNITS[word]


def quantities(text: str) -> list[Quantity]:
    """The numbers of `text` with their unit, in order (a number without a unit is no quantity: "room 12")."""
    found: list[Quantity] = []
    for m in _AFTER_NUMBER.finditer(text or ""):
        found.append(Quantity(_value(m.group(1)), _unit(m.group(2)), m.start(), m.end()))
    for m in _ZH_AFTER_NUMBER.finditer(text or ""):
        found.append(Quantity(_value(m.group(1)), _ZH_UNITS[m.group(2)], m.start(), m.end()))
    for m in _BEFORE_NUMBER.finditer(text or ""):
        found.append(Quantity(_value(m.group(2)), _UNITS[m.group(1).lower()], m.start(), m.end()))
    for m in _ORDINAL.finditer(text or ""):
        found.append(Quantity(_value(m.group(1)), _UNITS[m.group(2).lower()], m.start(), m.end()))
    for m in _AGE.finditer(text or ""):
        found.append(Quantity(_value(m.group(1)), "year", m.start(1), m.end(1)))
    for m in _AGE_BOUND.finditer(text or ""):
        found.append(Quantity(_value(m.group(1)), "year", m.start(1), m.end(1)))
    for m in _PARTY.finditer(text or ""):
        g = next(g for g in "abc" if m.group(g))
        found.append(Quantity(_value(m.group(g)), "person", m.start(g), m.end(g)))
    for m in _LEVEL.finditer(text or ""):
        found.append(Quantity(level_rank(m.group(0)), "level", m.start(), m.end()))
    found += _clock_times(text or "") + _money(text or "")
    found.sort(key=lambda q: q.start)
    out: list[Quantity] = []
    for q in found:   # "week 2" inside "2 weeks"-like overlaps: the first reading stands
        if not out or q.start >= out[-1].end:
            out.append(q)
    return out


# the words before a quantity that bound it: (operator, pattern of the text just before it)
_BEFORE = [
    ("<=", r"(?:up to|no more than|not more than|at most|a maximum of|maximum(?: of)?|max\.?|until|till|through|"
           r"by the end of|during the first|in the first|within(?: the first)?|not later than|no later than)"),
    ("<", r"(?:under|less than|fewer than|below|younger than|lighter than|shorter than|before)"),
    (">", r"(?:over|more than|above|older than|heavier than|longer than|beyond|after|later than)"),
    (">=", r"(?:at least|a minimum of|minimum(?: of)?|from|starting|as of)"),
]
_FILLER = r"(?:\s+(?:the\s+)?(?:end|start|beginning)\s+of)?(?:\s+(?:the|a|an))?(?:\s+(?:first|last))?\s+" \
          r"(?:(?:week|day|month|year)\s+)?$"
# in Chinese the bound follows the quantity ("21 岁以下", "75 岁及以上", "30 天内") or goes before it ("超过 3 天",
# "未满 18 岁", "满 65 岁")
_ZH_BEFORE = [("<", r"(?:未满|不满|不到|少于|低于)"), (">", r"(?:超过|多于|高于|大于)"), (">=", r"(?:满|年满|至少)")]
_AFTER = [("<=", re.compile(r"^\s*(?:or|and) (?:less|under|fewer|younger|lighter|shorter|below)\b|"
                            r"^\s*(?:及以下|以内|之内|内)", re.I)),
          ("<", re.compile(r"^\s*(?:以下|之下)")),
          (">=", re.compile(r"^\s*(?:or|and) (?:more|over|older|above|heavier|longer|up)\b|^\s*\+|"
                            r"^\s*(?:及以上|或以上|以上)", re.I))]
_RANGE_JOIN = re.compile(r"^\s*(?:(?:-|–|to|and|until|till|through)\s+|(?:至|到)\s*)(?:the\s+(?:end|start) of\s+)?"
                         r"(?:(?:week|day|month|year)\s+)?$", re.I)


@dataclasses.dataclass(frozen=True)
class Condition:
    unit: str
    low: float | None        # None: no lower bound
    high: float | None       # None: no upper bound
    low_open: bool = False
    high_open: bool = False

    def holds(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            return False
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            return False
        return True


def _bound(op: str, unit: str, value: float) -> Condition:
    return {"<=": Condition(unit, None, value), "<": Condition(unit, None, value, high_open=True),
            ">": Condition(unit, value, None, low_open=True), ">=": Condition(unit, value, None)}[op]


def conditions(text: str) -> list[Condition]:
    """The limits `text` states on quantities: "from week 29 to the end of week 36" -> [29, 36] weeks; "children
    from 5 to 11 years" -> [5, 11] years; "no more than 8 kg" -> at most 8 kg; "after week 36" -> over 36 weeks."""
    text = text or ""
    found = quantities(text)
    # a bare number joined to a quantity ("from 5 to 11 years", "aged 14 and 15") is of the same unit
    bare = [Quantity(_value(m.group(1)), "", m.start(), m.end()) for m in re.finditer(_NUMBER + r"(?!\s*[\d%])", text)
            if not any(q.start <= m.start() < q.end for q in found)]
    out: list[Condition] = []
    used: set[int] = set()
    items = sorted(found + bare, key=lambda q: q.start)
    for i, q in enumerate(items):
        if i in used:
            continue
        nxt = items[i + 1] if i + 1 < len(items) else None
        between = text[q.end:nxt.start] if nxt is not None else ""
        if nxt is not None and _RANGE_JOIN.match(between) and (q.unit or nxt.unit) and \
                (not q.unit or not nxt.unit or q.unit == nxt.unit) and q.value <= nxt.value:
            out.append(Condition(q.unit or nxt.unit, q.value, nxt.value))
            used.add(i + 1)
            continue
        op = _operator(text, q) if q.unit else None
        if op is not None:
            out.append(_bound(op, q.unit, q.value))
    return out


def _operator(text: str, q: Quantity) -> str | None:
    """The bound the words around a quantity put on it ("up to 8 kg": "<="), or None."""
    before = text[max(0, q.start - 40):q.start]
    op = next((op for op, words in _BEFORE if re.search(r"\b" + words + _FILLER, before, re.I)), None) or \
        next((op for op, words in _ZH_BEFORE if re.search(words + r"\s*$", before)), None)
    return op or next((op for op, pattern in _AFTER if pattern.match(text[q.end:q.end + 20])), None)


# a person's age said as a bare number: "I'm 17", "my dad is 76", "my kids are 10 and 12" (only in what the customer
# says: in a document a bare number after "is" is anything)
_PERSON = r"(?:dad|father|mum|mom|mother|parents?|son|daughter|kids?|child|children|baby|boy|girl|husband|wife|" \
          r"partner|brother|sister|grand(?:ma|pa|mother|father|son|daughter|child|children|parents?)|nephew|niece|" \
          r"friends?|teenager)"
_BARE_AGE = re.compile(r"\b(?:i'?m|i’m|i am|(?:my|our|his|her|their)\s+(?:\w+\s+)?" + _PERSON +
                       r"\s+(?:is|are|was|were|turned|turns|is turning))\s+(?:only\s+|just\s+|nearly\s+|almost\s+|"
                       r"about\s+|now\s+)?(\d{1,3})(?:\s*(?:and|&)\s*(\d{1,3}))?(?!\s*(?:[.:,]\d|%|k\b|-|st\b|nd\b|"
                       r"rd\b|th\b|[ap]\.?m\b))(?!\s*(?:-|\s)?" + _UNIT + r"(?![\w]))", re.I)


def asked_quantities(text: str) -> list[Quantity]:
    """The customer's own numbers: the quantities of `text` that are no limit themselves ("30 weeks pregnant",
    "my 15 year old"; not "bags over 23 kg", which asks about a limit), and ages said as a bare number ("I'm 17",
    "my dad is 76")."""
    found = [q for q in quantities(text) if _operator(text, q) is None]
    for m in _BARE_AGE.finditer(text or ""):
        for g in (1, 2):
            if m.group(g) and 0 < int(m.group(g)) <= 120 and \
                    not any(q.start <= m.start(g) < q.end for q in found):
                found.append(Quantity(float(m.group(g)), "year", m.start(g), m.end(g)))
    return sorted(found, key=lambda q: q.start)


# spans of time one converts into another (minutes to weeks); months and years are not: "year" is also an age
_SPAN_MINUTES = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}
_SCALE = 10   # a number converted is compared only within this factor of the bound


def in_unit(q: Quantity, c: Condition) -> float | None:
    """The customer's number `q` in the unit of `c` ("3 weeks" is 21 days against "within 14 days", "3 days" 72 hours
    against "after 48 hours"), or None when they measure different things. A span is converted only into a finer
    unit and only when it is of the bound's scale: a span said in a coarser unit than the rule's is the same span
    rounded, where one said in a finer unit ("my order came 50 min late") is most often of another thing than the
    rule's hours ("a missing item reported within 2 hours"), and a span far from the bound ("the ride ran for 2
    hours" against "dispute within 14 days") is too."""
    if q.unit == c.unit:
        return q.value
    if q.unit not in _SPAN_MINUTES or c.unit not in _SPAN_MINUTES or _SPAN_MINUTES[q.unit] < _SPAN_MINUTES[c.unit]:
        return None
    value = q.value * _SPAN_MINUTES[q.unit] / _SPAN_MINUTES[c.unit]
    bounds = [b for b in (c.low, c.high) if b]
    return value if bounds and any(b / _SCALE <= value <= b * _SCALE for b in bounds) else None


def holds(asked: list[Quantity], text: str) -> bool | None:
    """Does `text` state a limit that holds for a number the customer gives (True), limits on that quantity none
    of which holds (False), or no limit on it (None)?"""
    verdict = None
    for c in conditions(text):
        for q in asked:
            value = in_unit(q, c)
            if value is None:
                continue
            if c.holds(value):
                return True
            verdict = False
    return verdict


def settles(asked: list[Quantity], text: str) -> bool | None:
    """Does `text` state a condition on a quantity the customer gives that settles the customer's case: True when it
    holds for every such number ("aged 18 or over" for "I'm 30"), False when it holds for none ("between the ages of
    18 and 74" for "my dad is 76"; "before 14:00" for "at 3pm"), None when `text` states no condition on a quantity of
    the customer's or the customer's numbers fall on both sides (two children of 10 and 12 against "under 12")."""
    verdicts = set()
    for q in asked:
        same = [(c, in_unit(q, c)) for c in conditions(text)]
        same = [(c, v) for c, v in same if v is not None]
        if same:
            verdicts.add(any(c.holds(v) for c, v in same))
    return verdicts.pop() if len(verdicts) == 1 else None


def _distance(c: Condition, value: float) -> float:
    """How near `value` lies to the bound of `c` that it meets (a rule for "60 or over" is nearer to 65 than one
    for "18 or over"): the smaller, the more particular the rule is to the customer's number."""
    return min([abs(value - b) for b in (c.low, c.high) if b is not None] or [float("inf")])


def past_a_window(asked: list[Quantity], text: str) -> bool:
    """Is the customer's number past every window of time `text` states ("within 30 days of delivery, if unopened"
    for "it's been 40 days")? Such a rule is for the others: the customer's case is another unit's (a fault, a
    warranty), so it settles nothing for a lift."""
    compared = [(c, in_unit(q, c)) for c in conditions(text) for q in asked]
    compared = [(c, v) for c, v in compared if v is not None]
    return bool(compared) and all((c.unit in _SPAN_MINUTES or c.unit == "month") and c.low is None and
                                  not c.holds(v) for c, v in compared)


def on_own_measure(asked: list[Quantity], text: str) -> bool:
    """Is every condition of `text` that the customer's numbers are compared with on an age, a time of day or a
    count of people: measures of the customer's own case whatever the sentence, unlike a span of time (a pause, a
    window to rejoin, a notice) or an object's size ("TVs of 65 inches and over" to mount is no answer to whether
    the delivery team mounts a 65 inch TV)?"""
    compared = [c for c in conditions(text) if any(in_unit(q, c) is not None for q in asked)]
    return bool(compared) and all(c.unit in ("year", "clock", "person") for c in compared)


def settled_first(asked: list[Quantity], ranked: list, look: int = 10) -> bool:
    """Does the best unit of `ranked` state a condition that settles the customer's number (`settles`), and is it
    the most particular such rule near the top: when its condition is met, no unit among the next `look` meets a
    condition on the same quantity nearer to the customer's number ("aged 18 or over" to sign for a parcel is no
    answer for "I'm 65" when "aged 60 or over: free" ranks a little lower)."""
    # a level ("the A1 course") names a course as often as it measures the customer: it settles nothing here
    asked = [q for q in asked if q.unit != "level"]
    if not asked or not ranked:
        return False
    verdict = settles(asked, ranked[0].unit.text)
    if verdict is None:
        return False
    if verdict is False:
        return True
    def nearest(text: str) -> float:
        return min([_distance(c, in_unit(q, c)) for c in conditions(text) for q in asked
                    if in_unit(q, c) is not None and c.holds(in_unit(q, c))] or [float("inf")])
    best = nearest(ranked[0].unit.text)
    return not any(nearest(r.unit.text) < best for r in ranked[1:look + 1])


def holding_first(asked: list[Quantity], ranked: list, look: int = 5, named: list[Quantity] | None = None) -> list:
    """`ranked` (ScoredUnit, best first) read with the customer's number: when the best unit's limits do not hold
    for it and one of the next `look` units of its document's do, that one comes first (the two swap their scores);
    when the best unit's limits hold, the units whose limits do not are dropped: the rows "Up to 1,500 km: $250"
    and "Over 3,500 km: $600" are no rivals of "1,500 to 3,500 km: $400" for a flight of 2,000 km. `named`: every
    quantity the question names (the customer's and the limits it asks about): a unit that states one of them ("0%
    over 24 months" for "finance over 24 months on a €500 phone") is not displaced by one that does not (the 12-month
    plan whose order values hold for €500)."""
    if not asked or not ranked:
        return ranked
    verdicts = [holds(asked, r.unit.text) for r in ranked]
    if verdicts[0] is False:
        top = ranked[0]
        said = {(q.value, q.unit) for q in quantities(top.unit.text)} & {(q.value, q.unit) for q in named or []}
        i = next((i for i in range(1, min(len(ranked), look + 1))
                  if verdicts[i] and ranked[i].unit.doc_id == top.unit.doc_id
                  and said <= {(q.value, q.unit) for q in quantities(ranked[i].unit.text)}), None)
        if i is None:
            return ranked
        promoted = dataclasses.replace(ranked[i], score=top.score)
        demoted = dataclasses.replace(top, score=ranked[i].score)
        ranked = [promoted] + ranked[1:i] + [demoted] + ranked[i + 1:]
        verdicts = [True] + verdicts[1:i] + [False] + verdicts[i + 1:]
    if not verdicts[0]:
        return ranked
    return [r for r, v in zip(ranked, verdicts) if v is not False]


def without_failing(asked: list[Quantity], chosen: list) -> list:
    """The units a reply states, without those whose limits do not hold for the customer's number, when one whose
    limits hold is stated ("until the end of week 28" beside "from week 29 to the end of week 36" for 30 weeks)."""
    if not asked:
        return chosen
    verdicts = [holds(asked, c.unit.text) for c in chosen]
    if True not in verdicts:
        return chosen
    return [c for c, v in zip(chosen, verdicts) if v is not False]


def with_stated_condition(asked: list[Quantity], chosen: list, ranked: list) -> list | None:
    """The units to state, each saying the condition that settles the customer's number: a list item whose lead-in
    holds the condition ("Sleep aids;" under "We sell these only to customers aged 18 or over:" for "I'm 17") gives
    way to the whole list, lead-in and items (a unit of `ranked`); None when there is no such list to state (the
    item alone would answer as if no condition were set)."""
    if not asked:
        return chosen
    out = []
    for c in chosen:
        if c.unit.kind != "list_item" or settles(asked, c.unit.text) is not None or \
                settles(asked, c.unit.context) is None:
            out.append(c)
            continue
        whole = list_holding(c, ranked, also=lambda r: settles(asked, r.unit.text) is not None)
        if whole is None:
            return None
        if not any(o.unit.text == whole.unit.text for o in out):
            out.append(dataclasses.replace(whole, score=c.score))
    return out
