"""A customer's question in the knowledge base's own spelling, before retrieval and scoring.

Customers write "can u tell me the cashbak on platnum", "退宽要多久", "我的訂單": the embedder reads a misspelt word
as a different one and the keyword index matches words exactly, so the question is rewritten first:

- chat spellings become words: u -> you, ur -> your, pls -> please, wanna -> want to, gonna -> going to, thx -> thanks,
  appt -> appointment, acct -> account, and the short forms of units and days (mins -> minutes, hrs -> hours, tmrw ->
  tomorrow, ppl -> people), which one edit would make other words ("20 mins" -> "20 minus");
- an English word that is no known word is corrected to a word of the knowledge base actually loaded (or of the
  question words below) one edit away, the most frequent in the knowledge base first (a swap of neighbouring letters
  weighs twice a missing or extra letter, four times a wrong one; two edits for words of eight letters or more; after
  "how", "many"/"much"/"long" …); where the knowledge base has no such word, the commonest English word one edit
  away ("nihgt" -> "night", which the embedder then reads); a three-letter non-word only by a letter left out
  ("gft" -> "gift");
- never corrected: a known English word (symspellpy's frequency dictionary, 82,765 words: Google Books counts of
  the SCOWL word list, MIT; a word list, not a tokenizer's vocabulary), a shorter word, a word with a digit or inside
  an e-mail address, a link or an id ("W1234567", "mia.moore8091"), a capitalised word inside a sentence (a name)
  and a word of two to four capitals in a sentence not written in capitals (an acronym: "IPO" is not "iPod");
- Chinese written in traditional characters is read in simplified ones when the knowledge base writes simplified
  (components/nlu/chinese_script.py, the bias audit's converter);
- a Chinese word written with a homophone ("退宽" for 退款, "取效" for 取消: the same toneless pinyin, one character
  different) becomes the knowledge base's word (or a common question word: 几次, 多少), when the customer's 2-4
  characters are no such word, do not cut through a word jieba or the documents know, and are no common jieba word
  (a rare one, 取笑 or 退火 in a customer's question, is taken as a slip).

The knowledge base's vocabulary (its chunks' words and jieba words) is derived from the corpus the answer steps
share (document_corpus.py), once per change of the documents. Each correction is returned (original -> corrected)
for the turn's trace. A clean question is unchanged: every word of it is known.
"""
from __future__ import annotations

import importlib.util
import logging
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from components.answers.document_corpus import Corpus, DocumentCorpus
from components.nlu.chinese_script import to_simplified
from components.nlu.cjk_characters import CJK_RUN, HAN, cjk_runs
from components.nlu.intent_text import IDENTIFIER_TOKEN

log = logging.getLogger(__name__)

MIN_LENGTH = 4          # shorter words are left alone: one edit from too many others
LONG_WORD = 8           # from this length two edits are allowed
ACRONYM = 4             # a word of up to this many capitals, in a sentence not written in capitals, is an acronym
_TIER_WEIGHTS = (1.0, 0.5, 0.25)   # swap, missing or extra letter, wrong letter
_AFTER_HOW = ("many", "much", "long", "often", "soon", "far", "quickly", "fast")
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_ZH_WORD = re.compile(rf"^[{HAN}]{{2,4}}$")

# chat spellings, whole words only
CHAT_SPELLINGS = {"u": "you", "ur": "your", "pls": "please", "plz": "please", "wanna": "want to",
                  "gonna": "going to", "thx": "thanks", "thnx": "thanks",
                  # the short forms of booking and banking words ("and for a specialist appt?"), which one edit
                  # would read as other words ("app", "act")
                  "appt": "appointment", "appts": "appointments", "acct": "account", "accts": "accounts",
                  "btw": "by the way", "idk": "I don't know", "tbh": "to be honest", "asap": "as soon as possible",
                  # short forms of units and days, which one edit reads as other words ("20 mins" -> "20 minus")
                  "mins": "minutes", "hrs": "hours", "secs": "seconds", "wks": "weeks", "mths": "months",
                  "yrs": "years", "tmrw": "tomorrow", "tmr": "tomorrow", "ppl": "people",
                  # laughter says nothing asked; as a non-word one edit would make it a name ("lol" -> "lola")
                  "lol": "", "lmao": "", "haha": "", "hahaha": "", "hehe": ""}
