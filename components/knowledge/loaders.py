"""Turn an uploaded file into structured blocks (headings, paragraphs, list items, table rows, Q/A pairs).

Q/A pairs come from FAQ spreadsheets' question/answer columns, and from FAQ entries written as text in markdown and
plain text ("Q: …" / "A: …", bold or not, "问：…答：…", a question line with its answer on the next lines, a numbered
question with its answer under it): `faq_entries`. They are atomic chunks whose answer is the evidence and whose
question is what it is about.

Every problem with a file becomes a `LoaderError` whose message a support person can act on ("That PDF is
encrypted; remove the password and upload again"), never a traceback. Parsing uses well-kept libraries: pypdf,
python-docx, BeautifulSoup, openpyxl, charset-normalizer.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from components.nlu.cjk_characters import HAN_WITH_COMPATIBILITY

log = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS = {
    ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md",
    ".txt": "txt", ".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".jsonl": "jsonl",
}
# Zip containers (DOCX, XLSX): refuse archives that expand beyond this or compress suspiciously well.
ZIP_MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
ZIP_MAX_RATIO = 150
QUESTION_COLUMNS = ("question", "questions", "q", "query", "title", "问题", "提问", "标准问题")
ANSWER_COLUMNS = ("answer", "answers", "a", "reply", "response", "content", "答案", "回答", "回复")


class LoaderError(ValueError):
    """A file that cannot be ingested; the message says why and what to do."""


@dataclass
class Block:
    """One structural unit of a document. `kind`: heading | paragraph | list_item | table_row | qa."""
    kind: str
    text: str
    level: int = 0  # heading level (1 = top)
    meta: dict = field(default_factory=dict)  # page, record_id, record_title, question, answer, ...


@dataclass
class LoadedDocument:
    kind: str  # pdf | docx | html | md | txt | csv | xlsx | json | jsonl | text
    title: str
    blocks: list[Block]
    encoding: str | None = None


def check_filename(name: str) -> str:
    """The name a person gave the file; refuses names that could escape a folder."""
    if not name or not name.strip():
        raise LoaderError("The file has no name; give it a name such as returns-policy.md and upload again.")
    if "/" in name or "\\" in name or "\x00" in name or ".." in name:
        raise LoaderError(f"The file name {name!r} contains a path separator or '..'; rename it to a plain "
                          "file name (for example returns-policy.md) and upload again.")
    return name.strip()


def kind_of(name: str) -> str:
    ext = Path(name).suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        shown = ext or "files without an extension"
        raise LoaderError(f"{name}: {shown} files are not supported; upload PDF, DOCX, HTML, Markdown, TXT, CSV, XLSX, "
                          "JSON or JSONL.")
    return SUPPORTED_EXTENSIONS[ext]


def load_file(path: Path, name: str | None = None, *, max_bytes: int | None = None) -> LoadedDocument:
    """Read `path` (shown to people as `name`) into blocks, or raise LoaderError."""
    path = Path(path)
    name = check_filename(name or path.name)
    kind = kind_of(name)
    if not path.is_file():
        raise LoaderError(f"{name} could not be found on disk; upload it again.")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise LoaderError(f"{name} is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit; split it into "
                          "smaller files or raise KEFU_UPLOAD_MAX_MB.")
    if size == 0:
        raise LoaderError(f"{name} is empty; there is nothing to index.")
    data = path.read_bytes()
    title = Path(name).stem.replace("_", " ").replace("-", " ").strip() or name
    loader = _LOADERS[kind]
    doc = loader(data, name, title)
    if not any(b.text.strip() for b in doc.blocks):
        raise LoaderError(f"{name} contains no text to index.")
    return doc


# ----------------------------------------------------------------------------------------------------------- text
def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """Bytes of a text file -> (text, encoding). Handles UTF-8, UTF-16 (BOM or not) and GBK/GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    sample = data[:65536]
    if sample.count(b"\x00") > len(sample) // 8:
        # UTF-16 without a BOM puts a zero byte beside every ASCII character
        even_zeros = sample[0::2].count(0)
        odd_zeros = sample[1::2].count(0)
        encoding = "utf-16-le" if odd_zeros > even_zeros else "utf-16-be"
        try:
            text = data.decode(encoding)
            if _looks_like_text(text):
                return text, encoding
        except UnicodeDecodeError:
            pass
        raise LoaderError(f"{name} contains binary data, not text; upload the original document instead.")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, ("gbk/gb18030" if encoding == "gb18030" else encoding)
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        text = str(best)
        if _looks_like_text(text):
            return text, best.encoding
    raise LoaderError(f"{name} contains binary data, not text; upload the original document instead.")


