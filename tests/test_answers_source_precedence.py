"""The business's own documents answer before the seeded starter articles (components/answers/source_precedence.py)."""
from __future__ import annotations

import numpy as np

from components.answers.document_corpus import DocumentCorpus
from components.answers.evidence_selection import SelectionModel
from components.answers.source_precedence import SourcePrecedence
from components.knowledge.types import CuratedAnswer, Hit
from tests.test_answers_selection import _Keywords

SEEDED_REFUND = Hit("kb/policies/refunds.md#1#0", "kb/policies/refunds.md", "Refunds",
                    "Refunds to a credit card take 5 to 7 business days.", 0.9)
OWN_REFUND = Hit("cancelling.md#1#0", "cancelling.md", "Cancelling your policy",
                 "Refunds of a cancelled policy are paid within 14 days.", 0.8)
SEEDED_ROW = CuratedAnswer("kb/faq.csv", "faq", "How long does a refund take?",
                           "Refunds to a credit card or PayPal take 5 to 7 business days.", 0.97)


class _Knowledge:
    """Seeded articles beside documents the business uploaded: `documents()` says which is which."""

    def __init__(self, hits, sources, curated=None):
        self.hits, self.sources, self.curated = hits, sources, curated
        self.keywords = _Keywords([h.text for h in hits] + [c.question + " " + c.answer for c in [curated] if c])

    def search(self, query, k=8, filters=None):
        return list(self.hits)

    def documents(self):
        return [{"doc_id": doc_id, "source": source} for doc_id, source in self.sources.items()]

    def generation(self):
        return "1"

    def curated_answer(self, query):
        return self.curated


def _composer(knowledge):
    from components.answers.composer import AnswerComposer

    # a unit scores 10 x its passage's retrieval score; the confidence is sigmoid(best score - 5)
    model = SelectionModel({"retrieval": 10.0}, -5.0, {"top": 1.0}, threshold=0.5, margin=0.5, max_units=1)
    return AnswerComposer(knowledge, lambda xs: np.zeros((len(xs), 4), dtype=np.float32), model=model,
                          spelling=False)


def _stated(answer):
    return [e.unit.doc_id for p in answer.parts for e in p.evidence]


def test_which_documents_are_seeded():
    kb = _Knowledge([], {"kb/faq.csv": "seed", "kb/policies/refunds.md": "seed", "cancelling.md": "upload",
                         "curated/ab12": "agent"})
    sources = SourcePrecedence(DocumentCorpus(kb))
    assert sources.is_seeded("kb/faq.csv") and not sources.is_seeded("cancelling.md")
    assert sources.has_own_documents()
    assert not SourcePrecedence(DocumentCorpus(_Knowledge([], {"kb/faq.csv": "seed"}))).has_own_documents()
    assert not SourcePrecedence(DocumentCorpus(_Knowledge([], {"cancelling.md": "upload"}))).has_own_documents()
    # a knowledge base that does not list its documents
    assert not SourcePrecedence(DocumentCorpus(object())).has_own_documents()


def test_the_business_document_answers_before_the_seeded_article():
    """Both answer "how long does a refund take" confidently: the seeded article ranks first (0.98 vs 0.95), the
    business's own document (0.95, above the threshold) is stated."""
    sources = {"kb/policies/refunds.md": "seed", "cancelling.md": "upload"}
    answer = _composer(_Knowledge([SEEDED_REFUND, OWN_REFUND], sources)).compose("How long does a refund take?", "en")
    assert _stated(answer) == ["cancelling.md"], answer.reply
    assert "14 days" in answer.reply and "5 to 7" not in answer.reply
    # the demo alone (nothing uploaded) keeps answering from its seeded article
    demo = _composer(_Knowledge([SEEDED_REFUND], {"kb/policies/refunds.md": "seed"}))
    assert _stated(demo.compose("How long does a refund take?", "en")) == ["kb/policies/refunds.md"]


