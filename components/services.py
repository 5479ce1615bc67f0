"""Build every shared object once (engine, stores, NLU, order desk, dialogue manager) and warm them up.

Construction is cheap; `Services.warm_up()` does the heavy part (load the model, train or load the intent
classifiers, index the knowledge base on first start) and reports progress in `Services.startup`, which the UI
shows while it runs. Everything is shared by every session; nothing here imports gradio.
"""
from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from components.settings import Settings
from components.storage.conversation_store import ConversationStore

log = logging.getLogger(__name__)


@dataclass
class StartupStatus:
    stage: str = "not started"
    fraction: float = 0.0
    ready: bool = False
    error: str | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    steps: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    notes: list[str] = field(default_factory=list)  # shown on the status line (e.g. models from the Hub)
    _event: threading.Event = field(default_factory=threading.Event, repr=False)

    def update(self, stage: str, fraction: float) -> None:
        self.stage, self.fraction = stage, max(0.0, min(1.0, fraction))
        log.info("startup: %s (%.0f%%)", stage, self.fraction * 100)

    def finish(self, error: str | None = None) -> None:
        self.error = error
        self.ready = error is None
        self.fraction = 1.0
        self.stage = "ready" if error is None else f"failed: {error}"
        self.finished_at = time.time()
        self._event.set()

    def wait(self, timeout: float | None = None) -> bool:
        self._event.wait(timeout)
        return self.ready

    def to_dict(self) -> dict:
        return {"stage": self.stage, "fraction": round(self.fraction, 3), "ready": self.ready, "error": self.error,
                "seconds": round((self.finished_at or time.time()) - self.started_at, 2), "steps": self.steps,
                "notes": list(self.notes)}


RETENTION_STAGE = "applying the retention policy"
EMBEDDER_STAGE = "loading the sentence embedder"


class _StageProgress:
    """The start-up status while stages run in parallel lanes: the stage line names every running stage, the
    fraction is the mean of the stages' own fractions, `steps` gets each stage's seconds when it ends."""

    def __init__(self, status: StartupStatus, stages: list[str]):
        self.status = status
        self._done = dict.fromkeys(stages, 0.0)
        self._running: dict[str, str] = {}  # stage -> its latest message
        self._lock = threading.Lock()

    def _show(self) -> None:
        line = "; ".join(f"{stage}: {msg}" if msg else stage for stage, msg in self._running.items())
        self.status.update(line or self.status.stage, sum(self._done.values()) / len(self._done))

    def begin(self, stage: str) -> None:
        with self._lock:
            self._running[stage] = ""
            self._show()

    def advance(self, stage: str, fraction: float, msg: str = "") -> None:
        with self._lock:
            self._done[stage] = max(0.0, min(1.0, fraction))
            self._running[stage] = msg
            self._show()

    def end(self, stage: str, seconds: float) -> None:
        with self._lock:
            self._done[stage] = 1.0
            self._running.pop(stage, None)
            self.status.steps[stage] = seconds
            self._show()


