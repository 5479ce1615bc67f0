"""The rule written for the situation the customer tells ranks before a rule sharing only the question's words
(components/answers/situation_evidence.py; issue #15: never a confident wrong answer)."""
from __future__ import annotations

from components.answers.answerability import QUESTION_WORDS
from components.answers.question_analysis import split_question
from components.answers.situation_evidence import situation_first, situation_terms
from tests.fakes import scored_unit


def scored(text, score, title="Ferry › Boarding"):
    return scored_unit(text, title=title, doc="ferry", score=score)


def asked(question):
    parts, statements = split_question(question)
    return parts[-1], statements


# invented: a ferry's boarding rules
QUAY = scored("The harbour car park is open 24 hours a day; leave the car in lane 3.", 9.0)
OTHER = scored("Bikes board first, through the side gate.", 8.0)
TRAIN = scored("If your train arrives late, show your train ticket at the gate and we hold your car space.", 7.0)


def test_the_words_of_the_situation():
    part, statements = asked("my train's running late, will you keep my car space at the harbour?")
    assert situation_terms(part, statements, QUESTION_WORDS) >= {"train", "late"}
    assert "harbour" not in situation_terms(part, statements, QUESTION_WORDS)   # the question's own word


def test_the_rule_for_the_situation_ranks_first():
    part, statements = asked("my train's running late, will you keep my car space at the harbour?")
    ranked = situation_first(part, [QUAY, OTHER, TRAIN], statements, QUESTION_WORDS)
    assert ranked is not None and ranked[0] is TRAIN and len(ranked) == 3
    # a best unit saying a word of the situation stays first; so does one when no unit below says it
    assert situation_first(part, [TRAIN, QUAY], statements, QUESTION_WORDS) is None
    assert situation_first(part, [QUAY, OTHER], statements, QUESTION_WORDS) is None
    plain, said = asked("will you keep my car space at the harbour?")
    assert situation_first(plain, [QUAY, TRAIN], said, QUESTION_WORDS) is None


def test_a_chinese_story_naming_a_section_picks_its_rule():
    # invented: a water company's meter readings
    def unit(text, score, heading):
        return scored_unit(text, title=f"水表 › {heading}", doc="water", score=score, language="zh")

    general = unit("请在账单日期前 3 天内提交读数。", 9.0, "提交读数")
    other = unit("智能水表不需要提交读数。", 8.0, "提交读数")
    estimated = unit("如果估算账单不准，请在账单日期后 10 天内提交读数。", 7.0, "估算账单（说明）")
    part, _ = asked("估算账单太高了，要在多少天内交读数？")
    assert situation_first(part, [general, other, estimated], "", QUESTION_WORDS) == [estimated, general, other]
    plain, _ = asked("要在多少天内交读数？")
    assert situation_first(plain, [general, other, estimated], "", QUESTION_WORDS) is None
