"""Structure-following chunking: headings start chunks, paragraphs / list items / table rows are kept whole when
they fit, long ones are split at sentence ends (English . ! ? ; and Chinese 。！？；), Q/A pairs are atomic.

Every chunk keeps its heading path ("Returns > When you get your money back") as metadata; the path is also put in
front of the text that is embedded and keyword-indexed, so a chunk is findable by the section it belongs to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from components.knowledge.loaders import Block
from components.nlu.cjk_characters import HAN_WITH_COMPATIBILITY
from components.nlu.language import detect_language

_SENTENCE_END = re.compile(r"(?<=[。！？；])|(?<=[.!?;])\s+")
_CJK = re.compile(f"[{HAN_WITH_COMPATIBILITY}]")


@dataclass
class Chunk:
    text: str
    heading_path: list[str]
    kind: str = "text"  # text | qa
    language: str = "en"
    meta: dict = field(default_factory=dict)  # page, record_id, record_title, question, answer, ...

    def index_text(self, title: str) -> str:
        """What is embedded and keyword-indexed: the document title and heading path, then the text."""
        path = [h for h in self.heading_path if h and h != title]
        if self.kind == "qa":  # a FAQ entry is found by its own words, and by the section it sits in if any
            return f"{' > '.join(path)}\n{self.text}" if path else self.text
        head = " > ".join([title] + path) if title else " > ".join(path)
        return f"{head}\n{self.text}" if head else self.text


def split_sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE_END.split(text) if p) if s]


def _cjk_share(text: str) -> float:
    return len(_CJK.findall(text)) / max(1, len(text))


class StructureChunker:
    """Packs blocks into chunks of at most `size` characters with `overlap` characters of sentence overlap.

    Chinese text carries about one model token per character (English about one per four), so for chunks that are
    mostly Chinese the size and overlap are halved to stay inside the embedder's 256-token window.
    """

    def __init__(self, size: int = 600, overlap: int = 80):
        if size < 50:
            raise ValueError("chunk size must be at least 50 characters")
        if not 0 <= overlap < size:
            raise ValueError("chunk overlap must be between 0 and the chunk size")
        self.size = size
        self.overlap = overlap

    def chunk(self, blocks: list[Block]) -> list[Chunk]:
        zh = _cjk_share("".join(b.text for b in blocks[:200])) > 0.2
        size = max(50, self.size // 2) if zh else self.size
        overlap = self.overlap // 2 if zh else self.overlap
        chunks: list[Chunk] = []
        stack: list[tuple[int, str]] = []
        parts: list[str] = []  # new content of the chunk being built
        carried = ""  # overlap taken from the end of the previous chunk of the same section
        meta: dict = {}

        def path() -> list[str]:
            return [t for _, t in stack]

        last_kind = ""  # the kind of block the chunk being built ends with

        def flush(carry: bool = False) -> None:
            nonlocal parts, meta, carried
            if parts:
                text = "\n".join(([carried] if carried else []) + parts).strip()
                chunks.append(Chunk(text, path(), "text", detect_language(text), dict(meta)))
                # a table row is carried whole or not at all: its last cells alone ("Gold: 1.5%") name no row
                tail = self._tail(text, overlap) if carry else ""
                carried = tail if last_kind != "table_row" or tail == parts[-1] else ""
            else:
                carried = carried if carry else ""
            parts = []
            if not carry:
                meta = {}

        for block in blocks:
            record = block.meta.get("record_id")
            if parts and record != meta.get("record_id"):
                flush()
            if block.kind == "heading":
                flush()
                if record is not None and block.level == 1:
                    stack = []
                while stack and stack[-1][0] >= block.level:
                    stack.pop()
                stack.append((block.level, block.text))
                meta = {k: v for k, v in block.meta.items() if k in ("record_id", "record_title", "page")}
                continue
            if block.kind == "qa":
                flush()
                q, a = block.meta.get("question", ""), block.meta.get("answer", "")
                chunks.append(Chunk(block.text, path(), "qa", detect_language(q + a), dict(block.meta)))
                continue
            unit = ("- " + block.text) if block.kind == "list_item" else block.text
            if not meta:
                meta = {k: v for k, v in block.meta.items() if k in ("record_id", "record_title", "page")}
            for piece in self._pieces(unit, size, overlap):
                current = len(carried) + sum(len(p) + 1 for p in parts)
                if parts and current + len(piece) > size:
                    flush(carry=True)
                parts.append(piece)
                last_kind = block.kind
        flush()
        return chunks

    @staticmethod
    def _tail(text: str, overlap: int) -> str:
        if overlap <= 0:
            return ""
        tail: list[str] = []
        total = 0
        for sentence in reversed(split_sentences(text)):
            if total + len(sentence) > overlap:
                break
            tail.insert(0, sentence)
            total += len(sentence) + 1
        joiner = "" if _cjk_share(text) > 0.2 else " "
        return joiner.join(tail)

    @staticmethod
    def _pieces(unit: str, size: int, overlap: int) -> list[str]:
        """A unit that fits is one piece; a longer one is cut at sentence ends, a giant sentence by characters."""
        if len(unit) <= size:
            return [unit]
        joiner = "" if _cjk_share(unit) > 0.2 else " "
        pieces: list[str] = []
        current = ""
        for sentence in split_sentences(unit):
            while len(sentence) > size:  # no sentence end for too long: cut hard, with overlap
                if current:
                    pieces.append(current)
                    current = ""
                pieces.append(sentence[:size])
                sentence = sentence[max(1, size - overlap):]
            if current and len(current) + len(joiner) + len(sentence) > size:
                pieces.append(current)
                current = sentence
            else:
                current = f"{current}{joiner}{sentence}" if current else sentence
        if current:
            pieces.append(current)
        return pieces