def _looks_like_text(text: str) -> bool:
    if not text:
        return True
    sample = text[:20000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f") or ch == "\ufffd" or
              0xE000 <= ord(ch) <= 0xF8FF)
    return bad <= max(2, len(sample) // 200)


def _text_blocks(text: str) -> list[Block]:
    """Plain text: paragraphs split on blank lines; lines that look like list items stay items."""
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        para = para.strip()
        if not para:
            continue
        lines = [l.strip() for l in para.split("\n") if l.strip()]
        if len(lines) > 1 and all(_LIST_ITEM.match(l) for l in lines):
            blocks.extend(Block("list_item", _LIST_ITEM.sub("", l, count=1).strip()) for l in lines)
        else:
            entries = faq_entries(lines)
            if entries:
                blocks.extend(_faq_block(q, a) for q, a in entries)
            else:
                blocks.append(Block("paragraph", " ".join(lines) if not _has_cjk(para) else "".join(lines)))
    return blocks


def _load_txt(data: bytes, name: str, title: str) -> LoadedDocument:
    text, encoding = decode_text(data, name)
    if not text.strip():
        raise LoaderError(f"{name} is empty; there is nothing to index.")
    return LoadedDocument("txt", title, _text_blocks(text), encoding)


# ------------------------------------------------------------------------------------------------------- markdown
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|[（(]?\d+[）)])\s+")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _md_inline(text: str) -> str:
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"`([^`]+)`", r"\1", text)
    return text.strip()


# FAQ entries written as text: "Q: …" / "**Q:** …" / "Question: …" / "问：…" followed by "A: …" / "答：…", or a line that
# is a question ("**Can I pause?**", "Can I pause?") with its answer on the lines right after it
_FAQ_QUESTION = re.compile(r"^(?:\*\*|__)?\s*(?:q\d{0,3}|question|问|问题)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*", re.I)
_FAQ_ANSWER = re.compile(r"^(?:\*\*|__)?\s*(?:a\d{0,3}|answer|答|回答|答案)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*", re.I)
_FAQ_ANSWER_INLINE = re.compile(r"(?<=[?？])\s*(?=(?:\*\*|__)?\s*(?:a|answer|答|回答|答案)\s*(?:\*\*|__)?\s*[:：])", re.I)


def _is_question_line(line: str) -> bool:
    return _md_inline(line).rstrip("*_ ").endswith(("?", "？"))


def _join_lines(lines: list[str]) -> str:
    joined = "".join(lines) if _has_cjk("".join(lines)) else " ".join(lines)
    return _md_inline(joined)