@dataclass
class Services:
    settings: Settings
    store: ConversationStore
    embedder: Any
    engine: Any
    knowledge: Any
    nlu: Any
    shop: Any
    desk: Any
    dialogue: Any
    accounts: Any
    operators: Any
    vault: Any = None
    rate_limiter: Any = None
    voice: Any = None  # components.speech.VoiceTurns, or None when KEFU_SPEECH_ENABLED is off
    workspaces: Any = None  # components.workspaces.services.WorkspaceHub: every served workspace's own parts
    startup: StartupStatus = field(default_factory=StartupStatus)

    def warm_up(self) -> StartupStatus:
        """Heavy start-up work; safe to call once from a background thread.

        Two lanes run side by side on the two cores (`KEFU_STARTUP_OVERLAP`, on by default): the language model (on
        a cold cache the GGUF conversion and the C kernels' build) in one, the intent classifiers and then the first
        workspace's documents (both read the sentence embedder, loaded before the lanes start) in the other.
        Retention runs once both are done."""
        status = self.startup
        lanes = [[("loading the language model", self._start_engine)],
                 [("loading the intent classifiers", self._start_nlu),
                  ("indexing the knowledge base", self._seed_knowledge)]]
        if not self.settings.startup_overlap:
            lanes = [[stage for lane in lanes for stage in lane]]
        first = [EMBEDDER_STAGE] if len(lanes) > 1 else []
        progress = _StageProgress(status, first + [stage for lane in lanes for stage, _ in lane] + [RETENTION_STAGE])
        try:
            if len(lanes) == 1:
                self._run_lane(lanes[0], progress)
            else:
                self._run_lane([(EMBEDDER_STAGE, self._load_embedder)], progress)
                with concurrent.futures.ThreadPoolExecutor(len(lanes), thread_name_prefix="kefu-startup") as pool:
                    running = [pool.submit(self._run_lane, lane, progress) for lane in lanes]
                    for future in running:  # the first lane's error is reported; the other lane still finishes
                        future.result()
            self._run_lane([(RETENTION_STAGE, self._apply_retention)], progress)
            status.finish()
        except Exception as exc:  # the UI shows it; the log has the traceback
            log.exception("start-up failed")
            status.finish(error=str(exc))
        return status

    @staticmethod
    def _run_lane(lane, progress: "_StageProgress") -> None:
        for stage, fn in lane:
            progress.begin(stage)
            t = time.perf_counter()
            fn(lambda f, msg="", stage=stage: progress.advance(stage, f, msg))
            progress.end(stage, round(time.perf_counter() - t, 2))

    def warm_up_in_background(self) -> threading.Thread:
        def run() -> None:
            self.warm_up()
            if self.startup.ready:
                # the first business's answers first: its first questions arrive now, the other businesses later
                self._warm_answers()
            if self.voice is not None and self.voice.preload:  # voice input loads once typed chat is ready
                self.voice.recognizer.start_in_background()
            if self.workspaces is not None and self.settings.workspaces_preload and self.startup.ready:
                self.workspaces.prepare_others()  # the other businesses, so a first switch does not wait

        thread = threading.Thread(target=run, name="kefu-warmup", daemon=True)
        thread.start()
        return thread

    def _warm_answers(self) -> None:
        """What the first question would otherwise wait for: the spelling vocabulary of the knowledge base (1-3 s),
        the Chinese-English dictionary (1-4 s, 40 MB resident; for a Chinese question over English documents) when
        the knowledge base has Chinese and English documents both (else the first Chinese question reads it), and,
        with Chinese documents, jieba's part-of-speech tagger (its import and model, ~1.5 s; the answerability checks
        read a Chinese question's nouns and place names with it)."""
        from components.answers.cross_language import bridges, dictionary

        manager = self.dialogue.manager() if hasattr(self.dialogue, "manager") else self.dialogue  # the first business
        answers = getattr(manager, "answers", None)
        knowledge = getattr(answers, "knowledge", None)
        speller = getattr(answers, "speller", None)
        if speller is not None:
            speller.vocabulary()
        if bridges(knowledge):
            dictionary()
        if _has_chinese(knowledge):
            from components.answers.answerability import chinese_nouns

            chinese_nouns("退款需要多长时间")

    def _load_embedder(self, progress) -> None:
        """Before the two lanes: transformers' from_pretrained is not safe in two threads at once (its lazy module's
        first import fails with "cannot import name 'AutoConfig'", and its loading state is process-wide: a model
        loaded beside another can keep weights on the meta device), so the embedder the classifiers and the
        knowledge base read is loaded here, and the model lane is the only one that loads weights."""
        import transformers

        for name in ("AutoConfig", "AutoModel", "AutoModelForCausalLM", "AutoTokenizer"):
            getattr(transformers, name)
        if self.embedder is not None:
            self.embedder.dimension  # noqa: B018 - loads the model

    def _start_engine(self, progress) -> None:
        if self.engine is not None:
            self.engine.start()

    def _start_nlu(self, progress) -> None:
        if self.nlu is not None:
            self.nlu.start()

    def _seed_knowledge(self, progress) -> None:
        """The first workspace's knowledge base (the others are indexed on their first use)."""
        if self.workspaces is not None:
            self.workspaces.default.ensure_knowledge(progress=progress)
        elif self.knowledge is not None:
            self.knowledge.ensure_seeded(self.settings.kb_docs_dir, progress=progress)

    def _apply_retention(self, progress) -> None:
        if self.settings.retention_days > 0:
            from components.privacy.data_rights import apply_retention

            result = apply_retention(self.store, self.vault, days=self.settings.retention_days,
                                     audio_dir=self.settings.speech_audio_dir)
            log.info("retention: %s", result)

    def close(self) -> None:
        if self.workspaces is not None:
            self.workspaces.close()
        for part in (self.engine, self.accounts, self.vault):
            if part is not None and hasattr(part, "close"):
                try:
                    part.close()
                except Exception:  # closing is best effort
                    log.exception("closing %s failed", type(part).__name__)
        self.store.close()
        self.store.db.close()  # shared by the store, the accounts and the rate-limit buckets


