"""Comparison tables: a column per plan (package, tariff, hotel), a row per feature, the first column without a
heading. The loader writes such a row with its own label first ("No-show; Flex: €50 fee; Standard: €30 fee") and
evidence_units makes one unit per cell, each with the row's label (`cell_text`: "No-show: Flex: €50 fee").

The cells of one column differ only in their row's label: "Contents cover; Basic: up to £30,000" and "Single item
limit (contents); Basic: £1,500" are both about Basic's contents, and which one answers "what's the contents limit on
Basic?" rests on the label alone. The ranker matches a few words and cannot tell them apart with confidence, so
`unnamed_row` asks the question to name the row: at least half of the label's words (a label that only names the
kind of value, "Price", "价格", is named by a question asking for a value), and no other row of the same table
named as much; and a question naming a column of the table ("Everyday Checking") is not answered by another
column's cell ("Everyday Plus Checking"). Else the part is unknown: stating the neighbouring row's value would be a confident wrong answer.
A part naming a column of a table ("Premium", or "免赔额呢？" carrying "Premium 房屋保险…" from the part before) is
ranked without that table's other columns' cells (`named_columns_only`): they are other plans' figures, and beside
the named cell they took its share in the confidence model. The part's own words name its row; the words it carries
from the question it was cut from are read only when its own say nothing of any row of the table.
A label that itself holds the value asked for ("Late by more than 30 minutes" for "how late ...?") is the answer,
not the case asked about; a value that says every word the part asks about ("underground garage, €18 per night" for
"how much is the underground garage at Alderbridge?") names its row itself (`value_names`).
A label that states a condition the customer's own number meets ("Late by more than 15 minutes" for "my food was
25 minutes late … do i get anything?") names its row; a rival whose condition holds too ("… 30 minutes" for 45
minutes late) is named alike.
A part naming no column of its own is read with the one column the customer names in a sentence beside it ("what
interest do i get on cash? i'm on plus": `part_columns`, `QuestionPart.said`): their case, not every plan's value.
A part naming no column ("what's the excess?") is answered by the best cell's row as a whole, each column's value
(`row_together`): one unit, so the row's cells no longer split the confidence between them. A part naming two rows
alike in the column it names ("the pool hours at Alderbridge": indoor and outdoor pool) is answered by both cells
(`rows_named_alike`), each saying which row it is, instead of being said unknown. Rows of one name told apart by a
bracket ("车损免赔额（A 至 D 组）", "车损免赔额（E、F 组）") are named by that name, and a question naming them alike is
answered when their cells in its column agree (`_same_value_in_rows`). A row the part does not name, ranked beside
a best unit that answers it, is left out of the reply rather than making the part unknown (`without_unnamed_rows`).

Tables whose first column has a heading ("Feature | Silver Rewards | Gold Rewards", "Hotel | Parking | Price") stay
whole rows, one unit each ("Feature: Annual fee; Silver Rewards: $45; Gold Rewards: $95"). A reply states such a
row's first column and the columns the question names (`focus_row`), and a later part the columns an earlier part
left out (`row_beyond_stated`).
"""
from __future__ import annotations

import dataclasses
import re

from components.answers.evidence_selection import _VALUE_PATTERNS, ScoredUnit, terms
from components.answers.evidence_units import cell_parts, row_label, whole_row_text
from components.nlu.cjk_characters import CJK, CJK_RUN, HAN, has_cjk

NAMED_SHARE = 0.5  # the share of a row label's words a question must say to name the row
_BRACKETED = re.compile(r"\s*[（(][^）)]*[）)]")   # a label's qualifier: "车损免赔额（A 至 D 组）"


def table_cells(unit, ranked: list[ScoredUnit]) -> list[tuple[ScoredUnit, tuple[str, str, str]]]:
    """The cells among `ranked` of the comparison table `unit` belongs to (the same document and section), in their
    order, each with its (label, column, value)."""
    return [(s, cell) for s in ranked if s.unit.kind == "row" and s.unit.doc_id == unit.doc_id
            and s.unit.source_title == unit.source_title and (cell := cell_parts(s.unit.text))]


# words of a label that say how its value is counted, not which row it is: "Free share and ETF trades per month" is
# named by "free trades each month" as much as by "free trades per month"
_COUNTING_WORDS = frozenset(terms("per each every"))


