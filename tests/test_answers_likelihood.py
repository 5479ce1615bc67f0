"""The query likelihood the evidence confidence reads (components/answers/query_likelihood.py): its features on
stand-in units, and on the real packaged model inside the real pipeline."""
from __future__ import annotations

import pytest

from components.answers.evidence_selection import ScoredUnit, query_likelihood_features
from components.answers.evidence_units import EvidenceUnit
from components.answers.query_likelihood import passage_text, scored_here


def _scored(text: str, **parts) -> ScoredUnit:
    return ScoredUnit(EvidenceUnit(text, "", "sentence", "Refunds", "doc", "", 0.0, "en", 0), 1.0, dict(parts))


def test_features_of_the_best_unit_against_the_others_scored():
    ranked = [_scored("a", upr=-2.0, upr_null=-4.0), _scored("b", upr=-1.5, upr_null=-4.0),
              _scored("c", upr=-3.0, upr_null=-4.0), _scored("d")]
    x = query_likelihood_features(ranked)
    assert x == {"upr_gain": 2.0, "upr_rel": -0.5, "upr_margin": -0.5, "upr_absent": 0.0}
    # the most likely unit ranked first: no distance, its gain's margin over the runner-up
    x = query_likelihood_features(ranked[1:])
    assert x["upr_rel"] == 0.0 and x["upr_margin"] == pytest.approx(1.5)


def test_a_part_not_scored_reads_as_absent():
    assert query_likelihood_features([_scored("a"), _scored("b")]) == {
        "upr_gain": 0.0, "upr_rel": 0.0, "upr_margin": 0.0, "upr_absent": 1.0}
    assert query_likelihood_features([])["upr_absent"] == 1.0


def test_passage_and_which_parts_are_scored():
    assert passage_text("Refunds › Timing", "How long do refunds take?", "5 to 7 business days.") == \
        "Timing. How long do refunds take?\n5 to 7 business days."
    assert passage_text("Refunds", "", "5 to 7 business days.") == "Refunds\n5 to 7 business days."
    assert scored_here("How long do refunds take?")
    assert not scored_here("退款需要多长时间？") and not scored_here("  ")


@pytest.fixture(scope="module")
def likelihood(real_services):
    """On the app's own engine: its loaded SmolLM2 is read, no second copy."""
    from components.answers.query_likelihood import QueryLikelihood

    scorer = QueryLikelihood(real_services.settings, real_services.engine)
    scorer.score("warm up", ["nothing"])
    assert scorer._model is real_services.engine.model
    return scorer


def test_the_real_model_finds_the_question_likelier_after_the_answering_passage(likelihood):
    question = "How long does a refund to a credit card take?"
    values, null = likelihood.score(question, [
        passage_text("Refunds › Timing", "", "Refunds to a credit card take 5 to 7 business days."),
        passage_text("Membership plans › Student discount", "", "Full-time students get 15% off the Standard plan."),
    ])
    assert values[0] - null > values[1] - null
    assert values[0] > null  # the answering passage makes the question likelier than no passage


def test_an_english_answer_carries_the_likelihood_in_its_trace(real_services, likelihood):
    composer = real_services.dialogue.answers
    assert composer.likelihood is None  # off by default (KEFU_ANSWER_QUERY_LIKELIHOOD)
    composer.likelihood = likelihood
    try:
        r = real_services.dialogue.chat(None, "How long does a refund to a credit card take?")
        zh = real_services.dialogue.chat(None, "退款需要多长时间？")
    finally:
        composer.likelihood = None
    answer = r.trace["answer"]
    assert "likelihood_ms" in answer["timings_ms"], answer["timings_ms"]
    best = answer["parts"][0]["candidates"][0]
    assert "upr" in best["scores"] and "upr_null" in best["scores"], best
    assert "5 to 7" in r.reply  # the committed model has no weight for it: the answer is the same
    assert "likelihood_ms" not in (zh.trace.get("answer") or {}).get("timings_ms", {})
