"""Loaders and chunking on real files made with the real libraries (python-docx, openpyxl, pypdf); no model."""
from __future__ import annotations

import io
import json
import zipfile

import pytest

from components.knowledge.chunking import StructureChunker, split_sentences
from components.knowledge.keyword_index import tokenize
from components.knowledge.loaders import LoaderError, decode_text, load_file

REFUND = "Refunds to a credit card take 5 to 7 business days."


def minimal_pdf(text: str | None) -> bytes:
    """A one-page PDF with a real text layer (or none when text is None), xref offsets computed."""
    content = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode() if text else b""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def write(tmp_path, name: str, data: bytes | str):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return p


# ------------------------------------------------------------------------------------------------- good inputs
def test_markdown_keeps_structure(tmp_path):
    md = ("# Returns\n\nIntro paragraph.\n\n## How to return\n\n1. Verify your identity.\n2. Give the order id.\n\n"
          "| Status | Meaning |\n|---|---|\n| pending | not shipped |\n| delivered | arrived |\n")
    doc = load_file(write(tmp_path, "returns.md", md))
    kinds = [(b.kind, b.text) for b in doc.blocks]
    assert doc.title == "Returns"
    assert ("list_item", "Verify your identity.") in kinds
    assert ("table_row", "Status: pending; Meaning: not shipped") in kinds
    chunks = StructureChunker(600, 80).chunk(doc.blocks)
    assert chunks[-1].heading_path == ["Returns", "How to return"]
    assert "- Give the order id." in chunks[-1].text


def test_pdf_text_layer_and_page_numbers(tmp_path):
    doc = load_file(write(tmp_path, "policy.pdf", minimal_pdf(REFUND)))
    assert doc.kind == "pdf"
    assert REFUND in " ".join(b.text for b in doc.blocks)
    assert doc.blocks[0].meta["page"] == 1


def test_docx_headings_lists_and_tables(tmp_path):
    import docx

    d = docx.Document()
    d.add_heading("Exchanges", level=1)
    d.add_paragraph("Items can be exchanged once.")
    d.add_paragraph("Same product only", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Status", "Allowed"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "delivered", "yes"
    buf = io.BytesIO()
    d.save(buf)
    doc = load_file(write(tmp_path, "exchanges.docx", buf.getvalue()))
    kinds = [(b.kind, b.text) for b in doc.blocks]
    assert ("heading", "Exchanges") in kinds
    assert ("list_item", "Same product only") in kinds
    assert ("table_row", "Status: delivered; Allowed: yes") in kinds


def test_html_drops_scripts_and_keeps_headings(tmp_path):
    html = ("<html><head><title>Help</title><script>alert('x')</script></head><body><nav>menu</nav>"
            "<h1>Refunds</h1><p>" + REFUND + "</p><ul><li>Gift cards: immediately</li></ul></body></html>")
    doc = load_file(write(tmp_path, "help.html", html))
    texts = [b.text for b in doc.blocks]
    assert doc.title == "Help"
    assert REFUND in texts and "Gift cards: immediately" in texts
    assert not any("alert" in t or "menu" in t for t in texts)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "gbk", "gb18030"])
def test_text_encodings_are_detected(tmp_path, encoding):
    text = "退货与退款政策：退款到信用卡需要 5 到 7 个工作日。\n\nRefunds to gift cards are immediate."
    doc = load_file(write(tmp_path, "zh.txt", text.encode(encoding)))
    joined = "\n".join(b.text for b in doc.blocks)
    assert "退款到信用卡需要 5 到 7 个工作日" in joined
    assert "gift cards are immediate" in joined


def test_csv_and_xlsx_faq_become_atomic_qa(tmp_path):
    import openpyxl

    doc = load_file(write(tmp_path, "faq.csv", "Question,Answer\nHow long do refunds take?,5 to 7 business days\n"))
    assert [(b.kind, b.meta["question"]) for b in doc.blocks] == [("qa", "How long do refunds take?")]
    wb = openpyxl.Workbook()
    wb.active.append(["问题", "答案"])
    wb.active.append(["退款多久到账？", "5 到 7 个工作日。"])
    buf = io.BytesIO()
    wb.save(buf)
    doc = load_file(write(tmp_path, "faq.xlsx", buf.getvalue()))
    chunk = StructureChunker(600, 80).chunk(doc.blocks)[0]
    assert chunk.kind == "qa" and chunk.meta["answer"] == "5 到 7 个工作日。" and chunk.language == "zh"


def test_json_and_jsonl_records(tmp_path):
    rows = [{"id": "a1", "title": "Refunds", "content": REFUND}, {"id": "a2", "title": "Returns", "content": "Only delivered orders."}]
    jsonl = load_file(write(tmp_path, "docs.jsonl", "\n".join(json.dumps(r) for r in rows)))
    chunks = StructureChunker(600, 80).chunk(jsonl.blocks)
    assert [(c.meta["record_id"], c.heading_path) for c in chunks] == [("a1", ["Refunds"]), ("a2", ["Returns"])]
    doc = load_file(write(tmp_path, "docs.json", json.dumps(rows)))
    assert sum(b.kind == "heading" for b in doc.blocks) == 2