def label_named(label: str, asked: set[str], asks_value: bool, question_words: frozenset[str]) -> float:
    """How much of a row label the question says: the share of its words said; a label of value words only ("Price",
    "Cost", "价格") is said in full when the question says its word, and half (named, but less than a row whose own
    words are said) by a question that only asks for a value ("How much is Basic?")."""
    words = set(terms(label)) - _COUNTING_WORDS
    content = words - question_words
    if not content:
        return 1.0 if words & asked else NAMED_SHARE if asks_value else 0.0
    return len(content & asked) / len(content)


def naming_words(part, labels, question_words: frozenset[str]) -> set[str]:
    """The words that name the part's row: its own words; the words it carries from the question it was cut from
    (its context: "免赔额呢？" after "Premium 的室内财产保额是多少？", "how late can I drop my bag" after "how early does
    check-in open") are read only when its own words say nothing of any of the table's row `labels`."""
    own = set(terms(part.asked_text))
    said = any(label_named(r, own, False, question_words) > 0 for r in labels)
    return own if said else own | set(terms(part.context))


def _named_with_bracket(label: str, asked: set[str], asks_value: bool, question_words: frozenset[str]) -> float:
    """`label_named`, where a label's bracketed qualifier ("车损免赔额（A 至 D 组和 X 组）") tells rows of the same name
    apart: the question that says the name names each of them."""
    return max(label_named(label, asked, asks_value, question_words),
               label_named(_BRACKETED.sub("", label), asked, asks_value, question_words) if _BRACKETED.search(label)
               else 0.0)


def unnamed_row(part, evidence: list[ScoredUnit], candidates: list[ScoredUnit], asks_value: bool,
                question_words: frozenset[str], own: list = ()) -> str | None:
    """A comparison row's cell is stated only when the part names its row, and names no other row of that table as
    well (module docstring). `own`: the customer's own quantities (number_conditions.asked_quantities): a row whose
    label states a condition that holds for them ("Late by more than 15 minutes" for "my food was 25 minutes late")
    is their row, as much as one they name; a rival whose condition holds too is named alike."""
    from components.answers.number_conditions import holds

    def meets(label: str) -> bool:
        return bool(own) and holds(list(own), label) is True
    for e in evidence:
        label = row_label(e.unit.text) if e.unit.kind == "row" else ""
        if not label:
            continue
        if any(re.search(r"\d", label) if kind == "count" else _VALUE_PATTERNS[kind].search(label)
               for kind in part.types if kind == "count" or kind in _VALUE_PATTERNS):
            continue   # the label is the value asked for
        # rows stated together (`rows_named_alike`) are no rivals of each other
        rivals = {row_label(c.unit.text) for c in candidates
                  if c.unit.kind == "row" and c.unit.doc_id == e.unit.doc_id
                  and c.unit.source_title == e.unit.source_title} - {label, ""} - \
            {row_label(x.unit.text) for x in evidence if x.unit.doc_id == e.unit.doc_id
             and x.unit.source_title == e.unit.source_title}
        asked = naming_words(part, rivals | {label}, question_words)
        # a short Chinese label is named character by character, as `asked_cell` names it ("每月多少钱" names 月费)
        mine = max(_named_with_bracket(label, asked, asks_value, question_words),
                   _short_label_named(label, part.asked_text))
        if mine < NAMED_SHARE and (value_names(part, e.unit.text, question_words) or meets(label)):
            mine = 1.0
        if mine < NAMED_SHARE:
            return f"the table row “{label}” is not what the question names"
        # a rival named only because the question asks a value ("Price" for "how much …") is no rival of a row the
        # question names by its own words ("E-bike, per minute"), as `asked_cell` ranks them
        by_words = _own_words_said(label, asked, question_words)
        named = sorted(r for r in rivals if _named_with_bracket(r, asked, asks_value, question_words) >= mine
                       and _own_words_said(r, asked, question_words) >= by_words or meets(label) and meets(r))
        if named and not _same_value_in_rows(e, named, candidates):
            return f"the question names the table rows “{label}” and “{named[0]}” alike"
        # the column: a cell of another column than the one(s) the question names is another case's value (a row's
        # cells said together, `row_together`, are stated only where the question names no column)
        cell = cell_parts(e.unit.text)
        if cell is None:
            continue
        column = cell[1]
        columns = list(dict.fromkeys(c[1] for _, c in table_cells(e.unit, candidates)))
        columns = columns if column in columns else [column, *columns]
        asked_names = [columns[i] for i in part_columns(part, columns)]
        if asked_names and column not in asked_names:
            return f"the table's column “{column}” is not the one the question names (“{asked_names[0]}”)"
    return None


