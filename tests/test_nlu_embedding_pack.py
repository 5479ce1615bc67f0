"""The shipped vectors of the training sentences (components/nlu/embedding_pack.py): exact enough, used before
anything is embedded, ignored for another embedder; and the shipped pack fits the real MiniLM and the shipped
e-commerce pack."""
import numpy as np
import pytest

from components.nlu.embedding_cache import EmbeddingCache
from components.nlu.embedding_pack import EmbeddingPack, pack_path, pack_paths, quantize, write_pack
from components.settings import Settings


class CountingEmbedder:
    model_name = "fake"

    def __init__(self):
        self.embedded: list[str] = []

    def embed(self, texts):
        self.embedded.extend(texts)
        return np.stack([np.random.default_rng(len(t)).normal(size=8) for t in texts]).astype(np.float32)


def test_int8_vectors_keep_their_direction():
    vectors = np.random.default_rng(1).normal(size=(50, 768)).astype(np.float32)
    codes, scale = quantize(vectors)
    restored = codes.astype(np.float32) * scale[:, None]
    cosine = (restored * vectors).sum(1) / np.linalg.norm(restored, axis=1) / np.linalg.norm(vectors, axis=1)
    assert cosine.min() > 0.9999


def test_cache_reads_the_pack_first_and_embeds_only_what_is_missing(tmp_path):
    embedder = CountingEmbedder()
    packed = embedder.embed(["where is my order", "退货"])
    embedder.embedded.clear()
    path = tmp_path / "pack.npz"
    write_pack(path, "fake|views=1", ["where is my order", "退货"], packed)
    cache = EmbeddingCache(embedder, tmp_path / "cache", pack=EmbeddingPack(path, "fake|views=1"))
    out = cache.embed(["退货", "a new example", "where is my order"])
    assert embedder.embedded == ["a new example"]
    assert cache.packed_hits == 2
    assert np.allclose(out[0], packed[1], atol=0.02) and np.allclose(out[2], packed[0], atol=0.02)
    cache.save()  # only what was computed is written to the cache file
    reloaded = EmbeddingCache(CountingEmbedder(), tmp_path / "cache")
    assert reloaded.computed()[0] == ["a new example"]


def test_a_pack_of_another_embedder_or_a_broken_file_is_ignored(tmp_path):
    path = tmp_path / "pack.npz"
    write_pack(path, "fake|views=1", ["hello"], np.ones((1, 8), np.float32))
    assert len(EmbeddingPack(path, "other|views=1")) == 0
    assert len(EmbeddingPack(tmp_path / "missing.npz", "fake|views=1")) == 0
    path.write_bytes(b"not a pack")
    assert len(EmbeddingPack(path, "fake|views=1")) == 0


def test_several_pack_files_are_read_together_and_a_foreign_one_adds_nothing(tmp_path):
    (tmp_path / "nlu").mkdir()
    write_pack(pack_path(tmp_path), "fake|views=1", ["where is my order"], np.ones((1, 8), np.float32))
    write_pack(pack_path(tmp_path, "bank"), "fake|views=1", ["freeze my card"], -np.ones((1, 8), np.float32))
    write_pack(pack_path(tmp_path, "other"), "other|views=1", ["from elsewhere"], np.ones((1, 8), np.float32))
    assert [p.name for p in pack_paths(tmp_path)] == ["training_embeddings.npz", "training_embeddings_bank.npz",
                                                      "training_embeddings_other.npz"]
    pack = EmbeddingPack(pack_paths(tmp_path), "fake|views=1")
    found = pack.lookup(["freeze my card", "from elsewhere", "where is my order", "unknown"])
    assert sorted(found) == ["freeze my card", "where is my order"]
    assert found["freeze my card"][0] < 0 < found["where is my order"][0]


def test_shipped_bank_pack_covers_the_bank_workspace_intents():
    """The bank's first question trains Banking77 and the bank's own examples: their vectors ship too
    (assets/nlu/training_embeddings_bank.npz), so that question does not wait for 10,000 sentences to embed."""
    from components.embedder import SentenceEmbedder
    from components.nlu import NLU
    from components.nlu.intent_text import intent_text
    from components.nlu.language import detect_language
    from components.workspaces.registry import WorkspaceRegistry, shipped_dir

    settings = Settings()
    nlu = NLU(settings, SentenceEmbedder.from_settings(settings))
    bank = WorkspaceRegistry([shipped_dir(settings)]).get("bank")
    nlu.add_pack(bank.nlu_domain, list(bank.intents))
    texts = list(dict.fromkeys(intent_text(t, "zh" if detect_language(t) == "zh" else "en")
                               for t, _ in nlu.examples(bank.nlu_domain)))
    found = EmbeddingPack(pack_paths(settings.assets_dir), nlu.embedding_identity()).lookup(texts)
    assert len(texts) > 9000 and len(found) >= 0.99 * len(texts), (
        "the bank's intents changed: rebuild the vectors with `python app.py nlu pack-embeddings`")


def test_shipped_pack_fits_the_real_embedder_and_the_shipped_intent_pack():
    from components.embedder import SentenceEmbedder
    from components.nlu import NLU
    from components.nlu.intent_text import intent_text
    from components.nlu.language import detect_language

    settings = Settings()
    nlu = NLU(settings, SentenceEmbedder.from_settings(settings))
    pack = EmbeddingPack(pack_path(settings.assets_dir), nlu.embedding_identity())
    assert len(pack) > 9000, "assets/nlu/training_embeddings.npz is missing or of another embedder"
    texts = list(dict.fromkeys(intent_text(t, "zh" if detect_language(t) == "zh" else "en")
                               for t, _ in nlu.examples("ecommerce")))
    found = pack.lookup(texts)
    assert len(found) >= 0.99 * len(texts), ("the shipped e-commerce pack changed: rebuild the vectors with "
                                             "`python app.py nlu pack-embeddings`")
    sample = [texts[i] for i in np.random.default_rng(3).choice(len(texts), 12, replace=False) if texts[i] in found]
    fresh = nlu._intent_embed(sample)
    shipped = np.stack([found[t] for t in sample])
    cosine = (fresh * shipped).sum(1) / np.linalg.norm(fresh, axis=1) / np.linalg.norm(shipped, axis=1)
    assert cosine.min() > 0.999
