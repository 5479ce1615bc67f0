"""Follow-ups: "And for the Gold card?", "what if it was week 4", "那退款呢？" read as the previous question with the new
subject in place of the old, and a question that goes on from the previous one ("is that line open at night?").

- `is_followup` / `followup_subject`: a short elliptical question and what it asks about;
- `resolve_followup` / `with_previous`: the full question it stands for, swapping (in order) a name the customer wrote,
  the words before the subject's own noun, a value of the same shape (week 2 -> week 4, B1 -> C1), or a word the
  documents write as a name (`written_as_name`); `continues_previous`: a full question that goes on from the last;
  "what about Porto, how much is it there?" is the follow-up "what about Porto?" when the question after it only
  asks the previous one again; a what-if of any length takes the place of the condition the previous question
  stated ("and if I go back down to standard later?" after "if i upgrade … today when does it kick in?");
- `qualifiers`: the words that qualified the swapped term in the previous answer ("outgoing" of "Domestic wire,
  outgoing");
- `about_previous_subject`: evidence about the swapped-out subject is no answer; a numbered subject ("week 2") is
  named by its number beside its word, not by the number alone ("2.3 From the start of week 3").
A follow-up naming the customer's own thing has that thing for subject ("card" of "and if it goes back to my
card?"), and a Chinese subject in place of a Latin name runs on into the Chinese after it ("度假村几点可以入住？").
"""
from __future__ import annotations

import re

from components.answers.answerability import WEEKDAY_NAME
from components.answers.charge_periods import asked_period, period_mentions
from components.answers.evidence_selection import entity_names, terms
from components.answers.followup_conditions import splice_condition, with_condition
from components.answers.question_analysis import answer_types, type_phrase
from components.nlu.cjk_characters import CJK_RUN, HAN, has_cjk

# (the longer leads first: "and what about the Gold card?" is about "Gold card", not "what Gold card")
_FOLLOWUP_EN = re.compile(r"^\s*(and what about|and how about|and for|and the|and with|and in|and|what about|"
                          r"how about|what if|same for|also for)\b(.*)$", re.I)
_FOLLOWUP_ZH = re.compile(r"^\s*(那|那么|还有|另外)?(.{1,24}?)(呢|怎么样|如何)[?？。]?\s*$")
_WHEN_WORD = re.compile(WEEKDAY_NAME + r"|\bweekends?\b|\bholidays?\b|"
                        r"\b(christmas|easter|new year'?s?)\b|\b(january|february|march|april|may|june|july|august|"
                        r"september|october|november|december)\b|\b(mornings?|evenings?|nights?|today|tomorrow)\b|"
                        r"周[一二三四五六日末]|星期[一二三四五六日天]|节假日|春节|圣诞", re.I)
# ("and if it was the Porto one instead?": "instead", "too", "then" and the "was" of "what if it was" say nothing of
# the subject, and pasted into the previous question they stood beside the name they replaced)
_FOLLOWUP_FILLER = re.compile(r"\b(for|the|a|an|about|with|in|on|at|to|of|my|your|one|ones|"
                              r"if it(['’]s| was| were| is)|it['’]s|it (?:was|were|is)|it|"
                              r"instead|too|as well|then)\b|"
                              r"[?？.!。！,，]", re.I)
# a question that goes on from the previous one without repeating it: "ok and by when do i have to sign up",
# "and what's the penalty if I take the money out early?", "is there a grace period on cash advances too?", "do i
# have to pay a fee for that" (at most nine words, ending on the pronoun); a what-if too long to be a follow-up
# ("what if the delay was because your own pilots were on strike?") asks the previous question in another case
_CONTINUES = re.compile(r"^\s*(and|also|so|but|plus|then|what\s+if|what\s+about\s+if|how\s+about\s+if)\b|"
                        r"\b(too|as well|either)\s*[?？.!]*\s*$|"
                        r"\b(is|are|does|do|can|will|would)\s+(that|this|those|these|it|they)\b(?!\s+(is|are|was)\b)|"
                        r"\bthe same\b|"
                        # "do i have to pay a fee for that": a short question ending on what it refers back to
                        r"^(?=(?:\W*[\w'’-]+){1,9}\W*$).*\b(for|about|on|with|after|before|during|of)\s+"
                        r"(that|this|it|them|those)\s*[?？.!]*\s*$", re.I)
# a clause ending on what it refers back to: "… for that", "… about it"
ENDS_ON_WHAT_WAS_SAID = re.compile(r"\b(for|about|on|with|after|before|during|of)\s+(that|this|it|them|those)\s*[?？.!]*"
                                   r"\s*$", re.I)
# the customer's own thing ("my shares", "to my card"): a possessive and at most two words before a word that ends a
# noun phrase; after an auxiliary or a question word it is the question's subject ("can my husband pick up …")
_OWN = r"(?P<own>(?:my|our)\s+(?P<thing>[a-z][\w'’-]*(?:\s+(?!(?:{stop})\b)[a-z][\w'’-]*)?))"
_OWN_STOP = (r"a|an|the|my|our|your|it|this|that|them|if|when|once|so|and|or|but|to|for|on|in|at|with|from|by|of|"
             r"is|are|was|were|be|been|do|does|did|can|could|will|would|should|too|also|still|now|then|there|here")
