"""Sentiment scoring for three-class and two-class sets, and the bias audit's perturbations (pure parts)."""
import numpy as np
import pytest

from components.nlu.bias_audit import FAMILIES, _strip_punctuation, _typos, audit, audit_markdown
from components.nlu.eval import negative_f1_at_mix, sentiment_scores
from components.nlu.result import NLUResult
from components.nlu.sentiment_model import EN_NEGATIVE_THRESHOLD, LearnedSentiment


def test_three_class_scores():
    r = sentiment_scores(["negative", "neutral", "positive", "negative"],
                         ["negative", "neutral", "negative", "negative"])
    assert r["classes"] == 3 and r["accuracy"] == 0.75
    assert r["per_class_f1"]["positive"] == 0.0 and r["negative_f1"] == pytest.approx(0.8)


def test_two_class_counts_neutral_as_non_negative():
    r = sentiment_scores(["negative", "positive", "positive", "negative"],
                         ["negative", "neutral", "positive", "neutral"])
    assert r["classes"] == 2 and r["accuracy"] == 0.75
    assert r["negative_f1"] == pytest.approx(2 / 3, abs=1e-4) and "non_negative_f1" in r


def test_perturbations_keep_identifiers():
    text = "where is my order #W2611340? I already paid"
    typo = _typos(text, 1)
    assert typo != text and "#W2611340" in typo
    assert _strip_punctuation("Hi, where is it?") == "Hi where is it"
    assert _strip_punctuation("my email is a.b@example.com, order #W2611340.") == \
        "my email is a.b@example.com order #W2611340"
    assert all(len(variants) >= 2 for _, variants in FAMILIES.values())


class RecordingNLU:
    """Reads 'lah' as negative (a planted dialect bias) and everything else as neutral track_order."""
    def parse(self, text):
        negative = "lah" in text
        return NLUResult(intent="track_order", confidence=0.9, sentiment="negative" if negative else "neutral",
                         language="zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en")


def test_audit_finds_a_planted_dialect_bias(tmp_path):
    from pathlib import Path

    result = audit(RecordingNLU(), Path("assets"), limit=10)
    singlish = result["families"]["singapore_english"]
    assert singlish["flip_rate"]["sentiment"] == 1.0 and singlish["flip_rate"]["intent"] == 0.0
    assert singlish["examples"][0]["changed"]["sentiment"] == ["neutral", "negative"]
    assert result["families"]["typos"]["flip_rate"]["sentiment"] == 0.0
    assert "singapore_english.sentiment" in result["over_threshold"]
    assert "singapore_english" in audit_markdown(result) and "⚠" in audit_markdown(result)
    assert "No bias audit yet" in audit_markdown(None)


def test_negative_f1_at_a_complaint_mix_reweights_the_classes():
    gold = ["negative", "neutral", "neutral", "positive"]
    predicted = ["negative", "negative", "neutral", "positive"]
    # unweighted: precision 1/2, recall 1 -> F1 2/3; at a 50/25/25 mix each neutral weighs 1/8 against the
    # negative's 1/2: precision 0.5/0.625 = 0.8 -> F1 8/9
    assert sentiment_scores(gold, predicted)["negative_f1"] == round(2 / 3, 4)
    mix = {"negative": 0.5, "neutral": 0.25, "positive": 0.25}
    assert negative_f1_at_mix(gold, predicted, mix) == round(8 / 9, 4)


def test_english_turns_are_negative_from_the_threshold_on():
    probs = np.array([[EN_NEGATIVE_THRESHOLD, 0.45, 0.15], [EN_NEGATIVE_THRESHOLD - 0.01, 0.45, 0.16],
                      [0.2, 0.3, 0.5]])
    assert LearnedSentiment.labels(probs, "en") == ["negative", "neutral", "positive"]
    # Chinese keeps the likeliest class
    assert LearnedSentiment.labels(probs, "zh") == ["neutral", "neutral", "positive"]


def test_chinese_negation_scope_marks_the_words_after_a_negator_up_to_punctuation():
    from components.nlu.sentiment_model import jieba_words_and_pairs, negation_scoped

    assert negation_scoped(["房间", "不", "干净", "，", "服务", "很", "好"]) == ["房间", "不", "N_干净", "，", "服务",
                                                                                 "很", "好"]
    # the scope is three words long
    assert negation_scoped(["没有", "a", "b", "c", "d"]) == ["没有", "N_a", "N_b", "N_c", "d"]
    features = jieba_words_and_pairs("床单不干净")
    assert "N_干净" in features and "干净" not in features


def test_the_chinese_sentiment_model_does_not_read_a_self_introduced_name():
    from components.nlu.sentiment_model import without_introduction

    assert without_introduction("你好，我是王芳。拜拜") == "拜拜"
    # names without a Han surname too (the audit's Uyghur and Tibetan names), after a greeting or with 我叫
    assert without_introduction("你好，我是买买提。拜拜") == without_introduction("您好，我是卓玛。拜拜") == "拜拜"
    assert without_introduction("我叫欧阳娜，什么时候发货") == "什么时候发货"
    assert without_introduction("他说：我是陈志强。好的") == "他说：好的"
    # no surname, no name: the words stay
    assert without_introduction("我是很生气。太慢了") == "我是很生气。太慢了"
    assert without_introduction("我是张秀英。") == "我是张秀英。"  # nothing else to read
    # nor whom the customer asks for
    assert without_introduction("我替我爸爸问一下：拜拜") == without_introduction("我替我老婆问一下：拜拜") == "拜拜"