_CHAT = re.compile(r"(?<![\w.@'’])(" + "|".join(CHAT_SPELLINGS) + r")(?![\w@'’]|\.\w)", re.IGNORECASE)

# the words questions are made of, which a knowledge base's articles may not use
QUESTION_WORDS = tuple("""what when where which who whom whose why how whats is are was were does did do can could
would should will shall may might must have has had much many long often soon take takes taking cost costs pay paid
need needs want still already also there their they them this that these those about after before during within
without between again else ever every other another any some anyone someone something anything everything tell
know find help change changed cancel return returns refund refunds open opens close closes closed available allowed
possible able happen happens happened work works apply applies charge charged charges fee fees price prices
minimum maximum days weeks months hours hour week month year years
dont doesnt didnt isnt arent wasnt werent hasnt havent hadnt wont wouldnt shouldnt couldnt cant im ive youre
theyre thats theres whats hows wheres whos lets""".split())


# the Chinese words questions are made of, which the documents may not use; and how common (jieba's count) a word
# must be to be the customer's own rather than a homophone slip
ZH_QUESTION_WORDS = frozenset("""一个 几个 几次 几天 几点 多少 多久 多长 多长时间 什么 怎么 怎样 哪些 哪个 哪里 为什么
可以 需要 时候 以后 之后 以前 之前 周末 一下 我要 我想 我的 我们 你们 能不能 有没有 是不是 怎么办""".split())
COMMON_ZH_WORD = 300


@lru_cache(maxsize=1)
def english_dictionary() -> dict[str, int]:
    """The known English words (lower case) and their counts: symspellpy's frequency dictionary, read as data
    (empty, with a warning, when the package is missing: then only the knowledge base's words count as known)."""
    spec = importlib.util.find_spec("symspellpy")
    if spec is None or not spec.submodule_search_locations:
        log.warning("symspellpy is not installed: spelling correction knows only the knowledge base's words")
        return {}
    path = Path(list(spec.submodule_search_locations)[0]) / "frequency_dictionary_en_82_765.txt"
    out: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            word, _, count = line.strip().partition(" ")
            if word:
                out[word] = int(count or 1)
    return out


@dataclass
class Corrected:
    text: str                                        # the question as the knowledge base would write it
    corrections: list[dict] = field(default_factory=list)   # [{"from": "cashbak", "to": "cashback", "kind": …}]
    original: str = ""                               # the customer's own words

    @property
    def changed(self) -> bool:
        return bool(self.corrections)


def edits(word: str) -> list[set[str]]:
    """The strings one edit from `word`, in tiers: swaps of neighbouring letters, missing or extra letters, wrong
    letters."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    lengths = {a + b[1:] for a, b in splits if b} | {a + c + b for a, b in splits for c in letters}
    replaced = {a + c + b[1:] for a, b in splits if b for c in letters}
    return [swaps - {word}, lengths - {word}, replaced - swaps - lengths - {word}]


def _deletes(word: str, depth: int) -> set[str]:
    out, frontier = {word}, {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


def osa_distance(a: str, b: str) -> int:
    """Edit distance counting a swap of neighbouring letters as one edit (optimal string alignment)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


