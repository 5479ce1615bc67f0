"""A Chinese compound noun is asked as a whole, not by its shared first noun (components/answers/chinese_compounds.py;
issue #15: never a confident wrong answer)."""
from __future__ import annotations

from components.answers.chinese_compounds import asked_compounds, other_compound
from tests.fakes import last_part, scored_unit


def scored(text):
    return scored_unit(text, title="出行规定 › 安全", doc="rules-zh", language="zh")


# invented: a city's boat and bus rules, two compounds sharing their first noun (渡轮码头 / 渡轮票价)
PIER = scored("所有渡轮码头都禁止吸烟。")
FARE = scored("渡轮票价按航程计算，儿童半价。")
BOTH = scored("渡轮票价在渡轮码头的售票窗口公布。")


def written(*units):
    return lambda compound: any(compound in u.unit.text for u in units)


def test_the_compounds_a_question_names_are_those_the_documents_write_whole():
    assert asked_compounds("渡轮票价多少？", written(PIER, FARE)) == [("渡轮", "票价")]
    assert asked_compounds("渡轮票价多少？", written(PIER)) == []          # no document writes it whole
    assert asked_compounds("how much is the ferry fare?", written(FARE)) == []


def test_a_rule_about_another_compound_sharing_the_first_noun_does_not_answer():
    question = last_part("渡轮票价包括行李吗？")
    reason = other_compound(question, [PIER], written(PIER, FARE))
    assert reason and "渡轮码头" in reason


def test_evidence_writing_the_asked_compound_answers():
    question = last_part("渡轮票价包括行李吗？")
    assert other_compound(question, [FARE], written(PIER, FARE)) is None
    assert other_compound(question, [BOTH], written(PIER, BOTH)) is None
    # a compound the documents never write whole is no compound asked: its nouns are read one by one
    assert other_compound(question, [PIER], written(PIER)) is None
