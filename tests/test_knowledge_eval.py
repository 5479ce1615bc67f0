"""The shipped Bitext-derived retrieval evaluation set, run through the real pipeline (as `app.py eval retrieval`)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.knowledge.eval import rank_documents, run_retrieval_eval, score_rankings
from components.settings import Settings

EVAL = Path(__file__).resolve().parent.parent / "assets" / "eval"


def test_metrics_on_a_hand_made_ranking():
    metrics = score_rankings([["a", "b"], ["b", "c", "a"], ["x"]], [{"a"}, {"a"}, {"a"}], ks=(1, 5), mrr_at=10)
    assert metrics == {"recall@1": round(1 / 3, 4), "recall@5": round(2 / 3, 4), "mrr@10": round((1 + 1 / 3) / 3, 4)}


def test_chunk_hits_collapse_to_documents_in_order():
    class H:
        def __init__(self, doc_id):
            self.doc_id = doc_id
    assert rank_documents([H("a"), H("a"), H("b"), H("c")], 2) == ["a", "b"]


def test_eval_files_are_well_formed():
    docs = [json.loads(l) for l in (EVAL / "bitext_docs.jsonl").read_text().splitlines()]
    queries = [json.loads(l) for l in (EVAL / "bitext_queries.jsonl").read_text().splitlines()]
    ids = {d["id"] for d in docs}
    assert len(ids) == len(docs) == 27
    assert len(queries) > 500 and all(set(q["relevant"]) <= ids for q in queries)
    lines = {l.strip("-* ").lower() for d in docs for l in d["content"].splitlines()}
    assert not any(q["query"].lower() in lines for q in queries)  # no query is copied into an article


def test_shipped_bitext_set_meets_the_recall_target(tmp_path):
    report = run_retrieval_eval(Settings(data_dir=tmp_path), docs=str(EVAL / "bitext_docs.jsonl"),
                                queries=str(EVAL / "bitext_queries.jsonl"), k=10)
    assert report["docs"] == 27 and report["queries"] > 500
    assert report["recall@5"] >= 0.95, report
    assert report["recall@1"] <= report["recall@5"] <= report["recall@10"]
    assert 0 < report["mrr@10"] <= 1


def test_bad_eval_input_is_reported(tmp_path):
    bad = tmp_path / "docs.jsonl"
    bad.write_text('{"id": "a", "title": "t"}\n')
    with pytest.raises(ValueError, match="lacks content"):
        run_retrieval_eval(Settings(data_dir=tmp_path), docs=str(bad), queries=str(bad))


def test_ingest_command_indexes_folders_and_reports_bad_files(tmp_path):
    from components.knowledge.eval import ingest_paths

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "care.md").write_text("# Care\n\nWipe the kettle with a dry cloth.\n")
    (folder / "notes.txt").write_bytes(b"")
    (folder / "image.png").write_bytes(b"\x89PNG")  # not a supported type: not picked up from a folder
    settings = Settings(data_dir=tmp_path / "data")
    report = ingest_paths(settings, paths=[str(folder), str(tmp_path / "missing.md")])
    statuses = {r["filename"]: r["status"] for r in report["files"]}
    assert statuses == {"care.md": "indexed", "notes.txt": "error", str(tmp_path / "missing.md"): "error"}
    assert (report["indexed"], report["error"]) == (1, 2)
    assert report["knowledge_base"]["documents"] == 1
    again = ingest_paths(settings, paths=[str(folder / "care.md")])
    assert again["skipped"] == 1