def faq_entries(lines: list[str]) -> list[tuple[str, str]] | None:
    """The (question, answer) entries one paragraph's lines are made of, or None when it is not FAQ entries.

    Help centres write an entry as a "Q:" line and an "A:" line (bold or not, "Question:/Answer:", "问：/答："),
    both on one line ("问：…？答：…"), or as a question line with its answer on the lines right after it. Joined into
    one paragraph, the question would hide its answer: a passage starting with a question is not evidence."""
    lines = [part for line in lines for part in _FAQ_ANSWER_INLINE.split(line.strip())
             if part.strip()] if lines and _FAQ_QUESTION.match(lines[0].strip()) else [l.strip() for l in lines]
    if len(lines) < 2:
        return None
    if _FAQ_QUESTION.match(lines[0]):
        entries: list[tuple[list[str], list[str]]] = []
        for line in lines:
            if _FAQ_QUESTION.match(line):
                entries.append(([_FAQ_QUESTION.sub("", line, count=1)], []))
            elif _FAQ_ANSWER.match(line) and entries:
                entries[-1][1].append(_FAQ_ANSWER.sub("", line, count=1))
            elif entries[-1][1]:
                entries[-1][1].append(line)
            else:
                entries[-1][0].append(line)
        pairs = [(_join_lines(q), _join_lines(a)) for q, a in entries]
        return pairs if all(q and a for q, a in pairs) else None
    if _is_question_line(lines[0]) and not _is_question_line(lines[1]) and not _FAQ_ANSWER.match(lines[0]):
        answer = [_FAQ_ANSWER.sub("", lines[1], count=1), *lines[2:]]
        return [(_md_inline(lines[0]).strip("*_ "), _join_lines(answer))]
    return None


def _faq_block(question: str, answer: str) -> Block:
    return Block("qa", f"Q: {question}\nA: {answer}", meta={"question": question, "answer": answer})


def markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    para: list[str] = []
    table_header: list[str] | None = None
    in_code = False
    list_entry: Block | None = None  # the FAQ entry a numbered question and the lines right after it make

    def flush_para():
        if para:
            entries = None if in_code else faq_entries(para)
            if entries:
                blocks.extend(_faq_block(q, a) for q, a in entries)
            else:
                blocks.append(Block("paragraph", _join_lines(para)))
            para.clear()

    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("```"):
            flush_para()
            in_code = not in_code
            continue
        if in_code:
            para.append(stripped)
            continue
        if not stripped:
            flush_para()
            table_header = None
            continue
        m = _HEADING.match(stripped)
        if m:
            flush_para()
            table_header = None
            blocks.append(Block("heading", _md_inline(m.group(2)), level=len(m.group(1))))
            continue
        if stripped.startswith("|"):
            flush_para()
            if _TABLE_SEP.match(stripped):
                continue
            cells = [_md_inline(c) for c in stripped.strip("|").split("|")]
            nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if table_header is None and _TABLE_SEP.match(nxt):
                table_header = cells
                continue
            blocks.append(Block("table_row", _table_row_text(table_header, cells)))
            continue
        if _LIST_ITEM.match(line):
            flush_para()
            blocks.append(Block("list_item", _md_inline(_LIST_ITEM.sub("", line, count=1))))
            continue
        follows = i > 0 and lines[i - 1].strip() and not para
        if follows and blocks and blocks[-1].kind == "list_item" and _is_question_line(blocks[-1].text) \
                and not _is_question_line(stripped):
            # a numbered question ("1. Can I pause my plan?") with its answer on the next lines: a FAQ entry
            question = blocks[-1].text.strip("*_ ")
            blocks[-1] = list_entry = _faq_block(question, _md_inline(_FAQ_ANSWER.sub("", stripped, count=1)))
            continue
        if follows and blocks and blocks[-1] is list_entry:
            blocks[-1] = list_entry = _faq_block(list_entry.meta["question"],
                                                 _join_lines([list_entry.meta["answer"], stripped]))
            continue
        if blocks and blocks[-1].kind == "list_item" and not para and line.startswith((" ", "\t")):
            blocks[-1].text += " " + _md_inline(stripped)  # continuation of a list item
            continue
        para.append(stripped)
    flush_para()
    return [b for b in blocks if b.text]


