"""Is a message a question about how things work, or a request to act on the customer's own order or account?

"Can I cancel an order after it shipped?", "how do refunds work?", "订单可以取消吗？", "怎么退货？" are questions: the
knowledge base answers them, then the bot offers to act ("I can start the cancellation — I'll need to verify you
first"). "cancel #W1234567", "where is my order", "I want to return my headphones", "我想取消订单" are requests: the
order desk takes them. A product named in a policy question ("I bought headphones and they don't fit, what is
your return policy?") is no stock question; "do you have the t-shirt in size L?" / "how much is the office chair?"
is, and goes to the desk's stock lookup. Pure: text in, a kind and its reason out.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Callable

from components.answers.followups import continues_previous
from components.answers.question_analysis import asks_a_question, is_interrogative, without_opener
from components.nlu.cjk_characters import CJK, CJK_RUN

# a mistyped order number is still about an order; beside Chinese characters too ("订单W5918442到哪了", where \b
# finds no boundary between 单 and W)
_ORDER_ID = re.compile(r"#\s?W\d+|(?<![A-Za-z0-9])W\d{5,}(?![A-Za-z0-9])", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+|\[EMAIL_\d+\]")
_ASKS_TO_TALK_EN = r"^\s*(can|could|may) i (talk|speak|chat) (to|with)\b"
_REQUEST_EN = re.compile(
    r"^\s*(please\s+)?(cancel|return|exchange|refund|track|change|update|modify|check|send|ship|swap|replace|"
    r"look up|find|show|list|give)\b|"
    r"(?<!do )(?<!will )(?<!would )(?<!should )(?<!can )\b(i want|i'd like|i would like|i need|i wanna|i wish|"
    r"i'm trying to|i am trying to|help me|"
    r"can you|could you|would you|will you|can u|could u|pls|please)\b|"
    r"\b(where('s| is| are)|status of|track|tracking)\b.{0,20}\bmy\b|"
    r"\bmy\b.{0,25}\b(order|package|parcel|refund|return|delivery|shipment)\b.{0,30}"
    r"\b(status|where|arrive[ds]?|arriving|come|came|shipped|late|missing|yet)\b|"
    r"\b(has|have|did|when will|where is|where's)\b.{0,10}\bmy\b.{0,25}\b(order|package|parcel|refund|items?)\b|"
    + _ASKS_TO_TALK_EN + r"|"
    r"\b(what|where|when|which|how much|how many)\b.{0,20}\bmy\b.{0,30}\b(balance|orders?|address|payment methods?|"
    r"account|refund|package|parcel|items?|profile|gift card|tracking)\b", re.I)
_REQUEST_ZH = re.compile(r"我的.{0,8}(余额|订单|地址|支付方式|账户|退款|包裹|快递)|我想(?!知道|问|了解)|我要(?!怎么|如何|怎样)|帮我(?=查|取消|退|换|改|看|处理|办|下单|修改|确认|问)|"
                         r"请帮|麻烦|给我|替我|我需要(?!怎么|如何)|我的订单.{0,8}(到哪|在哪|状态|进度|怎么还没|什么时候)|"
                         r"查一下|查查|查询我的|帮忙|^请(取消|退|换|改)|把我的|我的.{0,6}(退款|包裹|快递).{0,6}(到|哪|没)")
# acting for someone else ("cancel my husband's order for him", "帮我老公取消订单"): the desk helps one verified customer
# with their own orders, so the knowledge base's one-customer policy answers, and no offer to act follows
_RELATIVE_EN = (r"husband|wife|partner|spouse|boyfriend|girlfriend|mom|mum|mother|dad|father|parents?|son|daughter|"
                r"kids?|child|brother|sister|friend|colleague|boss|neighbou?r|grand(ma|pa|mother|father)")
_RELATIVE_ZH = r"老公|老婆|丈夫|妻子|爱人|先生|太太|妈妈|母亲|爸爸|父亲|父母|儿子|女儿|孩子|哥哥|姐姐|弟弟|妹妹|朋友|同事|老板|邻居|家人"
_FOR_SOMEONE_ELSE = re.compile(
    rf"\bmy ({_RELATIVE_EN})(['’]s|s['’])\s+(\w+\s+){{0,2}}(orders?|accounts?|package|parcel|purchase|return|refund)\b|"
    rf"\bon (his|her|their) (behalf|account)\b|\bon behalf of\b|"
    rf"我(的)?({_RELATIVE_ZH})的.{{0,4}}(订单|账户|账号|包裹|退款|退货)|(帮|替|代)(我)?({_RELATIVE_ZH}|他|她)(取消|退|换|改|查|下单|修改|处理)",
    re.I)
# "Can I talk to a human agent on a Saturday?": asking when a person is there is a question about opening hours,
# not a request to be transferred now
_TALK_TO_A_PERSON = re.compile(_ASKS_TO_TALK_EN + r"|(能|可以)(找|联系|转)人工", re.I)
_WHEN = re.compile(r"\bon (a |the )?(mon|tues|wednes|thurs|fri|satur|sun)days?\b|\b(on|at|over) (the )?weekends?\b|"
                   r"\bat night\b|\bafter hours\b|\bin the (evening|morning)\b|\bon (public )?holidays?\b|\b24/7\b|"
                   r"\baround the clock\b|\bwhat time\b|\bwhich (days|hours)\b|周末|晚上|节假日|星期[一二三四五六日天]|"
                   r"周[一二三四五六日]|几点", re.I)
_STOCK_EN = re.compile(r"\b(in stock|out of stock|available in|availability|do you (have|sell|carry|stock)|"
                       r"have (it|them|this|that|one|any)\b.{0,20}\b(in|with)\b|come in|comes in|"
                       r"how much|price of|prices? for|cost of|what colou?rs|what sizes|"
                       r"which colou?rs|which sizes|options for the)\b", re.I)
_STOCK_ZH = re.compile(r"有货|有没有.{0,8}(码|色|款|货|型号|颜色|尺码)|还有.{0,6}(码|色|货)的?吗|多少钱|价格|什么颜色|哪些颜色|"
                       r"什么尺码|哪些尺码|有.{0,4}(码|色|款)的?(吗|么)|库存|卖不卖|有卖")
# the price cues among them: what is priced may be a service or fee of the business ("how much is the laptop set-up?")
_PRICE = re.compile(r"\b(how much|price|prices|priced|cost|costs|charge|fee|fees)\b|多少钱|价格|价钱|费用|收费|几块钱", re.I)
_STOCK_BEFORE_EN = re.compile(r"^\s*(is|are|do|does)\b.{0,40}\b(available|in stock|sold out|for sale)\b", re.I)
# a question about what the business itself does ("will you pay for that?", "do you cover a broken wheel?", "would you
# reimburse the hotel?") is answered by its policy, also after the customer's own story ("my bag didn't arrive and I
# need to buy a shirt. will you pay for that?"): it asks the business to pay, not the desk to act on an order
_ASKS_WHAT_BUSINESS_PAYS = re.compile(
    r"\b(will|would|can|could|do|does|are|is)\s+(you|u|you guys|they|the \w+)\s+(be\s+)?(pay|paying|cover|covering|"
    r"reimburse|reimbursing|compensate|compensating|liable|responsible)\b|(你们|贵公司)(会|能|可以)?(赔|赔偿|报销|承担|负责)",
    re.I)
_SENTENCES = re.compile(r"[^?？.!。！\n]+[?？.!。！]*")
# the customer's own words say the order is past what a change needs ("my package was already delivered, can you
# change the address?"): the desk changes only pending orders, so the policy answers, and no offer to act follows
_ALREADY_SENT = re.compile(r"(?<!n't )(?<!not )(?<!never )(?<!yet )\b(already|has been|have been|had been|was|were|got|"
                           r"been)\s+(delivered|shipped|sent out|dispatched)\b|\b(arrived|came|delivered) already\b|"
                           r"已(经)?(发货|签收|送达|寄出)", re.I)
# "then do it", "so go ahead", "and start it now": going on from the previous turn to ask for an action
_GOES_ON_TO_ACT = re.compile(r"^\s*(and|also|so|but|plus|then|ok(ay)?)\b[\s,.]*(then\s+)?(please\s+)?(do|go|start|proceed|"
                             r"begin|cancel|return|exchange|refund|track|change|update|modify|check|send|ship|swap|"
                             r"replace|look|find|show|list|give|make|book|set)\b", re.I)
_ASKS_WHERE = re.compile(r"\b(where|status|track(ing)?)\b|到哪|在哪|物流|状态|进度", re.I)
PENDING_ONLY_TOPICS = frozenset({"cancel_order", "change_address", "modify_items", "change_payment"})
TOPICS: list[tuple[str, re.Pattern]] = [
    # an exchange of goods, not an exchange rate
    ("exchange", re.compile(r"\bexchang(?!e[ -]rates?\b)|\bswap\b|different (size|colou?r)|换货|调换|换成", re.I)),
    ("modify_items", re.compile(r"\b(modify|change)\b.{0,20}\b(items?|size|colou?r)\b|修改商品|改商品", re.I)),
    ("cancel_order", re.compile(r"\bcancel|取消", re.I)),
    ("return_items", re.compile(r"\breturn|\brefund|退货|退款|退回", re.I)),
    ("change_address", re.compile(r"\baddress\b|地址", re.I)),
    ("change_payment", re.compile(r"\b(change|switch|update)\b.{0,20}\bpayment|(换|改|更换|修改).{0,4}(支付|付款)方式", re.I)),
    ("order_status", re.compile(r"\btrack|\bstatus\b|\bshipped\b|物流|状态|发货", re.I)),
]


@dataclass
class MessageKind:
    kind: str                  # question | request | stock_question
    reason: str
    topic: str | None = None   # the desk flow a question is about (for the offer after the answer)

    def to_dict(self) -> dict:
        return asdict(self)


def _product_asked_about(text: str, names_product: Callable[[str], bool]) -> str | None:
    """Whether a stock or price cue asks about a product the shop sells: None when no cue names one (the
    customer's own device, "how much does it cost to use my phone abroad", does not count); "" when one asks about
    the product itself ("how much is the office chair", "do you have the t-shirt in L", "我想买手机，多少钱？"); else
    what the wording asks about instead, as a reason: the product word modifies the noun asked about ("how much is
    phone insurance?") or a Chinese price clause names a thing of its own and no product ("买笔记本电脑的话，帮忙设置要多少
    钱？": the set-up's price)."""
    other = None
    for match in list(_STOCK_EN.finditer(text)) + list(_STOCK_BEFORE_EN.finditer(text)):
        window = text[match.start(): match.end() + 40]
        if names_product(window) and not re.search(r"\b(my|our|mine)\b", window, re.I):
            if not _product_modifies_a_noun(text[match.end():], names_product):
                return ""
            other = "the product word names another thing asked about"
    if _STOCK_ZH.search(text) and names_product(text) and not re.search(r"(用|我的|我们的)(手机|电脑|笔记本)", text):
        if not _prices_another_thing_zh(text, names_product):
            return ""
        other = "its price clause names a thing of its own and no product"
    return other


# the words of a Chinese price or stock clause that name nothing priced ("要多少钱", "价格是多少")
_CUE_ZH = re.compile(r"有货|多少钱|价格|库存|什么颜色|哪些颜色|什么尺码|哪些尺码|卖不卖|有卖|要|是|的|了|呢|吗|么|多少|还|请问|一下|大概|"
                     r"[\s?？。，,!！]")


def _prices_another_thing_zh(text: str, names_product: Callable[[str], bool]) -> bool:
    """"买笔记本电脑的话，帮忙设置要多少钱？" asks the price of the setup: the clause holding the price cue names a thing of
    its own (帮忙设置) and no product, which only the clause before names; "手机保险多少钱？" the insurance's: the product
    word stands before a noun of its own (`_product_names_a_thing_zh`). "我想买笔记本电脑，多少钱？" still asks the
    laptop's price: its price clause names nothing else."""
    clauses = [c for c in re.split(r"[，,；;。]", text) if c.strip()]
    cued = [c for c in clauses if _STOCK_ZH.search(c)]
    if not cued:
        return False
    return all(_product_names_a_thing_zh(c, names_product) if names_product(c) else
               len(CJK.findall(_CUE_ZH.sub("", c))) >= 2 for c in cued)


# the words between a price cue and the product that say nothing priced ("how much would a new laptop cost", "how much is
# it to buy the chair", "a pair of the headphones"); any other word, linked to the product by a preposition, names the
# thing priced ("how much does shipping cost for a laptop?", "how much is it to ship a laptop?")
_BEFORE_PRODUCT = frozenset("""is are was were does do did would will be being it its this that these those the a an one
ones cost costs costing price priced my your you i me we us to buy get order purchase pay for pair set piece unit units
bundle couple new used brand just exactly roughly about approximately currently right now today please tell know""".split())
_LINKS = frozenset("for on of to with".split())
# the words of a Chinese variant or measure beside a product ("手机黑色的", "T恤大号"): still the product itself
_VARIANT_ZH = re.compile(r"色|号|码|款|版|寸|型|套|个|台|部|件|只|双|条")


# words that may follow a product asked about ("the t-shirt in L", "the chair right now", "the lamp?"); any other word
# after it makes the product a modifier of what is asked ("phone insurance", "phone support line")
_AFTER_PRODUCT = frozenset("""in with for of and or on at to from by cost costs available come comes right now still
please the a an that this these those i you we do does is are per each if here there today anymore again too also
sold left currently""".split())


def _product_modifies_a_noun(after_cue: str, names_product: Callable[[str], bool]) -> bool:
    """"How much is phone insurance?" asks about insurance: the product word ("phone") is followed by the noun it
    modifies. Finds where the first product name ends in the words after the stock cue, and looks at the next word."""
    words = re.findall(r"[\w'’-]+|[?？!.,;]", after_cue)[:10]
    for end in range(1, len(words) + 1):
        if names_product(" ".join(words[:end])):
            start = max(s for s in range(end) if names_product(" ".join(words[s:end])))
            if _priced_through_a_link(words[:start]):
                return True
            following = words[end] if end < len(words) else ""
            return bool(re.fullmatch(r"[A-Za-z][\w'’-]*", following)) and following.lower() not in _AFTER_PRODUCT
    return False


def _priced_through_a_link(before: list[str]) -> bool:
    """"how much does shipping cost for a laptop?", "how much is it to ship a laptop?": between the price cue and the
    product stands a word of its own, linked to the product by a preposition: that word is what is priced."""
    kept = [w.lower() for w in before if w.lower() not in _BEFORE_PRODUCT or w.lower() in _LINKS]
    return any(w in _LINKS for w in kept) and any(w not in _LINKS and w.isalpha() for w in kept)


def _product_names_a_thing_zh(clause: str, names_product: Callable[[str], bool]) -> bool:
    """"手机保险多少钱？", "笔记本电脑维修要多少钱？": the product word stands before a noun of its own in the price clause, which
    is what is priced. "手机多少钱？", "手机黑色的多少钱？", "T恤有蓝色的吗？" still ask about the product."""
    from components.knowledge.keyword_index import _jieba

    end = next((e for e in range(1, len(clause) + 1) if names_product(clause[:e])), None)
    if end is None:
        return False
    following = [t for t in _jieba().lcut(clause[end:]) if t.strip()]
    word = following[0] if following else ""
    return (len(word) >= 2 and bool(CJK_RUN.fullmatch(word)) and not _CUE_ZH.fullmatch(word)
            and not _STOCK_ZH.match(word) and not _VARIANT_ZH.search(word))


def topic_of(text: str) -> str | None:
    return next((name for name, pattern in TOPICS if pattern.search(text or "")), None)


def _sentences(text: str | None) -> list[str]:
    """The message's sentences, each with its own end mark, at any "?", "." or "!" (a customer's next sentence may
    start in lower case: "When will my refund arrive? and can I get it in cash?")."""
    return [p.strip() for p in _SENTENCES.findall(text or "") if p.strip(" ?？.!。！")]


def asks_what_the_business_pays(text: str) -> bool:
    """The message's last sentence asks whether the business pays, covers or is liable ("…will you pay for that?"),
    and nothing before that asks the desk for one of its actions (cancel, return, exchange, refund, an address, a
    payment change, tracking)."""
    sentences = _sentences(text)
    cue = _ASKS_WHAT_BUSINESS_PAYS.search(sentences[-1]) if sentences else None
    if cue is None or not is_interrogative(sentences[-1]):
        return False
    return topic_of(" ".join(sentences[:-1] + [sentences[-1][:cue.start()]])) is None


def every_part_asks(text: str, names_product: Callable[[str], bool] | None = None) -> bool:
    """Two or more sentences, each a question, at least one of them an information question ("When will my card refund
    arrive? and can I get it in cash instead?"): the documents may answer all of it, the request among the parts
    included, before the desk is asked."""
    text = without_opener((text or "").strip())
    if _ORDER_ID.search(text) or _EMAIL.search(text) or _ASKS_WHERE.search(text):
        return False  # an order named, or where it is: the desk looks it up
    sentences = _sentences(text)
    return len(sentences) >= 2 and all(asks_a_question(p) for p in sentences) and any(
        classify_message(p, names_product=names_product).kind == "question" for p in sentences)


def classify_message(text: str, *, names_product: Callable[[str], bool] | None = None,
                     personal: Callable[[str], bool] | None = None, after_question: bool = False,
                     own_words: Callable[[str], list[str]] | None = None) -> MessageKind:
    """`personal`: the workspace's own cues for questions about the customer's records ("when is my next
    appointment?", components/workspaces/rules.py); such a question is a request the desk may take.
    `own_words`: the words of a message that only the business's own documents use, not the seeded starter articles
    nor the order desk's products (source_precedence.only_own_words): a request worded as a question about such a
    thing ("the milk was missing from my grocery delivery, can you still bring it?" where a food-delivery business
    uploaded its documents beside the demo shop's) is about the business's own service, which the shop's order
    desk does not keep; the documents answer it, or the bot says it does not know. The same words make a price
    question naming a product a question to the documents, in either language ("how much is assembly for the
    office chair?", "安装手机要多少钱？": the assembly is priced, not the product). Without them, the wording alone may
    say that something else is asked about, which the documents answer too, however it is worded ("can you tell me
    how much phone insurance is?", "买笔记本电脑的话，帮忙设置要多少钱？": the desk's stock lookup would list phones and
    laptops): the product word modifies what is asked about (`_product_modifies_a_noun`), or a Chinese price clause
    names a thing of its own and no product (`_prices_another_thing_zh`).
    An information question naming such words ("can I cancel my membership online?") gets its answer with no
    offer from the desk to start an order's cancellation.
    `after_question`: the turn before was a question to the knowledge base (answered or not), so a statement that
    goes on from it ("ok. and my name is misspelled on it") is about the same thing."""
    # a greeting, a "please" before a question and thanks after it say nothing of the kind ("pls how do i …? thx")
    text = without_opener((text or "").strip())
    topic = topic_of(text)
    if _FOR_SOMEONE_ELSE.search(text):
        return MessageKind("question", "asks to act for another person: the one-customer policy answers, no offer to "
                                       "act follows", None)
    if _ORDER_ID.search(text) or _EMAIL.search(text):
        return MessageKind("request", "names an order or the customer's identity", topic)
    if personal is not None and personal(text):
        return MessageKind("request", "asks about the customer's own records (the workspace's cues)", topic)
    asked = _product_asked_about(text, names_product) if names_product is not None else None
    if asked is not None:
        # one rule for "the price of something else than the product": the business's own word for it (either
        # language), else the wording (the product modifies the noun asked about; a Chinese clause names the thing)
        named = own_words(text) if own_words is not None and _PRICE.search(text) else []
        if named:
            return MessageKind("question", f"asks the price of {', '.join(named[:3])}, which only the business's own "
                                           "documents name (a service or fee, nothing the order desk keeps): the "
                                           "documents answer", None)
        if asked:
            return MessageKind("question", f"names a product but asks about another thing ({asked}): the documents "
                                           "answer, not the desk's stock lookup", None)
        return MessageKind("stock_question", "asks about stock, options or price of a named product", topic)
    if _TALK_TO_A_PERSON.search(text) and _WHEN.search(text) and is_interrogative(text):
        return MessageKind("question", "asks when a person can be reached (opening hours), not to be transferred now",
                           topic)
    if asks_what_the_business_pays(text):
        return MessageKind("question", "asks whether the business pays or covers something (its policy answers), "
                                       "not for the desk to act", topic)
    if _REQUEST_EN.search(text) or _REQUEST_ZH.search(text):
        named = own_words(text) if own_words is not None and asks_a_question(text) else []
        if named:
            return MessageKind("question", f"a request worded as a question about {', '.join(named[:3])}, which only "
                                           "the business's own documents name (nothing the order desk keeps): the "
                                           "documents answer", None)
        if topic in PENDING_ONLY_TOPICS and _ALREADY_SENT.search(text):
            return MessageKind("question", "asks for a change only a pending order allows, of an order it says is "
                                           "already shipped or delivered: the policy answers, no offer to act follows",
                               None)
        return MessageKind("request", "asks to act on the customer's own order or account", topic)
    if asks_a_question(text):
        named = own_words(text) if own_words is not None and topic else []
        if named:
            return MessageKind("question", f"an information question about {', '.join(named[:3])}, which only the "
                                           "business's own documents name (nothing the order desk keeps): no offer "
                                           "to act follows", None)
        return MessageKind("question", "an information question (no order, no request to act)", topic)
    if after_question and topic is None and continues_previous(text) and not _GOES_ON_TO_ACT.match(text):
        return MessageKind("question", "goes on from the previous question to the knowledge base, with no request "
                                       "to act", topic)
    return MessageKind("request", "not a question: the order desk may take it", topic)
