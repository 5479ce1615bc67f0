"""Retrieved passages cut into the units an answer may state: sentences, list items (and whole short lists), table
rows, FAQ answers.

A unit carries two texts: `text`, what may be said to the customer (markdown and "Q:/A:", "Question:/Answer:"
scaffolding removed), and `context`, what it is about (the heading path, the FAQ question, a list's lead-in), which
is matched against the question but never said. Lines that are themselves questions ("Other ways customers ask
this" lists, a help article's "Question:" line) are context only: a question is no evidence. A FAQ entry is a
`qa` chunk when the loader recognised it (`loaders.faq_entries`: "Q:/A:", "问：/答：", a question line and its answer);
one left on a single line ("Q: … ? A: …", from a PDF or a web page) is split here the same way.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from components.knowledge.types import Hit
from components.nlu.cjk_characters import HAN, has_cjk
from components.nlu.language import detect_language

_SENTENCE_END = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+(?=[A-Z0-9\"“(\[])")
_QUESTION_SECTION = re.compile(r"other ways customers ask|ways to ask|example questions|其他问法|常见问法|用户怎么问", re.I)
_QA_INLINE = re.compile(r"^\s*(\*\*)?(question|q|问|问题)(\*\*)?\s*[:：](?P<question>.+?[?？])\s*"
                        r"(\*\*)?(answer|a|答|回答|答案)(\*\*)?\s*[:：](?P<answer>.+)$", re.I)
_QA_PREFIX = re.compile(r"^\s*(\*\*)?(question|answer|q|a|问|答|问题|回答)(\*\*)?\s*[:：]\s*(\*\*)?\s*", re.I)
_MARKDOWN = re.compile(r"\*\*|__|`|^#+\s*|^>\s*")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)、])\s+")
_ROW = re.compile(r"^[^:;：]{1,60}[:：] [^;]+(?:; [^:;：]{1,60}[:：] [^;]*)+$")
# a comparison table's row, its own label first (the first column has no heading): "No-show; Flex: €50; Standard: €30"
_LABELLED_ROW = re.compile(r"^(?P<label>[^:;：]{1,60}); (?P<cells>[^:;：]{1,60}[:：] [^;]*(?:; [^:;：]{1,60}[:：] [^;]*)*)$")
_CJK_END = re.compile(f"[{HAN}]$")
_CELL = re.compile(r"^(?P<label>[^:;：]{1,60})[:：] ?(?P<column>[^:;：]{1,60})[:：] (?P<value>[^;]*)$")
# a Chinese table whose first heading only says "item" ("| 项目 | 经典卡 | 银卡 |"): its rows are comparison rows too
_ITEM_KEYED = re.compile(r"^项目[:：] ([^:;：]{1,60}); ")
_FILLER = re.compile(r"^(i can help( you)?\b|i'?m sorry\b|i understand\b|thanks? (you )?for\b|please (verify|tell me)\b|"
                     r"我可以帮您|很抱歉|感谢您)", re.I)


@dataclass
class EvidenceUnit:
    text: str                # what may be said (cleaned)
    context: str             # what it is about (headings, the FAQ question, a list's lead-in): matched, not said
    kind: str                # sentence | list | list_item | row | faq_answer
    source_title: str        # readable citation: "Returns › Which orders can be returned", or the FAQ question
    doc_id: str
    chunk_id: str
    retrieval_score: float
    language: str
    position: int            # order inside its chunk

    def to_dict(self) -> dict:
        return asdict(self)


def clean(text: str) -> str:
    """One line of passage text as it may be said: markdown and Q/A scaffolding removed, spaces folded."""
    text = _MARKDOWN.sub("", text.strip())
    text = _QA_PREFIX.sub("", text)
    text = _LIST_ITEM.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def is_question(text: str) -> bool:
    stripped = text.strip().rstrip("*").strip()
    return stripped.endswith(("?", "？")) or bool(re.match(r"^\s*(\*\*)?(question|q|问|问题)(\*\*)?\s*[:：]", text, re.I))


def readable_title(hit: Hit) -> str:
    """The section a passage comes from, as a person would cite it (never a file name like "faq")."""
    meta = hit.metadata or {}
    if meta.get("kind") == "qa" and meta.get("question"):
        return str(meta["question"]).strip()
    path = [h for h in (meta.get("heading_path") or []) if h and not _QUESTION_SECTION.search(h)]
    doc_title = str(meta.get("doc_title") or hit.title or "").strip()
    if path:
        first, last = path[0], path[-1]
        return first if first == last else f"{first} › {last}"
    return doc_title or hit.doc_id


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def units_from_hit(hit: Hit) -> list[EvidenceUnit]:
    """Every unit a hit holds, in reading order."""
    meta = hit.metadata or {}
    path = [h for h in (meta.get("heading_path") or []) if h]
    if any(_QUESTION_SECTION.search(h) for h in path):
        return []  # a list of ways customers phrase a question: matches well, answers nothing
    title = readable_title(hit)
    heading_context = " ".join(dict.fromkeys([str(meta.get("doc_title") or ""), *path]))
    units: list[EvidenceUnit] = []

    def add(text: str, context: str, kind: str) -> None:
        text = text.strip()
        if len(text) < 3 or is_question(text):
            return
        language = detect_language(text)
        units.append(EvidenceUnit(text, context.strip(), kind, title, hit.doc_id, hit.chunk_id, float(hit.score),
                                  language, len(units)))

    if meta.get("kind") == "qa" and meta.get("answer"):
        question = str(meta.get("question") or "")
        answer = clean(str(meta["answer"]))
        add(answer, f"{question} {heading_context}", "faq_answer")
        sentences = split_sentences(answer)
        if len(sentences) > 1:
            for sentence in sentences:
                add(sentence, f"{question} {heading_context}", "sentence")
        return units

    lines = [line for line in hit.text.splitlines() if line.strip()]
    question_context = ""
    lead_in = ""
    items: list[str] = []

    def flush_list() -> None:
        nonlocal items
        if items and lead_in and len(items) <= 8:
            joined = ", ".join(i.rstrip(".,;，。；") for i in items)
            add(f"{lead_in} {joined}.", f"{question_context} {heading_context}", "list")
        elif 2 <= len(items) <= 6 and path:
            # a list straight under its heading ("How to request a return" 1. … 2. …): the steps together
            sep = "" if all(has_cjk(i) for i in items) else " "
            joined = sep.join(i if i.endswith((".", "!", "。", "！", ";", "；")) else i + ("。" if sep == "" else ".")
                              for i in items)
            add(joined, f"{question_context} {heading_context}", "list")
        items = []

    pending = ""  # a lead-in nothing has followed yet: it is said after all if no list or table comes

    def flush_lead_in() -> None:
        nonlocal pending
        if pending:
            add(pending, f"{question_context} {heading_context}", "sentence")
        pending = ""

    for raw in lines:
        entry = _QA_INLINE.match(raw)
        if entry:  # "Q: Can I pause? A: Yes, for up to 3 months." on one line: the question is the answer's context
            flush_list()
            flush_lead_in()
            question_context = clean(entry.group("question"))
            lead_in = ""
            raw = entry.group("answer")
        if is_question(raw):
            flush_list()
            flush_lead_in()
            question_context = clean(raw)
            lead_in = ""
            continue
        line = clean(raw)
        if not line:
            continue
        if _LIST_ITEM.match(raw):
            pending = ""
            items.append(line)
            add(line, f"{question_context} {lead_in} {heading_context}", "list_item")
            continue
        flush_list()
        labelled = _LABELLED_ROW.match(line)
        if labelled:
            # one unit per cell, each with the row's label: "No-show: Flex: €50". Cut like prose, a cell lost its
            # label ("Flex: €50;" answered any row's question); kept whole, the rows of one table competed on their
            # labels as units the confidence model never saw. A cell says what the row is and which case it is.
            pending = ""
            label, cells = labelled.group("label").strip(), labelled.group("cells").split("; ")
            values = {re.split(r"[:：] ", c, maxsplit=1)[-1].strip() for c in cells}
            if len(cells) > 1 and len(values) == 1:
                # every column holds the same value ("Service fee | 5% of the basket | 5% of the basket"): one
                # statement, true whatever the case, not one unit per column repeating it
                add(f"{label}{'：' if _CJK_END.search(label) else ': '}{values.pop()}",
                    f"{question_context} {lead_in} {heading_context}", "row")
                continue
            for cell in cells:
                add(cell_text(label, cell), f"{question_context} {lead_in} {heading_context}", "row")
            continue
        if _ROW.match(line):
            # the sentence leading into a table says what its rows are about ("Both stores change their hours
            # over the holidays:"): context of every row under it
            pending = ""
            add(line, f"{question_context} {lead_in} {heading_context}", "row")
            continue
        flush_lead_in()
        sentences = split_sentences(line)
        lead_in = sentences[-1] if sentences and _is_lead_in(sentences[-1]) else ""
        # a lead-in announces the list or table after it and states nothing itself: context, not evidence
        for sentence in sentences[:-1] if lead_in else sentences:
            add(sentence, f"{question_context} {heading_context}", "sentence")
        pending = lead_in
    flush_list()
    flush_lead_in()
    return units


def cell_text(label: str, cell: str) -> str:
    """A comparison row's cell as a unit says it: "Accidental damage: Basic: not included" (the row's label, the
    column, the value; "：" after a Chinese label)."""
    return f"{label}{'：' if _CJK_END.search(label) else ': '}{cell}"


def cell_parts(text: str) -> tuple[str, str, str] | None:
    """(label, column, value) of a comparison row's cell ("Accidental damage: Basic: not included"), else None."""
    match = _CELL.match(text)
    return (match.group("label").strip(), match.group("column").strip(), match.group("value").strip()) if match \
        else None