_OWN_THING = re.compile(r"(?:\b(?P<prep>for|on|to|with|in|at|from|by|of|into|onto)\s+)?\b"
                        + _OWN.format(stop=_OWN_STOP), re.I)
_PERSON = re.compile(r"\b(?:husband|wife|partner|son|daughter|kids?|child|children|baby|mum|mom|mother|dad|father|"
                     r"parents?|brother|sister|friend|grandma|grandmother|grandpa|grandfather|aunt|uncle|nephew|"
                     r"niece|cousin|grandson|granddaughter|boss|colleague)\b", re.I)
_ASKS_OF_SUBJECT = re.compile(r"(?:^|[?？.!]\s*|\b(?:can|could|do|does|did|is|are|was|were|will|would|should|has|have|"
                              r"may|might|must|how|what|when|where|why|which)\s+)$", re.I)


def _swap_own_thing(text: str, question: str) -> tuple[str, str | None]:
    """`question` with the customer's own thing replaced by the one the follow-up names ("what happens to my shares
    if you go bust?" for "and my shares?" after "what happens to my cash if you go bust?"; "How long does a refund to
    my card take?" for "and if it goes back to my card?" after "… a refund to my bank account take?"): the phrase
    after the follow-up's own preposition first, else the question's last; never the subject of the question ("can
    my husband pick up my order …?" gives "my order" way), and a person only for a person ("can my daughter use my
    membership?" for "and my daughter?" after "can my son use my membership?"). (question, None) when either names
    no thing of theirs."""
    new = None
    for new in _OWN_THING.finditer(without_lead(text)):
        pass
    if new is None or re.search(r"\w", without_lead(text)[new.end():]):
        return question, None
    person = bool(_PERSON.match(new.group("thing")))
    olds = [m for m in _OWN_THING.finditer(question) if m.group("thing").lower() != new.group("thing").lower()
            and bool(_PERSON.match(m.group("thing"))) == person
            and (person or not _ASKS_OF_SUBJECT.search(question[:m.start()]))]
    same = [m for m in olds if new.group("prep") and (m.group("prep") or "").lower() == new.group("prep").lower()]
    old = same[0] if same else (olds[-1] if olds else None)
    if old is None:
        return question, None
    # a person is one word ("my son", not "my son use")
    start = old.start("own")
    end = old.start("thing") + len(old.group("thing").split()[0]) if person else old.end("own")
    return question[:start] + new.group("own") + question[end:], question[start:end]


def own_thing(text: str) -> str | None:
    """The customer's own thing a follow-up ends on ("card" of "and if it goes back to my card?"), or None."""
    last = None
    for last in _OWN_THING.finditer(without_lead(text)):
        pass
    return last.group("thing") if last is not None else None


# values of one shape, which a follow-up swaps for each other: a weekday, a month, a level or a code ("B1", "C1"), a
# numbered step ("week 2", "week 4")
_SHAPES = [re.compile(WEEKDAY_NAME, re.I),
           re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
                      r"december)\b", re.I),
           re.compile(r"\b[A-Z]{1,2}\d{1,2}\b"),
           re.compile(r"\b([a-z]{3,})\s+(\d{1,3})\b", re.I)]


# an amount of time or distance ("25 minutes" -> "40 minutes"), or an age, in Chinese too ("30 岁" -> "65 岁",
# "3 晚"): the unit is the kind
_AMOUNT = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?P<kind>minute|min|hour|day|week|month|year|km|mile|night)s?\b|"
                     r"(?<![\d.,])\d+(?:[.,]\d+)?\s*(?P<kind_zh>岁|周岁|天|晚|个月|周|星期|年|公里|分钟|小时)", re.I)


# a time of day ("at 11 in the morning" -> "3pm", "14:00", "noon"): the follow-up's time takes the previous one's place,
# never a weekday's or a name's
_CLOCK = re.compile(r"\b\d{1,2}(?:[:.][0-5]\d)?\s*(?:a\.?m\.?|p\.?m\.?)(?![\w])|(?<![\d.,:])(?:[01]?\d|2[0-3]):[0-5]\d"
                    r"(?![\d:])|\b\d{1,2}\s+(?:o'?clock\s+)?(?:in\s+the\s+(?:morning|afternoon|evening)|at\s+night)\b|"
                    r"\b(?:noon|midday|midnight)\b", re.I)


