"""When the seeded starter articles and the business's own documents both answer, the business's documents win.

A deployment starts from the help articles it was seeded with (kb/: the demo shop's returns, payments and refund
articles, indexed with source "seed"), and the business then uploads its own documents or an operator teaches answers.
The seeded articles are generic defaults; what the business uploaded is its own, newer and more specific. "Refunds to
a credit card or PayPal take 5 to 7 business days" from the seeded refund article must not answer the customer of an
airline or an insurer whose own refund article gives its own terms, and the seeded "we accept credit cards, PayPal
and gift cards" must not answer a school whose payment page says it does not take PayPal. So, for each question part,
when both kinds of document were retrieved, the composer ranks the business's units again on their own and states them
when they alone are confident (`SourcePrecedence.contest` says when):
- a seeded article would be stated: the business's own confident answer goes first;
- the business's own unit is the best but unconfident only because seeded units come close (the seeded refund row
  that mentions PayPal beside the business's "we do not accept PayPal"): seeded articles are no rivals of its answer.
A knowledge base of seeded articles only (the demo itself) or of uploads only is unchanged, and a seeded article still
answers what the business's documents do not answer confidently (an uploaded store note leaves the seeded returns
policy in charge of returns). One exception: a later part of a question whose earlier part the business's own
documents answer ("How long do I have to dispute a charge, and how quickly will you reply?") asks about the business
too, so a seeded article leading it unconfidently gives way to the business's own units (ranked alone; the composer
does this, `contest` leaves a one-part question's unconfident seeded lead alone). A seeded FAQ row that matches the question waits for the same check: the business's
confident answer goes first, else the row answers as before.
"""
from __future__ import annotations


from components.answers.document_corpus import Corpus, DocumentCorpus
from components.answers.evidence_selection import terms
from components.nlu.cjk_characters import CJK


class SourcePrecedence:
    """Which documents are seeded defaults, read from the knowledge base's corpus (document_corpus.py: again when
    the documents change)."""

    def __init__(self, corpus: DocumentCorpus):
        self.corpus = corpus
        self._words: tuple[Corpus, tuple[frozenset[str], frozenset[str]]] | None = None

    def seeded_ids(self) -> frozenset[str]:
        return self.corpus.current().seeded_ids

    def has_own_documents(self) -> bool:
        """Seeded articles and documents of the business's own are both indexed."""
        corpus = self.corpus.current()
        return bool(corpus.seeded_ids) and corpus.has_others

    def is_seeded(self, doc_id: str) -> bool:
        return doc_id in self.seeded_ids()

    def contest(self, best_doc_id: str, confidence: float, threshold: float, parts: int) -> bool:
        """Whether a part's ranking of all units (best unit from `best_doc_id`, at `confidence`) is to be ranked
        again on the business's own units, which then answer when they alone are confident:
        - a seeded article would be stated (confident): the business's own answer goes first;
        - the business's own unit is the best, unconfident only beside seeded units that come close (the seeded
          refund row that mentions PayPal next to the business's "we do not accept PayPal"): seeded articles are no
          rivals of the business's answer. Only for a one-part question: the parts of a longer one share their
          evidence out by the full rankings (the composer's `_place_evidence`).
        A seeded article leading unconfidently is left alone: nothing would be stated, and a business unit ranked
        below it is weaker evidence still (re-ranked alone it was stated wrongly on the dev sets)."""
        if self.is_seeded(best_doc_id):
            return confidence >= threshold
        return confidence < threshold and parts == 1

    def own_units(self, units: list) -> list:
        """The units of the business's own documents (not seeded), or [] when the units come from one side only."""
        seeded = self.seeded_ids()
        own = [u for u in units if u.doc_id not in seeded]
        return own if own and len(own) < len(units) else []

    def only_own_words(self, text: str) -> list[str]:
        """The words of `text` that the business's own documents use and no seeded article does ("grocery",
        "courier" beside the demo shop's articles, when a food-delivery business uploaded its own); [] when only one
        kind of document is indexed. Read again when a document changes."""
        if not self.has_own_documents():
            return []
        seeded, own = self._vocabularies()
        return [t for t in dict.fromkeys(terms(text)) if t in own and t not in seeded
                and len(t) >= (2 if CJK.match(t) else 3)]   # not the "e" of "e-bike"

    def _vocabularies(self) -> tuple[frozenset[str], frozenset[str]]:
        """(the seeded articles' words, the business's own documents' words), derived once per corpus."""
        corpus = self.corpus.current()
        if self._words is None or self._words[0] is not corpus:
            seeded, own = set(), set()
            for doc_id, text in corpus.passages:
                (seeded if doc_id in corpus.seeded_ids else own).update(terms(text))
            for d in corpus.documents:
                (seeded if d["doc_id"] in corpus.seeded_ids else own).update(terms(d.get("title") or ""))
            self._words = (corpus, (frozenset(seeded), frozenset(own)))
        return self._words[1]
