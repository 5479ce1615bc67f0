"""The knowledge base on real parts: the packaged MiniLM embedder, a real Chroma PersistentClient, real SQLite."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.knowledge import KnowledgeBase
from components.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def embedder():
    from components.embedder import SentenceEmbedder

    e = SentenceEmbedder("packaged:all-minilm-l6-v2")
    e.embed(["warm up"])
    return e


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, embedder):
    """Part of the shop's policy articles (English and Chinese) and its FAQ sheet, indexed as on first start
    (a part only: embedding all of kb/ takes too long for the test suite on two shared cores)."""
    docs = tmp_path_factory.mktemp("kb-docs")
    shutil.copytree(ROOT / "kb" / "zh", docs / "zh")
    (docs / "policies").mkdir()
    for name in ("refunds.md", "returns.md", "exchanges.md", "cancel-order.md", "payment-methods.md"):
        shutil.copy(ROOT / "kb" / "policies" / name, docs / "policies" / name)
    shutil.copy(ROOT / "kb" / "faq.csv", docs / "faq.csv")
    shutil.copy(ROOT / "kb" / "SOURCES.md", docs / "SOURCES.md")
    settings = Settings(data_dir=tmp_path_factory.mktemp("kb-data"))
    kb = KnowledgeBase(settings, embedder)
    seen = []
    results = kb.ensure_seeded(docs, progress=lambda f, m: seen.append((f, m)))
    yield kb, results, seen, settings, docs
    kb.close()


def test_first_start_indexes_every_document_with_progress(seeded):
    kb, results, seen, _, docs = seeded
    expected = {f"kb/{p.relative_to(docs).as_posix()}" for p in docs.rglob("*") if p.is_file()} - {"kb/SOURCES.md"}
    assert {r.doc_id for r in results} == expected
    assert all(r.status == "indexed" and r.chunks > 0 for r in results)
    assert seen[-1][0] == 1.0 and [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert kb.ensure_seeded(docs) == []  # second start: nothing to do
    listed = {d["doc_id"]: d for d in kb.documents()}
    assert listed["kb/zh/returns-and-refunds-zh.md"]["language"] == "zh"
    assert listed["kb/faq.csv"]["type"] == "csv" and listed["kb/faq.csv"]["tags"] == []
    assert listed["kb/policies/refunds.md"]["tags"] == ["policies"]


def test_refund_question_retrieves_the_refund_policy(seeded):
    kb = seeded[0]
    hits = kb.search("How many days until my refund arrives on my credit card?", k=4)
    assert hits[0].score >= kb.min_score
    assert any("5 to 7 business days" in h.text for h in hits[:2])
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0.0 <= h.score <= 1.0 and h.dense_score is not None and h.keyword_score is not None for h in hits)


def test_chinese_question_retrieves_chinese_text(seeded):
    kb = seeded[0]
    hits = kb.search("我想换货，需要什么条件？", k=3)
    assert hits[0].metadata["language"] == "zh"
    assert "换货" in hits[0].text
    assert hits[0].score >= kb.min_score


def test_off_topic_question_is_below_the_threshold(seeded):
    kb = seeded[0]
    hits = kb.search("What is the capital of Australia and its population?", k=4)
    assert not kb.is_relevant(hits), [(h.score, h.text[:60]) for h in hits]


def test_curated_answer_is_verbatim_and_only_for_a_matching_question(seeded):
    kb = seeded[0]
    curated = kb.curated_answer("how long does a refund take")
    assert curated is not None and curated.doc_id == "kb/faq.csv"
    assert "5 to 7 business days" in curated.answer and curated.score >= kb.curated_threshold
    assert kb.curated_answer("Do you sell concert tickets?") is None
    assert kb.curated_answer("退款需要多长时间") is not None
    assert kb.curated_answer("你们的仓库在哪里") is None  # shares no words with any curated Chinese question


def test_filters_restrict_documents_and_tags(seeded):
    kb = seeded[0]
    hits = kb.search("refund", k=5, filters={"doc_id": "kb/policies/cancel-order.md"})
    assert hits and {h.doc_id for h in hits} == {"kb/policies/cancel-order.md"}
    hits = kb.search("refund", k=5, filters={"tags": ["zh"]})
    assert hits and all(h.doc_id.startswith("kb/zh/") for h in hits)
    assert kb.search("refund", filters={"tags": "no-such-tag"}) == []
    with pytest.raises(ValueError, match="Unknown filter"):
        kb.search("refund", filters={"colour": "red"})


def test_upload_replace_skip_delete_reindex_and_teach(tmp_path, embedder):
    kb = KnowledgeBase(Settings(data_dir=tmp_path / "data"), embedder)
    f = tmp_path / "warranty.md"
    f.write_text("# Warranty\n\nEvery blender has a two year warranty against motor failure.\n")
    assert kb.ingest_file(f).status == "indexed"
    assert kb.ingest_file(f).status == "skipped"
    copy = tmp_path / "warranty-copy.md"
    copy.write_bytes(f.read_bytes())
    twin = kb.ingest_file(copy)
    assert twin.status == "skipped" and "same content" in twin.message
    f.write_text("# Warranty\n\nEvery blender has a five year warranty against motor failure.\n")
    replaced = kb.ingest_file(f)
    assert replaced.status == "replaced"
    hits = kb.search("blender warranty years", k=3)
    assert "five year" in hits[0].text and not any("two year" in h.text for h in hits)
    assert kb.check_consistency()["ok"]
    f.unlink()  # the kept copy makes re-indexing possible after the upload is gone
    again = kb.reindex("warranty.md")
    assert again.status == "replaced" and again.chunks == 1
    doc_id = kb.add_curated_answer("Do blenders have a warranty?", "Yes: five years against motor failure.")
    assert kb.curated_answer("do blenders have a warranty").doc_id == doc_id
    assert kb.delete("warranty.md") and not kb.delete("warranty.md")
    assert kb.search("blender warranty years", k=3)[0].doc_id == doc_id
    report = kb.check_consistency()
    assert report["ok"] and report["documents"] == 1 and report["chunks"] == report["vectors"] == 1
    kb.close()


def test_batch_with_bad_files_keeps_going_and_loses_nothing(tmp_path, embedder):
    kb = KnowledgeBase(Settings(data_dir=tmp_path / "data", upload_max_mb=0.01), embedder)
    good = tmp_path / "shipping.md"
    good.write_text("# Shipping\n\nParcels ship from the warehouse within two days.\n")
    assert kb.ingest_file(good).status == "indexed"
    bad = {"scan.pdf": b"%PDF-1.4 broken", "big.txt": b"x" * 20000, "prog.exe": b"MZ", "empty.md": b"",
           "data.txt": bytes(range(256)) * 10, "faq.csv": b"a,b\n1,2\n"}
    paths = []
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    other = tmp_path / "hours.md"
    other.write_text("# Hours\n\nThe shop answers chats every day.\n")
    results = kb.ingest_files(paths + [other])
    by_name = {r.filename: r for r in results}
    assert [by_name[n].status for n in bad] == ["error"] * len(bad)
    assert all(by_name[n].message.startswith(n) for n in bad)
    assert by_name["hours.md"].status == "indexed"
    assert {d["doc_id"] for d in kb.documents()} == {"shipping.md", "hours.md"}
    assert kb.check_consistency()["ok"]
    kb.close()


def test_everything_persists_across_restart(tmp_path, embedder):
    settings = Settings(data_dir=tmp_path / "data")
    kb = KnowledgeBase(settings, embedder)
    f = tmp_path / "gifts.md"
    f.write_text("# Gift wrapping\n\nGift wrapping costs nothing and is offered at checkout.\n")
    kb.ingest_file(f, tags=["gifts"], domain="shop")
    kb.close()
    kb = KnowledgeBase(settings, embedder)
    doc = kb.documents()[0]
    assert (doc["doc_id"], doc["tags"], doc["domain"], doc["chunks"]) == ("gifts.md", ["gifts"], "shop", 1)
    assert kb.search("is gift wrapping free", k=1)[0].doc_id == "gifts.md"
    kb.close()


def test_interrupted_ingestion_is_rolled_back_on_restart(tmp_path, embedder):
    """Simulate a crash after the vectors were written but before the SQLite commit."""
    settings = Settings(data_dir=tmp_path / "data")
    kb = KnowledgeBase(settings, embedder)
    f = tmp_path / "a.md"
    f.write_text("# Loyalty points\n\nEvery order earns loyalty points.\n")
    kb.ingest_file(f)

    def crash(*args, **kwargs):
        raise SystemExit("killed")

    kb.registry.commit_document = crash  # the process "dies" right before the swap
    kb._rollback_version = lambda *a: None  # ... so no rollback runs either
    f.write_text("# Loyalty points\n\nLoyalty points were discontinued.\n")
    with pytest.raises(SystemExit):
        kb.ingest_file(f)
    report = kb.check_consistency()
    assert not report["ok"] and report["pending_ingestions"] == 1 and report["orphan_vectors"] == 1
    kb.vectors.close()
    kb.registry.close()
    kb = KnowledgeBase(settings, embedder)  # restart: recovery removes the half-written version
    report = kb.check_consistency()
    assert report["ok"], report
    hits = kb.search("loyalty points", k=3)
    assert len(hits) == 1 and "Every order earns" in hits[0].text
    kb.close()


def test_consistency_repair_fixes_orphans_and_missing_vectors(tmp_path, embedder):
    kb = KnowledgeBase(Settings(data_dir=tmp_path / "data"), embedder)
    f = tmp_path / "b.md"
    f.write_text("# Pets\n\nPet beds come in three sizes.\n\n## Washing\n\nCovers are machine washable.\n")
    kb.ingest_file(f)
    ids = sorted(kb.registry.chunk_ids())
    import numpy as np

    kb.vectors.add(["stray#1#0"], np.ones((1, 384), dtype=np.float32) / np.sqrt(384), [{"doc_id": "stray"}])
    kb.vectors.delete([ids[0]])
    report = kb.check_consistency()
    assert (report["orphan_vectors"], report["missing_vectors"], report["ok"]) == (1, 1, False)
    repaired = kb.check_consistency(repair=True)
    assert repaired["repaired"] and repaired["ok_after_repair"]
    assert kb.vectors.all_ids() == set(ids)
    kb.close()


def test_interrupted_seeding_resumes_and_deleted_seed_documents_stay_deleted(tmp_path, embedder):
    docs = tmp_path / "kb"
    docs.mkdir()
    (docs / "a.md").write_text("# Alpha\n\nAlpha articles explain kettles.\n")
    (docs / "b.md").write_text("# Beta\n\nBeta articles explain toasters.\n")
    settings = Settings(data_dir=tmp_path / "data")
    kb = KnowledgeBase(settings, embedder)

    def die_on_second(fraction, message):
        if "Indexed a.md (1/2)" in message:  # a.md is committed, b.md not yet
            raise KeyboardInterrupt("power cut")

    with pytest.raises(KeyboardInterrupt):
        kb.ensure_seeded(docs, progress=die_on_second)
    kb.close()
    kb = KnowledgeBase(settings, embedder)
    results = {r.doc_id: r.status for r in kb.ensure_seeded(docs)}
    assert results == {"kb/a.md": "skipped", "kb/b.md": "indexed"}
    assert kb.delete("kb/a.md")
    kb.close()
    kb = KnowledgeBase(settings, embedder)
    assert kb.ensure_seeded(docs) == [] and [d["doc_id"] for d in kb.documents()] == ["kb/b.md"]
    kb.close()


def test_teaching_the_same_question_again_replaces_the_answer(tmp_path, embedder):
    kb = KnowledgeBase(Settings(data_dir=tmp_path / "data"), embedder)
    first = kb.add_curated_answer("Do you ship to Canada?", "No, only within the USA.")
    second = kb.add_curated_answer("do you ship to canada", "Yes, to Canada since March.")
    assert first == second and len(kb.documents()) == 1
    assert kb.curated_answer("Do you ship to Canada?").answer == "Yes, to Canada since March."
    with pytest.raises(ValueError, match="needs both"):
        kb.add_curated_answer("Only a question?", " ")
    kb.close()
