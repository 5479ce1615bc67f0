"""Each workspace's own parts, built on first use and kept: its knowledge collection (its kb/ indexed the first time
it is needed), its intent domain, its desk (from the `desk:` factory), its redactor (its public contacts kept) and
a DialogueManager with its rules. The heavy shared parts (the engine, the embedder, the NLU's models, the stores)
are built once in components/services.py and shared by every workspace.

    hub = WorkspaceHub(settings, registry, shared)
    hub.get("clinic").dialogue.chat(None, "I have chest pain")    # built (and its kb indexed) on first use
    hub.loaded()                                                    # ["shop", "clinic"]

State: the shop keeps the layout kefu always had (<data_dir>/knowledge.sqlite3 and the Chroma collection
`kefu_chunks`, seeded from KEFU_KB_DOCS_DIR, by default the repository's kb/ that the shop's workspace.yaml names),
so an existing install and every evaluation keep working. Every other workspace has its own document registry —
a file <data_dir>/workspace_state/<id>/knowledge.sqlite3, or with replicas sharing PostgreSQL the same tables in
the schema `kefu_ws_<id>` — and its own Chroma collection `kefu_chunks_<id>`: a search in one workspace cannot
return another's chunks, because they are not in the collection or the registry it reads. (A separate registry
rather than a workspace column: document and chunk ids are paths such as kb/faq.csv that every workspace has, so
the keys would clash, and no query can forget a filter that does not exist.)
"""
from __future__ import annotations

import dataclasses
import importlib
import logging
import re
import threading
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.workspaces.registry import WorkspaceRegistry
from components.workspaces.rules import WorkspaceRules
from components.workspaces.workspace import Workspace, WorkspaceError

log = logging.getLogger(__name__)

LEGACY_WORKSPACE = "shop"  # the workspace whose state lives where kefu kept it before workspaces existed


@dataclass
class SharedParts:
    """What every workspace shares (built once in components/services.py)."""
    store: Any
    embedder: Any
    engine: Any
    nlu: Any
    vault: Any = None
    knowledge_registry: Any = None   # the shared database's registry when replicas share PostgreSQL (the shop's)


class WorkspaceNLU:
    """The shared NLU, reading with one workspace's intent domain."""

    def __init__(self, nlu, domain: str | None):
        self.nlu, self.domain = nlu, domain

    def parse(self, text: str, domain: str | None = None):
        return self.nlu.parse(text, domain=domain or self.domain)

    def __getattr__(self, name: str):
        return getattr(self.nlu, name)


@dataclass
class WorkspaceServices:
    workspace: Workspace
    knowledge: Any
    nlu: Any
    desk: Any
    dialogue: Any
    rules: WorkspaceRules
    kb_dir: Path
    _seeded: bool = False
    _seed_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    @property
    def id(self) -> str:
        return self.workspace.id

    def ensure_knowledge(self, progress=None) -> None:
        """Index the workspace's kb/ the first time it is needed (a no-op once its registry says it is seeded)."""
        if self._seeded or self.knowledge is None:
            return
        with self._seed_lock:
            if not self._seeded:
                started = time.perf_counter()
                self.knowledge.ensure_seeded(self.kb_dir, progress=progress)
                self._seeded = True
                log.info("workspace %s: knowledge ready in %.1f s", self.id, time.perf_counter() - started)


