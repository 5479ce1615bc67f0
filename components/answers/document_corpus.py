"""The knowledge base's documents read whole, once per change of the documents, for every answer step that needs
all of them rather than the passages a question retrieves.

Three readers need the whole corpus: the spelling corrector (the knowledge base's vocabulary, spelling.py), source
precedence (which documents are seeded starter articles, and the words only the business's own documents use,
source_precedence.py) and the composer (whether a Chinese word's English sense is said anywhere in the documents,
`AnswerComposer._mark_unmentioned`). Each used to rescan every chunk on its own after a change; now `DocumentCorpus`
reads the documents and every chunk's text once per generation of the knowledge base (`generation()` changes when a
document is added, changed or deleted, here or on another replica) and hands each reader the same `Corpus`. A
reader keeps what it derives (a spelling vocabulary) for as long as it is handed the same `Corpus` object.

The knowledge base is anything with `documents()` (registry rows: doc_id, title, source, language, …),
`corpus_rows()` ((doc_id, headings and text) of every chunk) and `generation()`; a missing method reads as no
documents, no chunks, or "read again every time".
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

SEEDED = "seed"   # the `source` of documents indexed from the starter folder (KnowledgeBase.ensure_seeded)


@dataclass(frozen=True, eq=False)
class Corpus:
    """One generation of the knowledge base's documents. `passages`: (doc_id, its headings and text) of every chunk,
    in the knowledge base's order."""
    generation: object
    documents: tuple[dict, ...]
    passages: tuple[tuple[str, str], ...]

    @cached_property
    def texts(self) -> list[str]:
        """Every chunk's headings and text: the knowledge base's words."""
        return [text for _, text in self.passages]

    @cached_property
    def lower_text(self) -> str:
        """Every chunk, lower-cased, one a line."""
        return "\n".join(self.texts).lower()

    @cached_property
    def seeded_ids(self) -> frozenset[str]:
        """The seeded starter articles' document ids."""
        return frozenset(d["doc_id"] for d in self.documents if d.get("source") == SEEDED)

    @property
    def has_others(self) -> bool:
        """Whether any document that is not a seeded starter article is indexed."""
        return len(self.seeded_ids) < len(self.documents)


EMPTY = Corpus(None, (), ())


class DocumentCorpus:
    """The current `Corpus` of `knowledge`, read again only when its generation changes (every time when it has
    none)."""

    def __init__(self, knowledge):
        self.knowledge = knowledge
        self._lock = threading.Lock()
        self._corpus: Corpus | None = None

    def current(self) -> Corpus:
        generation = getattr(self.knowledge, "generation", lambda: None)()
        corpus = self._corpus
        if corpus is not None and corpus.generation == generation and generation is not None:
            return corpus
        with self._lock:
            corpus = self._corpus
            if corpus is None or corpus.generation != generation or generation is None:
                corpus = self._corpus = self._read(generation)
        return corpus

    def _read(self, generation) -> Corpus:
        documents = getattr(self.knowledge, "documents", None)
        rows = getattr(self.knowledge, "corpus_rows", None)
        return Corpus(generation, tuple(documents()) if documents is not None else (),
                      tuple(rows()) if rows is not None else ())