def _table_row_text(header: list[str] | None, cells: list[str]) -> str:
    """"Monthly fee; Basic: $5; Premium: $12": each cell after its column's heading, "; " between cells. A cell under
    an empty heading (a comparison table's first column, `| | Basic | Premium |`) is the row's own label, written
    first and bare (not ": Monthly fee", which no reader took for a row). A cell's own "; " ("bath with grab rails;
    no roll-in shower") becomes ", ": "; " is where one cell ends and the next column's begins."""
    if header and len(header) == len(cells):
        cells = [re.sub(r"\s*;\s+", ", ", c) for c in cells]
        return "; ".join(f"{h}: {c}" if h.strip() else c for h, c in zip(header, cells) if c)
    return " | ".join(c for c in cells if c)


def _load_md(data: bytes, name: str, title: str) -> LoadedDocument:
    text, encoding = decode_text(data, name)
    blocks = markdown_blocks(text)
    first = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
    return LoadedDocument("md", first.text if first else title, blocks, encoding)


# ----------------------------------------------------------------------------------------------------------- html
def _load_html(data: bytes, name: str, title: str) -> LoadedDocument:
    from bs4 import BeautifulSoup

    text, encoding = decode_text(data, name)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "svg", "nav", "footer", "header", "form"]):
        tag.decompose()
    page_title = soup.title.get_text(" ", strip=True) if soup.title else ""
    root = soup.body or soup
    blocks: list[Block] = []
    table_headers: dict[int, list[str]] = {}
    for el in root.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote", "dt", "dd"]):
        if el.name in ("p", "pre", "blockquote", "dd", "dt") and el.find_parent(["li", "table"]):
            continue  # its text is part of the enclosing item or row
        if el.name == "li" and el.find(["li"]):
            own = "".join(t for t in el.find_all(string=True, recursive=False)).strip()
            if own:
                blocks.append(Block("list_item", _squash(own)))
            continue
        if el.name == "tr":
            cells = [_squash(c.get_text(" ", strip=True)) for c in el.find_all(["td", "th"])]
            table_key = id(el.find_parent("table"))
            if el.find("th") and not el.find("td"):
                table_headers[table_key] = cells
                continue
            if any(cells):
                blocks.append(Block("table_row", _table_row_text(table_headers.get(table_key), cells)))
            continue
        content = _squash(el.get_text(" ", strip=True))
        if not content:
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            blocks.append(Block("heading", content, level=int(el.name[1:])))
        elif el.name == "li":
            blocks.append(Block("list_item", content))
        else:
            blocks.append(Block("paragraph", content))
    if not blocks:  # HTML without structural tags: fall back to its text
        blocks = _text_blocks(root.get_text("\n", strip=True))
    first = next((b for b in blocks if b.kind == "heading"), None)
    return LoadedDocument("html", page_title or (first.text if first else title), blocks, encoding)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# ------------------------------------------------------------------------------------------------------------ pdf
def _load_pdf(data: bytes, name: str, title: str) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise LoaderError(f"{name} is not a valid PDF (it may be damaged or another file type renamed to .pdf).")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - any failure means we cannot open it without a password
                ok = 0
            if not ok:
                raise LoaderError(f"{name} is encrypted; remove the password and upload again.")
        pages = list(reader.pages)
    except LoaderError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        log.info("pdf %s unreadable: %s", name, exc)
        raise LoaderError(f"{name} could not be read as a PDF (the file is damaged); export it again and upload "
                          "the new copy.") from exc
    blocks: list[Block] = []
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # noqa: BLE001 - a broken page should not lose the rest
            log.info("pdf %s page %d unreadable: %s", name, number, exc)
            continue
        for b in _text_blocks(_join_pdf_lines(text)):
            b.meta["page"] = number
            blocks.append(b)
    if not any(b.text.strip() for b in blocks):
        raise LoaderError(f"{name} has no text layer (it looks like scanned images); it needs OCR before it can "
                          "be indexed.")
    meta_title = ""
    try:
        meta_title = (reader.metadata.title or "") if reader.metadata else ""
    except Exception:  # noqa: BLE001
        meta_title = ""
    return LoadedDocument("pdf", meta_title.strip() or title, blocks)