def without_unnamed_rows(part, chosen: list[ScoredUnit], candidates: list[ScoredUnit], asks_value: bool,
                         question_words: frozenset[str]) -> list[ScoredUnit]:
    """The units a reply would state, without a table row the part does not name stated beside a best unit that
    answers it ("不可退款价因生病等原因取消也不退款" and, beside it, the breakfast row "城市酒店早餐：不可退款价: 不含早餐"):
    that row is another row's value, left out rather than making the whole part unanswered."""
    if len(chosen) < 2 or unnamed_row(part, chosen[:1], candidates, asks_value, question_words) is not None:
        return chosen
    return chosen[:1] + [c for c in chosen[1:]
                         if unnamed_row(part, [c], candidates, asks_value, question_words) is None]


def _same_value_in_rows(cell: ScoredUnit, labels: list[str], candidates: list[ScoredUnit]) -> bool:
    """Every other row named alike states the same value as `cell` in its column ("车损免赔额（A 至 D 组）: Zero Cover: 0
    欧元" and "车损免赔额（E、F 组）: Zero Cover: 0 欧元"): whichever row the customer means, the answer is the same.
    Not folded into `rows_named_alike`: that one adds units to a reply, for rows named alike by their whole labels
    (at most `ALIKE`, beside the best unit only), and states each even when they agree; this one lets a single
    unit pass the check, for any evidence unit, with rows named alike only without their brackets among them.
    Stating the bracketed rows there instead would change replies (both rows where one is said today)."""
    parts = cell_parts(cell.unit.text)
    if parts is None:
        return False
    _, column, value = parts
    for label in labels:
        values = {p[2].strip(" ;；。.").lower() for c in candidates if c.unit.kind == "row"
                  and c.unit.doc_id == cell.unit.doc_id and (p := cell_parts(c.unit.text)) is not None
                  and p[0] == label and p[1] == column}
        if values != {value.strip(" ;；。.").lower()}:
            return False
    return True


def value_names(part, text: str, question_words: frozenset[str]) -> bool:
    """The cell's value says every word the part asks about besides the column it names ("How much is the
    underground garage at Alderbridge?" against "Parking: Alderbridge: underground garage, €18 per night"): the value
    names its own thing, and the row is the one asked, whatever its label says."""
    cell = cell_parts(text)
    if cell is None:
        return False
    _, column, value = cell
    wanted = set(terms(part.asked_text)) - question_words - set(terms(column))
    return len(wanted) >= 2 and wanted <= set(terms(value))


FLOOR = 0.25       # the part's own confidence below which a named cell is not looked up
LOOK = 3           # how far down the part's ranking the named cell may stand
NAMED_FULLY = 0.66  # the share of a row label's words a question says to name the row for a look-up


def _column_words(key: str) -> list[str]:
    # a number is a word of its own however short ("Fix 24" against "Fix 12"); a Chinese run is one word
    return [w for w in re.findall(rf"[a-z0-9]+|[{HAN}]+", key.lower())
            if (len(w) > 2 or w.isdigit() or CJK.match(w)) and w not in ("card", "the", "and")]




def asked_columns(columns: list[str], question: str) -> list[int]:
    """The columns of a comparison table the question names, as indexes into `columns`: all of a column's words, or
    a word (a number counts, "Fix 24" against "Fix 12") no other column has; a Chinese column by its whole name or
    its own Chinese word ("Plus Monthly（月度）" by 月度)."""
    lowered = question.lower()
    words = [_column_words(c) for c in columns]

    def said(w: str) -> bool:
        if CJK.match(w):
            return w in lowered
        return bool(re.search(r"\b" + re.escape(w) + (r"\b" if w.isdigit() else r"s?\b"), lowered))

    named = []
    for i, column in enumerate(columns):
        others = set().union(*(set(w) for j, w in enumerate(words) if j != i))
        own = [w for w in words[i] if w not in others]
        if (words[i] and all(said(w) for w in words[i])) or column.lower() in lowered or any(said(w) for w in own):
            named.append(i)
    # a longer name the question holds hides a shorter one inside it ("Plus Monthly" is asked, not "Plus")
    return [i for i in named if not any(j != i and set(words[i]) < set(words[j]) for j in named)]