def is_followup(text: str) -> bool:
    """A short elliptical question that only makes sense with the previous one: "And for the Gold card?"."""
    text = (text or "").strip()
    if not text:
        return False
    if has_cjk(text):
        match = _FOLLOWUP_ZH.match(text)
        # a name in Latin letters counts as one word ("那 Cedar Quay 呢？" is as short as "那白金卡呢？")
        return bool(match) and len(re.sub(r"[A-Za-z0-9][A-Za-z0-9 .'-]*[A-Za-z0-9]", "x", text)) <= 14
    words = re.findall(r"[\w'’-]+", text)
    return bool(_FOLLOWUP_EN.match(text)) and len(words) <= 8 and not re.search(
        r"\b(can|could|do|does|is|are|how long|how much|when|which|what is|what are)\b",
        _FOLLOWUP_EN.match(text).group(2), re.I)


# a count the customer spells out is the number the documents write: "a pack of ten" is the "Pack of 10 lessons"
_NUMBER_WORDS = {w: str(i) for i, w in enumerate("zero one two three four five six seven eight nine ten eleven "
                                                 "twelve".split()) if i >= 2}
_COUNTED = re.compile(r"(?<!\bor\s)\b(" + "|".join(_NUMBER_WORDS) + r")\b(?!\s+(?:of|or)\b)", re.I)


def followup_subject(text: str) -> str:
    """What a follow-up asks about: "And for the Gold card?" -> "Gold card"; "那退款呢？" -> "退款"; a count spelled out
    in words is written in digits ("and if I buy a pack of ten?" -> "if I buy pack 10")."""
    text = (text or "").strip()
    if has_cjk(text):
        match = _FOLLOWUP_ZH.match(text)
        return match.group(2).strip() if match else text
    match = _FOLLOWUP_EN.match(text)
    rest = match.group(2) if match else text
    rest = _COUNTED.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], rest)
    return re.sub(r"\s+", " ", _FOLLOWUP_FILLER.sub(" ", rest)).strip()


