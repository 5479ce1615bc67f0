"""The Knowledge base tab: handlers called directly with plain arguments, and the kb_* endpoints through a real
Gradio server and gradio_client. Real KnowledgeBase (MiniLM + Chroma + SQLite) on a small corpus."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from components.knowledge import KnowledgeBase
from components.settings import Settings
from components.ui import knowledge_tab as tab

REFUNDS = "# Refunds\n\nRefunds to a credit card take 5 to 7 business days.\n\n## Gift cards\n\nGift card refunds are immediate.\n"
HOURS = "# Opening hours\n\nHuman agents work Monday to Friday, 9:00 to 18:00 EST.\n"


class DemoAccounts:
    protected = False

    def require(self, *, token=None, authorization=None) -> str:
        return "demo-agent"


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    from components.embedder import SentenceEmbedder

    kb = KnowledgeBase(Settings(data_dir=tmp_path_factory.mktemp("tab-data")), SentenceEmbedder())
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uploads")
    (folder / "refunds.md").write_text(REFUNDS)
    (folder / "hours.md").write_text(HOURS)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 nothing else")
    (folder / "virus.exe").write_bytes(b"MZ")
    return folder


def test_upload_shows_progress_and_a_result_per_file(kb, files):
    paths = [str(files / n) for n in ("refunds.md", "broken.pdf", "virus.exe", "hours.md")]
    updates = list(tab.ingest_uploads(kb, paths, tags="policy, 退款", domain="shop", poll_s=0.01))
    final = {row[0]: row for row in updates[-1]}
    assert final["refunds.md"][1:4] == ["indexed", "100%", 2]
    assert final["hours.md"][1] == "indexed"
    assert final["broken.pdf"][1] == "error" and "damaged" in final["broken.pdf"][4]
    assert final["virus.exe"][1] == "error" and "not supported" in final["virus.exe"][4]
    assert updates[0][0][1] in ("queued", "indexing")  # first update arrives before the batch is done
    again = list(tab.ingest_uploads(kb, [str(files / "refunds.md")], poll_s=0.01))[-1]
    assert again[0][1] == "skipped"
    with pytest.raises(ValueError, match="Choose one or more files"):
        list(tab.ingest_uploads(kb, []))


def test_document_list_chunks_preview_reindex_and_delete(kb, files):
    rows = {r[0]: r for r in tab.document_rows(kb)}
    assert set(tab.DOC_HEADERS) and rows["refunds.md"][2:6] == ["md", f"{len(REFUNDS)} B", 2, "en"]
    assert rows["refunds.md"][7] == "policy, 退款"
    chunks = tab.chunk_rows(kb, "refunds.md")
    assert [c[1] for c in chunks] == ["Refunds", "Refunds > Gift cards"]
    preview = tab.preview_rows(kb, [str(files / "hours.md"), str(files / "virus.exe")])
    assert preview[0][5].startswith("Human agents work") and preview[1][2] == "error"
    assert "Re-indexed into 1 chunks" in tab.reindex_document(kb, "hours.md")
    assert tab.delete_document(kb, "hours.md") == "Deleted hours.md."
    with pytest.raises(ValueError, match="no document"):
        tab.delete_document(kb, "hours.md")
    with pytest.raises(ValueError, match="Choose a document"):
        tab.reindex_document(kb, "")
    assert "hours.md" not in tab.document_choices(kb)


def test_hit_testing_shows_three_scores_and_the_verdict(kb):
    verdict, rows = tab.hit_test(kb, "how long for a refund to my credit card", k=3)
    assert "≥ threshold" in verdict
    rank, fused, dense, keyword, bm25, document, heading, text = rows[0]
    assert (rank, document) == (1, "refunds.md") and "5 to 7 business days" in text
    assert 0 <= dense <= 1 and 0 <= keyword <= 1 and fused >= kb.min_score and bm25 > 0
    verdict, _ = tab.hit_test(kb, "which telescope should I buy for astronomy", k=3)
    assert "nothing relevant found" in verdict
    _, rows = tab.hit_test(kb, "refund", k=3, doc_ids=["no-such-doc"])
    assert rows == []
    with pytest.raises(ValueError, match="Type a question"):
        tab.hit_test(kb, "  ")


def test_api_handlers_return_json(kb):
    result = tab.search_api(kb, "gift card refund", 2)
    assert result["hits"][0]["doc_id"] == "refunds.md" and result["nothing_found"] is False
    assert set(result["hits"][0]) >= {"chunk_id", "doc_id", "title", "text", "score", "dense_score", "keyword_score"}
    docs = tab.documents_api(kb)
    assert {"doc_id", "type", "size", "chunks", "language", "indexed_at", "content_hash"} <= set(docs[0])
    with pytest.raises(ValueError, match="k must be"):
        tab.search_api(kb, "refund", 0)


def test_endpoints_through_a_running_gradio_app(kb, files, tmp_path):
    import gradio as gr
    from gradio_client import Client, handle_file

    services = SimpleNamespace(knowledge=kb, accounts=DemoAccounts())
    with gr.Blocks() as demo:
        with gr.Tab("Knowledge base"):
            tab.build_knowledge_tab(services)
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=None, quiet=True)
    try:
        client = Client(url, verbose=False)
        api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert {"/kb_ingest", "/kb_documents", "/kb_delete", "/kb_search"} <= set(api)
        upload = tmp_path / "shipping.md"
        upload.write_text("# Shipping\n\nParcels leave the warehouse within two days.\n")
        ingested = client.predict([handle_file(str(upload))], api_name="/kb_ingest")
        assert ingested["files"][0]["status"] == "indexed" and ingested["errors"] == 0
        found = client.predict("when do parcels leave the warehouse", 2, api_name="/kb_search")
        assert found["hits"][0]["doc_id"] == "shipping.md"
        assert "shipping.md" in {d["doc_id"] for d in client.predict(api_name="/kb_documents")}
        assert client.predict("shipping.md", api_name="/kb_delete") == {"doc_id": "shipping.md", "deleted": True}
        assert "shipping.md" not in {d["doc_id"] for d in client.predict(api_name="/kb_documents")}
    finally:
        demo.close()
