"""What a customer's question asks: its parts and the kind of answer each part wants.

- `split_question` cuts "Do gift cards expire? And can I use mine in your physical stores?" into two parts; a
  statement around a question ("I bought headphones last week and they don't fit.") is context, not a part.
- `answer_type` names what would answer a part: a duration, an amount, a percentage, a time or day, a count, a
  list of options, yes/no, a procedure, or anything (general). Evidence carrying that kind of value ranks higher.
Follow-ups ("And for the Gold card?" / "那退款呢？") are read in followups.py.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from components.nlu.cjk_characters import HAN, has_cjk
from components.nlu.language import INTERROGATIVE_EN, detect_language, is_interrogative  # noqa: F401 (re-export)

# a decimal point is no sentence end ("£3.20 credit", "a 2.5% fee")
_PIECES = re.compile(r"(?:[^?？.!。！\n]|(?<=\d)\.(?=\d))+[?？.!。！]*")

# a fragment that only asks for the value of the question before it ("可以分期吗？最长多久？"): a limit word (最长, 最多)
# or a hedge (大概, 一般) before the value asked says nothing of its own
_ZH_FRAGMENT = re.compile(r"^\s*(?:那|那么)?(?:最长|最短|最多|最少|最晚|最早|最高|最低|大概|大约|一般|通常|要|需要)?"
                          r"(多少钱?|多久|多长时间|几天|几次|为什么|为何|怎么办|是吗|对吗|真的吗|何时|什么时候)[?？。!！\s]*$")

ANSWER_TYPES = ("phone", "email", "place", "duration", "amount", "percentage", "time", "count", "options", "yes_no",
                "procedure", "general")
_TYPE_RULES: list[tuple[str, re.Pattern]] = [
    ("phone", re.compile(r"\b(phone|telephone|number (do i|to|should i) (call|ring|dial)|what number|hotline|"
                         r"(?:service|support|contact|help) number|call you)\b|电话|热线|拨打", re.I)),
    ("email", re.compile(r"\be-?mail (address)?\b|邮箱|邮件地址", re.I)),
    # "what is the address of the store" asks for a place; "can I change the address of my order" does not
    ("place", re.compile(r"^\s*(and\s+)?where\b|\bwhere (is|are|can i find|exactly)\b|"
                         r"\b(what|what's|whats|what is) (is )?the address of\b|\blocated\b|在哪|地址是|位置", re.I)),
    ("percentage", re.compile(r"\bwhat percent|\bpercentage\b|\b(interest|cashback|cash back|apr|apy|discount|"
                              r"commission)\s*(rate)?\b|\brate\b|百分之|利率|返现|折扣|费率|年化|"
                              r"几折|打.{0,2}折|几成|优惠(?![码券])", re.I)),
    # "how much notice / time / warning" asks for a duration, not an amount
    # "what do I pay for each extra km?" asks the sum as "how much" does
    ("amount", re.compile(r"\bhow much\b(?!\s+(?:advance\s+)?(?:notice|time|warning|longer)\b)|"
                          r"\bwhat (?:do|does|did|would|will|should|must) (?:i|we|you|they) (?:have to |need to )?pay\b|"
                          r"\b(fee|fees|cost|costs|price|charge|charged|charges|limit|limits|minimum|"
                          r"maximum|balance|deposit|fine|penalty)\b|多少钱|费用|收费|价格|手续费|年费|限额|额度|最低|最高|"
                          # "多少" asks a quantity as "how much" does, unless a unit of time or of counting follows
                          # ("多少天", "多少次"); the fees and sums a customer asks about by name
                          r"多少(?![天次个人件位张种周月年小分秒岁倍公里])|运费|配送费|服务费|会员费|月费|解约费|违约金|"
                          r"滞纳金|罚款|免赔额|保额|押金|定金|首付", re.I)),
    ("duration", re.compile(r"\bhow (long|soon|quickly|fast)\b|\bhow much (advance )?(notice|time|warning|longer)\b|"
                            r"\bhow far (in )?ahead\b|\bhow far in advance\b|\bhow many (days|weeks|hours|months|years)\b|"
                            r"\bwithin how\b|\bdeadline\b|\bexpire|\bvalid for\b|多久|多长时间|几天|多少天|期限|时效|有效期|过期|"
                            r"(?:几|多少)个?(?:周|星期|月|年|小时|钟头|分钟)", re.I)),
    ("time", re.compile(r"\b(what time|hours|opening|open|close|closed|weekends?|monday|tuesday|wednesday|"
                        r"thursday|friday|saturday|sunday|holiday|cut-?off)\b|几点|营业时间|开门|关门|周末|星期|周[一二三四五六日]|"
                        r"节假日|什么时候|何时|^\s*(and\s+)?when\b|\bwhen (is|are|do|does|will|can|should)\b", re.I)),
    ("count", re.compile(r"\bhow many\b|\bhow often\b|几次|多少次|几个", re.I)),
    ("options", re.compile(r"\bwhich\b|\bwhat (kinds?|types?|options|ways|methods|reasons|documents|cards|"
                           r"payment)\b|\bwhat can (i|we|you) (pay|use)\b|\bhow can i pay\b|\blist\b|\boptions\b|"
                           r"哪些|哪几|什么方式|哪种|用什么", re.I)),
    ("procedure", re.compile(r"\bhow (do|can|should|would) (i|we|you)\b|\bwhat (do|should) i do\b|\bsteps?\b|"
                             r"\bhow (does|do) [\w' -]{1,40} work\b|"
                             r"\bprocess\b|怎么|怎样|如何|流程|步骤", re.I)),
    ("yes_no", re.compile(r"^\s*(and\s+|also\s+|so\s+|but\s+)?(can|could|may|is|are|am|do|does|did|will|would|"
                          r"should|have|has|is there|are there)\b|吗[?？]?\s*$|是否|能否|可否|有没有|能不能|可不可以|是不是|行不行|可以不", re.I)),
]

@dataclass
class QuestionPart:
    text: str                         # the part as the customer wrote it
    answer_type: str = "general"      # one of ANSWER_TYPES
    types: list[str] = field(default_factory=list)   # every type the part mentions, strongest first
    language: str = "en"
    context: str = ""                 # the question it was cut from ("What is the Gold card's fee, and ..."), whose
                                      # words a part such as "and is it available as a metal card?" still needs
    gloss: str = ""                   # a Chinese part's English words, for English documents (cross_language.py)
    story: str = ""                   # the customer's situation the part opens with ("I'm going travelling" in "I'm
                                      # going travelling, how long can I freeze my membership for?"): in `text`, but
                                      # not what is asked (`story_and_question`)
    said: str = ""                    # what the customer says around a one-part question, in sentences of its own
                                      # ("what interest do i get on cash? i'm on plus"): their case, never asked

    @property
    def asked_text(self) -> str:
        """The part's words in both languages: what the evidence must share with it."""
        return f"{self.text} {self.gloss}".strip()

    def to_dict(self) -> dict:
        return asdict(self)