def resolve_followup(text: str, previous_question: str | None, previous_subject_terms: list[str] | None = None,
                     document_names: list[str] | None = None) -> tuple[str, dict | None]:
    """The question to answer: `text` itself, or for a follow-up the previous question with its subject replaced:
    a name the customer wrote (`previous_subject_terms`), else the words before the subject's own noun ("domestic"
    of "domestic wire" for "an international wire"), else a value of the subject's shape ("week 2" for "week 4"),
    else a word the documents write as a name (`document_names`: "intensive" for "and the standard one?").

    Returns (question, info) where info says what was reused ({"previous", "subject", "replaced"}) or None."""
    if not previous_question or not is_followup(text):
        return text, None
    subject = followup_subject(text)
    if not subject:
        return text, None
    replaced = None
    question = previous_question.strip()
    conditioned = with_condition(_COUNTED.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], without_lead(text)),
                                 question)
    if conditioned is not None and conditioned.replaced is not None:
        # "and if I had Plus?" after "…, i don't have plus. do i get anything?": the condition turned, the rest kept;
        # its subject is the condition as now said ("I have plus"). Turned to a negation ("I'm not on the register")
        # it has none: evidence about those who are on it is about the other case, so its words count for nothing
        if conditioned.negated:
            return conditioned.question, {"previous": previous_question, "subject": "", "replaced": conditioned.object,
                                          "condition": conditioned.replaced}
        return conditioned.question, {"previous": previous_question, "subject": conditioned.said, "replaced": None,
                                      "condition": conditioned.replaced}
    # "And the Porto one?" after "What time does the Lisbon store close on Saturday?" swaps the store, not the
    # day; "And on Sunday?" swaps the day: a term of the same kind (a day or date, or not) as the new subject first
    same_kind = bool(_WHEN_WORD.search(subject))
    candidates = sorted(previous_subject_terms or [], key=lambda t: (bool(_WHEN_WORD.search(t)) != same_kind, -len(t)))
    if conditioned is not None:
        # a condition added ("and if I have Plus?", "and if im flying long haul?", "what if it's been 3 days"): no
        # word of the previous question gives way to its clause, only a value of its shape ("20 minutes" to "40
        # minutes") or a name the customer wrote to the name it has ("if I have a Gold card" after "the Silver card")
        for shapes in ([_CLOCK, _AMOUNT], _SHAPES):
            question, replaced = _swap_same_shape(subject, question, shapes)
            if replaced is not None:
                break
        new = conditioned.object
        for term in candidates if replaced is None and re.search(r"[A-Z]", new) else []:
            if re.search(r"\b" + re.escape(term) + r"\b", question, re.I):
                question = re.sub(r"\b" + re.escape(term) + r"\b", new, question, count=1, flags=re.I)
                question = re.sub(r"\b(" + re.escape(new.split()[-1]) + r")\s+\1\b", r"\1", question, flags=re.I)
                replaced, subject = term, new
                break
        if replaced is None:
            question = conditioned.question
        return question, {"previous": previous_question, "subject": subject, "replaced": replaced}
    if _CONTACT.fullmatch(subject):
        # "and the email address?" swaps the way of contact, not the name in the question ("the Porto store")
        question, replaced = _swap_contact(subject, question)
    if replaced is None and not re.search(f"[A-Z{HAN}]", subject):
        # "and for gas?" after "…standing charge for electricity on Fix 24?": a plain word takes the place of the
        # word the same preposition introduced, not of the name
        question, replaced = _swap_same_preposition(text, subject, question, document_names or [])
    if replaced is None:
        question, replaced = _swap_same_shape(subject, question, [_CLOCK, _AMOUNT])
    if replaced is None:
        question, replaced = _swap_numbered(subject, question)
    if replaced is None:
        question, replaced = _swap_period(subject, question)
    if replaced is None and has_cjk(subject):
        # "那年度会员呢？" after "Plus 月度会员多少钱？": the Chinese phrase with the same head (月度会员) gives way, not the
        # name in Latin letters beside it
        question, replaced = _swap_same_head_zh(subject, question)
    for term in candidates if replaced is None else []:
        if term and re.search(re.escape(term), question, re.I):
            question = re.sub(re.escape(term), subject, question, count=1, flags=re.I)
            # "the Silver card" with the subject "Gold card" is "the Gold card", not "the Gold card card"
            question = re.sub(r"\b(" + re.escape(subject.split()[-1]) + r")\s+\1\b", r"\1", question, flags=re.I)
            question = _run_together_zh(subject, question)
            replaced = term
            break
    if replaced is None:
        question, replaced = _swap_same_head(subject, question)
    if replaced is None:
        question, replaced = _swap_same_shape(subject, question)
    if replaced is None:
        question, replaced = _swap_contact(subject, question)
    for term in sorted(document_names or [], key=len, reverse=True):
        if replaced is not None:
            break
        if term and term.lower() not in subject.lower() and re.search(r"\b" + re.escape(term) + r"\b", question, re.I):
            question = re.sub(r"\b" + re.escape(term) + r"\b", subject, question, count=1, flags=re.I)
            replaced = term
    if replaced is None:
        question, replaced = _swap_own_thing(text, question)
        if replaced is not None:
            # its subject is the thing of theirs it names ("my card" of "and if it goes back to my card?"), not the
            # words around it, which the question now says otherwise ("goes back")
            subject = own_thing(text) or subject
    if replaced is None:
        # no named subject to swap: ask the same kind of thing ("how long", "多长时间") about the new subject
        phrase = type_phrase(previous_question)
        # Chinese words run together: a space between two would part them as two questions (split_question), and
        # the subject would be left out of the one answered ("指定日配送 运费" is the question "运费")
        space = "" if has_cjk(subject[-1:]) and has_cjk((phrase or question)[:1]) else " "
        asked = _asked_after_story_zh(question) if phrase and has_cjk(subject) else None
        own = _chinese_subject_and_period(question, phrase) if phrase else None
        if own is not None:
            # "那 Flex 呢？" after "固定工位每月多少钱？": the new subject in place of the old one, the period kept
            # ("Flex 每月多少钱"); the old subject's words no longer count (they ranked the unit naming both first)
            replaced, period = own
            return f"{subject}{space}{period}{phrase}", {"previous": previous_question, "subject": subject,
                                                          "replaced": replaced}
        if asked and phrase in asked:
            # "那车险呢？" after "房子漏水损坏了，要在几天内报案？": the new subject in place of the situation told before
            # the question, whose words the question still needs ("车险要在几天内报案？", not "车险几天")
            question = f"{subject}{asked}"
        else:
            question = f"{subject}{space}{phrase}" if phrase else f"{subject}{space}{question}"
    if replaced is not None:
        question = _period_of_subject_zh(subject, question)
    return question, {"previous": previous_question, "subject": subject, "replaced": replaced}


def _run_together_zh(subject: str, question: str) -> str:
    """`question` without the space that parted a name in Latin letters from the Chinese beside it, where a Chinese
    subject took the name's place ("度假村几点可以入住？" for "那度假村呢？" after "Kelmouth Harbour 几点可以入住？"): a space
    between Chinese words parts them as two questions (`split_question`), and the subject would be left out of the
    one answered."""
    if not has_cjk(subject):
        return question
    if _HAN_END.search(subject):
        question = re.sub(re.escape(subject) + rf"[ \t\u3000]+(?=[{HAN}])", subject, question, count=1)
    if _HAN_START.match(subject):
        question = re.sub(rf"(?<=[{HAN}])[ \t\u3000]+" + re.escape(subject), subject, question, count=1)
    return question


_HAN_END = re.compile(rf"[{HAN}]$")
_HAN_START = re.compile(rf"^[{HAN}]")


# the period a Chinese price question names just before what it asks ("每月多少钱", "一晚多少钱")
_PERIOD_BEFORE_ASKED_ZH = r"每月|每年|每周|每天|每晚|按月|按年|一晚|一天|一个月|一年"


