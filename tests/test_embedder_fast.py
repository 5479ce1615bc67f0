"""The embedder's fast path (bfloat16 transformer + mean pooling, no sentence-transformers) against the exact
float32 sentence-transformers path, on the packaged MiniLM and real shop texts in English and Chinese."""
from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from components.embedder import SentenceEmbedder, mean_pooling_layout
from components.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _paragraphs(path: Path, n: int) -> list[str]:
    text = path.read_text(encoding="utf-8")
    parts = [p.strip() for p in re.split(r"\n\s*\n", text) if len(p.strip()) > 20]
    return parts[:n]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    english = _paragraphs(ROOT / "kb" / "policies" / "refunds.md", 6) + _paragraphs(
        ROOT / "kb" / "policies" / "returns.md", 4)
    chinese = _paragraphs(ROOT / "kb" / "zh" / "exchanges-zh.md", 4) + _paragraphs(
        ROOT / "kb" / "zh" / "cancel-and-modify-order-zh.md", 4)
    lines = (ROOT / "assets" / "eval" / "bitext_queries.jsonl").read_text(encoding="utf-8").splitlines()
    queries = [json.loads(line)["query"] for line in lines[:12]]
    short = ["退款需要多长时间？", "我想取消订单", "Where is my parcel?", "cancel my order please", "ok", ""]
    long_zh = "".join(chinese) * 2  # beyond the 256-token limit: truncated the same way by both paths
    out = english + chinese + queries + short + [long_zh]
    assert len(english) >= 8 and len(chinese) >= 6
    return out


@pytest.fixture(scope="module")
def exact():
    e = SentenceEmbedder("packaged:all-minilm-l6-v2", precision="float32")
    e.embed(["warm up"])
    return e


@pytest.fixture(scope="module")
def fast():
    e = SentenceEmbedder("packaged:all-minilm-l6-v2", precision="bfloat16", threads=2)
    e.embed(["warm up"])
    return e


def test_fast_vectors_match_the_float32_path(texts, exact, fast):
    a, b = exact.embed(texts), fast.embed(texts)
    assert b.dtype == np.float32 and b.shape == a.shape == (len(texts), 384)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() >= 0.999, [(round(float(c), 5), t[:40]) for c, t in zip(cosine, texts) if c < 0.999]
    # the ranking a retrieval sees is the same: each text's nearest other text agrees
    near_a = np.argsort(-(a @ a.T - 2 * np.eye(len(a))), axis=1)[:, 0]
    near_b = np.argsort(-(b @ b.T - 2 * np.eye(len(b))), axis=1)[:, 0]
    assert (near_a == near_b).mean() >= 0.95


def test_a_vector_does_not_depend_on_its_batch_or_the_worker_count(texts, fast):
    """Up to bfloat16 rounding (padding width changes the matmul blocking): cosine >= 0.9995."""
    alone = np.vstack([fast.embed([t]) for t in texts[:8]])
    together = fast.embed(texts)[:8]  # padded next to longer texts, sorted and split over workers
    assert ((alone * together).sum(axis=1) >= 0.9995).all()
    lean = fast._load()
    lean.workers = 1  # same weights, one worker: every batch runs in the calling thread
    try:
        one_worker = fast.embed(texts)
    finally:
        lean.workers = 2
    assert ((one_worker * fast.embed(texts)).sum(axis=1) >= 0.9995).all()


def test_big_calls_use_worker_threads_and_leave_the_callers_thread_count_alone(texts, fast):
    torch = pytest.importorskip("torch")
    lean = fast._load()
    assert lean.workers == 2 and len(lean._batches([120] * 64)) % 2 == 0
    assert len(lean._batches([12])) == 1  # a query: one batch in the calling thread
    before = torch.get_num_threads()
    fast.embed(texts * 3)
    fast.embed(["a query"])
    assert torch.get_num_threads() == before
    seen = {}

    def probe():
        seen["threads"] = torch.get_num_threads()

    lean._executor().submit(probe).result()
    assert seen["threads"] == 1  # each worker runs one OpenMP thread


def test_concurrent_callers_get_their_own_vectors(texts, fast):
    expected = fast.embed(texts)
    results: dict[int, np.ndarray] = {}

    def work(i):
        results[i] = fast.embed(texts[i::3])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(3):
        assert ((results[i] * expected[i::3]).sum(axis=1) >= 0.9995).all()