# a Chinese count of time written in characters ("三年", "过了三天", "两周", "十二个月"), which documents write in digits
# ("3 年", "48 小时", "12 个月"); 一 stays ("一次", "一个" are words the documents write so too)
_ZH_DIGITS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_COUNT_OF_TIME = re.compile(r"(?<![第周期\d零一二两三四五六七八九十百千万])([两二三四五六七八九]?十[一二三四五六七八九]?|[两二三四五六七八九])"
                               r"(?=个?(?:年|天|周|星期|个月|月|小时|钟头|分钟|岁|晚))")


def chinese_counts_as_digits(text: str) -> str:
    """"无理赔三年有多少优惠？" -> "无理赔3年有多少优惠？": a count of time in Chinese numerals as the digits documents write,
    so that the question's number meets theirs (a keyword, a number condition)."""
    def value(match: re.Match) -> str:
        numeral = match.group(1)
        if "十" not in numeral:
            return str(_ZH_DIGITS[numeral])
        tens, _, ones = numeral.partition("十")
        return str((_ZH_DIGITS.get(tens, 1) if tens else 1) * 10 + (_ZH_DIGITS.get(ones, 0) if ones else 0))
    return _ZH_COUNT_OF_TIME.sub(value, text or "")


# "my phone", "a new phone": the customer's device, not a number to call ("does it cover my phone if it's stolen?");
# "my phone number", "the phone line" still ask for one
_DEVICE_PHONE = re.compile(r"\b(?:my|a|an|his|her|their|our|your|new|old|this|that|the|kid'?s|son'?s|daughter'?s)\s+"
                           r"(?:(?:new|old|mobile|smart|cell)\s+)?(?:tele)?phones?\b(?!\s+(?:number|line|lines|support|"
                           r"service|call|calls|team|hours)\b)", re.I)