def _chinese_subject_and_period(question: str, phrase: str) -> tuple[str, str] | None:
    """(the subject, the period) of a Chinese question that is only a subject, a period and what it asks
    ("固定工位每月多少钱？" -> ("固定工位", "每月")), or None (a question with more in it, or none of Chinese)."""
    if not has_cjk(question):
        return None
    m = re.fullmatch(rf"\s*([^，,。；;？?\s][^，,。；;？?]{{0,15}}?)\s*({_PERIOD_BEFORE_ASKED_ZH})?\s*{re.escape(phrase)}"
                     r"\s*[?？]?\s*", question)
    if m is None or re.search(r"[吗呢]|可以|能|要", m.group(1)):
        return None
    return m.group(1).strip(), m.group(2) or ""


# a Chinese subject named by its own period ("年卡" a yearly pass, "月度会员", "日票", "周卡"), and the period word a
# price question asks it by
_SUBJECT_PERIOD_ZH = re.compile(rf"^(年|月|周|日|天)度?(?=[{HAN}])")
_PERIOD_WORD_ZH = {"年": "每年", "月": "每月", "周": "每周", "日": "每天", "天": "每天"}
_ASKED_PERIOD_ZH = re.compile(r"每个?月|每一?年|每个?星期|每周|每一?天|每日|按月|按年|按周|按天")


def _period_of_subject_zh(subject: str, question: str) -> str:
    """`question` asking the new subject's own period where the subject names one and the question, carried over
    from the previous one, another: "那年卡呢？" after "月卡每月多少钱？" asks what the yearly pass costs a year ("年卡每年
    多少钱"), not its monthly sum, which no document states (evidence "年卡: 每年 120 英镑" would be another period's)."""
    m = _SUBJECT_PERIOD_ZH.match(subject)
    if not m:
        return question
    own = _PERIOD_WORD_ZH[m.group(1)]
    return _ASKED_PERIOD_ZH.sub(lambda said: said.group(0) if own[-1] in said.group(0) else own, question)


def _asked_after_story_zh(question: str) -> str | None:
    """The question of a Chinese message that tells a situation first ("房子漏水损坏了，要在几天内报案？" ->
    "要在几天内报案？"), or None when it opens with its question."""
    story, comma, asked = question.rpartition("，") if "，" in question else question.rpartition(",")
    if not comma or not has_cjk(story) or re.search(r"[?？吗]", story) or not asked.strip():
        return None
    return asked.strip()


def _swap_period(subject: str, question: str) -> tuple[str, str | None]:
    """`question` with its period word replaced by the follow-up's, where the follow-up names a period ("按年付呢？"
    after "Plus 每个月多少钱？" is "Plus 按年付多少钱？"; "and yearly?" after "how much is Plus per month?"); (question,
    None) when either names none, or the same one."""
    wanted = asked_period(subject)
    said = period_mentions(question)
    if wanted is None or len(said) != 1 or said[0].lastgroup == wanted:
        return question, None
    m = said[0]
    return question[:m.start()] + subject + question[m.end():], m.group(0)


def without_lead(text: str) -> str:
    """A follow-up without the words that mark it as one ("and", "what about"): "and if I had Plus?" -> "if I had
    Plus?"."""
    match = _FOLLOWUP_EN.match(text or "")
    if not match:
        return text
    lead = match.group(1).lower()
    # "and for", "and with", "what if": the preposition or "if" is the follow-up's own
    kept = lead.split()[-1] if lead.split()[-1] in {"for", "with", "in", "if"} else ""
    return f"{kept} {match.group(2)}".strip()


_LEADING_PREPOSITION = re.compile(r"^\s*(?:(?:and|what about|how about|and what about|same|also)\s+)?"
                                  r"(for|on|to|with|in|at|from|by)\s+", re.I)
_DETERMINER = r"(?:(?:the|a|an|my|your|our|their)\s+)?"
_NOT_SLOTS = frozenset("""a an the my your our their it this that them you me us him her i we they there here what
which who how when where one ones each every all any some""".split())


def _swap_same_preposition(text: str, subject: str, question: str, names: list[str] = ()) -> tuple[str, str | None]:
    """`question` with the word after the follow-up's own preposition replaced by the subject ("What's the daily
    standing charge for gas on Fix 24?" for "and for gas?" after "… for electricity on Fix 24?"; "can I deliver on my
    scooter?" for "and on a scooter?" after "can I deliver on my bike?"), with the word after it when the documents
    write the two as one name (`names`, `two_word_names`: "with a flex?" for "and with flex?" after "… with a fixed
    desk?", where the documents write "Fixed Desk"); (question, None) when the follow-up starts with no preposition or the question has
    none of its kind before a plain word."""
    lead = _LEADING_PREPOSITION.match(without_lead(text))
    if not lead or not subject:
        return question, None
    first = subject.split()[0].lower()
    for old in re.finditer(r"\b" + lead.group(1) + r"\s+" + _DETERMINER + r"([a-z][\w'’-]*)", question, re.I):
        word = old.group(1)
        # a capitalised word is a name ("on Fix 24"), but an acronym after an article is a thing ("on a TV")
        article = re.search(r"\s(?:a|an|the)\s+$", question[old.start():old.start(1)], re.I)
        acronym = bool(article) and bool(re.fullmatch(r"[A-Z]{2,4}s?", word))
        if word.lower() in _NOT_SLOTS or (word[0].isupper() and not acronym) or word.lower() == first:
            continue
        # "for a domestic wire" with the subject "international wire" is "for a international wire"
        head = re.match(r"\s+" + re.escape(subject.split()[-1]) + r"\b", question[old.end(1):], re.I) \
            if len(subject.split()) > 1 else None
        end = old.end(1) + (head.end() if head else 0)
        after = re.match(r"\s+([a-z][\w'’-]*)", question[end:], re.I)
        if not head and after and f"{word} {after.group(1)}".lower() in {n.lower() for n in names}:
            end += after.end()
        return question[:old.start(1)] + subject + question[end:], question[old.start(1):end]
    return question, None