def _join_pdf_lines(text: str) -> str:
    """PDF text comes as visual lines; join lines inside a paragraph, keep blank lines as paragraph breaks."""
    out: list[str] = []
    for line in text.split("\n"):
        s = line.strip()
        if not s:
            out.append("")
            continue
        if out and out[-1] and not _LIST_ITEM.match(s) and not re.search(r"[.!?。！？：:；;]$", out[-1]):
            sep = "" if _has_cjk(out[-1][-1:] + s[:1]) else " "
            out[-1] = out[-1] + sep + s
        else:
            out.append(s)
    return "\n\n".join(l for l in out if l)


# ---------------------------------------------------------------------------------------------------- zip checks
def _check_zip(data: bytes, name: str, what: str) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise LoaderError(f"{name} is not a valid {what} file (it may be damaged or renamed); save it again from "
                          "the original program and upload the new copy.") from exc
    with zf:
        total = sum(i.file_size for i in zf.infolist())
        compressed = max(1, sum(i.compress_size for i in zf.infolist()))
        if total > ZIP_MAX_UNCOMPRESSED_BYTES or total / compressed > ZIP_MAX_RATIO:
            raise LoaderError(f"{name} expands to {total / 1e6:.0f} MB from {len(data) / 1e6:.2f} MB: it looks like "
                              "a zip bomb, so it was not opened. Upload the real document.")


# ----------------------------------------------------------------------------------------------------------- docx
def _load_docx(data: bytes, name: str, title: str) -> LoadedDocument:
    _check_zip(data, name, "Word (.docx)")
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for broken files
        raise LoaderError(f"{name} could not be read as a Word document; save it again as .docx and upload the "
                          "new copy.") from exc
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if style == "Title":
                blocks.append(Block("heading", text, level=1))
            elif m:
                blocks.append(Block("heading", text, level=int(m.group(1))))
            elif "List" in style or item._p.pPr is not None and item._p.pPr.numPr is not None:
                blocks.append(Block("list_item", text))
            else:
                blocks.append(Block("paragraph", text))
        elif isinstance(item, Table):
            header = None
            for r, row in enumerate(item.rows):
                cells = [_squash(c.text) for c in row.cells]
                if r == 0:
                    header = cells
                    continue
                if any(cells):
                    blocks.append(Block("table_row", _table_row_text(header, cells)))
    core_title = (document.core_properties.title or "").strip()
    return LoadedDocument("docx", core_title or title, blocks)


# ------------------------------------------------------------------------------------------------ FAQ spreadsheets
def _find_column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [str(h or "").strip().lower() for h in header]
    for n in names:
        if n in lowered:
            return lowered.index(n)
    return None


def _qa_blocks(rows: list[list[str]], name: str) -> list[Block]:
    if not rows:
        raise LoaderError(f"{name} is empty; there is nothing to index.")
    header = [str(h or "").strip() for h in rows[0]]
    qi, ai = _find_column(header, QUESTION_COLUMNS), _find_column(header, ANSWER_COLUMNS)
    if qi is None or ai is None or qi == ai:
        found = ", ".join(h for h in header if h) or "none"
        raise LoaderError(f"{name} has no question/answer columns (found: {found}); name the first row's columns "
                          "'question' and 'answer' and upload again.")
    blocks = []
    for n, row in enumerate(rows[1:], start=2):
        q = str(row[qi]).strip() if qi < len(row) and row[qi] is not None else ""
        a = str(row[ai]).strip() if ai < len(row) and row[ai] is not None else ""
        if q and a:
            blocks.append(Block("qa", f"Q: {q}\nA: {a}", meta={"question": q, "answer": a, "row": n}))
    if not blocks:
        raise LoaderError(f"{name} has question/answer columns but no row with both filled in.")
    return blocks


