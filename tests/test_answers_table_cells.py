"""A comparison-table cell a question names by its column and its row (comparison_rows.asked_cell,
asked_cell_first) and the look-up of that cell in every table of the knowledge base (table_cells.TableCells)."""
from components.answers.answerability import QUESTION_WORDS, asked_value, asked_value_phrase
from components.answers.comparison_rows import asked_cell, asked_cell_first
from components.answers.evidence_units import cell_text
from components.answers.table_cells import TableCells
from components.knowledge.types import Hit
from tests.fakes import last_part, scored_unit

COLUMNS = ["Day Pass", "Flex", "Fixed Desk"]
ROWS = [("Price", ["€25 a day", "€190 a month", "€340 a month"]),
        ("Desk", ["a hot desk for one day", "a hot desk", "your own desk, €0 extra"]),
        ("Company registration address", ["no", "no", "€20 a month extra"]),
        ("Meeting-room credits per month", ["none", "4", "8"])]
ZH_COLUMNS = ["日票", "Flex", "固定工位"]
ZH_ROWS = [("价格", ["每天 25 欧元", "每月 190 欧元", "每月 340 欧元"]), ("按年预付", ["不提供", "不提供", "减 10%"])]
PAUSE = scored_unit("Pausing a Fixed Desk and keeping your desk costs €60 a month.")


def table(rows, columns, language="en", doc="plans"):
    return [scored_unit(cell_text(label, f"{column}: {value}"), kind="row", title="Plans", doc=doc,
                        language=language)
            for label, values in rows for column, value in zip(columns, values)]


CELLS = table(ROWS, COLUMNS) + table(ZH_ROWS, ZH_COLUMNS, "zh", "plans-zh")


def cell(question, ranked=None, cells=None):
    part = last_part(question)
    found = asked_cell(part, ranked if ranked is not None else [PAUSE, *CELLS], asked_value(part.text),
                       QUESTION_WORDS, asked_value_phrase(part.text), cells=cells)
    return found.unit.text if found is not None else None


def test_the_cell_of_the_named_column_and_row_is_the_one_asked():
    # a label of value words only ("Price") is named by the question asking for a value; "desk" of the column's
    # name "Fixed Desk" names no row ("Desk"), and "per month" is said by the cell's "€340 a month"
    assert cell("how much is a fixed desk per month?") == "Price: Fixed Desk: €340 a month"
    assert cell("how much is the company registration address on a fixed desk?") == \
        "Company registration address: Fixed Desk: €20 a month extra"
    assert cell("how many meeting room credits do I get on flex?") == "Meeting-room credits per month: Flex: 4"
    # a Chinese question over the Chinese table ("每个" counts, "多少钱" asks; the table in the question's language)
    assert cell("固定工位每个月多少钱？") == "价格：固定工位: 每月 340 欧元"


def test_no_cell_when_the_question_asks_more_than_the_cell_says_or_names_no_column():
    assert cell("how much does it cost to pause a fixed desk?") is None   # "pause": not what the cell says
    assert cell("how much is it per month?") is None                       # no column named
    assert cell("how much is a desk?") is None                             # "desk": a word of a column, not its name
    assert cell("can I bring a guest on a fixed desk?") is None            # no value asked


def test_the_asked_cell_is_ranked_before_a_sentence_sharing_the_columns_name():
    part = last_part("how much is a fixed desk per month?")
    ranked = [PAUSE, *CELLS]
    first = asked_cell_first(part, ranked, asked_value(part.text), QUESTION_WORDS, asked_value_phrase(part.text))
    assert first[0].unit.text == "Price: Fixed Desk: €340 a month" and len(first) == len(ranked)
    assert asked_cell_first(part, first, asked_value(part.text), QUESTION_WORDS) is None   # already first


class _Knowledge:
    """Documents and their passages, as KnowledgeBase.documents() and passages() give them."""
    def __init__(self, text):
        self.text = text

    def documents(self):
        return [{"doc_id": "plans", "title": "Membership plans"}]

    def passages(self, doc_id):
        return [Hit("plans#0", doc_id, "Membership plans", self.text, 0.0, None, None,
                    {"heading_path": ["Membership plans"], "kind": "text", "doc_title": "Membership plans"})]


def test_the_named_cell_is_found_in_a_table_the_search_did_not_retrieve():
    rows = "\n".join(f"{label}; " + "; ".join(f"{c}: {v}" for c, v in zip(COLUMNS, values)) for label, values in ROWS)
    cells = TableCells(_Knowledge(rows))
    part = last_part("how much is a fixed desk per month?")
    unit = cells.asked(part, asked_value(part.text), QUESTION_WORDS, asked_value_phrase(part.text))
    assert unit is not None and unit.text == "Price: Fixed Desk: €340 a month" and unit.doc_id == "plans"
    part = last_part("how much does it cost to pause a fixed desk?")
    assert cells.asked(part, asked_value(part.text), QUESTION_WORDS, asked_value_phrase(part.text)) is None


def test_a_short_chinese_label_is_named_by_its_characters():
    # "月费" stays one word to the segmenter; "每个月多少钱" says its 月, and 年费 is not named
    rows = table([("月费", ["5.99 欧元", "9.99 欧元"]), ("年费", ["不提供", "99.90 欧元"])], ["Basic", "Premium"], "zh")
    assert cell("Premium 每个月多少钱？", rows) == "月费：Premium: 9.99 欧元"
    assert cell("Premium 每年多少钱？", rows) == "年费：Premium: 99.90 欧元"