def part_columns(part, columns: list[str]) -> list[int]:
    """The columns of a comparison table a part names (`asked_columns`), in its own words or those it carries from
    the question it was cut from; where it names none, the one column the customer names in what they say beside
    the question (`QuestionPart.said`: "what interest do i get on cash? i'm on plus"): that is their case, and every
    other column's value stated beside it would be a confident wrong answer. A statement naming two columns ("I'm
    on Free, is Plus worth it?") names no case of its own."""
    named = asked_columns(columns, f"{part.asked_text} {part.context}")
    if named or not getattr(part, "said", ""):
        return named
    said = asked_columns(columns, part.said)
    return said if len(said) == 1 else []


def named_cell(part, ranked: list[ScoredUnit], confidence: float, asked_kind: str | None,
               question_words: frozenset[str]) -> ScoredUnit | None:
    """A look-up in a comparison table: the part asks for a value in so many words (`asked_kind`, answerability's
    `asked_value`: "how much", "what's the … charge", "多少"), names one row (most of its label's words, more
    than of any other row's) and one column of the table, and that cell stands among its own best `LOOK` units,
    holding a value of the kind asked or a number ("49.8p a day", "150 英镑"), and the part asks for nothing else
    (not "… and how do I avoid it?"). The confidence model scores a cell low beside the same row's other columns
    (they match the question nearly as well); the question naming both the row and the column is what tells them
    apart. None when any of this fails, or the part's confidence is under `FLOOR`."""
    if confidence < FLOOR or asked_kind not in _VALUE_PATTERNS:
        return None
    if any(kind not in _VALUE_PATTERNS for kind in part.types):
        return None   # it asks more than a value ("… and how do I avoid it?"): more than a cell holds
    asked = set(terms(f"{part.asked_text} {part.context}"))
    for scored in ranked[:LOOK]:
        cell = cell_parts(scored.unit.text) if scored.unit.kind == "row" else None
        if not cell:
            continue
        label, column, value = cell
        table = table_cells(scored.unit, ranked)
        labels = {c[0] for _, c in table} - {label}
        columns = list(dict.fromkeys(c[1] for _, c in table))
        mine = label_named(label, asked, False, question_words)
        if mine < NAMED_FULLY or any(label_named(r, asked, False, question_words) >= mine for r in labels):
            return None
        named = [columns[i] for i in part_columns(part, columns)]
        if named != [column] or not (_VALUE_PATTERNS[asked_kind].search(value) or re.search(r"\d", value)):
            return None
        return scored
    return None


def named_columns_only(part, ranked: list[ScoredUnit]) -> list[ScoredUnit]:
    """`ranked` without the cells of a comparison table's columns the part does not name, where it names one or more
    of that table's columns (in its own words or those it carries from the part before: "Premium 房屋保险的室内财产
    保额是多少？免赔额呢？"): "免赔额：Basic: 250 英镑" is another plan's figure, no rival of the Premium cell for the
    confidence model, and never stated for Premium (`unnamed_row` keeps it out of a reply as well)."""
    tables: dict[tuple[str, str], list[str]] = {}
    for scored in ranked:
        cell = cell_parts(scored.unit.text) if scored.unit.kind == "row" else None
        if cell:
            tables.setdefault((scored.unit.doc_id, scored.unit.source_title), []).append(cell[1])
    dropped: set[tuple[str, str, str]] = set()
    for key, columns in tables.items():
        columns = list(dict.fromkeys(columns))
        if len(columns) < 2:
            continue
        named = {columns[i] for i in part_columns(part, columns)}
        if named:
            dropped |= {(*key, c) for c in columns if c not in named}
    if not dropped:
        return ranked
    return [s for s in ranked if s.unit.kind != "row" or not (cell := cell_parts(s.unit.text))
            or (s.unit.doc_id, s.unit.source_title, cell[1]) not in dropped]