def _load_csv(data: bytes, name: str, title: str) -> LoadedDocument:
    text, encoding = decode_text(data, name)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    return LoadedDocument("csv", title, _qa_blocks(rows, name), encoding)


def _load_xlsx(data: bytes, name: str, title: str) -> LoadedDocument:
    _check_zip(data, name, "Excel (.xlsx)")
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001
        raise LoaderError(f"{name} could not be read as an Excel workbook; save it again as .xlsx and upload the "
                          "new copy.") from exc
    blocks: list[Block] = []
    errors: list[str] = []
    try:
        for sheet in wb.worksheets:
            rows = [["" if c is None else str(c) for c in r] for r in sheet.iter_rows(values_only=True)]
            rows = [r for r in rows if any(c.strip() for c in r)]
            if not rows:
                continue
            try:
                for b in _qa_blocks(rows, f"{name} (sheet {sheet.title})"):
                    b.meta["sheet"] = sheet.title
                    blocks.append(b)
            except LoaderError as exc:
                errors.append(str(exc))
    finally:
        wb.close()
    if not blocks:
        raise LoaderError(errors[0] if errors else f"{name} has no rows to index.")
    return LoadedDocument("xlsx", title, blocks)


# ----------------------------------------------------------------------------------------------------- JSON/JSONL
def _record_blocks(record: dict, n: int) -> list[Block]:
    rid = str(record.get("id") or n)
    rtitle = str(record.get("title") or "").strip()
    content = record.get("content", record.get("text", record.get("body", "")))
    if isinstance(content, (list, dict)):
        content = json.dumps(content, ensure_ascii=False)
    content = str(content or "").strip()
    if "question" in record and "answer" in record and not content:
        q, a = str(record["question"]).strip(), str(record["answer"]).strip()
        return [Block("qa", f"Q: {q}\nA: {a}", meta={"question": q, "answer": a, "record_id": rid})]
    meta = {"record_id": rid, "record_title": rtitle or rid}
    blocks = [Block("heading", rtitle or rid, level=1, meta=dict(meta))]
    for b in markdown_blocks(content):
        if b.kind == "heading":
            b.level += 1
        b.meta.update(meta)
        blocks.append(b)
    return blocks


def _load_json(data: bytes, name: str, title: str) -> LoadedDocument:
    text, encoding = decode_text(data, name)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LoaderError(f"{name} is not valid JSON (line {exc.lineno}: {exc.msg}); fix it and upload again.") from exc
    records = value if isinstance(value, list) else value.get("documents", [value]) if isinstance(value, dict) else []
    records = [r for r in records if isinstance(r, dict)]
    if not records:
        raise LoaderError(f"{name} has no records; expected objects with 'id', 'title' and 'content'.")
    blocks = [b for n, r in enumerate(records, start=1) for b in _record_blocks(r, n)]
    return LoadedDocument("json", title, blocks, encoding)


def _load_jsonl(data: bytes, name: str, title: str) -> LoadedDocument:
    text, encoding = decode_text(data, name)
    blocks: list[Block] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LoaderError(f"{name} line {n} is not valid JSON ({exc.msg}); fix it and upload again.") from exc
        if isinstance(record, dict):
            blocks.extend(_record_blocks(record, n))
    if not blocks:
        raise LoaderError(f"{name} has no records; expected one object with 'id', 'title' and 'content' per line.")
    return LoadedDocument("jsonl", title, blocks, encoding)


def _has_cjk(text: str) -> bool:
    return bool(re.search(f"[{HAN_WITH_COMPATIBILITY}]", text))


_LOADERS = {
    "txt": _load_txt, "md": _load_md, "html": _load_html, "pdf": _load_pdf, "docx": _load_docx,
    "csv": _load_csv, "xlsx": _load_xlsx, "json": _load_json, "jsonl": _load_jsonl,
}
