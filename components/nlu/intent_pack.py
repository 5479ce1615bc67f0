"""Intent packs: CSV files of `text,label` rows, one pack per domain. Loading checks them and says what is wrong."""
from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections import Counter
from pathlib import Path

MAX_ROWS = 200_000          # a pack larger than this is a mistake (or needs another tool), not an intent pack
MAX_TEXT_CHARS = 1_000      # longer examples are cut: intents live in the first sentences
MIN_EXAMPLES_PER_LABEL = 2  # the calibration split needs at least one example of each label on each side


def normalise_text(text: str) -> str:
    """NFKC (full-width ＃Ｗ１２ → #W12), single spaces, stripped."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).split())


def read_examples(path: str | Path, *, text_col: str = "text", label_col: str = "label",
                  max_rows: int = MAX_ROWS) -> list[tuple[str, str]]:
    """Rows of a CSV file as (text, label) pairs; ValueError naming the problem when the file is not usable."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Intent file {path} does not exist")
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from exc
    reader = csv.reader(io.StringIO(content, newline=""))
    header = next(reader, None)
    if not header:
        raise ValueError(f"{path.name} is empty; an intent file needs a header row with '{text_col}' and "
                         f"'{label_col}' columns")
    header = [h.strip() for h in header]
    missing = [c for c in (text_col, label_col) if c not in header]
    if missing:
        raise ValueError(f"{path.name} has no column {', '.join(repr(c) for c in missing)}; its columns are "
                         f"{header}. Rename them, or choose the columns (--text-col / --label-col).")
    ti, li = header.index(text_col), header.index(label_col)
    rows: list[tuple[str, str]] = []
    empty_labels: list[int] = []
    for line_no, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(rows) >= max_rows:
            raise ValueError(f"{path.name} has more than {max_rows:,} rows; an intent pack that large is not "
                             "supported: sample a few hundred examples per intent")
        text = row[ti] if ti < len(row) else ""
        label = row[li] if li < len(row) else ""
        if not label.strip():
            empty_labels.append(line_no)
            continue
        rows.append((text, label))
    if empty_labels:
        shown = ", ".join(str(n) for n in empty_labels[:10]) + (" …" if len(empty_labels) > 10 else "")
        raise ValueError(f"{path.name}: {len(empty_labels)} row(s) have an empty '{label_col}' (lines {shown}); "
                         "give every example an intent")
    return rows


def clean_examples(examples: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Normalised, de-duplicated pairs without empty texts; labels stripped. Order is kept."""
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for text, label in examples:
        text = normalise_text(text)[:MAX_TEXT_CHARS]
        label = str(label).strip()
        if not text or not label or (text, label) in seen:
            continue
        seen.add((text, label))
        out.append((text, label))
    return out


def validate_examples(examples: list[tuple[str, str]], *, name: str = "the intent pack",
                      min_per_label: int = MIN_EXAMPLES_PER_LABEL) -> list[tuple[str, str]]:
    """Cleaned examples ready to train on, or ValueError saying which labels lack examples."""
    examples = clean_examples(examples)
    if len(examples) > MAX_ROWS:
        raise ValueError(f"{name} has {len(examples):,} examples; the limit is {MAX_ROWS:,}")
    counts = Counter(label for _, label in examples)
    if len(counts) < 2:
        raise ValueError(f"{name} needs at least two intents with examples; it has {len(counts)}")
    thin = sorted(label for label, n in counts.items() if n < min_per_label)
    if thin:
        shown = ", ".join(thin[:10]) + (f" and {len(thin) - 10} more" if len(thin) > 10 else "")
        raise ValueError(f"{name}: every intent needs at least {min_per_label} different examples; "
                         f"{len(thin)} have fewer: {shown}")
    return examples


def load_pack(path: str | Path, *, text_col: str = "text", label_col: str = "label") -> list[tuple[str, str]]:
    """A pack file read, cleaned and checked."""
    path = Path(path)
    return validate_examples(read_examples(path, text_col=text_col, label_col=label_col), name=path.name)


def write_pack(path: str | Path, examples: list[tuple[str, str]]) -> Path:
    """Write (text, label) pairs as a UTF-8 `text,label` CSV (the pack format)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(clean_examples(examples))
    return path


def append_examples(path: str | Path, examples: list[tuple[str, str]]) -> int:
    """Append pairs to a pack CSV (created with a header when new); returns how many rows were written."""
    path = Path(path)
    rows = clean_examples(examples)
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        if new:
            writer.writerow(["text", "label"])
        writer.writerows(rows)
    return len(rows)


def examples_hash(examples: list[tuple[str, str]], salt: str = "") -> str:
    """Content hash of a training set (order-independent), used as the model cache key."""
    digest = hashlib.sha256(salt.encode("utf-8"))
    for text, label in sorted(examples):
        digest.update(text.encode("utf-8") + b"\x1f" + label.encode("utf-8") + b"\x1e")
    return digest.hexdigest()