def answer_types(text: str) -> list[str]:
    types = [name for name, pattern in _TYPE_RULES if pattern.search(text or "")]
    if "phone" in types and not _TYPE_RULES[0][1].search(_DEVICE_PHONE.sub(" ", text or "")):
        types.remove("phone")
    return types


# what a customer says before the question, which asks nothing: "hey so like ...", "hi, quick one - ...", "你好，请问..."
_OPENER = re.compile(r"^\s*(?:(?:hey+|hi+|hello|hiya|yo|um+|uh+|erm|so(?: like)?|like(?=,)|ok(?:ay)?|well(?=,)|quick (?:question|one)|"
                     r"good (?:morning|afternoon|evening))\b[\s,.:;!-]*|(?:你好|您好|哈喽|嗨|请问|那个|嗯|呃)[\s,，。：:!！]*)+",
                     re.I)


# "please" before a question or a follow-up asks nothing either ("pls how do i return stuff", "pls the bigger size
# costs more, how do i pay the difference"); "please cancel my order" keeps it
_PLEASE = re.compile(r"^\s*(?:please|pls|plz)\b[\s,.:;!-]*", re.I)
_PLEASE_BEFORE_FOLLOWUP = re.compile(r"and\b|what about\b|how about\b", re.I)
# nor thanks after it ("... what should i do? thx", "...吗？谢谢")
_CLOSER = re.compile(r"(?:[\s,.!;:-]+|(?<=[?？]))(?:thanks?(?: you)?(?: so much| a lot| in advance)?|thx|thnx|tks|ty|tia|"
                     r"cheers)[\s.!]*$|(?<=[?？。，,\s])(?:谢谢(?:你|您)?|多谢|感谢)[。！!.\s]*$", re.I)


def without_opener(text: str) -> str:
    """The question without a greeting or filler before it ("hey so like can i return it" -> "can i return it",
    "pls how do i …" -> "how do i …") and without thanks after it; the text itself when nothing else is left."""
    rest = _OPENER.sub("", text or "", count=1).strip()
    please = _PLEASE.match(rest)
    if please and (_PLEASE_BEFORE_FOLLOWUP.match(rest[please.end():]) or _is_question(rest[please.end():])):
        rest = rest[please.end():]
    rest = _CLOSER.sub("", rest, count=1).strip()
    return rest if re.search(r"\w", rest) else (text or "").strip()


# a question inside a message typed without punctuation: "if i cancel a pending order do i get the whole amount back",
# "my refund still hasnt shown up what should i do" (a subject or "there" after the verb, no pronoun before it)
_EMBEDDED_QUESTION = re.compile(
    r"(?<!\bi )(?<!\byou )(?<!\bwe )(?<!\bthey )(?<!\bit )(?<!\bthis )(?<!\bthat )(?<!\bto )"
    r"\b(?:can|could|may|should|will|would|do|does|did)\s+(?:i|we|you|it|they|my|there)\b|"
    r"\b(?:is|are)\s+there\b|"
    r"\b(?:what|when|where|which|how|why)\s+(?:should|do|does|did|can|could|is|are|will|would|much|many|long|soon|"
    r"often|happens?)\b", re.I)


def asks_a_question(text: str) -> bool:
    """Is the message a question (language.is_interrogative), also when typed without punctuation with the question
    after a clause ("i changed the color of a mug can i still cancel")?"""
    return _is_question(without_opener((text or "").strip()))


# "can't", "don't", "isn't": a clause opening with a negation ("I booked a course but can't do it anymore.") states
# something; the question words it starts with are no question (a question "Can't I …?" keeps its question mark)
_NEGATED = re.compile(r"\b(\w+?)n['’]t\b", re.I)


def _is_question(text: str) -> bool:
    if is_interrogative(_NEGATED.sub(r"\1nt", text)):
        return True
    return not re.search(r"[?？.!。！]", text) and bool(_EMBEDDED_QUESTION.search(text))