def row_together(part, ranked: list[ScoredUnit]) -> list[ScoredUnit]:
    """`ranked` with the best unit's row said whole, where the best unit is a comparison table's cell and the part
    names none of that table's columns ("what's the excess?", "免赔额是多少？" against "Excess | Basic | Standard |
    Premium"): every column is the customer's possible case, so the answer is the row, each column's value
    ("Excess: Basic: £250; Standard: £150; Premium: £0"), and the row's cells, which match the question alike,
    are one unit for the confidence model, not rivals splitting its share. A part naming a column keeps its cell
    (`named_columns_only`, `named_cell`)."""
    if not ranked or ranked[0].unit.kind != "row" or not (top := cell_parts(ranked[0].unit.text)):
        return ranked
    unit = ranked[0].unit
    table = table_cells(unit, ranked)
    columns = list(dict.fromkeys(cell[1] for _, cell in table))
    if len(columns) < 2 or part_columns(part, columns):
        return ranked
    row = [(s, cell) for s, cell in table if cell[0] == top[0]]
    cells: dict[str, str] = {}
    for s, cell in sorted(row, key=lambda r: (r[0].unit.chunk_id != unit.chunk_id, r[0].unit.position)):
        cells.setdefault(cell[1], cell[2])
    if len(cells) < 2:
        return ranked
    whole = ScoredUnit(dataclasses.replace(unit, text=whole_row_text(top[0], list(cells.items()))), ranked[0].score,
                       ranked[0].parts)
    members = {id(s) for s, _ in row}
    return [whole, *(s for s in ranked if id(s) not in members)]


ALIKE = 3   # at most this many rows a part names alike are stated together: more is the table, not an answer


def rows_named_alike(part, chosen: list[ScoredUnit], ranked: list[ScoredUnit], asks_value: bool,
                     question_words: frozenset[str]) -> list[ScoredUnit]:
    """`chosen` with, beside its best unit when that is a comparison table's cell, the cells of the same column whose
    rows the part names as much ("what are the pool hours at Alderbridge?": "Indoor pool: Alderbridge: 6:30 to
    22:00" and "Outdoor pool: Alderbridge: none"; "the contents limit on Basic": "Contents cover" and "Single item
    limit (contents)"). Each is a case of what was asked, and each cell says which, so the reply states them all;
    alone, one of them is a guess between rows (`unnamed_row` says the part unknown). `ALIKE` rows at most: more
    is the table, not an answer."""
    if not chosen or chosen[0].unit.kind != "row" or not (cell := cell_parts(chosen[0].unit.text)):
        return chosen
    unit = chosen[0].unit
    table = table_cells(unit, ranked)
    asked = naming_words(part, [c[0] for _, c in table], question_words)
    mine = label_named(cell[0], asked, asks_value, question_words)
    if mine < NAMED_SHARE:
        return chosen
    alike: dict[str, ScoredUnit] = {}
    for s, c in table:
        if c[1] == cell[1] and c[0] != cell[0] and label_named(c[0], asked, asks_value, question_words) >= mine:
            alike.setdefault(c[0], s)
    if not alike or len(alike) + 1 > ALIKE:
        return chosen
    stated = {c.unit.text for c in chosen}
    return [*chosen, *(s for s in alike.values() if s.unit.text not in stated)]


