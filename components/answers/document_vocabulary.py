"""Does an unanswered question speak the documents' language? The words of the question the knowledge base holds.

The policy declines a question as out of scope ("I can only help with ...") when the intent model finds no intent
and the answer composer found nothing near the threshold. In a workspace whose documents are a business's help centre,
the intent model (taught the shop's intents) calls many of that business's own questions out of scope, and a
story-worded question ("my order came without the garlic bread, what do i do?") may score low: declining it names
the wrong business and hides a knowledge gap. A question most of whose content words the documents use is the
business's subject, unanswered: the honest "I don't know, shall I ask a person?" (clarify), not the decline.

`coverage(text, df, translated)`: the question's content terms (the knowledge base's own tokenizer, stopwords,
contractions and linking words out; for a Chinese question its jieba words without function words, single
characters beside longer words and the words a longer one contains, each held when the documents write it or use an
English sense of it as a whole), split into those the documents hold (document frequency > 0) and those they never
use, and the capitalised words inside a sentence they never use ("Paris", "Netflix", "Lisbon": another place or
company). `in_documents` is the rule: at least `MIN_HELD` held terms, at least `MIN_SHARE` of all, and no unknown
name. Weather, jokes, films, recipes or another company's store hold none or one of their words, or name what the
documents do not (measured over the shop's kb/ with an electronics, an energy and a food-delivery business's
documents: the 16 declined questions of those businesses probed all in; of 34 made-up out-of-scope questions in
English and Chinese 32 out, "今天股票行情如何" over the delivery documents and "how do i reset my gmail password?" in).
All documents count, the shop's kb/ too: the shop's own "Is there a restocking fee on returns?" is a knowledge gap.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from components.answers.cross_language import FUNCTION_WORDS
from components.answers.evidence_selection import terms
from components.nlu.cjk_characters import HAN_WITH_COMPATIBILITY, has_cjk

MIN_HELD = 2      # one shared word ("return" in "can you help me with my tax return?") is no shared subject
MIN_SHARE = 0.4   # two in five of its content terms are the documents' words ("courier", "add", "tip" of seven)

_CJK = re.compile(f"^[{HAN_WITH_COMPATIBILITY}]+$")
_NAME = re.compile(r"(?<=[^\s.!?。！？])(\s+)([A-Z][a-z][\w-]*)")


@dataclass(frozen=True)
class Coverage:
    held: tuple[str, ...]            # content terms the documents use
    unheld: tuple[str, ...]          # content terms they never use
    unknown_names: tuple[str, ...]   # capitalised words inside the sentence the documents never use

    @property
    def share(self) -> float:
        total = len(self.held) + len(self.unheld)
        return len(self.held) / total if total else 0.0

    @property
    def in_documents(self) -> bool:
        return len(self.held) >= MIN_HELD and self.share >= MIN_SHARE and not self.unknown_names


_GENERIC = frozenset("""about after before now then up down out over one first well he she him her it's""".split())


def content_terms(text: str) -> list[str]:
    """The question's terms as the keyword index reads them, without contractions ("what's") and words that hold a
    sentence together ("about", "now")."""
    return [t for t in dict.fromkeys(terms(text)) if "'" not in t and "’" not in t and t not in _GENERIC]


def unknown_names(text: str, df: Callable[[str], int]) -> list[str]:
    """Capitalised words inside a sentence (not its first word) whose terms the documents never use."""
    names = []
    for _, word in _NAME.findall(text or ""):
        words = terms(word)
        if words and all(df(t) == 0 for t in words):
            names.append(word)
    return names


def chinese_words(text: str) -> list[str]:
    """A Chinese question's words as the keyword index cuts them (jieba's search mode), without the words that only
    make it a question (cross_language.py's function words), single characters beside longer words, and the words
    a longer word of the question contains ("星期" of "星期六"); its Latin words as terms."""
    found = [t for t in content_terms(text) if t not in FUNCTION_WORDS]
    chinese = [t for t in found if _CJK.match(t)]
    longer = [t for t in chinese if len(t) >= 2]
    drop = {t for t in chinese if len(t) < 2 and longer} | {t for t in longer if any(t != o and t in o for o in longer)}
    return [t for t in found if t not in drop]


def coverage(text: str, df: Callable[[str], int], translated: Callable[[str], bool] | None = None) -> Coverage:
    """`translated(word)`: do the documents use an English sense of a Chinese word as a whole (cross_language.py)?
    Such a word is held, as is one the documents write themselves. An English question is read term by term."""
    if has_cjk(text):
        asked = chinese_words(text)
        held = tuple(t for t in asked if df(t) > 0 or (translated is not None and _CJK.match(t) and translated(t)))
    else:
        asked = content_terms(text)
        held = tuple(t for t in asked if df(t) > 0)
    return Coverage(held, tuple(t for t in asked if t not in held), tuple(unknown_names(text, df)))