def test_a_hyphenated_word_is_matched_whole():
    # "e-bike" shares "bike" with the bike's row; the row saying "E-bike" is the one named, and a bike is no e-bike
    rows = table([("Bike per minute", ["€0.10", "free"]), ("E-bike per minute", ["€0.25", "€0.15"])],
                 ["Pay as you go", "Monthly"])
    assert cell("how much does an e-bike cost per minute on the monthly plan?", rows) == \
        "E-bike per minute: Monthly: €0.15"
    assert cell("how much does a bike cost per minute on the monthly plan?", rows) == "Bike per minute: Monthly: free"


def test_the_row_check_names_a_short_chinese_label_as_the_asked_cell_does():
    """The cell `asked_cell` ranks first for "Premium 每月多少钱？" (月费, named by its 月) is no "row the question does
    not name" to `unnamed_row`; the yearly fee's row still is."""
    from components.answers.comparison_rows import unnamed_row

    rows = table([("月费", ["5.99 欧元", "9.99 欧元"]), ("年费", ["不提供", "99.90 欧元"])], ["Basic", "Premium"], "zh")
    part = last_part("Premium 每月多少钱？")
    monthly = next(r for r in rows if r.unit.text == "月费：Premium: 9.99 欧元")
    yearly = next(r for r in rows if r.unit.text == "年费：Premium: 99.90 欧元")
    assert unnamed_row(part, [monthly], rows, True, QUESTION_WORDS) is None
    assert "not what the question names" in unnamed_row(part, [yearly], rows, True, QUESTION_WORDS)


# per-unit prices in pence and rows named by compound words ("E-bike, per minute" beside "Classic bike, per minute")
BIKE_COLUMNS = ["Pay as you go", "Monthly", "Annual"]
BIKE_ROWS = [("Price", ["no fee", "£15 a month", "£120 a year"]),
             ("Classic bike, per minute after the free minutes", ["15p", "10p", "5p"]),
             ("E-bike, per minute", ["25p", "15p", "10p"]),
             ("Daily price cap", ["£12", "£8", "£6"])]
BIKE_CELLS = table(BIKE_ROWS, BIKE_COLUMNS, doc="bike-plans")
RIDE_COVER = scored_unit("Monthly and Annual members: £3 a month, added to your membership.")


def test_a_price_in_pence_is_a_sum_of_the_kind_asked():
    # "15p" holds the amount asked; "720p" (three digits) would be a picture quality, no sum
    assert cell("how much does an e-bike cost per minute on the monthly plan?", cells=BIKE_CELLS) == \
        "E-bike, per minute: Monthly: 15p"
    assert cell("how much is an e-bike per minute on pay as you go?", cells=BIKE_CELLS) == \
        "E-bike, per minute: Pay as you go: 25p"


def test_a_row_named_by_its_own_words_before_a_price_row_named_only_by_the_asking():
    # "Price" is named at half by any question asking an amount; "classic bike" names its own row at half too
    assert cell("how much is a classic bike per minute on the monthly plan?", cells=BIKE_CELLS) == \
        "Classic bike, per minute after the free minutes: Monthly: 10p"


def test_the_noun_after_a_columns_name_is_the_column_not_a_word_the_cell_must_say():
    # "membership" of "the monthly membership" is what the Monthly column is; the prose naming the plan and another
    # sum ("£3 a month, added to your membership") ranks first on the shared words, the cell is what is asked
    part = last_part("how much is the monthly membership?")
    ranked = asked_cell_first(part, [RIDE_COVER, *BIKE_CELLS], asked_value(part.text), QUESTION_WORDS,
                              asked_value_phrase(part.text))
    assert ranked[0].unit.text == "Price: Monthly: £15 a month"
    assert cell("how much is the annual membership?", cells=BIKE_CELLS) == "Price: Annual: £120 a year"
    # a noun that is no kind of column ("deposit") is still a word the cell must say
    assert cell("how much is the monthly deposit?", cells=BIKE_CELLS) is None


def test_a_column_is_named_by_the_chinese_name_it_gives_in_brackets():
    # "Plus Student（学生）": a Chinese question says 学生, not the English name; 会员 after it is the column itself
    columns = ["Plus Monthly（月度）", "Plus Student（学生）"]
    cells = table([("价格", ["每月 5.99 欧元", "每月 2.99 欧元"]), ("生鲜杂货订单免配送费", ["满 30 欧元", "满 50 欧元"])],
                  columns, "zh", "plus-zh")
    assert cell("学生会员多少钱？", cells=cells) == "价格：Plus Student（学生）: 每月 2.99 欧元"
    assert cell("月度会员多少钱？", cells=cells) == "价格：Plus Monthly（月度）: 每月 5.99 欧元"


def test_a_row_named_by_its_own_words_is_not_named_alike_with_a_price_row():
    # "cost" names the label "Price" in full, as it does any value-only label; the e-bike row is named by its own
    # words, so the two are not "named alike" and the cell the question names may be stated
    from components.answers.comparison_rows import unnamed_row
    part = last_part("how much does an e-bike cost per minute on the monthly plan?")
    ebike = next(c for c in BIKE_CELLS if c.unit.text == "E-bike, per minute: Monthly: 15p")
    assert unnamed_row(part, [ebike], BIKE_CELLS, True, QUESTION_WORDS) is None
    # a question naming no row's own words still finds two value-only rows alike
    price = next(c for c in BIKE_CELLS if c.unit.text == "Price: Monthly: £15 a month")
    fee = scored_unit("Fee: Monthly: £2", kind="row", title="Plans", doc="bike-plans")
    assert unnamed_row(last_part("how much is monthly?"), [price], [*BIKE_CELLS, fee], True, QUESTION_WORDS)