def focus_row(scored: ScoredUnit, question: str, asked_kind: str | None) -> ScoredUnit:
    """A table row states only the columns the question names: for "What is the Silver card's cashback?" the row
    "Item: Cashback; Classic: 0.5%; Silver: 1%; Gold: 1.5%" becomes "Item: Cashback; Silver: 1%". When the named
    columns hold none of the value the question asks for, the columns that do are kept too ("how much is parking at
    Kelmouth?": "Parking: valet parking only; Price: €24 per night"). `asked_kind`: the kind of value the question
    asks for (answerability's `asked_value`)."""
    unit = scored.unit
    if unit.kind != "row":
        return scored
    pairs = [re.split(r"[:：] ", p, maxsplit=1) for p in re.split(r"; ", unit.text)]
    if len(pairs) < 3 or any(len(p) != 2 for p in pairs):
        return scored
    lowered = question.lower()

    def words_of(key: str) -> list[str]:
        return [w for w in re.findall(r"[a-z0-9]+", key.lower()) if len(w) > 2 and w not in ("card", "the", "and")]

    column_words = [set(words_of(k)) for k, _ in pairs]

    def named(i: int, key: str) -> bool:
        key = key.strip()
        if has_cjk(key):
            return key.lower() in lowered
        words = words_of(key)
        if words and all(re.search(r"\b" + re.escape(w), lowered) for w in words):
            return True
        # a column named like a product ("Silver Rewards", "Unlimited Plus") is asked by the word no other column
        # has ("What is the Silver card's fee?"); an attribute column ("Cashback rate") needs all its words
        if not re.fullmatch(r"(?:[A-Z0-9][\w'’-]*)(?:[ -][A-Z0-9][\w'’-]*)*", key):
            return False
        others = set().union(*(c for j, c in enumerate(column_words) if j not in (0, i)))
        own = [w for w in words if w not in others]
        return bool(own) and any(re.search(r"\b" + re.escape(w) + r"s?\b", lowered) for w in own)

    # a longer column name the question holds hides the shorter ones inside it ("白金卡" is asked, not "金卡")
    keys = [k.strip().lower() for k, _ in pairs]
    hidden = {i for i, k in enumerate(keys) if i > 0 and has_cjk(k) and any(
        j != i and j > 0 and k in other and other != k and other in lowered for j, other in enumerate(keys))
        and lowered.count(k) <= sum(lowered.count(o) for j, o in enumerate(keys) if j > 0 and k in o and o != k)}
    asked = [i for i, (key, _) in enumerate(pairs) if i > 0 and i not in hidden and named(i, key)]
    # "how much is parking at Kelmouth?" names the Parking column ("valet parking only") and asks an amount, which
    # the Price column states: the columns stating the kind of value asked are kept beside those named
    kind = asked_kind
    if asked and kind in _VALUE_PATTERNS and not any(_VALUE_PATTERNS[kind].search(pairs[i][1]) for i in asked):
        asked += [i for i, (_, value) in enumerate(pairs) if i > 0 and i not in asked and i not in hidden
                  and _VALUE_PATTERNS[kind].search(value)]
    if not asked or len(asked) == len(pairs) - 1:
        return scored
    text = "; ".join(f"{k}: {v}" for i, (k, v) in enumerate(pairs) if i == 0 or i in asked)
    return ScoredUnit(dataclasses.replace(unit, text=text), scored.score, scored.parts)


def row_beyond_stated(row: ScoredUnit, stated: list[str]) -> ScoredUnit | None:
    """The columns of a table row an earlier part did not state, after the row's first column (what the row is), or
    None. "How much is valet parking at Kelmouth Harbour, and how far ahead do I need to book it?": the first part
    states the row's parking and price columns (`focus_row`), the second is answered by its notes ("book valet
    parking 24 hours ahead"), where the whole row would be "the same as the earlier part"."""
    if row.unit.kind != "row":
        return None
    pairs = row.unit.text.split("; ")
    if len(pairs) < 3 or not all(re.match(r"^[^:：]{1,60}[:：] ", p) for p in pairs):
        return None
    said = [p for p in pairs[1:] if any(p in s for s in stated)]
    rest = [p for p in pairs[1:] if p not in said]
    if not said or not rest:
        return None
    return ScoredUnit(dataclasses.replace(row.unit, text="; ".join([pairs[0], *rest])), row.score, row.parts)


# words that count or hold a question together, never what a cell is about ("per", "每个" of "每个月多少钱")
_COUNTING_ZH = frozenset({"每", "每个", "每次", "一个", "个"})


# characters of a Chinese label that say it is a sum of money (月费 "monthly fee"), not which sum
_VALUE_CHARACTERS = frozenset("费价钱额")
SHORT_LABEL = 4   # a Chinese label of at most this many characters is one word, named by its characters


def _short_label_named(label: str, text: str) -> float:
    """How much of a short Chinese label ("月费", "年费") the question says, character by character, the characters
    saying it is a sum left out: "每个月多少钱" names 月费 (the segmenter keeps "月费" one word, the question says "月")."""
    if len(label) > SHORT_LABEL or not CJK_RUN.fullmatch(label):
        return 0.0
    chars = [c for c in label if c not in _VALUE_CHARACTERS]
    return sum(c in text for c in chars) / len(chars) if chars else 0.0


_HYPHENATED = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")


