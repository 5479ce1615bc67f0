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
  ("利率是多少？" after "你们提供房贷吗？") asks about the subject of the part before it.
- `no_value`: a part that asks for a value is not answered by evidence with no value of the kind at all (not even a
  number: "How big is the dividend bonus?" → "a dividend bonus, decided by the board each year").
- `no_list`: "which methods / what options" is answered by a list (a table row, a list, items joined by commas, 、,
  and/or): a sentence with none of these names one thing at most.
- `echo`: a "how does X work" / "which" part is not answered by a unit that only repeats the question's own words
  ("When a class is full you can join the waiting list" for "The class is full - how does the waiting list work?").
- `other_section`: a word the part asks about is neither in the unit nor in its own section heading, but is the whole
  heading of another section of the same document among the candidates ("towels" asked, "Lockers" stated, while the
  document has a "Towels" section): the unit is from the wrong section.
- `other_variant`: the part names a numbered variant ("a 48-month certificate", "3 个月定期") and the evidence names
  the same kind with other numbers only ("36-month certificate").
`focus_items` narrows a unit of labelled items ("Lisbon store: ready in 2 hours. Porto store: the next day.") to the
items about the name asked, as composer.focus_row does for table columns.
"""
from __future__ import annotations

import dataclasses
import re

from components.answers.evidence_selection import (ScoredUnit, _VALUE_PATTERNS, entity_names, has_value, number_other,
                                                   numbered_terms, terms)
from components.answers.question_analysis import REFERS_BACK, QuestionPart, type_phrase_of

# what a part asks for, said explicitly (the kinds of question_analysis are looser: "deposit" makes an amount there)
_ASKS_VALUE = [
    ("duration", re.compile(r"\bhow (long|soon|quickly)\b|\bhow many (days|weeks|months|years|hours|minutes)\b|"
                            r"多久|多长时间|几天|多少天", re.I)),
    ("percentage", re.compile(r"\bwhat(?:'s| is| are)? (?:the )?(?:\w+ ){0,3}(percent(?:age)?|rate|apr|apy)\b|"
                              r"\bhow much interest\b|利率是多少|比例是多少|百分之几|年化.{0,4}多少", re.I)),
    ("amount", re.compile(r"\bhow (much|big|large|high)\b|\bwhat(?:'s| is| are| does)? (?:the )?(?:\w+ ){0,3}"
                          r"(fees?|costs?|price|charges?|limits?)\b|多少钱|费用是多少|收费多少|多少费用|限额是多少|多少", re.I)),
    ("count", re.compile(r"\bhow many( times)?\b|几次|多少次", re.I)),
]
# words that only say a value is asked for, never what it is about
_QUESTION_WORDS = frozenset(terms("""how what when which much many long soon quickly big large high does do did is are
can could will would cost costs price time times day days week weeks month months year years hour hours minute
minutes percent percentage rate rates what's whats how's when's where's which's""")) | {"多少", "几", "什么", "哪些", "多久", "多长", "时间", "长时间", "多长时间", "几天",
                                            "多少天", "利率", "年利率", "比例", "费用", "价格", "收费"}
# items joined by a separator, or by "and"/"or" beside a name or a number ("Main Street and Northgate", "card or
# PayPal"); "to pay or receive the difference" joins two verbs, no options
_LIST_MARKS = re.compile(r"[、,，;；]|和|或|及|以及|\b([A-Z][\w-]*|\d\S*) (and|or)\b|\b(and|or) ([A-Z]|\d)")
# a part asking for several options in so many words ("which payment methods", "哪些方式"); "waiting list" is none
_ASKS_OPTIONS = re.compile(r"\b(which|what) (\w+ )?(methods|options|ways|types|kinds|reasons|documents|cards|"
                           r"services|plans)\b|\bwhat can (i|we|you) (pay|use)\b|哪些|哪几种|什么方式|哪种方式", re.I)
# any value of the kind, loosely (a number will do): a part asking for a value is not answered by evidence with none
_NUMBERISH = (r"\d|\b(once|twice|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty|"
              r"hundred|single|half|unlimited|no limit)\b|[一两二三四五六七八九十百千万半]")
_ANY_VALUE = {"amount": re.compile(_NUMBERISH + r"|\bfree\b|\bno (fee|charge|cost)s?\b|\bwaived?\b|免费|不收", re.I),
              "duration": re.compile(_NUMBERISH + r"|immediate|instant|same[- ]day|next (business )?day|never|"
                                     r"\b(a|one) (day|week|month|year)\b|立即|即时|当天|永久", re.I),
              "percentage": re.compile(_NUMBERISH + r"|percent|百分", re.I),
              "count": re.compile(_NUMBERISH, re.I)}
_CLAUSES = re.compile(r"(?<=[;。；!?！？])\s*|(?<=\.)(?!\d)\s*")  # "1.8%" is one number, not two clauses
_LABEL = re.compile(r"^\s*([^:：;；.。]{2,40})[:：]\s")


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def asked_value(text: str) -> str | None:
    """The kind of value a part asks for in so many words, or None."""
    for kind, pattern in _ASKS_VALUE:
        if pattern.search(text or ""):
            return kind
    return None


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