# words beside a number that name no variant of a thing ("was 20", "over 18", "20 minutes")
_NOT_NUMBERED = _NOT_SLOTS | frozenset("""was were been be is are had has have about over under than more less
after before within for and or to of by""".split())
_UNIT = re.compile(r"(?:minute|min|hour|hr|day|week|month|year|km|mile|kg|night|time|percent)s?", re.I)


def _swap_numbered(subject: str, question: str) -> tuple[str, str | None]:
    """`question` with its numbered variant of the subject's thing replaced ("how much does it cost to leave 12 month
    fix early?" for "and on the 12 month fix?" after "… leave fix 24 early?"); (question, None) when the subject names
    no number or the question no other numbered variant of a word of it."""
    numbers = set(re.findall(r"\d+", subject))
    if not numbers:
        return question, None
    for word in (w for w in subject.split() if len(w) >= 3 and not re.search(r"\d", w)
                 and w.lower() not in _NOT_NUMBERED and not _UNIT.fullmatch(w)):
        numbered = re.compile(r"\b" + re.escape(word) + r"[\s-]+(\d+)\b|\b(\d+)[\s-]*(?:[a-z]+[\s-]+)?" +
                              re.escape(word) + r"\b", re.I)
        own = numbered.search(subject)   # "week 4" of "was week 4"
        for old in numbered.finditer(question) if own else []:
            if (old.group(1) or old.group(2)) not in numbers:
                return question[:old.start()] + own.group(0) + question[old.end():], old.group(0)
    return question, None


_NOT_MODIFIERS = frozenset("a an the my your our its their this that for on in at to of with and or is are".split())


def _swap_same_head(subject: str, question: str) -> tuple[str, str | None]:
    """"international wire" after "What's the cut-off time for a domestic wire?": the word before the subject's last
    word in the question ("domestic wire") is replaced by the subject."""
    words = subject.split()
    if len(words) < 2 or len(words[-1]) < 3:
        return question, None
    match = re.search(r"\b([A-Za-z][\w'-]*)\s+" + re.escape(words[-1]) + r"\b", question, re.I)
    if not match or match.group(1).lower() in _NOT_MODIFIERS or match.group(1).lower() == words[-2].lower():
        return question, None
    return question[:match.start()] + subject + question[match.end():], match.group(0)


# words that end a Chinese phrase without being the thing it names
_NOT_HEADS_ZH = frozenset("的 了 吗 呢 吧 是 有 在 要 会 能 可以 多少 几 什么 怎么 哪些 如何".split())


def _swap_same_head_zh(subject: str, question: str) -> tuple[str, str | None]:
    """"年度会员" after "Plus 月度会员多少钱？": the word of the question that ends on the subject's own head (会员, 卡,
    险) with another modifier ("月度会员") is replaced by the subject, as `_swap_same_head` does in English ("银卡" for
    "金卡" in "金卡的年费是多少？"); (question, None) when no word of the question has the subject's head."""
    if not re.fullmatch(rf"[{HAN}]{{2,8}}", subject or ""):
        return question, None
    from components.knowledge.keyword_index import _jieba

    words = [w for w in _jieba().lcut(question)]
    for n in range(min(len(subject) - 1, 3), 0, -1):
        head, modifier = subject[-n:], subject[:-n]
        if head in _NOT_HEADS_ZH:
            continue
        for i, word in enumerate(words):
            if not word.endswith(head):
                continue
            start = i
            if word == head:
                # the head cut as a word of its own: with the word before it ("月度" + "会员")
                if i == 0 or not CJK_RUN.fullmatch(words[i - 1]) or words[i - 1] in _NOT_HEADS_ZH:
                    continue
                start = i - 1
            old = "".join(words[start:i + 1])
            if old == subject or old[:-n] == modifier or subject in question:
                continue
            at = sum(len(w) for w in words[:start])
            return question[:at] + subject + question[at + len(old):], old
    return question, None


