"""Customers' own wording, made reproducibly: each dev question rewritten as a customer might type it.

`perturb(text, kind, seed)` rewrites one turn; the same text, kind and seed always give the same rewrite (the
random choices are seeded by a hash of the three). `python app.py eval answers --perturb KIND[,KIND…]` asks every
turn of the scenarios so rewritten and reports correct / abstained / wrong per kind (components/answers/eval.py).

English (a turn without a Latin word of four or more letters is left as it is):
- `swap`, `delete`, `double`, `neighbour`: one slip in one content word of four or more letters (not a name
  inside the sentence, not its first letter): two neighbouring letters swapped ("retrun"), a letter left out
  ("retun"), a letter doubled ("retturn"), a letter replaced by its neighbour on a QWERTY keyboard ("retirn");
- `typo`: one of those four, chosen by the seed;
- `lower`: all lower case, no punctuation (Chinese turns lose their punctuation too);
- `chat`: chat spellings: you -> u, your -> ur, please -> pls, want to -> wanna, going to -> gonna,
  thanks -> thx; a turn with none of them gets "pls" before it or "thx" after it.
Chinese (an English turn is left as it is):
- `homophone`: one character of a content word (a jieba word of two or more characters) replaced by a common
  character with the same toneless pinyin ("退款" -> "退宽"), as a pinyin keyboard slip writes it;
- `traditional`: traditional characters (components/nlu/chinese_script.py, the bias audit's converter).
"""
from __future__ import annotations

import hashlib
import random
import re
from functools import lru_cache

from components.nlu.chinese_script import to_traditional
from components.nlu.cjk_characters import CJK_RUN

KINDS = ("typo", "swap", "delete", "double", "neighbour", "lower", "chat", "homophone", "traditional")
_SLIPS = ("swap", "delete", "double", "neighbour")

_KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def _neighbours() -> dict[str, str]:
    where = {c: (r, i) for r, row in enumerate(_KEYBOARD) for i, c in enumerate(row)}
    out = {}
    for c, (r, i) in where.items():
        near = [row[j] for rr, row in enumerate(_KEYBOARD) if abs(rr - r) <= 1
                for j in range(len(row)) if abs(j - i) <= 1 and row[j] != c and (rr == r or j in (i, i - 1, i + 1))]
        out[c] = "".join(sorted(set(near)))
    return out


NEIGHBOURS = _neighbours()
# words no customer's slip changes the meaning of, and that carry no content
_FUNCTION_WORDS = frozenset("""about above after again against also another been before being below between both
could does doing down during each from further have having here into itself just more most much must only other
ought same should some such than that their them then there these they this those through under until very what
when where which while whom whose will with would your yours mine ours please""".split())
_LATIN_WORD = re.compile(r"[A-Za-z]{4,}")
_PUNCTUATION = re.compile(r"[?？!！,，;；:：\"“”()（）。、…]|(?<!\d)\.|\.(?!\d)")
_CHAT = [(re.compile(r"\bgoing to\b", re.I), "gonna"), (re.compile(r"\bwant to\b", re.I), "wanna"),
         (re.compile(r"\b(thanks|thank you)\b", re.I), "thx"), (re.compile(r"\bplease\b", re.I), "pls"),
         (re.compile(r"\byou'?re\b", re.I), "ur"), (re.compile(r"\byour\b", re.I), "ur"),
         (re.compile(r"\byou\b", re.I), "u")]
_ZH_STOP = frozenset("我们 你们 他们 可以 什么 怎么 如何 一下 这个 那个 是否 能否 需要 请问 多少 多久 吗 呢".split())


def _rng(text: str, kind: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{kind}\x00{text}".encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def perturb(text: str, kind: str, seed: int = 0) -> str:
    """`text` rewritten by `kind` (one of KINDS); the text itself where the kind does not apply."""
    if kind not in KINDS:
        raise ValueError(f"unknown perturbation {kind!r}: choose from {', '.join(KINDS)}")
    rng = _rng(text, kind, seed)
    if kind in ("typo", *_SLIPS):
        return _slip(text, rng.choice(_SLIPS) if kind == "typo" else kind, rng)
    if kind == "lower":
        return re.sub(r"\s+", " ", _PUNCTUATION.sub(" ", re.sub(r"['’]", "", text.lower()))).strip()
    if kind == "chat":
        return _chat(text, rng)
    if kind == "homophone":
        return _homophone(text, rng)
    return to_traditional(text)


def _slip(text: str, slip: str, rng: random.Random) -> str:
    words = []
    for m in _LATIN_WORD.finditer(text):
        before = text[:m.start()].rstrip()
        name = m.group(0)[0].isupper() and before and before[-1] not in ".!?:"
        # a word inside an e-mail address or an id is no word the customer typed
        token = re.search(r"\S*$", text[:m.start()]).group(0) + re.match(r"\S*", text[m.start():]).group(0)
        if not name and m.group(0).lower() not in _FUNCTION_WORDS and not re.search(r"[@\d/]", token):
            words.append(m)
    if not words:
        return text
    m = rng.choice(words)
    word = m.group(0)
    for _ in range(20):
        i = rng.randrange(1, len(word) - (1 if slip == "swap" else 0))
        if slip == "swap":
            new = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        elif slip == "delete":
            new = word[:i] + word[i + 1:]
        elif slip == "double":
            new = word[:i + 1] + word[i] + word[i + 1:]
        else:
            near = NEIGHBOURS.get(word[i].lower(), "")
            new = word[:i] + rng.choice(near) + word[i + 1:] if near else word
        if new.lower() != word.lower():
            return text[:m.start()] + new + text[m.end():]
    return text


def _chat(text: str, rng: random.Random) -> str:
    out = text
    for pattern, short in _CHAT:
        out = pattern.sub(short, out)
    if out != text:
        return out
    if re.search(r"[A-Za-z]", text) and not CJK_RUN.search(text):
        return f"pls {text[0].lower()}{text[1:]}" if rng.random() < 0.5 else f"{text.rstrip()} thx"
    return text


@lru_cache(maxsize=1)
def _homophone_table() -> dict[str, list[str]]:
    """Toneless pinyin -> common characters (jieba knows them as words of their own, frequent first)."""
    import jieba
    from pypinyin import Style, lazy_pinyin

    jieba.setLogLevel(60)
    jieba.initialize()
    table: dict[str, list[tuple[int, str]]] = {}
    for word, freq in jieba.dt.FREQ.items():
        if len(word) == 1 and "\u4e00" <= word <= "\u9fff" and freq >= 2000:
            table.setdefault(lazy_pinyin(word, style=Style.NORMAL)[0], []).append((freq, word))
    return {k: [c for _, c in sorted(v, reverse=True)] for k, v in table.items()}


def _homophone(text: str, rng: random.Random) -> str:
    import jieba
    from pypinyin import Style, lazy_pinyin

    table = _homophone_table()
    places = []
    offset = 0
    for run in CJK_RUN.finditer(text):
        offset = run.start()
        for word in jieba.lcut(run.group(0)):
            if len(word) >= 2 and word not in _ZH_STOP and CJK_RUN.fullmatch(word):
                for i, ch in enumerate(word):
                    options = [c for c in table.get(lazy_pinyin(ch, style=Style.NORMAL)[0], [])[:8] if c != ch]
                    if options:
                        places.append((offset + i, options))
            offset += len(word)
    if not places:
        return text
    at, options = rng.choice(places)
    return text[:at] + rng.choice(options) + text[at + 1:]
