"""The Knowledge base tab: upload (several files, progress per file), the document list with delete / re-index /
chunk preview, a hit-testing panel (dense, keyword and fused scores), and the kb_* API endpoints.

Handlers are plain functions of the KnowledgeBase and plain arguments, so tests call them directly; the tab only
lays out components and wires events. Writes (upload, delete, re-index) and the document list need an agent in
protected mode (components.ui.access.agent_only); hit testing too, since it shows every document's text.
"""
from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Iterator

import gradio as gr
import pandas as pd

import html

from components.ui.access import agent_only, current_agent
from components.ui import workspace_switcher as switcher
from components.ui.i18n import request_language, say, t

log = logging.getLogger(__name__)

DOC_HEADERS = ["doc_id", "title", "type", "size", "chunks", "language", "indexed", "tags"]
UPLOAD_HEADERS = ["file", "status", "progress", "chunks", "message"]
CHUNK_HEADERS = ["#", "heading path", "kind", "language", "chars", "text"]
HIT_HEADERS = ["rank", "fused score", "dense", "keyword", "bm25", "document", "heading path", "text"]
FILE_TYPES = [".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt", ".csv", ".xlsx", ".json", ".jsonl"]


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else ""


def _paths(files) -> list[str]:
    """gr.File(file_count="multiple") gives file paths (or objects with .name / dicts with "path")."""
    out = []
    for f in files or []:
        if isinstance(f, (str, Path)):
            out.append(str(f))
        elif isinstance(f, dict) and f.get("path"):
            out.append(str(f["path"]))
        elif getattr(f, "name", None):
            out.append(str(f.name))
    return out


def _tags(text: str) -> list[str]:
    return [t.strip() for t in (text or "").replace("，", ",").split(",") if t.strip()]


# ============================================================================================== documents
def document_rows(kb) -> list[list]:
    return [[d["doc_id"], d["title"], d["type"], _size(d["size"]), d["chunks"], d["language"], _when(d["indexed_at"]),
             ", ".join(d["tags"])] for d in kb.documents()]


def document_choices(kb) -> list[str]:
    return [d["doc_id"] for d in kb.documents()]


def documents_api(kb) -> list[dict]:
    return [{k: d[k] for k in ("doc_id", "title", "filename", "type", "size", "chunks", "language", "indexed_at",
                               "content_hash", "tags", "domain")} for d in kb.documents()]


def delete_document(kb, doc_id: str) -> str:
    doc_id = (doc_id or "").strip()
    if not doc_id:
        raise ValueError("Choose a document to delete first.")
    if not kb.delete(doc_id):
        raise ValueError(f"There is no document {doc_id!r}; refresh the list.")
    return f"Deleted {doc_id}."


def reindex_document(kb, doc_id: str) -> str:
    doc_id = (doc_id or "").strip()
    if not doc_id:
        raise ValueError("Choose a document to re-index first.")
    result = kb.reindex(doc_id)
    if result.status == "error":
        raise ValueError(result.message)
    return f"{doc_id}: {result.message}"


def chunk_rows(kb, doc_id: str) -> list[list]:
    doc_id = (doc_id or "").strip()
    if not doc_id:
        return []
    return [[c["ordinal"], " > ".join(c["heading_path"]), c["kind"], c["language"], len(c["text"]), c["text"]]
            for c in kb.chunks(doc_id)]


def preview_rows(kb, files) -> list[list]:
    """Chunks of not-yet-indexed files, without committing anything."""
    rows = []
    for path in _paths(files):
        name = Path(path).name
        try:
            for c in kb.preview_file(path):
                rows.append([f"{name} #{c['ordinal']}", " > ".join(c["heading_path"]), c["kind"], c["language"],
                             c["chars"], c["text"]])
        except ValueError as exc:
            rows.append([name, "", "error", "", 0, str(exc)])
    return rows