def test_a_seeded_article_still_answers_what_the_business_documents_do_not():
    """An uploaded document that does not answer confidently (a store note) leaves the seeded article in charge."""
    weak = Hit(OWN_REFUND.chunk_id, OWN_REFUND.doc_id, OWN_REFUND.title, OWN_REFUND.text, 0.3)
    sources = {"kb/policies/refunds.md": "seed", "cancelling.md": "upload"}
    answer = _composer(_Knowledge([SEEDED_REFUND, weak], sources)).compose("How long does a refund take?", "en")
    assert _stated(answer) == ["kb/policies/refunds.md"], answer.reply


def test_a_seeded_faq_row_waits_for_the_business_documents():
    sources = {"kb/faq.csv": "seed", "kb/policies/refunds.md": "seed", "cancelling.md": "upload"}
    kb = _Knowledge([SEEDED_REFUND, OWN_REFUND], sources, curated=SEEDED_ROW)
    answer = _composer(kb).compose("How long does a refund take?", "en")
    assert answer.mode == "evidence" and _stated(answer) == ["cancelling.md"], answer.reply
    # nothing of the business's answers it: the seeded row does, as before
    weak = Hit(OWN_REFUND.chunk_id, OWN_REFUND.doc_id, OWN_REFUND.title, OWN_REFUND.text, 0.3)
    answer = _composer(_Knowledge([SEEDED_REFUND, weak], sources, curated=SEEDED_ROW)).compose(
        "How long does a refund take?", "en")
    assert answer.mode == "curated" and "5 to 7" in answer.reply and not answer.hits
    # the demo alone: the seeded row answers at once
    demo = _Knowledge([SEEDED_REFUND], {"kb/faq.csv": "seed", "kb/policies/refunds.md": "seed"}, curated=SEEDED_ROW)
    assert _composer(demo).compose("How long does a refund take?", "en").mode == "curated"


def test_a_seeded_article_is_no_rival_of_the_business_answer():
    """The business's "we do not accept PayPal" ranks first, the seeded refund row that mentions PayPal close behind:
    the seeded row does not make the business's own answer uncertain."""
    from components.answers.composer import AnswerComposer

    own = Hit("paying.md#1#0", "paying.md", "Paying for your policy", "We do not accept PayPal or cheques.", 0.62)
    seeded = Hit("kb/faq.csv#1#0", "kb/faq.csv", "Refunds", "Refunds to a credit card or PayPal take 5 to 7 days.", 0.6)
    # the confidence reads the best unit's score and its lead over the runner-up
    model = SelectionModel({"retrieval": 10.0}, -7.5, {"top": 1.0, "margin": 1.0}, threshold=0.5, max_units=1)
    kb = _Knowledge([own, seeded], {"kb/faq.csv": "seed", "paying.md": "upload"})
    composer = AnswerComposer(kb, lambda xs: np.zeros((len(xs), 4), dtype=np.float32), model=model, spelling=False)
    answer = composer.compose("Can I pay with PayPal?", "en")
    assert _stated(answer) == ["paying.md"], answer.reply


def test_a_seeded_article_leading_unconfidently_is_left_alone():
    """Nothing would be stated (the seeded unit leads at 0.25): the business's unit ranked below it is not promoted,
    though alone it would score 0.97."""
    from components.answers.composer import AnswerComposer

    seeded = Hit("kb/faq.csv#1#0", "kb/faq.csv", "Refunds", "Refunds to a credit card take 5 to 7 days.", 0.62)
    own = Hit("cancelling.md#1#0", "cancelling.md", "Cancelling", "Refunds go back to your card within 10 days.", 0.6)
    model = SelectionModel({"retrieval": 10.0}, -7.5, {"top": 1.0, "margin": 1.0}, threshold=0.5, max_units=1)
    kb = _Knowledge([own, seeded], {"kb/faq.csv": "seed", "cancelling.md": "upload"})
    composer = AnswerComposer(kb, lambda xs: np.zeros((len(xs), 4), dtype=np.float32), model=model, spelling=False)
    assert composer.compose("Will I get my money back if I cancel?", "en").mode == "abstain"


