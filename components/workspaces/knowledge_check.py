"""`python app.py check-kb [--workspace ID] [--repair]`: SQLite, the keyword index and Chroma agree, for every served
workspace's own knowledge base (or the one named). Each workspace's report is the knowledge base's own
(components/knowledge/knowledge_base.py check_consistency); the top level adds them up, so `ok` is true only when
every workspace is consistent."""
from __future__ import annotations

import dataclasses
import logging

from components.workspaces.registry import WorkspaceRegistry

log = logging.getLogger(__name__)

_COUNTS = ("documents", "chunks", "vectors", "keyword_index_chunks", "pending_ingestions", "orphan_vectors",
           "missing_vectors")


def run_kb_check(settings, *, workspace: str | None = None, repair: bool = False) -> dict:
    from components.embedder import SentenceEmbedder
    from components.workspaces.services import build_knowledge

    if workspace:  # any workspace on disk, served or not (a team checks one before serving it)
        registry = WorkspaceRegistry.from_settings(dataclasses.replace(settings, workspaces="all"))
        ids = [registry.get(workspace).id]
    else:
        registry = WorkspaceRegistry.from_settings(settings)
        ids = registry.ids()
    embedder = SentenceEmbedder.from_settings(settings)
    shared, database = _shared_registry(settings)
    reports: dict[str, dict] = {}
    try:
        for workspace_id in ids:
            kb, _ = build_knowledge(settings, registry.get(workspace_id), embedder, shared)
            try:
                reports[workspace_id] = kb.check_consistency(repair=repair)
            finally:
                kb.close()
            log.info("check-kb %s: %s", workspace_id, "ok" if reports[workspace_id]["ok"] else "NOT consistent")
    finally:
        if database is not None:
            database.close()
    total: dict = {key: sum(r[key] for r in reports.values()) for key in _COUNTS}
    total["chunk_count_mismatch"] = [f"{ws}:{doc}" for ws, r in reports.items() for doc in r["chunk_count_mismatch"]]
    total["repaired"] = any(r["repaired"] for r in reports.values())
    total["ok"] = all(r["ok"] for r in reports.values())
    if total["repaired"]:
        total["ok_after_repair"] = all(r.get("ok_after_repair", r["ok"]) for r in reports.values())
    return {**total, "workspaces": reports}


def _shared_registry(settings):
    """(the shared database's document registry, its database) with replicas on PostgreSQL; (None, None) on SQLite,
    where each knowledge base opens its own file, as the app does (components/services.py)."""
    from components.storage.database import POSTGRESQL, open_database

    database = open_database(settings.database)
    if database.dialect != POSTGRESQL:
        database.close()
        return None, None
    from components.knowledge.registry import Registry

    return Registry(database), database