def _swap_same_shape(subject: str, question: str, shapes: list[re.Pattern] = _SHAPES) -> tuple[str, str | None]:
    """`question` with its value of the subject's shape replaced by the subject's ("what if it was week 4" after
    "I'm in week 2 ..., do I get a refund?"; "and on a monday?" after "what time does it close on wednesdays"; "and
    at B2?" after "how much is the A1 course"), and the value replaced; (question, None) when it has none."""
    for shape in shapes:
        new = shape.search(subject)
        if not new:
            continue
        for old in shape.finditer(question):
            if old.group(0).lower() == new.group(0).lower():
                continue
            # "week 4" replaces "week 2", never "term 2"
            kind = "kind" if "kind" in shape.groupindex else 1
            if old.groups() and _kind(old, kind) != _kind(new, kind):
                continue
            return question[:old.start()] + new.group(0) + question[old.end():], old.group(0)
    return question, None


def _kind(match: re.Match, group: str | int) -> str:
    """The kind of a value of some shape: its unit ("minute", "岁") or the word it numbers ("week")."""
    said = match.group(group) or (match.groupdict().get("kind_zh") if group == "kind" else None) or ""
    return said.lower().rstrip("s")


# the ways to reach a business: "and the email address?" after "what's your phone number?" asks for the email address
# in place of the phone number (the subject is itself the kind of answer asked for)
_CONTACT = re.compile(r"\b(?:(?:tele)?phone(?: number)?|phone line|hotline|e-?mail(?: address)?|(?:postal |mailing |"
                      r"street )?address|fax(?: number)?|whats ?app(?: number)?)\b", re.I)


def _swap_contact(subject: str, question: str) -> tuple[str, str | None]:
    """`question` with its way of contact replaced by the subject's ("What's your customer service email address?"
    for "and the email address?" after "What's your customer service phone number?"); (question, None) when the
    subject names no way of contact, or the same one."""
    new, old = _CONTACT.search(subject), _CONTACT.search(question)
    if not new or not old or new.group(0).lower() == old.group(0).lower():
        return question, None
    return question[:old.start()] + new.group(0) + question[old.end():], old.group(0)


def continues_previous(text: str) -> bool:
    """A full question that goes on from the previous one ("and by when do I have to sign up?", "is there a grace
    period on cash advances too?"): answered as asked, with the previous question as its context."""
    text = (text or "").strip()
    return bool(text) and not is_followup(text) and bool(_CONTINUES.search(text))


# "what about Porto, how much is it there?": a follow-up's subject, then the question it stands for asked again
_ABOUT_THEN_ASKED = re.compile(r"^\s*((?:and\s+)?(?:what|how)\s+about\s+[^,，?？]{1,40}?)\s*[,，]\s*(\S.*)$", re.I)
_POINTING = re.compile(r"\b(?:it|its|that|there|they|them|those)\b", re.I)


def with_previous(text: str, previous_question: str | None, previous_subject_terms: list[str] | None = None,
                  document_names: list[str] | None = None) -> tuple[str, dict | None]:
    """`resolve_followup`, and for a question that continues the previous one (`continues_previous`) the question
    as asked with {"previous", "subject": "", "replaced": None, "continuation": True}. "what about Porto, how much
    is it there?" after "How much is parking at the Lisbon store?" is the follow-up "what about Porto?": the question
    after it points back ("it", "there") and asks the previous question's kind of answer again, naming nothing the
    previous question did not ("what about Porto, is it open on Sundays?" asks something else)."""
    question, info = resolve_followup(text, previous_question, previous_subject_terms, document_names)
    about = _ABOUT_THEN_ASKED.match(text or "") if info is None and previous_question else None
    if about and is_followup(f"{about.group(1)}?") and _POINTING.search(about.group(2)) and \
            answer_types(about.group(2))[:1] == answer_types(previous_question)[:1] and \
            set(terms(about.group(2))) <= set(terms(previous_question)):
        resolved = resolve_followup(f"{about.group(1)}?", previous_question, previous_subject_terms, document_names)
        if resolved[1] is not None:
            return resolved
    what_if = _WHAT_IF.match(text or "") if info is None and previous_question else None
    spliced = splice_condition(previous_question, what_if.group(1)) if what_if else None
    if spliced is not None:
        # "and if I go back down to standard later?" after "if i upgrade … today when does it kick in?": a what-if
        # too long to be read as a follow-up is still the previous question in another case, when that question
        # states the case it gives way to
        return spliced.question, {"previous": previous_question, "subject": spliced.said, "replaced": None,
                                  "condition": spliced.replaced}
    if info is None and previous_question and continues_previous(text):
        info = {"previous": previous_question, "subject": "", "replaced": None, "continuation": True}
    return question, info


# a what-if that is all condition: "and if I only pay for it at the airport?" (no question of its own after a comma)
_WHAT_IF = re.compile(r"^\s*(?:(?:ok(?:ay)?|so|but)\s*,?\s*)?(?:and\s+|what\s+)(if\s+[^,;:?？.!]+?)\s*[?？.!]*\s*$", re.I)


_NOT_NAMES = frozenset("""the and for with can could does did what when where which how many much you your our are was
were have has will would should may might there their this that these those from into about""".split())