def row_label(text: str) -> str:
    """The row's label of a comparison row's cell ("Accidental damage" of "Accidental damage: Basic: not included")
    or of its cells stated together ("Excess: Basic: £250; Premium: £0", `whole_row_text`), else ""."""
    match = _CELL.match(text) or _WHOLE_ROW.match(text)
    return match.group("label").strip() if match else ""


_WHOLE_ROW = re.compile(r"^(?P<label>[^:;：]{1,60})[:：] ?[^:;：]{1,60}[:：] [^;]*(?:; [^:;：]{1,60}[:：] [^;]*)+$")


def whole_row_text(label: str, cells: list[tuple[str, str]]) -> str:
    """A comparison row's cells said together, the label once: "Excess: Basic: £250; Premium: £0"."""
    return cell_text(label, "; ".join(f"{column}: {value}" for column, value in cells))


def row_as_said(text: str) -> str:
    """How a reply says a row whose first heading only says "item" (项目): by its label, as a comparison cell is said
    ("项目: 年费; 金卡: 95 美元" is said "年费：金卡: 95 美元"); the heading is no part of the answer. Such a table is
    not cut into cells (`_LABELLED_ROW`) like one with an empty corner: as cells, the ranker split its row's share
    between them, and a dev question about one card's fee went unanswered ("金卡在国外刷卡有手续费吗？多少？")."""
    match = _ITEM_KEYED.match(text or "")
    return f"{match.group(1)}：{text[match.end():]}" if match else text


def _is_lead_in(sentence: str) -> bool:
    return sentence.rstrip().endswith((":", "："))


def is_filler(text: str) -> bool:
    """Service phrasing that carries no policy ("I can help you cancel your order.")."""
    return bool(_FILLER.search(text.strip()))
