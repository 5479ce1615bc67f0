"""What the intent classifier reads of a customer message: the request, without what should not change the intent.

Found by the bias audit (`python app.py eval bias`): a greeting with a name, writing for a wife rather than a
husband, "she" rather than "he", a polite preamble ("Hello, could you please help me?", "您好，麻烦您帮我看一下"),
a dialect's particles ("can or not lah", "please do the needful") or a swapped pair of letters moved the intent.
So before the classifier reads a message:

- self-introductions ("this is Emily Walsh", "my name is …", "我是王芳") lose the name;
- gendered words and relatives become neutral ones (she/he → they, wife/husband/mother/son → relative,
  妈妈/爸爸 → 家人);
- the punctuation that ends the message is dropped, as customers often leave it out;
- greetings, politeness fillers and sentence-final particles are dropped ("hi", "please", "kindly",
  "could you please help me?", "please do the needful", "can or not lah", "您好", "麻烦您帮我看一下", "请问");
- words the classifier never (or rarely) saw in training are corrected to a frequent training word one edit away
  (a swap of letters first, then a missing or extra letter, then a wrong one; `SpellingCorrector`, built from the
  training examples); a word that is no English word at all is also un-swapped to a general English word
  ("eamil" → "email", "szie" → "size": `assets/nlu/english_words.txt`).

If the rules would leave nothing, the message is read as it is. The sentiment model and the stored turn keep the
customer's own words.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

_FLAGS = re.IGNORECASE

# a name is one to three capitalised words after an introduction ("this is Emily Walsh.", "I'm Jamal Jones,")
_NAME = r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,2}"
_INTRO_EN = re.compile(r"\b(?:[Tt]his is|[Mm]y name is|[Ii]t'?s|[Ii] am|[Ii]'?m)\s+" + _NAME + r"\s*[.,!;:]?\s*")

_GENDERED_EN = [
    (r"\b(?:she|he)\b", "they"), (r"\b(?:her|his)\b", "their"), (r"\bhim\b", "them"), (r"\bhers\b", "theirs"),
    # which relative a customer writes for says nothing about the request
    (r"\b(?:wife|husband|boyfriend|girlfriend|partner|spouse|mother|father|mom|mum|dad|son|daughter|brother|"
     r"sister|grandmother|grandfather|grandma|grandpa|aunt|uncle)\b", "relative"),
]
_THIRD_PERSON = {"says": "say", "wants": "want", "needs": "need", "has": "have", "is": "are", "was": "were",
                 "thinks": "think", "keeps": "keep"}
_SHE_HE_VERB = re.compile(r"\b(?:she|he)\s+(says|wants|needs|has|is|was|thinks|keeps)\b", _FLAGS)

_FILLERS_EN = [re.compile(p, _FLAGS) for p in (
    r"^\s*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|dear (?:sir|madam|team|support))"
    r"(?:\s+there)?\s*[,!.]*\s*",
    r"\b(?:could|can|would|will) you (?:please |kindly )?(?:help|assist) me(?: out)?(?: please)?\s*[?.!]*\s*",
    r"\bplease do the needful\b\s*[.!]*",
    r"\b(?:please|pls|plz|kindly)\b\s*,?\s*",
    r"(?:\s*\b(?:can or not|lah|leh|lor|meh)\b)+\s*[?.!]*\s*$",
)]

_INTRO_ZH = re.compile(r"我(?:是|叫)[\u4e00-\u9fff]{2,4}[。，,.!！]\s*")
_FOR_SOMEONE_ZH = re.compile(r"我(?:替|帮|给)(?:我)?(?:爱人|老婆|老公|妻子|丈夫|妈妈|妈|爸爸|爸|母亲|父亲|儿子|女儿|家人|朋友)"
                             r"(?:问一下|问问|咨询一下|问)[：:，,]?")


def without_asking_for_someone_zh(text: str) -> str:
    """A Chinese turn without "我替我妈妈问一下：" (whom the customer asks for says nothing about the request, nor
    about the feeling)."""
    return _FOR_SOMEONE_ZH.sub("", text)


_RELATIONS_ZH = re.compile(r"(?:爱人|老婆|老公|妻子|丈夫|妈妈|爸爸|母亲|父亲|儿子|女儿)")
_FILLERS_ZH = [re.compile(p) for p in (
    r"^\s*(?:您好|你好|hi|hello|亲|在吗|客服)[，,！!。~～\s]*",
    r"^(?:麻烦|劳驾)(?:您|你)?(?:帮我|帮忙)?(?:看一下|看看|查一下|查查)?[，,]",
    r"^(?:请问|麻烦|劳驾)(?:一下)?(?:您|你)?[，,]?",
)]


# the punctuation that ends a message, which customers often leave out (stripping every word-final mark instead
# cost Banking77 0.001: "?" and "." inside a message carry its structure)
_FINAL_PUNCTUATION = re.compile(r"[\s?!.,;:…？！。，；：、]+$")


def _strip(text: str) -> str:
    return re.sub(r"\s+", " ", _FINAL_PUNCTUATION.sub("", text)).strip(" ,，;；:：")


def intent_text(text: str, language: str = "en") -> str:
    """`text` as the intent classifier reads it (see the module docstring); never empty for a non-empty text."""
    original = text
    if language == "zh":
        text = _INTRO_ZH.sub("", text)
        text = _FOR_SOMEONE_ZH.sub("", text)
        text = _RELATIONS_ZH.sub("家人", text)
        for _ in range(2):  # "您好，麻烦您帮我看一下，…": a greeting, then a filler
            for pattern in _FILLERS_ZH:
                text = pattern.sub("", text)
    else:
        text = _INTRO_EN.sub("", text)
        text = _SHE_HE_VERB.sub(lambda m: "they " + _THIRD_PERSON[m.group(1).lower()], text)
        for pattern, repl in _GENDERED_EN:
            text = re.sub(pattern, repl, text, flags=_FLAGS)
        for pattern in _FILLERS_EN:
            text = pattern.sub(" ", text)
    text = _strip(text)
    return text if text else original


_WORD = re.compile(r"[A-Za-z]+")
_READING_WORDS = ("they", "their", "them", "theirs", "say", "want", "need", "have", "are", "were", "think", "keep",
                  "relative")
_FILLER_WORDS = ("please", "kindly", "hello", "could", "would", "assist", "needful")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
# a whitespace-separated token holding an e-mail address, a link or a number is never corrected ("mia.moore8091")
IDENTIFIER_TOKEN = re.compile(r"\S*(?:@|://|www\.|\d)\S*")


# the words of four or more letters of the packaged embedder's WordPiece vocabulary (all-MiniLM-L6-v2, Apache-2.0),
# most frequent first: a general English vocabulary, beyond the few thousand words a pack's examples use
ENGLISH_WORDS = Path(__file__).resolve().parents[2] / "assets" / "nlu" / "english_words.txt"


@lru_cache(maxsize=2)
def english_words(path: Path = ENGLISH_WORDS) -> tuple[str, ...]:
    """The general English words, most frequent first (empty when the file is missing: training words only)."""
    try:
        with Path(path).open(encoding="utf-8") as fh:
            return tuple(line.strip() for line in fh if line.strip())
    except FileNotFoundError:
        return ()


class SpellingCorrector:
    """Corrects words of four or more letters to a training word one edit away: a swap of neighbouring letters
    first (the commonest slip), then a missing or extra letter, then a wrong one; among those, the most frequent.
    A word the training examples never use is corrected to one they use at least twice; a word they use rarely
    (a misspelling kept in the examples, as Bitext keeps "oredr" three times) only by a swap, to one they use 20
    times as often.
    A word that is no English word at all ("eamil", "szie") may also be un-swapped to a general English word
    (`general_words`, most frequent first) the examples do not use ("email", "size"); a training word one swap away
    wins over it. An English word the examples never use is left as it is ("email" is not a misspelt "mail"), and
    one they rarely use is never changed into a general word ("trail" is not a misspelt "trial").
    Capitalised words inside a sentence (names) are left alone."""

    MIN_LENGTH = 4
    RARE_RATIO = 20

    def __init__(self, texts: list[str], extra_words: tuple[str, ...] | list[str] = (),
                 general_words: tuple[str, ...] | list[str] = ()):
        """`extra_words`: words to correct towards although the examples rarely use them (the emotion cues);
        `general_words`: an English vocabulary, most frequent first, to un-swap non-words towards."""
        self.counts = Counter(w.lower() for t in texts for w in _WORD.findall(t))
        self._general_rank = {w: i for i, w in reversed(list(enumerate(general_words)))}
        self._common = max(self.counts.values(), default=0) / self.RARE_RATIO
        # the words intent_text writes in place of others are never corrected ("they" is not a misspelt "the"),
        # and the fillers it drops are known, so that a misspelt one ("Plaese") is dropped too
        for word in _READING_WORDS:
            self.counts[word] = max(self.counts[word], int(self._common) + 1)
        # the fillers and cue words the examples do not use are reached by a swap of letters only ("Plaese",
        # "dman"), never by adding or changing a letter ("hats" is not a misspelt "hate")
        self._swap_only = {w for w in (*_FILLER_WORDS, *extra_words) if self.counts[w] <= self._common}
        for word in self._swap_only:
            self.counts[word] = int(self._common) + 1

    @staticmethod
    def _edit_tiers(word: str) -> list[set[str]]:
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        lengths = {a + b[1:] for a, b in splits if b} | {a + c + b for a, b in splits for c in _LETTERS}
        replaced = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
        return [swaps, lengths, replaced]

    def word(self, word: str) -> str:
        lower = word.lower()
        seen = self.counts.get(lower, 0)
        if len(word) < self.MIN_LENGTH or seen > self._common or (not seen and lower in self._general_rank):
            # an English word the examples never use is the customer's word, not a slip ("email" is not "mail")
            return word
        needed = max(2, self.RARE_RATIO * seen)
        # a word the examples do use is only ever un-swapped: one letter off, a real word ("well") would become
        # another ("will"), which cost Banking77 0.002
        tiers = self._edit_tiers(lower)[:1 if seen else None]
        for n, tier in enumerate(tiers):
            known = [w for w in tier if w != lower and self.counts.get(w, 0) >= needed
                     and (n == 0 or w not in self._swap_only)]
            if not known and n == 0 and lower not in self._general_rank:
                # a non-word one swap from an English word: the most frequent such word
                known = sorted((w for w in tier if w in self._general_rank), key=self._general_rank.get)[:1]
            if known:
                best = max(known, key=lambda w: (self.counts.get(w, 0), w))
                return best.capitalize() if word[0].isupper() else best
        return word

    def correct(self, text: str) -> str:
        protected = [m.span() for m in IDENTIFIER_TOKEN.finditer(text)]

        def fix(m: re.Match) -> str:
            w = m.group(0)
            if any(a <= m.start() < b for a, b in protected):
                return w
            mid_sentence_capital = w[0].isupper() and m.start() > 0 and text[:m.start()].rstrip()[-1:] not in ".!?"
            return w if mid_sentence_capital else self.word(w)

        return _WORD.sub(fix, text)
