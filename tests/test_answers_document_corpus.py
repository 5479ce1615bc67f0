"""The documents read whole once per change of them, shared by the speller, the source precedence and the composer
(components/answers/document_corpus.py)."""
from __future__ import annotations

from components.answers.document_corpus import DocumentCorpus
from components.answers.source_precedence import SourcePrecedence
from components.answers.spelling import QuestionSpeller


class _Knowledge:
    """A seeded article beside an uploaded document; counts how often every chunk is read."""

    def __init__(self):
        self.version, self.reads = 1, 0
        self.rows = [("kb/delivery.md", "Delivery Your order is delivered in 3 to 5 business days."),
                     ("grocery.md", "Groceries Grocery orders are delivered by a courier within the hour.")]

    def documents(self):
        return [{"doc_id": "kb/delivery.md", "source": "seed", "title": "Delivery"},
                {"doc_id": "grocery.md", "source": "upload", "title": "Groceries"}]

    def corpus_rows(self):
        self.reads += 1
        return list(self.rows)

    def generation(self):
        return str(self.version)


def test_the_readers_share_one_read_per_change_of_the_documents():
    kb = _Knowledge()
    corpus = DocumentCorpus(kb)
    speller, sources = QuestionSpeller(corpus, dictionary={}), SourcePrecedence(corpus)
    assert speller.correct("is the courrier late").text == "is the courier late"
    assert sources.only_own_words("can a courier bring my grocery order?") == ["courier", "grocery"]
    assert "within the hour" in corpus.current().lower_text and "Grocery orders" in corpus.current().texts[1]
    assert kb.reads == 1                      # one scan of the chunks for all three
    kb.rows.append(("grocery.md", "Scooters Riders use an electric scooter."))
    kb.version += 1
    assert speller.correct("a scoter").text == "a scooter" and "scooter" in sources.only_own_words("a scooter")
    assert kb.reads == 2                      # read again once, after the change


def test_a_knowledge_base_without_the_methods_is_an_empty_corpus():
    corpus = DocumentCorpus(object()).current()
    assert corpus.documents == () and corpus.passages == () and corpus.lower_text == ""
    assert not corpus.seeded_ids and not corpus.has_others