def test_the_trace_times_each_step_of_the_selection():
    """The answer's trace says where a question's time went: cutting units, the question's vectors, the ranking,
    the business-only second ranking (only when it runs), the answerability checks, the unmentioned names."""
    sources = {"kb/policies/refunds.md": "seed", "cancelling.md": "upload"}
    contested = _composer(_Knowledge([SEEDED_REFUND, OWN_REFUND], sources)).compose("How long does a refund take?",
                                                                                    "en")
    for stage in ("analysis_ms", "units_ms", "query_vectors_ms", "ranking_ms", "own_ranking_ms", "checks_ms",
                  "selection_ms", "unmentioned_ms", "total_ms"):
        assert isinstance(contested.timings_ms.get(stage), float), (stage, contested.timings_ms)
    alone = _composer(_Knowledge([OWN_REFUND], {"cancelling.md": "upload"})).compose("How long does a refund take?",
                                                                                    "en")
    assert "ranking_ms" in alone.timings_ms and "own_ranking_ms" not in alone.timings_ms


class _Chunked(_Knowledge):
    """Documents with their chunks."""

    def __init__(self, texts, sources):
        super().__init__([], sources)
        self.texts = texts

    def corpus_rows(self):
        return [(doc_id, f" {text}") for doc_id, text in self.texts.items()]


def test_the_words_only_the_business_own_documents_use():
    kb = _Chunked({"kb/help-center/delivery-period.md": "Your order is delivered in 3 to 5 business days.",
                   "grocery.md": "Grocery orders are delivered by a courier on an e-bike within the hour."},
                  {"kb/help-center/delivery-period.md": "seed", "grocery.md": "upload"})
    sources = SourcePrecedence(DocumentCorpus(kb))
    assert sources.only_own_words("the milk was missing from my grocery delivery, can you bring it?") == ["grocery"]
    assert sources.only_own_words("where is my order? it was to be delivered in 3 days") == []
    assert sources.only_own_words("can a courier bring an e-bike?") == ["courier", "bike"]   # no one-letter "e"
    # one kind of document only (the demo shop by itself): no such words
    alone = _Chunked({"grocery.md": "Grocery orders."}, {"grocery.md": "upload"})
    assert SourcePrecedence(DocumentCorpus(alone)).only_own_words("my grocery order") == []


def test_a_later_part_of_a_business_question_is_not_answered_from_a_seeded_article():
    """"How long do I have to cancel my policy, and how quickly will the refund arrive?": the business's own document
    answers the first part, so the second asks about the business too; the seeded refund article leading it
    unconfidently gives way to the business's own units, whose refund rule then answers."""
    from components.answers.composer import AnswerComposer

    cancel = Hit("cancelling.md#1#0", "cancelling.md", "Cancelling your policy",
                 "You can cancel your policy within 14 days.", 0.5)
    own = Hit("cancelling.md#2#0", "cancelling.md", "Cancelling your policy",
              "Refunds go back to your card within 10 days.", 0.6)
    seeded = Hit("kb/faq.csv#1#0", "kb/faq.csv", "Refunds", "Refunds to a credit card take 5 to 7 days.", 0.62)
    model = SelectionModel({"retrieval": 10.0, "words": 6.0}, -7.0, {"top": 1.0, "margin": 1.0}, threshold=0.5,
                           max_units=1)
    kb = _Knowledge([cancel, own, seeded], {"kb/faq.csv": "seed", "cancelling.md": "upload"})
    composer = AnswerComposer(kb, lambda xs: np.zeros((len(xs), 4), dtype=np.float32), model=model, spelling=False)
    answer = composer.compose("How long do I have to cancel my policy, and how quickly will the refund arrive?", "en")
    assert len(answer.parts) == 2 and answer.parts[0].answered, answer.reply
    assert "kb/faq.csv" not in _stated(answer) and "5 to 7" not in answer.reply
    assert [e.unit.text for e in answer.parts[1].evidence] == [own.text], answer.reply
