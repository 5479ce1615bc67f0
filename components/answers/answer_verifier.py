"""Does a rephrased answer say exactly what its evidence says? Each check returns a verdict a person can read.

A rephrasing stands only if
- `numbers`: every number, amount, percentage, time and date in it appears in the evidence (numbers written as
  words count: "three" = 3);
- `names`: every name in it (Gold, Lisbon, Apple Pay, PayPal) appears in the evidence, so an option the evidence
  does not list cannot be offered, even when the customer named it;
- `polarity`: each of its sentences has the negation and modality (not/no/never/cannot, can/may, must/only,
  open/closed; 不/没有/不能, 可以, 必须/无需) of the evidence sentence it restates;
- `novelty`: almost all of its content words come from the evidence or the question;
- `loop`: no sentence or long phrase repeats.
Otherwise the evidence's own wording stands. What it cannot see: a paraphrase that keeps every word but changes
who does what ("we refund you" / "you refund us").
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from components.answers.evidence_selection import entity_names, terms

_NUMBER_WORDS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
                 "fifteen": "15", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60",
                 "ninety": "90", "hundred": "100", "once": "1", "twice": "2", "一": "1", "两": "2", "二": "2",
                 "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "十": "10"}
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(k for k in _NUMBER_WORDS if k.isascii()) + r")\b", re.I)
_CN_NUMBER = re.compile(r"([一两二三四五六七八九十])(?=[个天次周年月小时分钟工作日%％])")

NEGATION_EN = re.compile(r"\b(not|no|never|none|nothing|neither|nor|without|cannot|can't|won't|don't|doesn't|"
                         r"didn't|isn't|aren't|wasn't|weren't|shouldn't|mustn't|unable|impossible|non-refundable|"
                         r"nonrefundable)\b|n't\b", re.I)
NEGATION_ZH = re.compile(r"不|没|无|非|未|别|勿")
_ZH_NOT_NEGATION = re.compile(r"无论|不仅|不过|非常|未来|并非")   # words with 不/非/无 that negate nothing
MODALITY = [
    ("permission", re.compile(r"\b(can|may|able to|allowed|possible|eligible)\b|可以|能够|允许|可", re.I)),
    ("obligation", re.compile(r"\b(must|required?|need to|needs to|have to|has to|mandatory)\b|必须|需要|须|应当", re.I)),
    ("restriction", re.compile(r"\b(only|just|solely|exclusively)\b|只有|仅|只能|唯一", re.I)),
    ("open", re.compile(r"\b(open|opens|available)\b|营业|开放|开门", re.I)),
    ("closed", re.compile(r"\b(closed|close|closes|shut|unavailable)\b|关闭|休息|关门|停业|不营业", re.I)),
]
_SENTENCES = re.compile(r"(?<=[.!?。！？；;])\s*")
_FRAMING_WORDS = set(terms("""yes no sure certainly here help article policy says say according note answer question
our we you your us please thank thanks happy glad info information sorry know let able shop store customer
following mentioned below above also kind regards hi hello dear""")) | {"kefu", "demo"}


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Verdict:
    ok: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def reason(self) -> str:
        failed = [c for c in self.checks if not c.ok]
        return "; ".join(f"{c.name}: {c.detail}" for c in failed) if failed else "every check passed"

    def to_dict(self) -> dict:
        return {"ok": self.ok, "reason": self.reason, "checks": [asdict(c) for c in self.checks]}


def numbers_in(text: str) -> set[str]:
    text = text or ""
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[w.lower()] for w in _NUMBER_WORD.findall(text)}
    found |= {_NUMBER_WORDS[w] for w in _CN_NUMBER.findall(text)}
    out = set()
    for n in found:
        out.add(n)
        if re.fullmatch(r"\d+\.0+", n):
            out.add(n.split(".")[0])
        if re.fullmatch(r"\d{1,2}:00", n):
            out.add(n.split(":")[0])
    return out


def negated(sentence: str) -> bool:
    """Whether the sentence says the opposite of its words: an odd number of negations ("cannot ... without" is
    two, and says the same as "can ... with")."""
    cleaned = _ZH_NOT_NEGATION.sub("", sentence)
    return (len(NEGATION_EN.findall(cleaned)) + len(NEGATION_ZH.findall(cleaned))) % 2 == 1


def modalities(sentence: str) -> set[str]:
    return {name for name, pattern in MODALITY if pattern.search(sentence)}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCES.split(text or "") if len(s.strip()) > 2]


def _loop(text: str) -> str | None:
    seen: set[str] = set()
    for s in sentences(text):
        key = " ".join(s.lower().split())
        if len(key) >= 10 and key in seen:
            return f"the sentence {s[:60]!r} repeats"
        seen.add(key)
    words = re.findall(r"\w+", (text or "").lower())
    counts: dict[tuple, int] = {}
    for i in range(len(words) - 4):
        gram = tuple(words[i:i + 5])
        counts[gram] = counts.get(gram, 0) + 1
        if counts[gram] >= 3:
            return f"the phrase {' '.join(gram)!r} repeats"
    return None


def _best_match(sentence: str, evidence_sentences: list[str]) -> str | None:
    mine = set(terms(sentence))
    best, best_share = None, 0.0
    for e in evidence_sentences:
        theirs = set(terms(e))
        if not mine or not theirs:
            continue
        share = len(mine & theirs) / len(mine)
        if share > best_share:
            best, best_share = e, share
    return best if best_share >= 0.3 else None


def verify(candidate: str, evidence: list[str], question: str = "", *, max_novel_share: float = 0.2) -> Verdict:
    """Check a rephrased answer against the evidence it restates."""
    candidate = (candidate or "").strip()
    evidence_text = "\n".join(evidence)
    checks: list[Check] = []
    if not candidate:
        return Verdict(False, [Check("empty", False, "the rephrasing is empty")])

    extra = sorted(numbers_in(candidate) - numbers_in(evidence_text))
    checks.append(Check("numbers", not extra, f"not in the evidence: {', '.join(extra)}" if extra else ""))

    allowed_names = entity_names(evidence_text, headings=True)
    allowed_words = set(terms(evidence_text))
    invented = sorted(n for n in entity_names(candidate) - allowed_names
                      if not set(terms(n)) <= allowed_words or not terms(n))
    checks.append(Check("names", not invented, f"not in the evidence: {', '.join(invented)}" if invented else ""))

    flips = []
    evidence_sentences = [s for e in evidence for s in sentences(e)]
    for s in sentences(candidate):
        source = _best_match(s, evidence_sentences)
        if source is None:
            continue
        if negated(s) != negated(source):
            flips.append(f"{s[:60]!r} {'negates' if negated(s) else 'drops the negation of'} {source[:60]!r}")
            continue
        mine, theirs = modalities(s), modalities(source)
        changed = ((mine ^ theirs) & {"obligation", "restriction"}) | (theirs - mine) & {"closed"}
        if ("open" in mine and "closed" in theirs - mine) or ("closed" in mine and "open" in theirs - mine):
            changed |= {"open/closed"}
        if changed:
            flips.append(f"{s[:60]!r} changes {', '.join(sorted(changed))} of {source[:60]!r}")
    checks.append(Check("polarity", not flips, "; ".join(flips)))

    known = allowed_words | set(terms(question)) | _FRAMING_WORDS
    content = [t for t in terms(candidate) if not t.isdigit()]
    novel = [t for t in content if t not in known]
    share = len(novel) / len(content) if content else 0.0
    checks.append(Check("novelty", share <= max_novel_share,
                        f"{share:.0%} of its words are in neither the evidence nor the question "
                        f"({', '.join(sorted(set(novel))[:8])})" if share > max_novel_share else ""))

    loop = _loop(candidate)
    checks.append(Check("loop", loop is None, loop or ""))
    return Verdict(all(c.ok for c in checks), checks)
