"""What a bare question is about: the story the customer told before it.

Customers tell what happened and then ask a question that names nothing of its own: "our power was off for 20 hours
after the storm. do we get any compensation?", "my direct debit failed last week, what happens now?", "My laptop
stopped charging after 3 weeks. what are my options?". The question is split from the story
(question_analysis.split_question / story_and_question), and ranked on the question's own words, so the subject is
lost: "compensation" or "what happens" fits every section alike.

A part is *bare* when, besides its question words and the words that only ask for a remedy or an outcome (happens,
options, compensation, refund, money back, anything, what do I do), it has no word the documents use. The story
told before a bare part is then its subject (`QuestionPart.subject`): the part's own story (the clause before it),
or, for a one-part question, the statements around it. The composer counts the subject's words as the part's own
(its term weights, so the ranker's word features and the confidence that reads them), the selection features read
the names it gives, and the answerability checks read it as what the part asks about (`value_subject`) and as the
customer's own case (`opposite_condition`). A question that names its own subject ("I'm 27, can I get Plus Student?")
keeps the story as context only, as before; numbers the story gives are read as before (number_conditions.py).
Follow-ups are read in followups.py, not here.
"""
from __future__ import annotations

import re
from typing import Callable

from components.answers.answerability import _QUESTION_WORDS
from components.answers.evidence_selection import terms
from components.answers.question_analysis import QuestionPart, story_and_question

# words that ask for a remedy or an outcome and say nothing of what it is for
_GENERIC_EN = """happen happens happened happening now next then options option choices choice compensation compensate
compensated compensations refund refunds refunded money back anything something entitled entitle am should any help
done possible remedy solution sort"""
_GENERIC_ZH = "怎么办 怎么 办 补偿 赔偿 退款 退钱 处理 办法 选择 现在 然后 接下来 会 怎样 吗"
GENERIC = frozenset(terms(_GENERIC_EN)) | frozenset(_GENERIC_ZH.split())


def own_subject(asked: str, known: Callable[[str], bool] = lambda t: True) -> list[str]:
    """The words of a question that say what it is about: not its question words, not the words that only ask for a
    remedy or an outcome, and used by the documents (`known`)."""
    return [t for t in dict.fromkeys(terms(asked))
            if t not in _QUESTION_WORDS and t not in GENERIC and not re.fullmatch(r"\d+", t) and known(t)]


def is_bare(asked: str, known: Callable[[str], bool] = lambda t: True) -> bool:
    """Does the question name nothing of its own ("what happens now?", "do we get any compensation?")?"""
    return not own_subject(asked, known)


def story_subject(part: QuestionPart, statements: str, part_count: int,
                  known: Callable[[str], bool] = lambda t: True) -> str:
    """The story a bare part is about, or "": the statements around a one-part question and the part's own story
    (the clause it opens with: "my bill is way too high. it came 3 days ago, what can I do?")."""
    own, asked = story_and_question(part.text) if part.story else ("", part.text)
    story = " ".join(s.strip() for s in ((statements if part_count == 1 else ""), own) if s.strip())
    if not story or not any(known(t) for t in terms(story)):
        return ""
    return story if is_bare(asked, known) else ""