class Vocabulary:
    """The words of one knowledge base: English words with their counts (and an index of long words' two-letter
    deletions, for two-edit corrections), Chinese jieba words by toneless pinyin, and whether it writes traditional
    characters."""

    def __init__(self, texts: list[str]):
        english: Counter = Counter()
        chinese: Counter = Counter()
        traditional = simplified = 0
        from components.knowledge.keyword_index import _jieba

        jieba = None
        for text in texts:
            english.update(w.lower() for w in _WORD.findall(text))
            for run in cjk_runs(text):
                jieba = jieba or _jieba()
                chinese.update(w for w in jieba.lcut_for_search(run) if _ZH_WORD.match(w))
                changed = sum(1 for a, b in zip(run, to_simplified(run)) if a != b)
                traditional += changed
                simplified += len(run) - changed
        self.english = english
        self.chinese = chinese
        self.writes_traditional = traditional > 0.2 * max(1, traditional + simplified)
        self._long: dict[str, set[str]] = {}
        for word in english:
            if len(word) >= LONG_WORD - 1 and word.isalpha():
                for d in _deletes(word, 2):
                    self._long.setdefault(d, set()).add(word)
        self._by_pinyin: dict[tuple, list[str]] = {}
        if chinese:
            from pypinyin import Style, lazy_pinyin

            for word in (*chinese, *ZH_QUESTION_WORDS):
                self._by_pinyin.setdefault(tuple(lazy_pinyin(word, style=Style.NORMAL)), []).append(word)

    def long_candidates(self, word: str) -> set[str]:
        out: set[str] = set()
        for d in _deletes(word, 2):
            out |= self._long.get(d, set())
        return out

    def homophones(self, chars: str) -> list[str]:
        from pypinyin import Style, lazy_pinyin

        return self._by_pinyin.get(tuple(lazy_pinyin(chars, style=Style.NORMAL)), [])