# -------------------------------------------------------------------------------------------------- bad inputs
def _zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(minimal_pdf(REFUND))).pages:
        writer.add_page(page)
    writer.encrypt("secret", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("name, data, expected", [
    ("broken.pdf", b"%PDF-1.4\n1 0 obj <<< garbage", "damaged"),
    ("renamed.pdf", b"PK\x03\x04 this is a zip", "not a valid PDF"),
    ("scan.pdf", minimal_pdf(None), "needs OCR"),
    ("bomb.docx", _zip_bomb(), "zip bomb"),
    ("notzip.docx", b"plain text pretending", "not a valid Word"),
    ("binary.txt", bytes(range(256)) * 40, "binary data"),
    ("empty.md", b"", "is empty"),
    ("blank.txt", b"   \n\n  ", "is empty"),
    ("program.exe", b"MZ\x90\x00", ".exe files are not supported"),
    ("noext", b"hello", "without an extension"),
    ("faq.csv", b"name,email\nann,a@example.com\n", "no question/answer columns"),
    ("bad.jsonl", b'{"id": 1, "title": "x"\n', "not valid JSON"),
])
def test_bad_inputs_get_a_clear_message(tmp_path, name, data, expected):
    with pytest.raises(LoaderError, match=expected):
        load_file(write(tmp_path, name, data))


def test_encrypted_pdf(tmp_path):
    with pytest.raises(LoaderError, match="encrypted; remove the password"):
        load_file(write(tmp_path, "locked.pdf", _encrypted_pdf()))


@pytest.mark.parametrize("name", ["../etc/passwd.md", "a/b.md", "a\\b.txt", "..hidden.md"])
def test_names_with_path_parts_are_refused(tmp_path, name):
    with pytest.raises(LoaderError, match="path separator"):
        load_file(write(tmp_path, "ok.md", "# fine"), name)


def test_size_limit(tmp_path):
    with pytest.raises(LoaderError, match="over the"):
        load_file(write(tmp_path, "big.md", "x" * 5000), max_bytes=1000)


def test_utf16_without_bom_is_text_not_binary():
    text, encoding = decode_text("Refund policy".encode("utf-16-le"), "x.txt")
    assert text == "Refund policy" and encoding == "utf-16-le"


# --------------------------------------------------------------------------------------------------- chunking
def test_chinese_sentences_split_at_chinese_ends():
    assert split_sentences("退货需要订单号。退款多久到账？礼品卡立即到账！其他方式；五到七天") == [
        "退货需要订单号。", "退款多久到账？", "礼品卡立即到账！", "其他方式；", "五到七天"]


def test_long_paragraph_is_split_with_overlap_and_size():
    from components.knowledge.loaders import Block

    sentences = [f"Sentence number {i} talks about refunds and returns." for i in range(40)]
    chunks = StructureChunker(300, 80).chunk([Block("heading", "Policy", 1), Block("paragraph", " ".join(sentences))])
    assert len(chunks) > 3
    assert all(len(c.text) <= 300 + 80 for c in chunks)
    for a, b in zip(chunks, chunks[1:]):  # the next chunk starts with the end of the previous one
        assert split_sentences(b.text)[0] in a.text
    assert all(c.heading_path == ["Policy"] for c in chunks)


def test_chunker_rejects_bad_settings():
    with pytest.raises(ValueError):
        StructureChunker(600, 600)


def test_tokenizer_mixes_english_stems_and_jieba_words():
    assert tokenize("Refunds were cancelled") == ["refund", "cancel"]
    assert "退款" in tokenize("退款需要多长时间")


def test_a_comparison_tables_unlabelled_first_column_is_each_rows_label(tmp_path):
    """`| | Basic | Premium |`: the first header cell is empty, the first cell of each row names what the row is
    (not ": Monthly price", which no reader took for a row); a cell's own "; " is no cell boundary."""
    md = ("# Plans\n\n| | Basic | Premium |\n|---|---|---|\n| Monthly price | €4 | €9 |\n"
          "| Bathroom | bath with grab rails; no roll-in shower | roll-in shower |\n\n"
          "| | 基础 | 高级 |\n|---|---|---|\n| 月费 | 4 欧元 | 9 欧元 |\n")
    rows = [b.text for b in load_file(write(tmp_path, "plans.md", md)).blocks if b.kind == "table_row"]
    assert rows == ["Monthly price; Basic: €4; Premium: €9",
                    "Bathroom; Basic: bath with grab rails, no roll-in shower; Premium: roll-in shower",
                    "月费; 基础: 4 欧元; 高级: 9 欧元"]


def test_a_table_row_is_not_carried_into_the_next_chunk_as_its_last_cells():
    """The overlap is cut at sentence ends, and "; " ends one: a row's last cell alone ("Premium: €9") names no row."""
    from components.knowledge.loaders import Block

    rows = [Block("table_row", f"Fee number {i}; Basic: €{i}; Standard: €{i + 1}; Premium: €{i + 2}") for i in range(12)]
    chunks = StructureChunker(200, 40).chunk([Block("heading", "Fees", 1), *rows])
    assert len(chunks) > 2
    for chunk in chunks:
        assert all(line.startswith("Fee number") for line in chunk.text.splitlines())