def _joined_words(text: str) -> set[str]:
    """A text's words, each hyphenated word whole and joined ("e-bike" -> "ebike"), and every two neighbouring words
    joined ("meeting room" -> "meetingroom": a hyphenated word written apart)."""
    words = re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower())
    joined = {w.replace("-", "") for w in words}
    return joined | {a.replace("-", "") + b.replace("-", "") for a, b in zip(words, words[1:])}


def _compounds_agree(label: str, text: str) -> int:
    """How far a row label and the question disagree on hyphenated words, negated: "e-bike" is one word, so a
    question about an e-bike does not name the row "Bike per minute" as much as "E-bike per minute" (their shared
    "bike" names both alike), and one about a bike names "Bike per minute" before the e-bike's row."""
    asked, said = set(_HYPHENATED.findall(text.lower())), set(_HYPHENATED.findall(label.lower()))
    label_words, question_words = _joined_words(label), _joined_words(text)
    return -(sum(w.replace("-", "") not in label_words for w in asked)
             + sum(w.replace("-", "") not in question_words for w in said))


def _own_words_said(label: str, asked: set[str], question_words: frozenset[str]) -> int:
    """1 when the question says a word of the label's own (not a word of counting or of asking a value), else 0."""
    return int(bool((set(terms(label)) - _COUNTING_WORDS - question_words) & asked))


_CHINESE_NAME = re.compile(rf"[（(]\s*([{HAN}]+)\s*[）)]")


def _chinese_name(column: str) -> str:
    """A column's Chinese name in brackets after its English one ("学生" of "Plus Student（学生）"), or ""."""
    match = _CHINESE_NAME.search(column)
    return match.group(1) if match else ""


def _fully_named_column(part, columns: list[str]) -> str | None:
    """The one column of `columns` the part names by its whole name (every word of it, a Chinese name as a whole, or
    the Chinese name a column gives in brackets: "学生" of "Plus Student（学生）"): "fixed desk" names "Fixed Desk",
    "desk" alone does not (it may be a row's word: "Desk")."""
    text = f"{part.asked_text} {part.context}".lower()
    named = []
    for column in columns:
        words = _column_words(column)
        if column.lower() in text or (words and all(
                (w in text) if CJK.match(w) else re.search(r"\b" + re.escape(w) + r"s?\b", text) for w in words)) \
                or (chinese := _chinese_name(column)) and chinese in text:
            named.append(column)
    named = [c for c in named if not any(o != c and set(_column_words(c)) < set(_column_words(o)) for o in named)]
    return named[0] if len(named) == 1 else None


# a sum in pence, as a table's per-unit prices are written ("15p", "24.5p", "10 便士"): a sum of money, though no
# currency sign stands before it (a picture quality, "720p", "1080p", has three digits or more)
_PENCE = re.compile(r"(?<![\w.])\d{1,2}(?:\.\d+)?p\b|\d+(?:\.\d+)?\s?便士")


def _holds_kind(value: str, asked_kind: str) -> bool:
    """A cell's value is of the kind asked: its value pattern, a number for a count, a sum in pence for an amount."""
    return bool(_VALUE_PATTERNS[asked_kind].search(value) or asked_kind == "count" and re.search(r"\d", value)
                or asked_kind == "amount" and _PENCE.search(value))


# nouns that say what kind of thing a column is ("the monthly membership", "on the annual plan", "the Gold one"):
# after the column's name they are the column itself, no word the cell must say
_COLUMN_NOUNS = frozenset(terms("plan plans membership memberships tariff tariffs package packages subscription "
                                "subscriptions tier tiers level levels option options one")) | \
    {"会员", "套餐", "方案", "计划"}


def _column_nouns(text: str, column: str) -> set[str]:
    """The words of `_COLUMN_NOUNS` standing right after the column's name in `text` ("membership" of "how much is
    the monthly membership?" for the column "Monthly")."""
    names = "|".join(re.escape(n) for n in (column, _chinese_name(column)) if n)
    return {w for m in re.finditer(rf"(?:{names})\s*([a-z]+|[{HAN}]{{2}})", text, re.I)
            for w in terms(m.group(1)) if w in _COLUMN_NOUNS}