def name_candidates(question: str) -> set[str]:
    """The words of a question that could be names the documents write capitalised (not function words)."""
    return {w.lower() for w in re.findall(r"[A-Za-z][\w-]{2,}", question or "")} - _NOT_NAMES


def written_as_name(word: str, texts: list[str]) -> bool:
    """Do the texts write `word` capitalised inside a sentence ("an Intensive course", "Course: Standard") more often
    than in lower case ("a standard fee")?"""
    named = plain = 0
    for text in texts:
        for match in re.finditer(r"\b" + re.escape(word) + r"\b", text, re.I):
            if match.group(0)[0].islower():
                plain += 1
            elif re.search(r"[^\s.!?;#*>|-][ \t]*$", text[max(0, match.start() - 3):match.start()]):
                named += 1
    return named > plain


def two_word_names(question: str, names: list[str], texts: list[str]) -> list[str]:
    """The pairs of words of `question` that begin with a name (`names`) and that the texts write as one name, both
    words capitalised ("fixed desk" where the documents write "a Fixed Desk"), more often than not."""
    found = []
    lowered = {n.lower() for n in names}
    for first, second in re.findall(r"(?=\b([A-Za-z][\w-]{2,})\s+([A-Za-z][\w-]{2,})\b)", question or ""):
        if first.lower() not in lowered or second.lower() in _NOT_NAMES:
            continue
        pair = re.compile(r"\b" + re.escape(first) + r"\s+" + re.escape(second) + r"\b", re.I)
        said = [m.group(0) for text in texts for m in pair.finditer(text)]
        capitalised = sum(all(w[0].isupper() for w in m.split()) for m in said)
        if said and capitalised * 2 > len(said):
            found.append(f"{first.lower()} {second.lower()}")
    return found


def qualifiers(evidence: str, replaced: str) -> list[str]:
    """The words beside the replaced term in the piece of the previous answer that states it: "outgoing" of "Wire:
    Domestic wire, outgoing; Cut-off time: 15:30" when "domestic wire" gave way to "international wire" (the same
    thing asked of another subject keeps its qualifiers); none when the answer does not name the term."""
    old = set(terms(replaced))
    # other names ("Gold" beside "Platinum") are other subjects, never qualifiers
    names = set(terms(" ".join(entity_names(evidence or "", headings=True))))
    for piece in re.split(r"[;；。\n]|(?<=\.)\s", evidence or ""):
        words = terms(piece)
        if old and old <= set(words):
            kept = [t for t in dict.fromkeys(words) if t not in old | names and not re.search(r"\d", t)]
            return kept if len(kept) <= 3 else []   # a long piece says more than how the term was qualified
    return []


def _names_numbered(value: str, text: str) -> bool:
    """Does `text` say the numbered `value` ("week 2", "fix 24", "12-month") with its number beside its words, in
    either order ("week 2", "2 weeks")?"""
    numbers = re.findall(r"\d+(?:[.,]\d+)?", value)
    names = [w for w in re.findall(r"[^\W\d_]{2,}", value) if w.lower() not in _NOT_NUMBERED]
    if not numbers:
        return False
    for number in numbers:
        if not names:
            if re.search(r"(?<![\d.,])" + re.escape(number) + r"(?![\d]|[.,]\d)", text):
                return True
        for name in names:
            stem = re.escape(name.rstrip("s"))
            if re.search(rf"\b{stem}s?\W{{1,3}}{re.escape(number)}(?![\d]|[.,]\d)|(?<![\d.,]){re.escape(number)}\W{{0,3}}"
                         rf"{stem}s?\b", text, re.I):
                return True
    return False


def about_previous_subject(evidence: list[str], followup: dict | None) -> str | None:
    """Why the evidence for a follow-up about a new subject ("and for the Gold card?" after the Platinum card's fee) is
    about the previous subject instead, or None: it says the swapped-out term ("Platinum") and none of the new
    subject's own words (those the previous question did not have: "Gold", not "card"). The reply would state the
    previous subject's fact as the new one's; the part is said to be unknown instead."""
    if not followup or followup.get("continuation") or not followup.get("replaced") or not evidence:
        return None

    def words(text: str) -> set[str]:
        return {re.sub(r"['’]s$", "", t) for t in terms(text or "")}   # "card's" is "card"

    previous = words(followup.get("previous"))
    new = words(followup.get("subject")) - previous
    old = words(followup["replaced"]) - words(followup.get("subject"))
    if not new or not old:
        return None
    if re.search(r"\d", followup["replaced"]) and not any(_names_numbered(followup["replaced"], e) for e in evidence):
        # a numbered subject ("week 2") is named by its number beside its word ("in week 2", "2 weeks"), not by the
        # number alone: "2.3 From the start of week 3: no refund." names a section, and a rule that holds for week 4
        return None
    said = words(" ".join(evidence))
    if new & said or not old & said:
        return None
    return (f"a follow-up about “{followup['subject']}”, but its evidence names “{followup['replaced']}” and not "
            f"“{followup['subject']}”")
