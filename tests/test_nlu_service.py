"""The NLU service with a small fake embedder: caching, add examples + retrain, failed retrain keeps serving."""
import zlib

import numpy as np
import pytest

from components.nlu import NLU
from components.nlu.intent_pack import write_pack
from components.settings import Settings


class CountingEmbedder:
    """Deterministic bag-of-words hashing into 64 dims; counts how many texts it embedded."""
    model_name = "fake-hash-64"

    def __init__(self):
        self.calls = 0
        self.texts = 0

    def embed(self, texts):
        self.calls += 1
        self.texts += len(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


TOY = [(t, "track_order") for t in ["where is my order", "track my order", "has my order shipped",
                                    "order status please", "我的订单到哪了", "查询订单状态", "where is my package",
                                    "when will my order arrive"]] + \
      [(t, "cancel_order") for t in ["cancel my order", "I want to cancel", "please cancel the purchase",
                                     "stop my order", "取消订单", "我要取消订单", "cancel order now",
                                     "I don't want the order anymore"]] + \
      [(t, "out_of_scope") for t in ["what's the weather", "tell me a joke", "who won the game",
                                     "write a poem", "今天天气怎么样", "讲个笑话", "capital of France",
                                     "recommend a movie"]]


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", assets_dir=tmp_path / "assets")


@pytest.fixture
def pack(tmp_path):
    return write_pack(tmp_path / "assets" / "intents" / "toy.csv", TOY)


def test_parse_fills_every_field(settings, pack):
    nlu = NLU(settings, CountingEmbedder())
    assert nlu.domains() == ["toy"]  # default packs come from <assets_dir>/intents
    nlu.start()
    r = nlu.parse("where is my order #W2611340? this is the third time I ask!", domain="toy")
    assert r.intent == "track_order" and r.domain == "toy"
    assert 0 < r.confidence <= 1 and r.top_intents[0][0] == "track_order"
    assert abs(sum(p for _, p in r.top_intents) - 1) < 0.2
    assert r.entities["order_id"] == "#W2611340"
    assert "frustration" in r.emotions and r.sentiment == "negative"
    assert r.language == "en" and r.timings_ms["total"] > 0
    assert nlu.parse("我要取消订单").intent == "cancel_order"
    oos = nlu.parse("tell me a joke about the weather")
    assert oos.out_of_scope and oos.intent == "out_of_scope"


def test_model_is_cached_by_content(settings, pack):
    embedder = CountingEmbedder()
    NLU(settings, embedder).start()
    texts_first = embedder.texts
    assert texts_first >= len(TOY)
    again = NLU(settings, embedder)
    again.start()
    assert embedder.texts == texts_first  # loaded from the cache, nothing embedded
    assert again.model_info("toy")["cached"] is True
    assert again.parse("cancel my order").intent == "cancel_order"


def test_add_examples_and_retrain(settings, pack):
    embedder = CountingEmbedder()
    nlu = NLU(settings, embedder)
    nlu.start()
    before = embedder.texts
    new = [("I need to change my delivery address", "change_address"), ("update the shipping address", "change_address"),
           ("修改收货地址", "change_address"), ("wrong address on my order", "change_address")]
    assert nlu.add_examples("toy", new) == 4
    assert "change_address" not in nlu.model_info("toy")["intents"]  # not until retrained
    metrics = nlu.retrain("toy")
    assert metrics["labels"] == 4 and metrics["examples"] == len(TOY) + 4 and metrics["cached"] is False
    assert embedder.texts - before == 4  # only the new examples were embedded
    assert nlu.parse("please change the shipping address").intent == "change_address"
    # a new NLU over the same data dir sees the additions
    assert "change_address" in NLU(settings, embedder).examples("toy")[-1]


def test_failed_retrain_keeps_previous_model(settings, pack):
    nlu = NLU(settings, CountingEmbedder())
    nlu.start()
    nlu.add_examples("toy", [("refund me", "refund")])  # a label with a single example cannot be trained
    with pytest.raises(ValueError, match="at least 2 different examples"):
        nlu.retrain("toy")
    assert nlu.parse("cancel my order").intent == "cancel_order"
    assert "refund" not in nlu.model_info("toy")["intents"]
    # a restart with the bad additions falls back to the shipped pack instead of failing
    restarted = NLU(settings, CountingEmbedder())
    restarted.start()
    assert restarted.parse("track my order").intent == "track_order"


def test_retrain_error_in_training_keeps_previous_model(settings, pack, monkeypatch):
    nlu = NLU(settings, CountingEmbedder())
    nlu.start()
    nlu.add_examples("toy", [("where is my parcel", "track_order")])

    def boom(self, examples, **kw):
        raise MemoryError("out of memory")

    monkeypatch.setattr("components.nlu.intent_classifier.IntentClassifier.fit", boom)
    with pytest.raises(MemoryError):
        nlu.retrain("toy")
    assert nlu.parse("cancel my order").intent == "cancel_order"


def test_new_domain_from_added_examples(settings, pack):
    nlu = NLU(settings, CountingEmbedder())
    nlu.add_examples("travel", [("book a flight", "book"), ("reserve a plane ticket", "book"),
                                ("cancel my flight", "cancel"), ("I can't travel, cancel the booking", "cancel")])
    assert nlu.domains() == ["toy", "travel"]
    nlu.start()
    assert nlu.model_info("travel") == {}  # not the default domain and not cached: trained on first use
    assert nlu.parse("book a flight to Paris", domain="travel").intent == "book"
    assert nlu.model_info("travel")["labels"] == 2
    everything = NLU(nlu.settings, CountingEmbedder())
    everything.start()
    assert everything.model_info("travel")["cached"] is True  # a cached model is loaded at start


@pytest.mark.parametrize("domain, examples, message", [
    ("toy", [], "No examples"),
    ("toy", [("", "x")], "empty text"),
    ("toy", [("hello", " ")], "no intent label"),
    ("toy", [("hello",)], r"\(text, intent\) pair"),
    ("../etc", [("hello", "x")], "not usable"),
    ("toy", [("hello", "bad,label\n")], "not usable"),
])
def test_add_examples_rejects_bad_input(settings, pack, domain, examples, message):
    with pytest.raises(ValueError, match=message):
        NLU(settings, CountingEmbedder()).add_examples(domain, examples)


def test_unknown_domain_and_not_started(settings, pack):
    nlu = NLU(settings, CountingEmbedder())
    assert nlu.parse("where is my order").intent == "unknown"  # not started: degrade, don't crash
    nlu.start()
    with pytest.raises(ValueError, match="No intent model for domain 'nope'"):
        nlu.parse("hi", domain="nope")
    empty = nlu.parse("   ")
    assert empty.intent == "unknown" and empty.out_of_scope


def test_run_intent_eval_with_oos(tmp_path):
    from components.nlu.eval import run_intent_eval

    train = write_pack(tmp_path / "train.csv", TOY)
    test = write_pack(tmp_path / "test.csv", [
        ("where is my parcel", "track_order"), ("cancel the purchase", "cancel_order"),
        ("tell me a funny joke", "out_of_scope"), ("who won the game yesterday", "out_of_scope")])
    result = run_intent_eval(Settings(data_dir=tmp_path), train=str(train), test=str(test),
                             oos_label="out_of_scope", embedder=CountingEmbedder())
    assert result["n_train"] == len(TOY) and result["n_test"] == 4 and result["n_labels"] == 3
    assert 0 <= result["accuracy"] <= 1 and result["train_seconds"] >= 0
    assert result["in_scope_accuracy"] == 1.0 and result["oos_recall"] == 1.0
    with pytest.raises(ValueError, match="no column 'utterance'"):
        run_intent_eval(Settings(data_dir=tmp_path), train=str(train), test=str(test), text_col="utterance",
                        embedder=CountingEmbedder())


def test_run_sentiment_eval_rejects_unknown_labels(tmp_path):
    from components.nlu.eval import run_sentiment_eval

    good = tmp_path / "s.csv"
    good.write_text("text,label\nI love it,positive\nthis is awful,negative\nthe box is blue,neutral\n")
    lexicon = Settings(data_dir=tmp_path, nlu_sentiment="lexicon")  # the learned model is tested with real data
    result = run_sentiment_eval(lexicon, test=str(good))
    assert result["n_test"] == 3 and result["accuracy"] == 1.0 and result["negative_f1"] == 1.0
    assert result["classes"] == 3 and result["model"] == "lexicon"
    two = tmp_path / "two.csv"
    two.write_text("text,label\nI love it,positive\nthis is awful,negative\nthe box is blue,positive\n")
    result = run_sentiment_eval(lexicon, test=str(two))  # no neutral class: negative vs non-negative
    assert result["classes"] == 2 and result["accuracy"] == 1.0
    assert set(result["per_class_f1"]) == {"negative", "non_negative"}
    bad = tmp_path / "b.csv"
    bad.write_text("text,label\nI love it,pos\nbad,neg\n")
    with pytest.raises(ValueError, match="negative, neutral or positive"):
        run_sentiment_eval(Settings(data_dir=tmp_path), test=str(bad))


def test_model_cache_rebuilds_what_it_cannot_read(tmp_path):
    from components.nlu.model_cache import load_model, save_model

    path = tmp_path / "m.pkl"
    assert load_model(path, "test model") is None
    save_model(path, {"weights": [1, 2]})
    assert load_model(path, "test model") == {"weights": [1, 2]}
    path.write_bytes(b"not a pickle")
    assert load_model(path, "test model") is None


def test_run_intent_cv_reports_kefu_beside_the_char_svm(tmp_path):
    from components.nlu.eval import run_intent_cv

    data = write_pack(tmp_path / "all.csv", TOY)
    result = run_intent_cv(Settings(data_dir=tmp_path), data=str(data), folds=2, embedder=CountingEmbedder())
    assert result["folds"] == 2 and result["n"] == len(TOY) and result["n_labels"] == 3
    assert set(result["accuracy"]) == {"kefu", "char_ngram_svm"}
    assert all(len(v) == 2 and all(0 <= x <= 1 for x in v) for v in result["per_fold"].values())
    with pytest.raises(ValueError, match="folds"):
        run_intent_cv(Settings(data_dir=tmp_path), data=str(data), folds=9, embedder=CountingEmbedder())


def test_bad_sentiment_setting_fails_at_start_up_with_the_variable_named(tmp_path):
    with pytest.raises(ValueError, match="KEFU_NLU_SENTIMENT must be learned or lexicon"):
        Settings(data_dir=tmp_path, nlu_sentiment="bert")