def value_subject(part: QuestionPart, evidence: list[ScoredUnit], carried: set[str]) -> str | None:
    kind = asked_value(part.text)
    if kind is None or "yes_no" in part.types:
        return None
    wanted = subject_terms(part.asked_text) or carried
    if REFERS_BACK.search(part.text):
        # "what does it cost without insurance?" after "How long is a long appointment?": "it" is the appointment
        wanted = wanted | carried
    if not wanted:
        return None
    pattern = _VALUE_PATTERNS[kind]
    holding = [c for e in evidence for c in _clauses(e) if pattern.search(c)]
    if not holding:
        return None  # no value of that kind at all: the confidence model's type_missing already weighs it
    if any(wanted & set(terms(c)) for c in holding):
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


def no_value(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    kind = asked_value(part.text)
    if kind is None or "yes_no" in part.types:
        return None
    if any(_ANY_VALUE[kind].search(f"{e.unit.text} {e.unit.source_title}") for e in evidence):
        return None
    return f"asks for {_a(kind)}; the evidence states none"


def _listy(scored: ScoredUnit) -> bool:
    return has_value("options", scored.unit) or bool(_LIST_MARKS.search(scored.unit.text))


def no_list(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    if not _ASKS_OPTIONS.search(part.text) or "yes_no" in part.types:
        return None
    if any(_listy(e) for e in evidence):
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
    missing = {t for t in subject_terms(part.text) if t not in own and known(t)}
    if not missing:
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


def other_variant(part: QuestionPart, evidence: list[ScoredUnit]) -> str | None:
    """The part names a numbered variant ("a 48-month certificate", "3 个月定期") and every unit stated names the same
    kind with other numbers only ("36-month certificate"): it answers for another variant, as the Silver row does for
    a Gold question."""
    asked = numbered_terms(part.text)
    if not asked or not evidence:
        return None
    if all(number_other(asked, f"{e.unit.context} {e.unit.text}") for e in evidence):
        named = ", ".join(f"{'/'.join(sorted(v))}-{k}" for k, v in asked.items())
        return f"asks about the {named} one; the evidence is about another"
    return None


def unknown_kind(part: QuestionPart, evidence: list[ScoredUnit], known=lambda t: True) -> str | None:
    """A yes/no part whose kind of value comes from a word the documents never use ("Do gift cards expire?": a
    duration, by "expire") asks about something no document states: a duration the evidence gives (a refund's 5 to 7
    days) is about something else."""
    if "yes_no" not in part.types or re.search(r"[\u3400-\u9fff]", part.text):
        return None
    said = {t for e in evidence for t in terms(f"{e.unit.text} {e.unit.context} {e.unit.source_title}")}
    for kind in part.types:
        if kind not in _ANY_VALUE:
            continue
        phrase = type_phrase_of(kind, part.text)
        missing = sorted(t for t in subject_terms(phrase) if t not in said and not known(t))
        if missing:
            return f"asks whether {', '.join(missing)} ({_a(kind)}), which the documents never mention"
    return None


def unanswered(part: QuestionPart, evidence: list[ScoredUnit], candidates: list[ScoredUnit],
               carried: set[str] = frozenset(), known=lambda t: True) -> str | None:
    """Why the evidence a reply would state for `part` does not answer it, or None when it may."""
    if not evidence:
        return None
    for check in (lambda: no_value(part, evidence), lambda: value_subject(part, evidence, set(carried)),
                  lambda: no_list(part, evidence),
                  lambda: echo(part, evidence), lambda: other_section(part, evidence, candidates, known),
                  lambda: other_variant(part, evidence), lambda: unknown_kind(part, evidence, known)):
        reason = check()
        if reason:
            return reason
    return None


def focus_items(scored: ScoredUnit, question: str) -> ScoredUnit:
    """Keep, of a unit made of labelled items ("Lisbon store: … Porto store: …"), the items whose label names what
    the question asks about, when some do and others name something else."""
    unit = scored.unit
    if unit.kind not in ("list", "sentence", "list_item", "faq_answer"):
        return scored
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


_NOUN_FLAGS = ("n", "j", "eng")          # jieba's part-of-speech tags of nouns (n, nr, nz, ns, nt ...), abbreviations
_NOT_A_SUBJECT_ZH = frozenset("时候 东西 问题 事情 情况 方面 地方 办法 关门 开门 上班 下班".split())  # tagged nouns, none a subject


def chinese_nouns(text: str) -> set[str]:
    """The nouns of a Chinese question ("支付宝", "房贷", "租车"), by jieba's part-of-speech tagger: what a question
    may name that the documents never mention; "一个", "几天", "周末", "上班" are no such subject."""
    if not re.search(r"[\u3400-\u9fff]", text or ""):
        return set()
    from components.knowledge.keyword_index import _jieba

    _jieba()
    import jieba.posseg

    return {w.word for w in jieba.posseg.cut(text) if len(w.word) >= 2 and w.flag.startswith(_NOUN_FLAGS)
            and re.search(r"[\u3400-\u9fff]", w.word) and w.word not in _NOT_A_SUBJECT_ZH}