# ================================================================================================= upload
def ingest_uploads(kb, files, tags: str = "", domain: str = "", poll_s: float = 0.3) -> Iterator[list[list]]:
    """Index the uploaded files one by one, yielding the per-file table (status, progress, chunks, message) as it
    changes. A bad file gets its own error row; the others go on."""
    paths = _paths(files)
    if not paths:
        raise ValueError("Choose one or more files to upload first.")
    rows = [[Path(p).name, "queued", "0%", 0, ""] for p in paths]
    lock = threading.Lock()
    done = threading.Event()

    def work() -> None:
        try:
            for i, path in enumerate(paths):
                def progress(fraction: float, message: str, i=i) -> None:
                    with lock:
                        rows[i][1], rows[i][2], rows[i][4] = "indexing", f"{int(fraction * 100)}%", message
                with lock:
                    rows[i][1] = "indexing"
                try:
                    result = kb.ingest_file(path, tags=_tags(tags), domain=(domain or "").strip() or None,
                                            progress=progress)
                except Exception as exc:  # noqa: BLE001 - one file never stops the batch
                    log.exception("upload of %s failed", path)
                    with lock:
                        rows[i][1:] = ["error", "100%", 0, f"{Path(path).name} could not be indexed: {exc}"]
                    continue
                with lock:
                    rows[i][1:] = [result.status, "100%", result.chunks, result.message]
        finally:
            done.set()

    thread = threading.Thread(target=work, name="kb-upload", daemon=True)
    thread.start()
    last = None
    while not done.wait(poll_s):
        with lock:
            snapshot = [list(r) for r in rows]
        if snapshot != last:
            last = snapshot
            yield snapshot
    thread.join()
    yield [list(r) for r in rows]


def ingest_api(kb, files) -> dict:
    results = kb.ingest_files(_paths(files))
    return {"files": [r.to_dict() for r in results],
            "indexed": sum(r.status in ("indexed", "replaced") for r in results),
            "errors": sum(r.status == "error" for r in results)}


# ============================================================================================= hit testing
def hit_test(kb, query: str, k: int = 5, doc_ids=None, tags: str = "") -> tuple[str, list[list]]:
    """(verdict markdown, one row per hit with fused/dense/keyword/bm25 scores)."""
    query = (query or "").strip()
    if not query:
        raise ValueError("Type a question to test retrieval.")
    filters = {}
    if doc_ids:
        filters["doc_id"] = list(doc_ids)
    if _tags(tags):
        filters["tags"] = _tags(tags)
    started = time.perf_counter()
    curated = kb.curated_answer(query)
    hits = kb.search(query, k=int(k), filters=filters or None)
    ms = (time.perf_counter() - started) * 1000
    lines = []
    if curated is not None:
        lines.append(f"**Curated answer** (score {curated.score:.2f} ≥ {kb.curated_threshold:.2f}) from "
                     f"`{curated.doc_id}`: answered verbatim, no generation.\n\n> Q: {curated.question}\n>\n"
                     f"> A: {curated.answer}")
    best = max((h.score for h in hits), default=0.0)
    if best >= kb.min_score:
        lines.append(f"Best fused score **{best:.2f}** ≥ threshold {kb.min_score:.2f}: the answer is grounded in "
                     f"these chunks. ({len(hits)} hits, {ms:.0f} ms)")
    else:
        lines.append(f"Best fused score **{best:.2f}** < threshold {kb.min_score:.2f}: **nothing relevant found** — "
                     f"the assistant will ask to clarify or hand over. ({ms:.0f} ms)")
    rows = [[i, h.score, h.dense_score, h.keyword_score, h.metadata.get("bm25"), h.metadata.get("filename") or h.doc_id,
             " > ".join(h.metadata.get("heading_path") or []), h.text] for i, h in enumerate(hits, start=1)]
    return "\n\n".join(lines), rows


def search_api(kb, query: str, k: int = 4) -> dict:
    query = (query or "").strip()
    if not query:
        raise ValueError("query is empty")
    k = int(k)
    if not 1 <= k <= 50:
        raise ValueError("k must be between 1 and 50")
    hits = kb.search(query, k=k)
    curated = kb.curated_answer(query)
    best = max((h.score for h in hits), default=0.0)
    return {"query": query, "min_score": kb.min_score, "nothing_found": best < kb.min_score,
            "curated": curated.to_dict() if curated else None, "hits": [h.to_dict() for h in hits]}