class QuestionSpeller:
    """Corrects a question against the vocabulary of the knowledge base's `corpus` (document_corpus.py; None: the
    English dictionary and the question words only), derived once per corpus."""

    def __init__(self, corpus: DocumentCorpus | None = None, *, dictionary: dict[str, int] | None = None,
                 question_words: tuple[str, ...] = QUESTION_WORDS):
        self.corpus = corpus
        self._dictionary = dictionary
        self.question_words = frozenset(question_words)
        self._lock = threading.Lock()
        self._vocabulary: tuple[Corpus | None, Vocabulary] | None = None

    @property
    def dictionary(self) -> dict[str, int]:
        if self._dictionary is None:
            self._dictionary = english_dictionary()
        return self._dictionary

    def vocabulary(self) -> Vocabulary:
        corpus = self.corpus.current() if self.corpus is not None else None
        if self._vocabulary is None or self._vocabulary[0] is not corpus:
            with self._lock:
                if self._vocabulary is None or self._vocabulary[0] is not corpus:
                    self._vocabulary = (corpus, Vocabulary(corpus.texts if corpus is not None else []))
        return self._vocabulary[1]

    # -- English ---------------------------------------------------------------------------------------------
    def known(self, word: str, vocabulary: Vocabulary) -> bool:
        lower = word.lower().replace("’", "'")
        return (lower in vocabulary.english or lower in self.question_words or lower in self.dictionary
                or lower.replace("'", "") in self.dictionary)

    def word(self, word: str, vocabulary: Vocabulary, previous: str = "") -> str:
        """`word` corrected to the knowledge base's spelling, or itself. After "how" a slip of "many", "much",
        "long" … is that word ("how mant days" is not "how want days")."""
        lower = word.lower()
        if len(word) < MIN_LENGTH - 1 or not word.isalpha() or self.known(word, vocabulary):
            return word
        # a three-letter non-word is only a word with a letter left out ("gft", "lng")
        tiers = edits(lower) if len(word) >= MIN_LENGTH else [set(), {w for w in edits(lower)[1] if len(w) > 3}]
        # the most frequent knowledge-base word one edit away; a swap of letters (the commonest slip) counts twice a
        # missing or extra letter, four times a wrong one ("carc" is "card", not "car"; "sotre" is "store"); where
        # the knowledge base has none, the most frequent English word ("nihgt" -> "night": the embedder reads it)
        if previous.lower() == "how":
            after_how = [w for tier in tiers for w in sorted(tier & set(_AFTER_HOW), key=_AFTER_HOW.index)]
            if after_how:
                return _same_case(word, after_how[0])
        for targets, extra in ((vocabulary.english, 1), (self.dictionary, 0)):
            scored: dict[str, float] = {}
            for weight, tier in zip(_TIER_WEIGHTS, tiers):
                for w in tier:
                    count = targets.get(w, 0) + (extra if w in self.question_words else 0)
                    if count and weight * count > scored.get(w, 0):
                        scored[w] = weight * count
            if scored:
                return _same_case(word, max(scored, key=lambda w: (scored[w], w)))
        if len(lower) >= LONG_WORD:
            near = [w for w in vocabulary.long_candidates(lower) if osa_distance(lower, w) <= 2]
            if near:
                best = max(near, key=lambda w: (-osa_distance(lower, w), targets.get(w, 0), w))
                return _same_case(word, best)
        return word

    def correct(self, text: str, language: str = "en") -> Corrected:
        text = text or ""
        corrections: list[dict] = []

        def chat(m: re.Match) -> str:
            out = CHAT_SPELLINGS[m.group(0).lower()]
            corrections.append({"from": m.group(0), "to": out, "kind": "chat"})
            return out

        out = _CHAT.sub(chat, text)
        if any(not c["to"] for c in corrections):  # a word dropped: no space left before its punctuation
            out = re.sub(r"\s+(?=[,.!?;:])", "", re.sub(r"  +", " ", out)).strip()
        vocabulary = self.vocabulary()
        protected = [m.span() for m in IDENTIFIER_TOKEN.finditer(out)]
        letters = re.findall(r"[A-Za-z]", out)
        shouted = bool(letters) and sum(c.isupper() for c in letters) > len(letters) / 2

        def fix(m: re.Match) -> str:
            w = m.group(0)
            if any(a <= m.start() < b for a, b in protected):
                return w
            before = out[:m.start()].rstrip()
            if w[0].isupper() and before and before[-1] not in ".!?。！？:\"“(-" and not w.isupper():
                return w                       # a name inside a sentence
            if w.isupper() and 1 < len(w) <= ACRONYM and not shouted:
                return w                       # an acronym ("IPO", "ETF") in a sentence not written in capitals
            fixed = self.word(w, vocabulary, previous=(re.findall(r"[A-Za-z]+", before[-12:]) or [""])[-1])
            if fixed != w:
                corrections.append({"from": w, "to": fixed, "kind": "spelling"})
            return fixed

        out = _WORD.sub(fix, out)
        if CJK_RUN.search(out):
            out = self._chinese(out, vocabulary, corrections)
        return Corrected(out, corrections, text)

    # -- Chinese ---------------------------------------------------------------------------------------------
    def _chinese(self, text: str, vocabulary: Vocabulary, corrections: list[dict]) -> str:
        if not vocabulary.writes_traditional:
            simplified = to_simplified(text)
            if simplified != text:
                for a, b in zip(cjk_runs(text), cjk_runs(simplified)):
                    if a != b:
                        corrections.append({"from": a, "to": b, "kind": "simplified"})
                text = simplified
        if not vocabulary.chinese:
            return text
        return CJK_RUN.sub(lambda m: self._homophones(m.group(0), vocabulary, corrections), text)

    def _homophones(self, run: str, vocabulary: Vocabulary, corrections: list[dict]) -> str:
        """Windows of 2-4 characters, longest first, that are no knowledge-base word and sound like one that differs
        in one character. A window may not cut through a word jieba or the knowledge base knows (in "可以用", "以用"
        is no candidate), and a common word jieba knows is the customer's own (a rare one, "取笑" in a customer's
        question, is a slip for 取消)."""
        from components.knowledge.keyword_index import _jieba

        jieba = _jieba()
        known = vocabulary.chinese
        spans, at = [], 0
        for token in jieba.lcut(run):
            spans.append((at, at + len(token), token))
            at += len(token)

        def cuts_a_word(a: int, b: int) -> bool:
            return any((s < a < e or s < b < e) and len(t) > 1 and (jieba.dt.FREQ.get(t) or t in known or
                                                                        t in ZH_QUESTION_WORDS)
                       for s, e, t in spans)

        out, i = [], 0
        while i < len(run):
            for n in (4, 3, 2):
                window = run[i:i + n]
                if len(window) < n or window in known or window in ZH_QUESTION_WORDS or cuts_a_word(i, i + n):
                    continue
                if (jieba.dt.FREQ.get(window) or 0) >= COMMON_ZH_WORD:
                    continue
                near = [w for w in vocabulary.homophones(window) if sum(a != b for a, b in zip(w, window)) == 1]
                if near:
                    best = max(near, key=lambda w: (known.get(w, 0), w))
                    corrections.append({"from": window, "to": best, "kind": "homophone"})
                    out.append(best)
                    i += n
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)


def _same_case(original: str, word: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    return word.capitalize() if original[0].isupper() else word
