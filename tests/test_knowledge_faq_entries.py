"""FAQ entries written as text (markdown or plain text): every common shape gives its answer as evidence, with its
question as the unit's context and citation, and no "Q:"/"A:" scaffolding in what may be said."""
from __future__ import annotations

import pytest

from components.answers.evidence_units import split_sentences, units_from_hit
from components.knowledge.chunking import StructureChunker
from components.knowledge.loaders import markdown_blocks, _text_blocks
from components.knowledge.types import Hit

EN_Q, EN_A = "Can I pause my plan?", "Yes, for up to 3 months a year. Pausing is free."
ZH_Q, ZH_A = "可以暂停会员吗？", "可以，每年最多暂停3个月。暂停免费。"

# shapes whose question and answer sit on consecutive lines: one paragraph to a plain loader
JOINED = {
    "q_a_lines": "Q: {q}\nA: {a}",
    "bold_q_a": "**Q:** {q}\n**A:** {a}",
    "question_answer_words": "Question: {q}\nAnswer: {a}",
    "bold_question_line": "**{q}**\n{a}",
    "question_line": "{q}\n{a}",
    "numbered_question": "1. {q}\n{a}",
    "numbered_question_indented": "1. {q}\n   {a}",
    "chinese_labels": "问：{q}\n答：{a}",
    "chinese_labels_one_line": "问：{q}答：{a}",
    "q_a_one_line": "Q: {q} A: {a}",
}
# shapes with a blank line between question and answer (a heading, a bold line, a numbered line)
SEPARATE = {
    "heading_question": "### {q}\n\n{a}",
    "bold_question_paragraph": "**{q}**\n\n{a}",
    "numbered_question_paragraph": "1. {q}\n\n{a}",
    "q_a_paragraphs": "Q: {q}\n\nA: {a}",
    "chinese_paragraphs": "问：{q}\n\n答：{a}",
}


def units_of(markdown: str):
    blocks = markdown_blocks(markdown)
    units = []
    for n, chunk in enumerate(StructureChunker().chunk(blocks)):
        meta = {"heading_path": chunk.heading_path, "kind": chunk.kind, "doc_title": "Help", **chunk.meta}
        units += units_from_hit(Hit(f"faq#{n}", "faq", "Help", chunk.text, 0.8, metadata=meta))
    return units


def check(units, question: str, answer: str):
    said = [u.text for u in units]
    assert answer in said or all(s in said for s in split_sentences(answer)), said
    about = [u for u in units if u.text == answer or u.text in answer]
    assert about and all(question.rstrip("?？") in f"{u.context} {u.source_title}" for u in about), \
        [(u.text, u.context, u.source_title) for u in about]
    assert not any(u.text.lstrip("*").startswith(("Q:", "A:", "Question", "Answer", "问", "答")) for u in units)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("layout, shape", [("joined", k) for k in sorted(JOINED)] +
                         [("separate", k) for k in sorted(SEPARATE)])
def test_faq_entry_yields_its_answer(layout, shape, language):
    """An entry on consecutive lines ("joined") or with a blank line between question and answer ("separate")."""
    q, a = (EN_Q, EN_A) if language == "en" else (ZH_Q, ZH_A)
    written = (JOINED if layout == "joined" else SEPARATE)[shape]
    text = "# Frequently asked questions\n\n" + written.format(q=q, a=a) + "\n"
    check(units_of(text), q, a)


def test_consecutive_entries_become_one_qa_block_each_under_their_section():
    text = ("# FAQ\n\n## Orders\n\nQ: Do you charge for bags?\nA: Yes, **€0.20** per bag.\n"
            "Q: Can I order alcohol?\nA: Yes, if you are 18 or over.\n\n"
            "1. Can several people add to one order?\n   Yes, share the basket link.\n"
            "2. Do you deliver tobacco?\n   No.\n")
    qa = [b for b in markdown_blocks(text) if b.kind == "qa"]
    assert [(b.meta["question"], b.meta["answer"]) for b in qa] == [
        ("Do you charge for bags?", "Yes, €0.20 per bag."), ("Can I order alcohol?", "Yes, if you are 18 or over."),
        ("Can several people add to one order?", "Yes, share the basket link."), ("Do you deliver tobacco?", "No.")]
    chunks = StructureChunker().chunk(markdown_blocks(text))
    assert chunks[0].kind == "qa" and chunks[0].heading_path == ["FAQ", "Orders"]
    assert chunks[0].index_text("FAQ").startswith("Orders\nQ: Do you charge for bags?")


def test_plain_text_faq_entries_are_qa_blocks():
    blocks = _text_blocks(f"Q: {EN_Q}\nA: {EN_A}\n\n问：{ZH_Q}\n答：{ZH_A}\n")
    assert [(b.kind, b.meta.get("question"), b.meta.get("answer")) for b in blocks] == [
        ("qa", EN_Q, EN_A), ("qa", ZH_Q, ZH_A)]


@pytest.mark.parametrize("text", [
    "Our plans:\nBasic costs $10.\nPlus costs $20.",          # no question at all
    "Q: Can I pause?\nThe answer line is missing its label",   # a "Q:" with no "A:": not an entry
    "Which plan suits you?\nWhich plan is cheaper?",           # two questions, no answer
])
def test_paragraphs_that_are_not_faq_entries_stay_paragraphs(text):
    assert [b.kind for b in markdown_blocks(text)] == ["paragraph"]


def test_a_question_list_with_no_answers_stays_a_list():
    blocks = markdown_blocks("Ask us:\n\n- Can I pause?\n- Can I cancel?\n")
    assert [b.kind for b in blocks] == ["paragraph", "list_item", "list_item"]


@pytest.mark.parametrize("line, question, answer", [
    (f"Q: {EN_Q} A: {EN_A}", EN_Q, EN_A),
    (f"**Q:** {EN_Q} **A:** {EN_A}", EN_Q, EN_A),
    (f"问：{ZH_Q}答：{ZH_A}", ZH_Q, ZH_A),
])
def test_an_entry_left_on_one_line_of_a_passage_is_split_into_context_and_answer(line, question, answer):
    # a PDF page or a web page whose loader did not see the entry: the passage line itself holds both
    units = units_from_hit(Hit("pdf#0", "pdf", "Help", f"Opening hours are 9 to 5.\n{line}", 0.8,
                               metadata={"heading_path": [], "doc_title": "Help"}))
    check(units, question, answer)