def test_identity_and_settings(monkeypatch, fast, exact):
    assert fast.fingerprint.startswith("packaged:all-minilm-l6-v2|torch-bf16|max_seq=256")
    assert "sentence-transformers-float32" in exact.fingerprint
    assert fast.fingerprint != exact.fingerprint and fast.dimension == exact.dimension == 384
    monkeypatch.setenv("KEFU_EMBEDDING_PRECISION", "float32")
    monkeypatch.setenv("KEFU_EMBEDDING_THREADS", "1")
    from_env = SentenceEmbedder("packaged:all-minilm-l6-v2")
    assert from_env.precision == "float32" and from_env.threads == 1
    assert SentenceEmbedder.from_settings(Settings()).precision == "bfloat16"
    monkeypatch.setenv("KEFU_EMBEDDING_PRECISION", "int4")
    with pytest.raises(ValueError, match="KEFU_EMBEDDING_PRECISION"):
        Settings.from_env()
    with pytest.raises(ValueError):
        SentenceEmbedder("packaged:all-minilm-l6-v2", precision="float16", threads=0)


def test_only_mean_pooling_models_take_the_fast_path(tmp_path):
    def folder(pooling: dict, modules=("Transformer", "Pooling", "Normalize")) -> Path:
        d = tmp_path / str(len(list(tmp_path.iterdir())))
        (d / "1_Pooling").mkdir(parents=True)
        (d / "config.json").write_text("{}")
        paths = {"Transformer": "", "Pooling": "1_Pooling", "Normalize": "2_Normalize", "Dense": "2_Dense"}
        (d / "modules.json").write_text(json.dumps([
            {"idx": i, "name": str(i), "path": paths[m], "type": f"sentence_transformers.models.{m}"}
            for i, m in enumerate(modules)]))
        (d / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
        (d / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
        return d

    mean = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}
    assert mean_pooling_layout(str(folder(mean))) == {"max_seq_length": 128, "do_lower_case": False}
    assert mean_pooling_layout(str(folder({"pooling_mode_cls_token": True}))) is None
    assert mean_pooling_layout(str(folder(mean, ("Transformer", "Pooling", "Dense")))) is None
    assert mean_pooling_layout(str(tmp_path / "missing")) is None
    # a model the fast path cannot run falls back to the exact path, and says so
    other = SentenceEmbedder(str(folder({"pooling_mode_cls_token": True})), precision="bfloat16", threads=0)
    assert other.runtime == "sentence-transformers-float32"


def test_layer_views_come_from_the_same_pass_and_lead_with_the_sentence_vector(texts, fast, exact):
    views = fast.embed_with_layers(texts, (4,))
    assert views.shape == (len(texts), 768) and views.dtype == np.float32
    # the first block is the sentence vector itself; the second is a different, unit-length view
    np.testing.assert_allclose(views[:, :384], fast.embed(texts), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(views[:, 384:], axis=1), 1.0, atol=1e-5)
    assert ((views[:, :384] * views[:, 384:]).sum(1) < 0.99).all()
    # a big call split over workers gives each text the same views as one text alone
    alone = fast.embed_with_layers([texts[3]], (4,))
    np.testing.assert_allclose(views[3], alone[0], atol=2e-2)
    assert fast.layer_views and not exact.layer_views
    with pytest.raises(ValueError, match="bfloat16"):
        exact.embed_with_layers(texts[:2], (4,))
    with pytest.raises(ValueError, match="out of range"):
        fast.embed_with_layers(texts[:2], (7,))
    assert fast.embed_with_layers([], (4,)).shape == (0, 768)


def test_a_text_embedded_alone_again_is_not_embedded_twice(fast):
    """A turn embeds its question for the search and again for the evidence selection (and the intent classifier
    reads the same forward pass with a hidden layer): a one-text call of a text seen before reuses its vector, which
    is bit for bit what embedding it again gives; a batch is embedded as always (padding changes its last digits)."""
    model = fast._load()
    calls = []
    real = model.embed

    def counting(texts, layers=()):
        calls.append((list(texts), layers))
        return real(texts, layers)

    model.embed = counting
    try:
        text = "How long does a refund to my card take, roughly?"
        once = fast.embed([text])
        again = fast.embed([text])
        assert len(calls) == 1 and np.array_equal(once, again) and np.array_equal(once, real([text]))
        layered = fast.embed_with_layers(["Can I change the colour of my mug?"], (4,))
        plain = fast.embed(["Can I change the colour of my mug?"])
        assert len(calls) == 2 and plain.shape == (1, 384)
        assert np.array_equal(plain, layered[:, :384]) and np.array_equal(plain, real(["Can I change the colour of my mug?"]))
        fast.embed([text, "another text"])
        assert len(calls) == 3
        once[0, 0] = 9.0   # the caller's copy, not the remembered vector
        assert fast.embed([text])[0, 0] != 9.0
    finally:
        model.embed = real