def asked_cell(part, ranked: list[ScoredUnit], asked_kind: str | None, question_words: frozenset[str],
               asked_phrase: str = "", cells: list[ScoredUnit] | None = None) -> ScoredUnit | None:
    """The comparison-table cell a part asks for by naming its column and its row: "how much is a fixed desk per
    month?" against "Price: Fixed Desk: €340 a month". The part names one column of the table by its whole name
    (`_fully_named_column`), asks a kind of value (`asked_kind`: answerability's `asked_value`), and of that
    column's cells holding a value of that kind one row is named more than any other (`label_named`, where a label of
    value words only, "Price", "价格", is named by the question asking for a value; the column's own words name no
    row: "desk" of "fixed desk" is not the row "Desk"); every other word the part says is said by the cell (its label
    or value, or its table's heading; "per month" by "€340 a month"), so a question about something else of that
    plan ("how much is it to pause a fixed desk?") is not answered by its price. A sentence that only shares the
    column's name (a pause rule for fixed desks) ranks above the cell on those words; the cell is what the question
    names. `asked_phrase`: the words that ask for the value ("多少钱"), said by no cell. `cells`: where to look (the
    table's cells in the whole knowledge base), else `ranked`. None when any of this fails."""
    if asked_kind not in _VALUE_PATTERNS or any(kind not in _VALUE_PATTERNS for kind in part.types):
        return None
    pool = [s for s in (ranked if cells is None else cells) if s.unit.kind == "row" and cell_parts(s.unit.text)]
    tables: dict[tuple[str, str], list[tuple[ScoredUnit, tuple[str, str, str]]]] = {}
    for s in pool:
        tables.setdefault((s.unit.doc_id, s.unit.source_title), []).append((s, cell_parts(s.unit.text)))
    found = []
    for table in tables.values():
        columns = list(dict.fromkeys(c[1] for _, c in table))
        column = _fully_named_column(part, columns)
        if column is None:
            continue
        column_terms = set(terms(column))
        asked = naming_words(part, {c[0] for _, c in table}, question_words) - column_terms
        held = [(s, c) for s, c in table if c[1] == column and _holds_kind(c[2], asked_kind)]
        if not held:
            continue
        text = f"{part.text} {part.context}".replace(asked_phrase, " ") if asked_phrase else \
            f"{part.text} {part.context}"
        for name in filter(None, (column, _chinese_name(column))):
            text = re.sub(re.escape(name), " ", text, flags=re.I)
        # at a like share, a row named by its own words ("Classic bike, per minute") before one named only because
        # the question asks a value ("Price"), then the row whose hyphenated words agree with the question's
        named = sorted((((max(label_named(c[0], asked, True, question_words), _short_label_named(c[0], text)),
                          _own_words_said(c[0], asked, question_words), _compounds_agree(c[0], text)), s, c)
                        for s, c in held), key=lambda x: x[0], reverse=True)
        best, scored, cell = named[0]
        if best[0] < NAMED_SHARE or any(n[0] >= best and n[2][0] != cell[0] for n in named[1:]):
            continue
        # the cell, and the heading of its table ("on the monthly plan" against "Membership plans")
        said = f"{cell[0]} {cell[2]} {scored.unit.source_title} {scored.unit.context}".lower()
        # the part's own words (not their English gloss: "fix set place … seat" of 固定工位)
        rest = set(terms(part.text.replace(asked_phrase, " ") if asked_phrase else part.text))
        rest -= question_words | column_terms | _COUNTING_WORDS | _COUNTING_ZH | set(terms(said)) | \
            _column_nouns(part.text, column)
        # a Chinese word is said verbatim, "每年" ("a year") by the 年 of "年费"
        if any(not (CJK.match(w) and re.sub(r"^每个?", "", w) in said) for w in rest):
            continue
        found.append(scored)
    if len(found) > 1:
        # the same table in two languages ("Flex" is a column of both): the one in the part's own language
        found = [s for s in found if s.unit.language == getattr(part, "language", s.unit.language)]
    return found[0] if len(found) == 1 else None


def asked_cell_first(part, ranked: list[ScoredUnit], asked_kind: str | None, question_words: frozenset[str],
                     asked_phrase: str = "") -> list[ScoredUnit] | None:
    """`ranked` with the cell the part asks for (`asked_cell`) first, or None when there is none or it is first."""
    cell = asked_cell(part, ranked, asked_kind, question_words, asked_phrase)
    if cell is None or cell is ranked[0]:
        return None
    return [cell, *(s for s in ranked if s is not cell)]