_SPAN = r"(?:\d+|a|an|one|two|three|four|five|six|a few|few|a couple of|several)"
_UNIT = r"(?:hours?|days?|weeks?|months?|years?)"
# time gone by since something happened: "20 days since", "2 months ago", "it's been 3 days", "after 3 weeks",
# "买了 40 天了"
_ELAPSED = re.compile(rf"\b{_SPAN}\s+{_UNIT}\s+(?:ago|already|since|now)\b|\b(?:it'?s|it’s|its|it has)\s+been\s+"
                      rf"{_SPAN}\s+{_UNIT}\b|\bafter\s+{_SPAN}\s+{_UNIT}\b|"
                      r"(?:\d+|[一二三四五六七八九十两几])\s*(?:个)?(?:天|周|星期|个月|月|年)(?:了|之后|以后|前|之前)", re.I)


def split_question(text: str, max_parts: int = 3) -> tuple[list[QuestionPart], str]:
    """The question parts, and the statements around them (context for retrieval, never answered on their own)."""
    text = without_opener((text or "").strip())
    # typed without punctuation, Chinese questions are parted by a space ("哪些付款方式 可以用支付宝吗")
    text = re.sub(rf"(?<=[{HAN}])[ \t\u3000]+(?=[{HAN}])", "\n", text)
    pieces = [p.strip() for p in _PIECES.findall(text) if p.strip(" ?？.!。！")]
    questions = [p for p in pieces if asks_a_question(p)]
    statements = " ".join(p for p in pieces if p not in questions)
    if not questions:
        questions, statements = [text], ""
    merged: list[str] = []
    for q in questions:
        # a tiny fragment ("Why?", "And?", "多少？") belongs to the question before it
        if merged and (len(re.findall(r"\w+", q)) <= 1 and not re.search(rf"[{HAN}]{{2,}}", q)
                       or _ZH_FRAGMENT.match(q)):
            merged[-1] = f"{merged[-1]} {q}"
        else:
            merged.append(q)
    clauses: list[tuple[str, str]] = []
    for q in merged:
        pieces = split_clauses(q)
        clauses.extend((c, q if len(pieces) > 1 and i > 0 else "") for i, c in enumerate(pieces))
    if len(clauses) > max_parts:
        clauses = clauses[: max_parts - 1] + [(" ".join(c for c, _ in clauses[max_parts - 1:]), "")]
    parts = []
    for i, (q, context) in enumerate(clauses):
        # "do you accept Crestmark HMO? if not, what's the self-pay price?": the condition is the question before
        connective = _CONNECTIVE.match(q) if i else None
        if connective and len(re.findall(r"\w+", q[connective.end():])) >= 3:
            q, context = q[connective.end():], context or clauses[i - 1][0]
        types = answer_types(q)
        if "duration" not in types and _ELAPSED.search(f"{statements} {q}") and \
                not set(types) - {"yes_no", "options", "procedure"}:
            # "its been 20 days since it arrived, can i still send it back?", "I left 2 months ago and there's
            # credit on my account. Will I get it back?": time gone by, then whether it is still possible, asks
            # for the time limit
            types = types + ["duration"]
        story = story_and_question(q)[0] if not connective else ""
        parts.append(QuestionPart(q, types[0] if types else "general", types, detect_language(q), context,
                                  story=story))
    return parts, statements


# where a told situation ends and the question begins: "I'm moving to another city, do I still have to pay ...",
# "Going to Brazil in spring - can I get ...", "The class is full - how does the waiting list work?"
_STORY_BREAK = re.compile(r"\s*(?:,|;|\s[-–—])\s+(?:and\s+|so\s+|but\s+)?", re.I)
# a clause that sets the question's condition is part of what is asked ("If I send back a lamp, can the refund ...")
_CONDITION = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?(?:if|when|whenever|once|after|before|since|unless|until|"
                        r"while|in case|as long as|even if|with|without|for|on|at|in|by|during)\b", re.I)


def story_and_question(text: str) -> tuple[str, str]:
    """A part that opens with the customer's own situation, cut from what it asks: "I bought headphones last week
    and they don't fit, what's your return policy?" -> ("I bought headphones last week and they don't fit",
    "what's your return policy?"). ("", text) when it opens with the question, with a condition of it ("If I
    freeze my card, will ...") or is Chinese."""
    text = text or ""
    if has_cjk(text):
        return "", text
    for match in _STORY_BREAK.finditer(text):
        story, asked = text[:match.start()].strip(), text[match.end():].strip()
        if not story or asks_a_question(story) or _CONDITION.match(story) or INTERROGATIVE_EN.match(story):
            return "", text
        if INTERROGATIVE_EN.match(asked) and len(re.findall(r"\w+", asked)) >= 2:
            return story, asked
    return "", text


