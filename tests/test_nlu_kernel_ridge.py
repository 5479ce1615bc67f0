"""The embedding kernel ridge model and how the intent classifier blends it with the n-gram SVM."""
import zlib

import numpy as np
import pytest

from components.nlu.intent_classifier import IntentClassifier
from components.nlu.kernel_ridge import EmbeddingKernelRidge


def _clusters(n_per=30, labels=4, dim=16, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(labels, dim))
    x = np.concatenate([c + 0.35 * rng.normal(size=(n_per, dim)) for c in centres]).astype(np.float32)
    y = np.repeat(np.arange(labels), n_per)
    order = rng.permutation(len(y))
    return x[order], y[order], centres


def test_separates_clusters_and_is_unsure_far_away():
    x, y, centres = _clusters()
    model = EmbeddingKernelRidge(gamma=2.0, ridge=0.2)
    model.fit(x[:100], y[:100], 4)
    assert (model.scores(x[100:]).argmax(1) == y[100:]).mean() > 0.95
    # a direction unlike every training vector: all scores near the "not this label" side, none confident
    far = np.linalg.svd(centres)[2][-1:].astype(np.float32)
    assert model.scores(far).max() < model.scores(centres.astype(np.float32)).max(1).min()


def test_held_back_rows_model_equals_a_model_of_the_first_rows():
    x, y, _ = _clusters(seed=1)
    full = EmbeddingKernelRidge()
    sub = full.fit(x, y, 4, n_sub=90)
    alone = EmbeddingKernelRidge()
    alone.fit(x[:90], y[:90], 4)
    np.testing.assert_allclose(full.score_with(sub, x[90:]), alone.scores(x[90:]), atol=1e-3)
    # and the full model is not the sub-model: it has seen the held-back rows
    assert not np.allclose(full.scores(x[90:]), alone.scores(x[90:]), atol=1e-3)


class HashEmbedder:
    """Bag of words hashed into 64 dims: Chinese sentences (no spaces) get one near-random vector each."""

    def __call__(self, texts):
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, zlib.crc32(word.encode()) % 64] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


EXAMPLES = ([(t, "track") for t in ["where is my order", "track my parcel", "has my order shipped", "order status",
                                    "where is my package", "when will it arrive", "我的订单到哪了", "查询订单状态",
                                    "快递到哪了", "什么时候到货"]]
            + [(t, "cancel") for t in ["cancel my order", "I want to cancel", "please cancel the purchase",
                                       "stop my order", "cancel it now", "I do not want it anymore", "取消订单",
                                       "我要取消订单", "不想要了，取消吧", "帮我取消购买"]])


def test_chinese_is_scored_by_ngrams_and_english_by_the_blend():
    model = IntentClassifier(HashEmbedder())
    metrics = model.fit(EXAMPLES)
    assert metrics["labels"] == 2 and "ngram_temperature" in metrics
    texts = ["我要取消这个订单", "where is my parcel"]
    rng = np.random.default_rng(0)
    a = model.predict_proba(texts, embeddings=rng.normal(size=(2, 64)).astype(np.float32))
    b = model.predict_proba(texts, embeddings=rng.normal(size=(2, 64)).astype(np.float32))
    np.testing.assert_allclose(a[0], b[0])            # Chinese: the embedding plays no part
    assert not np.allclose(a[1], b[1])                 # English: it does
    best = model.predict(texts)
    assert [p.label for p in best] == ["cancel", "track"]


def test_kernel_model_learns_from_a_sample_when_the_pack_is_large():
    model = IntentClassifier(HashEmbedder(), max_kernel_examples=12)
    model.fit(EXAMPLES)
    assert len(model._kernel.vectors) <= 12 + 2  # one per label at least, whatever the rounding
    assert model.predict(["please cancel my order"])[0].label == "cancel"


@pytest.mark.parametrize("embed", [None, HashEmbedder()])
def test_confidences_are_probabilities(embed):
    model = IntentClassifier(embed)
    model.fit(EXAMPLES)
    probs = model.predict_proba(["where is my order", "取消订单", "hmm"])
    assert probs.shape == (3, 2) and np.allclose(probs.sum(1), 1) and (probs >= 0).all()


def test_views_add_one_kernel_per_block_and_scale_each_block_on_its_own():
    x, y, _ = _clusters(seed=2)
    rng = np.random.default_rng(3)
    noise = rng.normal(size=x.shape).astype(np.float32) * 10   # a second view that says nothing, at another scale
    both = np.concatenate([x, noise], axis=1)
    one = EmbeddingKernelRidge(views=1)
    one.fit(x[:100], y[:100], 4)
    two = EmbeddingKernelRidge(views=2)
    two.fit(both[:100], y[:100], 4)
    # the informative view still decides; the kernel of two unit blocks is the sum of their two kernels
    assert (two.scores(both[100:]).argmax(1) == y[100:]).mean() > 0.9
    from components.nlu.kernel_ridge import _unit, rbf
    a, b = _unit(both[:5], 2), _unit(both[5:9], 2)
    expected = rbf(a[:, :16], b[:, :16], 2.0) + rbf(a[:, 16:], b[:, 16:], 2.0)
    np.testing.assert_allclose(rbf(a, b, 2.0, views=2), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="views"):
        EmbeddingKernelRidge(views=3).fit(x, y, 4)   # 16 columns do not split into 3 views


def test_a_turns_scores_equal_the_batch_product_and_survive_pickling():
    import pickle

    rng = np.random.default_rng(5)
    vectors, y = rng.normal(size=(200, 16)).astype(np.float32), rng.integers(0, 4, 200)
    model = EmbeddingKernelRidge(views=2)
    model.fit(vectors, y, 4)
    turns = rng.normal(size=(3, 16)).astype(np.float32)
    assert np.allclose(model.scores(turns), model.score_with((model.vectors, model.dual), turns), atol=1e-5)
    copy = pickle.loads(pickle.dumps(model))
    assert "_blocks" not in copy.__dict__
    assert np.allclose(copy.scores(turns), model.scores(turns), atol=1e-6)