class WorkspaceHub:
    def __init__(self, settings, registry: WorkspaceRegistry, shared: SharedParts):
        self.settings = settings
        self.registry = registry
        self.shared = shared
        self._built: dict[str, WorkspaceServices] = {}
        self._lock = threading.RLock()

    # -- lookup ----------------------------------------------------------------------------------------------
    @property
    def default(self) -> WorkspaceServices:
        return self.get(None)

    def get(self, workspace_id: str | None = None, *, seed: bool = True) -> WorkspaceServices:
        """The workspace's services, built on first call; `seed` also indexes its knowledge base when it was never
        indexed. ValueError for a workspace this app does not serve."""
        workspace = self.registry.get(workspace_id)
        with self._lock:
            services = self._built.get(workspace.id)
            if services is None:
                started = time.perf_counter()
                services = self._build(workspace)
                self._built[workspace.id] = services
                log.info("workspace %s built in %.1f s", workspace.id, time.perf_counter() - started)
        if seed:
            services.ensure_knowledge()
        return services

    def prepare(self, workspace_id: str) -> None:
        """Everything a first question would wait for: build the workspace, index its documents, load (or train and
        cache) its intent model. What start-up does for the other workspaces in the background
        (KEFU_WORKSPACES_PRELOAD)."""
        services = self.get(workspace_id)
        if isinstance(services.nlu, WorkspaceNLU):
            services.nlu.retrain(services.nlu.domain)

    def prepare_others(self) -> None:
        for workspace_id in self.ids()[1:]:
            try:
                started = time.perf_counter()
                self.prepare(workspace_id)
                log.info("workspace %s prepared in the background in %.1f s", workspace_id,
                         time.perf_counter() - started)
            except Exception:  # the workspace still loads on first use, where its error reaches the caller
                log.exception("preparing workspace %s failed", workspace_id)

    def for_conversation(self, conversation_id: str) -> WorkspaceServices:
        owner = self.shared.store.workspace_of(conversation_id)
        if owner is None:
            raise ValueError(f"Unknown conversation id {conversation_id!r}")
        return self.get(owner)

    def loaded(self) -> list[str]:
        return list(self._built)

    def ids(self) -> list[str]:
        return self.registry.ids()

    # -- building --------------------------------------------------------------------------------------------
    def _build(self, workspace: Workspace) -> WorkspaceServices:
        from components.dialogue.dialogue_manager import DialogueManager

        settings, shared = self.settings, self.shared
        knowledge, kb_dir = self._knowledge(workspace)
        nlu = self._nlu(workspace)
        desk = self._desk(workspace)
        rules = WorkspaceRules(workspace)
        redactor = None
        if settings.redact_pii:
            from components.privacy.pii_redactor import PiiRedactor

            keep = list(dict.fromkeys([*settings.public_contacts, *workspace.public_contacts]))
            redactor = PiiRedactor(shared.vault, keep=keep)
            if workspace.safety.sensitive_pii:
                from components.workspaces.sensitive_data import with_sensitive_classes

                redactor = with_sensitive_classes(redactor, workspace.safety.sensitive_pii)
        dialogue = DialogueManager(settings, shared.store, engine=shared.engine, knowledge=knowledge, nlu=nlu,
                                   desk=desk, redactor=redactor, vault=shared.vault, rules=rules)
        return WorkspaceServices(workspace, knowledge, nlu, desk, dialogue, rules, kb_dir)

    def _knowledge(self, workspace: Workspace):
        return build_knowledge(self.settings, workspace, self.shared.embedder, self.shared.knowledge_registry)

    def _nlu(self, workspace: Workspace):
        nlu = self.shared.nlu
        if nlu is None:
            return None
        if workspace.intents:
            nlu.add_pack(workspace.nlu_domain, list(workspace.intents))
            return WorkspaceNLU(nlu, workspace.nlu_domain)
        if workspace.nlu_domain in nlu.domains() and workspace.nlu_domain != nlu.default_domain:
            return WorkspaceNLU(nlu, workspace.nlu_domain)
        return nlu  # the default domain (the shop's ecommerce pack), exactly as before workspaces

    def _desk(self, workspace: Workspace):
        if not workspace.desk:
            return None
        module_name, _, attr = workspace.desk.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise WorkspaceError(f"{workspace.directory / 'workspace.yaml'}: desk: {workspace.desk!r} cannot be "
                                 f"imported ({exc})") from exc
        return factory(workspace.directory, Path(self.settings.data_dir))

    def close(self) -> None:
        for services in self._built.values():
            for part in (services.knowledge, services.desk):
                if part is not None and hasattr(part, "close"):
                    try:
                        part.close()
                    except Exception:  # closing is best effort
                        log.exception("closing %s of workspace %s failed", type(part).__name__, services.id)


def build_knowledge(settings, workspace: Workspace, embedder, shared_registry=None):
    """(knowledge base, documents folder) of a workspace, where its state lives (the module docstring)."""
    from components.knowledge import KnowledgeBase

    if workspace.id == LEGACY_WORKSPACE:
        return KnowledgeBase(settings, embedder, registry=shared_registry), Path(settings.kb_docs_dir)
    from components.knowledge.vector_store import COLLECTION, VectorStore

    state = Path(settings.data_dir) / "workspace_state" / workspace.id
    scoped = dataclasses.replace(settings, data_dir=state, cache_dir_override=settings.cache_dir,
                                 kb_docs_dir=workspace.kb_dir)
    vectors = VectorStore(getattr(settings, "chroma_url", "") or settings.chroma_dir,
                          collection=f"{COLLECTION}_{workspace.id}")
    registry = None
    if shared_registry is not None:  # replicas: the workspace's registry in the shared database
        registry = workspace_registry(shared_registry.db, workspace.id)
    return KnowledgeBase(scoped, embedder, vectors=vectors, registry=registry), workspace.kb_dir


def workspace_schema(workspace_id: str) -> str:
    return "kefu_ws_" + re.sub(r"[^a-z0-9_]", "_", workspace_id.lower())


def workspace_registry(database, workspace_id: str):
    """The document registry of a workspace in a shared PostgreSQL database: the knowledge tables in the schema
    kefu_ws_<id> (connections with that search_path), created on first use."""
    from components.knowledge.registry import Registry

    schema = workspace_schema(workspace_id)
    database.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    parts = urlsplit(database.url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "options"]
    query.append(("options", f"-csearch_path={schema}"))
    return Registry(urlunsplit(parts._replace(query=urlencode(query))))