def _has_chinese(knowledge) -> bool:
    """Whether a knowledge base lists a document in Chinese (one whose documents are not listed counts as none)."""
    try:
        return any(d.get("language") == "zh" for d in knowledge.documents())
    except AttributeError:
        return False


def build_services(settings: Settings) -> Services:
    """Construct everything (cheap). Call `warm_up()` (or `warm_up_in_background()`) before answering."""
    from components.console.agent_accounts import AgentAccounts
    from components.console.operator_desk import OperatorDesk
    from components.embedder import SentenceEmbedder
    from components.engine import build_engine
    from components.knowledge.registry import Registry
    from components.nlu import NLU
    from components.privacy.pii_redactor import PiiRedactor
    from components.privacy.rate_limiter import RateLimiter
    from components.privacy.redaction_vault import RedactionVault

    from components.storage.database import POSTGRESQL, describe_url, open_database
    from components.storage.rate_limit_buckets import DatabaseBuckets
    from components.workspaces.dialogue_router import WorkspaceDialogue
    from components.workspaces.registry import WorkspaceRegistry
    from components.workspaces.services import SharedParts, WorkspaceHub

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = open_database(settings.database)
    log.info("database: %s", describe_url(database.url))
    store = ConversationStore(database)
    shared = database.dialect == POSTGRESQL  # replicas share this database: another one may be answering now
    interrupted = store.recover_interrupted(older_than_s=2 * settings.request_deadline_s if shared else 0.0)
    if interrupted:
        log.warning("%d answer(s) were cut off by the last shutdown; marked interrupted", interrupted)
    embedder = SentenceEmbedder.from_settings(settings)
    engine = build_engine(settings)
    # replicas (PostgreSQL) keep the document registry and keyword tokens in the shared database too
    registry = Registry(database) if shared else None
    nlu = NLU(settings, embedder)
    vault = RedactionVault.from_settings(settings, database)  # PostgreSQL: shared by every replica
    # each workspace's knowledge base, desk and dialogue manager; the first is built now, the others on first use
    hub = WorkspaceHub(settings, WorkspaceRegistry.from_settings(settings),
                       SharedParts(store, embedder, engine, nlu, vault, knowledge_registry=registry))
    first = hub.get(None, seed=False)
    knowledge, desk = first.knowledge, first.desk
    shop = getattr(desk, "shop", None)
    dialogue = WorkspaceDialogue(hub)
    redactor = PiiRedactor(vault, keep=settings.public_contacts) if settings.redact_pii else None
    accounts = AgentAccounts(database)
    operators = OperatorDesk(store, dialogue, knowledge=knowledge, engine=engine, settings=settings,
                             redactor=redactor)
    operators.workspaces = hub
    rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst,
                               buckets=DatabaseBuckets(database) if shared else None)
    voice = None
    if settings.speech_enabled:
        from components.speech import VoiceTurns

        voice = VoiceTurns.from_settings(settings, dialogue)
    return Services(settings, store, embedder, engine, knowledge, nlu, shop, desk, dialogue, accounts, operators,
                    vault, rate_limiter, voice, hub)