# a part that refers back to what the question before it named ("…, and is it available as a metal card?")
REFERS_BACK = re.compile(r"\b(it|its|they|them|their|that|this|those|these|one)\b", re.I)
# the same, said by a pronoun that stands for the thing itself and never for a thing of its own: "it", "its", "them",
# and "that" / "this" with no noun after them ("can I do that on a Light ticket?", "is that covered?"; not "is that
# line open?"). A clause ending on "after" ("can i change my mind after?") is not read so: with the previous question
# as its context, the previous answer's own sentence outranked the cooling-off rule it asks about
_POINTS_BACK = re.compile(
    r"\b(?:it|its|them)\b(?!(?:['’]?s)?\s+(?:been|possible|ok|okay|fine|true|normal)\b)|"
    r"\b(?:that|this|those|these)\b(?=\s*(?:[?？.!,;]|$)|\s+(?:on|for|in|at|with|to|from|after|before|too|also|as|if|"
    r"now|then|instead|again|still|anymore|is|was|are|were|will|would|cost|costs|mean|means|work|works|count|counts|"
    r"apply|applies|include|includes|cover|covers|\w+ed)\b)", re.I)


def points_back(text: str) -> bool:
    """Does `text` say its subject only by pointing back to what was said before it (`_POINTS_BACK`): "and can I
    get it in cash instead?", "can I do that on a Light ticket?"; not "is that line open at night?" (the line is
    named) nor "is it possible to pay later?" (an "it" that stands for nothing)."""
    text = re.sub(r"\bis\s+it\s+(?:possible|ok|okay|true|normal|allowed|free)\b", "", text or "", flags=re.I)
    return bool(_POINTS_BACK.search(text))

_CONNECTIVE = re.compile(r"^\s*(?:(?:and|but)\s+)?(?:if (?:not|so|yes|no)|otherwise|in that case|then)\b[\s,]*", re.I)


# ", and how fast is it?" / "; also, can I ...": a second question inside one sentence
# a question word may follow its preposition (", and from what order value is it free?", ", and by when …")
_CLAUSE_BREAK = re.compile(r"\s*(?:,|;|\s[-–—])\s*(?:and|also|but|plus|or)?,?\s+(?=(?:how|what|what's|whats|when|where|which|"
                           r"who|can|could|do|does|is|are|will|would|should|may)\b|"
                           r"(?:from|at|in|for|by|on|with|after|before|until|till|to|under|over)\s+"
                           r"(?:what|which|when|where|whom|how (?:much|many|long))\b)", re.I)
# a question mark at the end only, no comma: "When is my payment due and what's the minimum I have to pay?" (an "and"
# before a question word and its verb, or before a verb and its subject, after a complete question); an "or" offers
# the alternatives of one question ("do you have towels or do I bring my own?")
_AND_BREAK = re.compile(
    r"\s+(?:and|also|plus)\s+(?=(?:how|what|when|where|which|who)(?:['’]s\b|\s+(?:is|are|was|do|does|did|can|should|"
    r"will|would|much|many|long|often|soon|happens?)\b)|how\s+(?:far|fast|quickly|early|late|big|heavy|old|high)\s+"
    r"(?:is|are|can|could|do|does|will|would|should|must)\b|(?:can|could|do|does|is|are|will|would|should|may)\s+"
    r"(?:i|we|you|it|they|my|there|your)\b)", re.I)


# a typed-without-punctuation break: "do gift cards expire | and can i use mine in stores", "which payment methods
# do you accept | can i pay with apple pay" (a question word and its subject; no pronoun before it)
_UNPUNCTUATED_BREAK = re.compile(
    r"\s+(?:and|also|but|plus|or)?\s*(?<!\bi )(?<!\byou )(?<!\bwe )(?<!\bthey )(?<!\bit )(?<!\bto )"
    r"(?=(?:can|could|do|does|is|are|will|would|should|may)\s+(?:i|we|you|it|they|my|there|your)\b|"
    r"(?:how|what|whats|when|where|which|who)\s+(?:is|are|do|does|can|should|will|much|many|long|often|soon|happens?)\b)",
    re.I)


