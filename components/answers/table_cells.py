"""Every comparison-table cell of the knowledge base, for a question that names one: "how much is a fixed desk per
month?" is answered by "Price: Fixed Desk: €340 a month", but the search ranks the passages that say "Fixed Desk"
in prose (the deposit, the pause rule, the minimum term) above the table, whose one matching row is buried among the
other plans' rows, and the table's passage is often not retrieved at all. A part that names a table's column by its
whole name and one of its rows, asking a value of the kind that cell holds (comparison_rows.asked_cell), has that
cell added to the units it is ranked against, wherever the search put its passage.

The cells are read once per generation of the knowledge base (document_corpus.py: it changes when a document is
added, changed or deleted), not per question; every time when it has none.
"""
from __future__ import annotations

from components.answers.comparison_rows import asked_cell
from components.answers.evidence_selection import ScoredUnit
from components.answers.evidence_units import EvidenceUnit, cell_parts, units_from_hit


class TableCells:
    def __init__(self, knowledge) -> None:
        self.knowledge = knowledge
        self._key: object = None
        self._cells: list[ScoredUnit] = []

    def cells(self) -> list[ScoredUnit]:
        """The cells of every comparison table in the knowledge base (none when it cannot list its passages)."""
        documents = getattr(self.knowledge, "documents", None)
        passages = getattr(self.knowledge, "passages", None)
        if not callable(documents) or not callable(passages):
            return []
        generation = getattr(self.knowledge, "generation", None)
        key = generation() if callable(generation) else None
        if key is None or key != self._key:
            docs = documents()
            self._cells = [ScoredUnit(u, 0.0, {}) for d in docs for hit in passages(d["doc_id"])
                           for u in units_from_hit(hit) if u.kind == "row" and cell_parts(u.text)]
            self._key = key
        return self._cells

    def asked(self, part, asked_kind: str | None, question_words: frozenset[str],
              asked_phrase: str = "") -> EvidenceUnit | None:
        """The cell `part` names by its column and row, from any table of the knowledge base, or None."""
        if asked_kind is None:
            return None
        found = asked_cell(part, [], asked_kind, question_words, asked_phrase, cells=self.cells())
        return found.unit if found is not None else None