# ====================================================================================================== UI
def _gr_errors(fn):
    """Turn ValueError into gr.Error so the person sees the message instead of 'Error'."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except ValueError as exc:
                raise gr.Error(str(exc)) from exc
        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
    return wrapper


def table(rows: list[list], headers: list[str], language: str = "en") -> pd.DataFrame:
    """Rows under headers in the session's language (a Dataframe's headers cannot be translated by Gradio)."""
    return pd.DataFrame(rows, columns=[say("h_" + h, language) for h in headers])


def consistency_text(report: dict, language: str = "en") -> str:
    """The consistency check as a sentence: agree, or what disagrees (and whether repair fixed it)."""
    zh = language == "zh"
    counts = (f"{report['documents']} 个文档 · {report['chunks']} 个片段 · {report['vectors']} 个向量" if zh else
              f"{report['documents']} documents · {report['chunks']} chunks · {report['vectors']} vectors")
    if report.get("ok"):
        return f"✅ {say('kb_consistent', language)} ({counts})"
    problems = []
    for key, en, zh_text in (("pending_ingestions", "{n} interrupted ingestion(s)", "{n} 次中断的导入"),
                             ("orphan_vectors", "{n} vector(s) without a chunk", "{n} 个向量没有对应片段"),
                             ("missing_vectors", "{n} chunk(s) without a vector", "{n} 个片段缺少向量")):
        if report.get(key):
            problems.append((zh_text if zh else en).format(n=report[key]))
    if report.get("chunk_count_mismatch"):
        problems.append(("片段数不符：" if zh else "chunk counts differ for ") +
                        ", ".join(report["chunk_count_mismatch"][:5]))
    text = f"⚠️ {say('kb_inconsistent', language, detail='; '.join(problems))} ({counts})"
    if report.get("repaired"):
        text += " " + (("已修复。" if zh else "Repaired.") if report.get("ok_after_repair") else
                       ("修复后仍不一致。" if zh else "Still inconsistent after the repair."))
    else:
        text += " " + ("点击“检查并修复”。" if zh else "Press “Check and repair”.")
    return text


def build_knowledge_tab(services) -> None:
    """Lay out the tab inside the caller's open gr.Tab and wire its events and API endpoints. Every handler works
    on the knowledge base of the workspace picked at the top (components/workspaces/; one workspace never sees
    another's documents)."""
    def kb_of(workspace: str = ""):
        hub = getattr(services, "workspaces", None)
        if hub is None:
            return services.knowledge
        try:
            return hub.get((workspace or "").strip() or None).knowledge
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc

    lang = gr.State("en")  # the browser's language (set when the page opens): table headers follow it
    gr.Markdown(t("kb_intro"))
    workspace = switcher.build_dropdown(services, elem_id="kefu-kb-workspace", agents=True)
    with gr.Row():
        with gr.Column(scale=2):
            files = gr.File(label=t("kb_files"), file_count="multiple", file_types=FILE_TYPES, type="filepath")
            with gr.Row():
                tags = gr.Textbox(label=t("kb_tags"), placeholder=t("kb_tags_example"))
                domain = gr.Textbox(label=t("domain"), placeholder=t("kb_domain_example"))
            with gr.Row():
                upload_btn = gr.Button(t("kb_upload"), variant="primary", elem_id="kefu-kb-upload")
                preview_btn = gr.Button(t("kb_preview"))
            api_ingest_btn = gr.Button(visible=False)
            api_ingest_out = gr.JSON(visible=False)
        with gr.Column(scale=3):
            upload_table = gr.Dataframe(headers=UPLOAD_HEADERS, label=t("kb_upload_results"),
                                        interactive=False,
                                        wrap=True)
    with gr.Accordion(t("kb_documents"), open=True):
        with gr.Row():
            refresh_btn = gr.Button(t("refresh"), size="sm")
            check_btn = gr.Button(t("kb_check"), size="sm", elem_id="kefu-kb-check")
            repair_btn = gr.Button(t("kb_repair"), size="sm")
        doc_table = gr.Dataframe(headers=DOC_HEADERS, label=t("kb_indexed"),
                                 interactive=False, wrap=True)
        with gr.Row():
            doc_pick = gr.Dropdown(label=t("kb_document"), choices=[], allow_custom_value=True, scale=3,
                                   elem_id="kefu-kb-pick")
            chunks_btn = gr.Button(t("kb_show_chunks"), scale=1)
            reindex_btn = gr.Button(t("kb_reindex"), scale=1)
            delete_btn = gr.Button(t("kb_delete"), variant="stop", scale=1, elem_id="kefu-kb-delete")
        with gr.Row(visible=False, elem_id="kefu-kb-confirm") as confirm_row:
            confirm_text = gr.Markdown()
            confirm_btn = gr.Button(t("kb_delete_confirm"), variant="stop", scale=0, elem_id="kefu-kb-delete-yes")
            cancel_btn = gr.Button(t("cancel"), scale=0, elem_id="kefu-kb-delete-no")
        action_msg = gr.Markdown(elem_id="kefu-kb-action")
        consistency = gr.Markdown(elem_id="kefu-kb-consistency")
    chunk_table = gr.Dataframe(headers=CHUNK_HEADERS, label=t("kb_chunks"), interactive=False,
                               wrap=True)
    with gr.Accordion(t("kb_hit_testing"), open=True):
        with gr.Row():
            query = gr.Textbox(label=t("kb_test_question"), placeholder=t("example_1"), scale=4)
            k = gr.Slider(1, 20, value=5, step=1, label=t("kb_top_k"), scale=1)
        with gr.Row():
            filter_docs = gr.Dropdown(label=t("kb_only_docs"), choices=[], multiselect=True, scale=3)
            filter_tags = gr.Textbox(label=t("kb_only_tags"), scale=2)
            search_btn = gr.Button(t("kb_search"), variant="primary", scale=1)
        verdict = gr.Markdown()
        hit_table = gr.Dataframe(headers=HIT_HEADERS, label=t("kb_hits"), interactive=False,
                                 wrap=True)

    def refresh(lang="en", workspace=""):
        kb = kb_of(workspace)
        choices = document_choices(kb)
        return (table(document_rows(kb), DOC_HEADERS, lang), gr.Dropdown(choices=choices),
                gr.Dropdown(choices=choices))

    def opened(request: gr.Request):
        lang = request_language(request)
        return (lang, *refresh(lang), table([], UPLOAD_HEADERS, lang), table([], CHUNK_HEADERS, lang),
                table([], HIT_HEADERS, lang))

    def upload(files_value, tags_value, domain_value, lang, workspace=""):
        rows = []
        for rows in ingest_uploads(kb_of(workspace), files_value, tags_value, domain_value):
            yield table(rows, UPLOAD_HEADERS, lang), gr.skip(), gr.skip(), gr.skip()
        yield (table(rows, UPLOAD_HEADERS, lang), *refresh(lang, workspace))

    def ask_delete(doc_id, request: gr.Request):
        current_agent(services, request)
        if not (doc_id or "").strip():
            raise gr.Error(say("kb_pick_first", request_language(request)))
        return gr.Row(visible=True), say("kb_confirm_delete", request_language(request),
                                         doc=f"**{html.escape(doc_id.strip())}**")

    def delete(doc_id, lang, request: gr.Request, workspace=""):
        current_agent(services, request, workspace or switcher.default_workspace(services))
        kb = kb_of(workspace)
        try:
            delete_document(kb, doc_id)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        message = say("kb_deleted", lang, doc=doc_id.strip())
        return (gr.Row(visible=False), message, *refresh(lang, workspace), table([], CHUNK_HEADERS, lang),
                consistency_text(kb.check_consistency(), lang))

    def reindex(doc_id, lang, workspace=""):
        kb = kb_of(workspace)
        message = reindex_document(kb, doc_id)
        return (message, *refresh(lang, workspace), table(chunk_rows(kb, doc_id), CHUNK_HEADERS, lang))

    def preview(files_value, lang, workspace=""):
        return table(preview_rows(kb_of(workspace), files_value), CHUNK_HEADERS, lang)

    def show_chunks(doc_id, lang, workspace=""):
        return table(chunk_rows(kb_of(workspace), doc_id), CHUNK_HEADERS, lang)

    def search(query_value, k_value, doc_ids, tags_value, lang, workspace=""):
        verdict_text, rows = hit_test(kb_of(workspace), query_value, k_value, doc_ids, tags_value)
        return verdict_text, table(rows, HIT_HEADERS, lang)

    def check(request: gr.Request, workspace=""):
        current_agent(services, request, workspace or switcher.default_workspace(services))
        return consistency_text(kb_of(workspace).check_consistency(repair=False), request_language(request))

    def repair(request: gr.Request, workspace=""):
        current_agent(services, request, workspace or switcher.default_workspace(services))
        return consistency_text(kb_of(workspace).check_consistency(repair=True), request_language(request))

    refresh_outputs = [doc_table, doc_pick, filter_docs]
    guard = partial(agent_only, services)
    upload_btn.click(guard(_gr_errors(upload)), [files, tags, domain, lang, workspace],
                     [upload_table, *refresh_outputs], api_visibility="private")
    preview_btn.click(guard(_gr_errors(preview)), [files, lang, workspace], [chunk_table], api_visibility="private")
    refresh_btn.click(guard(refresh), [lang, workspace], refresh_outputs, api_visibility="private")
    workspace.input(guard(refresh), [lang, workspace], refresh_outputs, api_visibility="private")
    chunks_btn.click(guard(_gr_errors(show_chunks)), [doc_pick, lang, workspace], [chunk_table],
                     api_visibility="private")
    doc_pick.input(guard(_gr_errors(show_chunks)), [doc_pick, lang, workspace], [chunk_table],
                   api_visibility="private")
    reindex_btn.click(guard(_gr_errors(reindex)), [doc_pick, lang, workspace],
                      [action_msg, *refresh_outputs, chunk_table], api_visibility="private")
    delete_btn.click(ask_delete, [doc_pick], [confirm_row, confirm_text], api_visibility="private")
    cancel_btn.click(lambda: gr.Row(visible=False), None, [confirm_row], api_visibility="private")
    confirm_btn.click(delete, [doc_pick, lang, workspace],
                      [confirm_row, action_msg, *refresh_outputs, chunk_table, consistency], api_visibility="private")
    check_btn.click(check, [workspace], [consistency], api_visibility="private")
    repair_btn.click(repair, [workspace], [consistency], api_visibility="private")
    for trigger in (search_btn.click, query.submit):
        trigger(guard(_gr_errors(search)), [query, k, filter_docs, filter_tags, lang, workspace], [verdict, hit_table],
                api_visibility="private")
    # the document pickers are filled when the page loads (the list changes during start-up seeding)
    root = gr.context.Context.root_block
    if root is not None:
        root.load(opened, None, [lang, *refresh_outputs, upload_table, chunk_table, hit_table],
                  api_visibility="private", show_progress="hidden")

    # ---- API endpoints (gradio_client: client.predict(..., api_name="/kb_search"))
    def kb_ingest(files_value, workspace: str = "") -> dict:
        return ingest_api(kb_of(workspace), files_value)

    api_ingest_btn.click(guard(kb_ingest), [files, workspace], [api_ingest_out], api_name="kb_ingest",
                         api_description="Index uploaded files (handle_file(path) list) into a workspace's knowledge "
                                         "base (empty: the first); returns per-file status, doc_id, chunks and "
                                         "message.")

    def kb_documents(workspace: str = "") -> list[dict]:
        """Every indexed document of a workspace (empty: the first): doc_id, title, filename, type, size, chunks,
        language, indexed_at, tags."""
        return documents_api(kb_of(workspace))

    def kb_delete(doc_id: str, workspace: str = "") -> dict:
        """Delete one document by doc_id (in a workspace; empty: the first)."""
        return {"doc_id": doc_id, "deleted": bool(kb_of(workspace).delete((doc_id or "").strip()))}

    def kb_search(query: str, k: int = 4, workspace: str = "") -> dict:
        """Hybrid search in a workspace's knowledge base (empty: the first): hits with fused score, dense and
        keyword scores; nothing_found when below threshold."""
        return search_api(kb_of(workspace), query, k)

    gr.api(guard(kb_documents), api_name="kb_documents")
    gr.api(guard(kb_delete), api_name="kb_delete")
    gr.api(guard(_gr_errors(kb_search)), api_name="kb_search")
