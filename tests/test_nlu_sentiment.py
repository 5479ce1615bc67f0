"""Emotion cues, English sentiment (real VADER) and the per-conversation trend. Chinese (SnowNLP) is in
test_nlu_real.py, which pays SnowNLP's slow import once."""
import pytest

from components.nlu.sentiment import SentimentAnalyzer, emotion_cues, sentiment_trend


@pytest.mark.parametrize("text, emotion", [
    ("this is the third time I write to you", "frustration"),
    ("I'm still waiting for my refund", "frustration"),
    ("I've been waiting for weeks", "frustration"),
    ("this is ridiculous", "anger"),
    ("worst shop ever, total scam", "anger"),
    ("WHERE IS MY PACKAGE!!!", "anger"),
    ("I need it urgently", "urgency"),
    ("thanks a lot", "gratitude"),
    ("我要投诉", "anger"),
    ("气死我了", "anger"),
    ("怎么还没发货", "frustration"),
    ("请尽快处理", "urgency"),
    ("谢谢", "gratitude"),
])
def test_cue_found(text, emotion):
    assert emotion in emotion_cues(text)


@pytest.mark.parametrize("text", ["where is my order", "I would like to cancel my order", "我想查询我的订单状态",
                                  "the time of delivery", "what is the status"])
def test_no_negative_cue_in_plain_requests(text):
    assert not {"anger", "frustration"} & set(emotion_cues(text))


def test_chinese_cues_are_not_looked_for_in_english():
    assert emotion_cues("I'd like a refund", "en") == []


@pytest.fixture(scope="module")
def analyzer():
    return SentimentAnalyzer()


@pytest.mark.parametrize("text, label", [
    ("I would like to cancel my order", "neutral"),      # task words are not feelings at a support desk
    ("I have a problem with my payment", "neutral"),
    ("can you help me change my address please", "neutral"),
    ("yes", "neutral"),
    ("you are wonderful, everything arrived perfectly", "positive"),
    ("the package arrived broken and I'm very disappointed", "negative"),
    ("this is the third time I ask", "negative"),        # a cue makes the turn negative whatever VADER says
    ("thank you", "positive"),
    ("", "neutral"),
])
def test_english_sentiment(analyzer, text, label):
    assert analyzer.analyze(text, "en").label == label


def test_score_bounds_and_cue_floor(analyzer):
    result = analyzer.analyze("This is ridiculous!!! third time!!!", "en")
    assert result.label == "negative" and -1 <= result.score <= -0.5
    assert set(result.emotions) >= {"anger", "frustration"}


def test_trend():
    assert sentiment_trend([]) == {"turns": 0, "recent": 0.0, "change": 0.0, "trend": "stable"}
    worse = sentiment_trend([0.3, 0.2, 0.0, -0.5, -0.6, -0.7])
    assert worse["trend"] == "worsening" and worse["negative_streak"] == 3 and worse["recent"] < 0
    better = sentiment_trend([-0.8, -0.6, -0.1, 0.4, 0.5])
    assert better["trend"] == "improving" and better["negative_streak"] == 0
    assert sentiment_trend([0.0, 0.05, -0.05, 0.0])["trend"] == "stable"


def test_chinese_model_trains_the_same_in_a_worker_process():
    import numpy as np

    from components.nlu.sentiment_model import _InThread, _OneShotProcess, fit_chinese

    texts = ["质量太差了", "很满意", "查一下订单", "物流太慢了", "东西很好", "怎么退货", "非常失望", "下次还来",
             "改一下地址"] * 6
    y = [0, 2, 1] * 18
    here = _InThread.submit(fit_chinese, texts, y, 17).result()
    there = _OneShotProcess.submit(fit_chinese, texts, y, 17).result()
    assert here[0].vocabulary_ == there[0].vocabulary_ and np.allclose(here[2], there[2])
    assert np.allclose(here[3].svm.coef_, there[3].svm.coef_, atol=1e-4)  # liblinear: the last digits vary