# "what's" (typed "whats" too) carries its verb; "how many", "how often", "how long", "how much", "how fast", "how far"
# ask a value of their own ("whats the range of an e-scooter and how fast does it go?" asks two)
_CONTRACTED_IS = re.compile(r"^\s*(?:what|who|where|when|how)['’]?s\b", re.I)
_ASKS_VALUE = re.compile(r"^(?:how\s+(?:many|much|long|often|soon|far|fast|quickly|early|late|big|heavy|old|high))\b",
                         re.I)


_AUXILIARY = re.compile(r"\b(?:do|does|did|can|could|is|are|was|were|will|would|should|have|has|may|must)\b", re.I)


def _complete_question(text: str) -> bool:
    """A yes/no question, or a wh-question with its verb ("which payment methods do you accept"; "how much
    emergency medical cover abroad" is only the start of one)."""
    words = text.split()
    return bool(words) and (bool(_AUXILIARY.fullmatch(words[0])) or bool(_AUXILIARY.search(" ".join(words[1:]))))


def split_clauses(question: str) -> list[str]:
    """"What's the Gold card's annual fee, and is it available as a metal card?" asks two things; "I bought
    headphones last week, what's your return policy?" asks one (the clause before it is no question). Typed without
    any punctuation, a question that follows a complete question of four or more words is a part of its own
    ("do gift cards expire and can i use mine in your stores")."""
    if has_cjk(question):
        return [question]
    unpunctuated = not re.search(r"[?？,;:.!]", question)
    breaks, least = (_UNPUNCTUATED_BREAK, 4) if unpunctuated else (_CLAUSE_BREAK, 3)
    joined = not unpunctuated and not re.search(r"[,;:.!]|\s[-–—]\s", question) and \
        bool(re.fullmatch(r"[^?？]+[?？]", question))
    if joined:
        breaks = _AND_BREAK
    pieces, start, last = [], 0, 0
    for match in breaks.finditer(question):
        left, right = question[start:match.start()].strip(), question[match.end():].strip()
        if unpunctuated:
            # typed without punctuation, a statement may come before the question ("i lost my key fob how much
            # is a new one also how long is …"): the question is what follows the last break
            latest, last = question[last:match.start()].strip(), match.end()
            if not any(_complete_question(asked) and INTERROGATIVE_EN.match(asked) and
                       len(re.findall(r"\w+", asked)) >= least for asked in (left, latest)):
                continue
            if len(re.findall(r"\w+", right)) >= 3:
                pieces.append(question[start:match.start()].strip() + "?")
                start = match.end()
            continue
        # joined without a comma, the first question must be complete: "What's the monthly fee on Everyday Checking
        # and how do I avoid it?" (no verb after "What's") stays whole; but a "what's" question followed by one
        # asking a value of its own ("What's the fee on Plus and how many free trades does it include?") is two
        if joined and not _complete_question(left) and not (_CONTRACTED_IS.match(left) and _ASKS_VALUE.match(right)):
            continue
        if INTERROGATIVE_EN.match(left) and len(re.findall(r"\w+", left)) >= least and \
                len(re.findall(r"\w+", right)) >= 3:
            pieces.append(left + ("?" if not left.endswith("?") else ""))
            start = match.end()
    pieces.append(question[start:].strip())
    return pieces


def type_phrase(text: str) -> str:
    """The words of `text` that say what kind of answer it wants ("how long", "多长时间"), or "". A yes/no question's
    "Will" or "Can" says nothing on its own ("And the PIN?" after "Will my new card have the same number?")."""
    for name, pattern in _TYPE_RULES:
        if name == "yes_no":
            continue
        match = pattern.search(text or "")
        if match and match.group(0).strip():
            return match.group(0).strip()
    return ""


def type_phrases(text: str) -> list[str]:
    """Every phrase of `text` that says what kind of answer it wants ("is there a fee?": "fee"; "what are the weekend
    hours?": "weekend", "hours"), yes/no's opening verb left out."""
    return [m.group(0).strip() for name, pattern in _TYPE_RULES if name != "yes_no"
            for m in pattern.finditer(text or "") if m.group(0).strip()]


def type_phrase_of(kind: str, text: str) -> str:
    """The words of `text` that make it ask for `kind` ("expire" for a duration in "Do gift cards expire?"), or ""."""
    pattern = dict(_TYPE_RULES).get(kind)
    match = pattern.search(text or "") if pattern is not None else None
    return match.group(0).strip() if match else ""
