"""Data the knowledge base hands to the rest of kefu."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Hit:
    """One retrieved chunk. `score` is the fused relevance in 0..1 that thresholds compare against."""
    chunk_id: str
    doc_id: str
    title: str
    text: str
    score: float
    dense_score: float | None = None
    keyword_score: float | None = None
    metadata: dict = field(default_factory=dict)  # heading_path, source file, tags, domain, language, ...

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CuratedAnswer:
    """A curated FAQ entry whose question matches the customer's above the threshold: answered verbatim."""
    doc_id: str
    title: str
    question: str
    answer: str
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class IngestResult:
    """What happened to one file or text. `status`: indexed | replaced | skipped | error."""
    status: str
    filename: str
    doc_id: str | None = None
    chunks: int = 0
    message: str = ""  # for a person: "Indexed 12 chunks.", "returns.pdf is encrypted; remove the password ..."
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "error"

    def to_dict(self) -> dict:
        return asdict(self)
