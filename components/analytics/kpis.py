"""The numbers a support lead decides from, computed with pandas from the conversation store.

Scope: a conversation is in scope when it *started* inside the time range (UTC, start inclusive, end exclusive),
belongs to the chosen domain, and is not demo data unless demo data is included. Every message of an in-scope
conversation counts, whenever it was written, so a conversation's KPIs never split across two ranges.

Definitions (each KPI is `None` when its denominator is zero, which the UI shows as "—"):

- **engaged conversation**: at least one customer message.
- **handed over**: the conversation went to a person: it has a handoff time or reason, is waiting for or held by a
  human, has an agent message, or was claimed by an agent (audit log). A claim without a recorded handoff reason
  counts under the reason `agent_takeover`.
- **contained** (automated resolution): an engaged conversation that was never handed over, got at least one bot
  *answer* (curated FAQ, knowledge answer or order-desk tool flow; greetings do not count), and whose last bot
  turn did not end in nothing-found (clarify / out of scope) or an error, and none of whose answers got a thumbs-down.
  `containment_rate = contained / engaged`, `handoff_rate = handed over / engaged`.
- **resolved by the bot** (per turn): a bot answer (curated, knowledge or order-desk flow) that was not thumbed down,
  not rejected by the answer verifier (`trace.answer.verdict.ok` false; older traces `trace.grounding.replaced`),
  and not followed by a handoff in its conversation.
  `resolved_by_bot_rate = resolved_by_bot_turns / bot_answers`.
- **CSAT**: mean of the 1–5 conversation ratings; `csat_responses` how many rated.
  **thumbs_up_ratio** = thumbs up / (thumbs up + thumbs down) over bot answers.
- **first response time**: first bot message's `created_at` minus the first customer message's `created_at`
  (a bot message is stored when its answer starts, so this is the time to the first byte of the reply);
  p50 and p95 over engaged conversations that got a bot message.
- **answer latency**: a bot turn's `trace.timings_ms.total_ms` (guard to last token), p50 and p95.
- **generation speed**: median `trace.generation.decode_tok_s` (tokens/s after the first token) and median
  `ttft_s` over generated answers.
- **knowledge questions**: bot turns where the policy looked for an answer in the knowledge base: actions
  curated_answer, knowledge_answer, clarify, decline_out_of_scope, and handoffs for `repeated_failure`.
  `knowledge_hit_rate` = turns answered from the knowledge base (curated or knowledge answer) / knowledge questions.
- **no answer**: a bot turn that found nothing to say (clarify, decline_out_of_scope, a handoff for repeated
  failure) or ended in an error. `no_answer_rate` = no-answer turns / bot turns with a recorded policy decision.
- **emotions**: `emotion_turns` counts the customer turns showing each emotion (anger, frustration, urgency,
  confusion, gratitude); `rising_emotion_conversations` counts, per emotion, the conversations in which it rose
  over the turns (the trend the handoff policy reads).
- Bot messages without a trace (older rows, crashes) count as messages but in no trace-based KPI;
  `untraced_bot_turns` says how many.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd

from components.analytics.fast_json import parse_json
from components.storage.conversation_store import ConversationStore

log = logging.getLogger(__name__)

ANSWER_ACTIONS = ("curated_answer", "knowledge_answer", "tool_flow")
KNOWLEDGE_ANSWER_ACTIONS = ("curated_answer", "knowledge_answer")
NOTHING_FOUND_ACTIONS = ("clarify", "decline_out_of_scope")
MISSING_KNOWLEDGE_HANDOFF = "repeated_failure"
ALL_DOMAINS = "all"

# what is read from each message's JSON trace (column -> JSON path)
TRACE_FIELDS = {
    "intent": "$.nlu.intent",
    "intent_confidence": "$.nlu.confidence",
    "sentiment": "$.nlu.sentiment",
    "emotions": "$.nlu.emotions",  # the customer turn's emotions (components/nlu/emotions.py)
    "rising_emotions": "$.emotion_trend.rising",  # emotions rising over the conversation up to that turn
    "language": "$.nlu.language",
    "action": "$.policy.action",
    "policy_handoff_reason": "$.policy.handoff_reason",
    "nothing_found": "$.retrieval.nothing_found",
    "best_score": "$.retrieval.best_score",
    "min_score": "$.retrieval.min_score",
    "generation_mode": "$.generation.mode",
    "ttft_s": "$.generation.ttft_s",
    "tokens": "$.generation.tokens",
    "decode_tok_s": "$.generation.decode_tok_s",
    "total_ms": "$.timings_ms.total_ms",
    "answer_rejected": "$.grounding.replaced",  # older traces: the grounding check replaced the answer
    "verdict_ok": "$.answer.verdict.ok",  # the answer verifier's verdict (components/answers/answer_verifier.py)
    "sources_json": "$.sources",  # cached as a tuple of (doc_id, title)
}


# ------------------------------------------------------------------------------------------------ filter
@dataclass(frozen=True)
class AnalyticsFilter:
    """Which conversations count: started in [start, end) (unix seconds, None = open), domain, demo or not, and
    the workspace (components/workspaces/; None = every workspace: only the administrator's comparison)."""
    start: float | None = None
    end: float | None = None
    domain: str | None = None
    include_demo: bool = True
    workspace: str | None = None

    def __post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError("The start of the range must be before its end.")

    @classmethod
    def from_inputs(cls, start: str | None = "", end: str | None = "", domain: str | None = None,
                    include_demo: bool = True, workspace: str | None = None) -> "AnalyticsFilter":
        """From ISO dates as typed by a person or an API client: '2026-11-20', '2026-11-20T08:00', '' = open.

        A date-only end includes that whole day (UTC)."""
        return cls(start=parse_when(start, end_of_day=False), end=parse_when(end, end_of_day=True),
                   domain=None if not domain or domain == ALL_DOMAINS else str(domain),
                   include_demo=bool(include_demo), workspace=workspace or None)

    def describe(self) -> dict:
        described = {"start": _iso(self.start), "end": _iso(self.end), "domain": self.domain or ALL_DOMAINS,
                     "include_demo": self.include_demo}
        if self.workspace:
            described["workspace"] = self.workspace
        return described


def parse_when(value: str | None, *, end_of_day: bool) -> float | None:
    text = (str(value) if value is not None else "").strip()
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date: write it like 2026-11-29 or 2026-11-29T08:30 "
                         "(UTC), or leave it empty for all time.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    date_only = len(text) <= 10
    if end_of_day and date_only:
        parsed += dt.timedelta(days=1)
    return parsed.timestamp()


def _iso(ts: float | None) -> str | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------------------------ loading
@dataclass
class AnalyticsFrames:
    """The in-scope conversations (one row each, with derived per-conversation KPIs) and their messages."""
    conversations: pd.DataFrame
    turns: pd.DataFrame
    filter: AnalyticsFilter = field(default_factory=AnalyticsFilter)

    @property
    def empty(self) -> bool:
        return self.conversations.empty

    @property
    def bot_turns(self) -> pd.DataFrame:
        return self.turns[self.turns.role == "bot"]


CONVERSATION_COLUMNS = ("id", "created_at", "status", "handoff_reason", "handoff_at", "csat")


def load_frames(store: ConversationStore, flt: AnalyticsFilter | None = None) -> AnalyticsFrames:
    """Read the scope through the store's read methods and derive per-conversation columns.

    The fields analytics needs from each JSON trace are extracted once per message and cached in memory (keyed by
    message id and completion time, which changes whenever a trace is written), so a refresh only parses the
    traces of new or finished turns."""
    flt = flt or AnalyticsFilter()
    conversations = pd.DataFrame.from_records(store.scope_conversations(flt, CONVERSATION_COLUMNS),
                                              columns=list(CONVERSATION_COLUMNS))
    turns = _trace_cache_for(store).turns(store)
    audit = pd.DataFrame.from_records(store.scope_agent_actions(flt, ("claim", "resolve")),
                                      columns=["conversation_id", "action"])
    if flt.start is not None or flt.end is not None or flt.domain or not flt.include_demo or flt.workspace:
        turns = turns[pd.Index(conversations["id"]).get_indexer(turns["conversation_id"]) >= 0]
    conversations = _derive_conversations(conversations, turns, audit)
    return AnalyticsFrames(conversations, turns.reset_index(drop=True), flt)


STATE_CODES = ("complete", "streaming", "interrupted", "error")


class MessageFactsCache:
    """Per database: what analytics needs from every message, parsed once. Thread-safe.

    A message's conversation, role, creation time and trace never change after its trace is written, so they are
    read once; each refresh re-reads only the columns that do change (completion time, state, rating) as numbers,
    and re-parses a trace only when its message's completion time moved (`finish_message` always sets it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._facts = pd.DataFrame(columns=["conversation_id", "role", "created_at", "trace_key", "has_trace",
                                            *TRACE_FIELDS]).rename_axis("id")

    def turns(self, store: ConversationStore) -> pd.DataFrame:
        rows = store.message_progress(STATE_CODES)
        fresh = np.fromiter(chain.from_iterable(rows), dtype=float, count=4 * len(rows)).reshape(-1, 4)
        ids = pd.Index(fresh[:, 0].astype(np.int64), name="id")
        with self._lock:
            if self._facts.index.equals(ids):
                known = self._facts["trace_key"].to_numpy(dtype=float)
            else:
                known = self._facts["trace_key"].reindex(ids).to_numpy(dtype=float)
            stale = ~(known == fresh[:, 1])
            if stale.any():
                self._refresh(store, ids[stale].tolist())
            if len(self._facts) != len(ids):  # messages of deleted conversations
                self._facts = self._facts[self._facts.index.isin(ids)]
            facts = self._facts
        turns = facts if facts.index.equals(ids) else facts.reindex(ids)
        codes = fresh[:, 2].astype(int)
        state = np.array([*STATE_CODES, "unknown"], dtype=object)[np.where(codes < 0, len(STATE_CODES), codes)]
        turns = turns.assign(completed_at=np.where(fresh[:, 1] < 0, np.nan, fresh[:, 1]), state=state,
                             rating=np.where(fresh[:, 3] == 0, np.nan, fresh[:, 3]))
        return turns.reset_index()

    def _refresh(self, store: ConversationStore, ids: list[int]) -> None:
        rows = store.message_trace_fields(ids, list(TRACE_FIELDS.values()))
        names = list(TRACE_FIELDS)
        empty = [None] * len(names)
        records = []
        for message_id, cid, role, created_at, key, has_trace, values in rows:
            record = dict(zip(names, parse_json(values) if values else empty))
            sources = record["sources_json"]
            record["sources_json"] = tuple((str(s.get("doc_id") or ""), str(s.get("title") or s.get("doc_id") or "?"))
                                           for s in sources if isinstance(s, dict)) \
                if isinstance(sources, list) and sources else None
            for col in ("emotions", "rising_emotions"):
                record[col] = tuple(str(e) for e in record[col]) if isinstance(record[col], list) else ()
            records.append({"id": message_id, "conversation_id": cid, "role": role, "created_at": created_at,
                            "trace_key": float(key), "has_trace": bool(has_trace), **record})
        fresh = _typed(pd.DataFrame.from_records(records, columns=["id", *self._facts.columns]).set_index("id"))
        kept = self._facts[~self._facts.index.isin(fresh.index)]
        self._facts = (fresh if kept.empty else pd.concat([kept, fresh])).sort_index()


def _typed(facts: pd.DataFrame) -> pd.DataFrame:
    for col in ("intent_confidence", "best_score", "min_score", "ttft_s", "tokens", "decode_tok_s", "total_ms",
                "created_at", "trace_key"):
        facts[col] = pd.to_numeric(facts[col], errors="coerce").astype(float)
    for col in ("nothing_found", "answer_rejected"):
        facts[col] = facts[col].map(lambda v: bool(v) if v is not None and v == v else False)
    # rejected by the verifier: a verdict that is present and not ok (absent = no verifier ran)
    facts["answer_rejected"] = facts["answer_rejected"] | facts["verdict_ok"].map(
        lambda v: v is not None and v == v and not bool(v))
    facts["has_trace"] = facts["has_trace"].astype(bool)
    return facts


_caches: dict[str, MessageFactsCache] = {}
_caches_lock = threading.Lock()


def _trace_cache_for(store: ConversationStore) -> MessageFactsCache:
    key = store.identity  # a SQLite file recreated at the same path starts a fresh cache
    with _caches_lock:
        return _caches.setdefault(key, MessageFactsCache())


def _derive_conversations(conversations: pd.DataFrame, turns: pd.DataFrame, audit: pd.DataFrame) -> pd.DataFrame:
    """Per-conversation columns (message counts, first response, answered, handed over, contained, thumbs).

    Works on integer positions (numpy bincount / grouping) rather than grouping by the string ids: at 100k
    messages this is several times faster."""
    conv = conversations.reset_index(drop=True)
    n = len(conv)
    for col in ("created_at", "handoff_at", "csat"):
        conv[col] = pd.to_numeric(conv[col], errors="coerce")
    pos = pd.Index(conv["id"]).get_indexer(turns["conversation_id"])
    inside = pos >= 0
    pos, role = pos[inside], turns["role"].to_numpy(dtype=object)[inside]
    created = turns["created_at"].to_numpy(dtype=float)[inside]
    action = turns["action"].to_numpy(dtype=object)[inside]
    state = turns["state"].to_numpy(dtype=object)[inside]
    reason = turns["policy_handoff_reason"].to_numpy(dtype=object)[inside]
    rating = turns["rating"].to_numpy(dtype=float)[inside]
    rejected = turns["answer_rejected"].fillna(False).to_numpy(dtype=bool)[inside]

    def count(mask) -> np.ndarray:
        return np.bincount(pos[mask], minlength=n).astype(int)

    is_customer, is_bot = role == "customer", role == "bot"
    for name, mask in (("customer", is_customer), ("bot", is_bot), ("agent", role == "agent")):
        conv[f"{name}_messages"] = count(mask)
    conv["messages"] = np.bincount(pos, minlength=n).astype(int)

    first_customer = _first_time(pos[is_customer], created[is_customer], n)
    first_bot = _first_time(pos[is_bot], created[is_bot], n)
    response = first_bot - first_customer
    conv["first_response_s"] = np.where(response >= 0, response, np.nan)

    conv["answered"] = count(is_bot & np.isin(action, ANSWER_ACTIONS)) > 0
    decided = is_bot & (pd.notna(action) | (state == "error"))
    failed = np.isin(action, NOTHING_FOUND_ACTIONS) | (state == "error") | rejected | \
        ((action == "handoff") & (reason == MISSING_KNOWLEDGE_HANDOFF))
    ends_without_answer = np.zeros(n, dtype=bool)
    dec_pos, dec_failed = pos[decided], failed[decided]
    if len(dec_pos):  # rows are in message order: the last occurrence of each conversation is its last turn
        last_pos, last_index = np.unique(dec_pos[::-1], return_index=True)
        ends_without_answer[last_pos] = dec_failed[::-1][last_index]
    conv["ends_without_answer"] = ends_without_answer

    claimed_ids = set(audit.loc[audit.action == "claim", "conversation_id"])
    resolved_ids = set(audit.loc[audit.action == "resolve", "conversation_id"])
    conv["claimed"] = conv["id"].isin(claimed_ids).to_numpy() | (conv["agent_messages"].to_numpy() > 0)
    conv["resolved_by_agent"] = conv["id"].isin(resolved_ids).to_numpy()
    conv["handed_over"] = (conv.handoff_at.notna() | conv.handoff_reason.notna() |
                           conv.status.isin(["waiting", "human"]) | conv["claimed"])
    conv["engaged"] = conv["customer_messages"] > 0
    conv["thumbs_up"] = count(is_bot & (rating == 1))
    conv["thumbs_down"] = count(is_bot & (rating == -1))
    conv["contained"] = conv.engaged & ~conv.handed_over & conv.answered & ~conv.ends_without_answer & \
        (conv["thumbs_down"] == 0)
    effective = conv.handoff_reason.where(conv.handoff_reason.notna(), "agent_takeover")
    conv["handoff_reason_effective"] = effective.where(conv.handed_over, None)
    return conv


def resolved_by_bot(conversations: pd.DataFrame, turns: pd.DataFrame) -> pd.Series:
    """Per bot turn: an answer not thumbed down, not rejected by the answer check, not followed by a handoff."""
    bot = turns[turns.role == "bot"]
    answer = bot.action.isin(ANSWER_ACTIONS) & (bot.rating != -1) & ~bot.answer_rejected.fillna(False).astype(bool)
    handoff_turns = bot[bot.action == "handoff"]
    last_handoff = handoff_turns.groupby("conversation_id").created_at.max()
    recorded = pd.to_numeric(conversations.set_index("id").handoff_at, errors="coerce") \
        if not conversations.empty else pd.Series(dtype=float)
    latest = pd.concat([last_handoff, recorded.dropna()]).groupby(level=0).max()
    handoff_after = bot.conversation_id.map(latest).to_numpy(dtype=float) >= bot.created_at.to_numpy(dtype=float)
    return answer & ~handoff_after


def _first_time(pos: np.ndarray, times: np.ndarray, n: int) -> np.ndarray:
    first = np.full(n, np.inf)
    np.minimum.at(first, pos, times)
    first[np.isinf(first)] = np.nan
    return first


# ------------------------------------------------------------------------------------------------ KPIs
def compute_kpis(frames: AnalyticsFrames) -> dict:
    """Every KPI of the dashboard as a JSON-serialisable dict (see the module docstring for definitions)."""
    conv, turns = frames.conversations, frames.turns
    bot = turns[turns.role == "bot"]
    engaged = conv[conv.engaged] if not conv.empty else conv
    n_engaged = int(len(engaged))
    handed = engaged[engaged.handed_over] if n_engaged else engaged
    reasons = handed.handoff_reason_effective.value_counts().to_dict() if n_engaged else {}

    decided = bot[bot.action.notna()]
    knowledge_q = decided[decided.action.isin(KNOWLEDGE_ANSWER_ACTIONS + NOTHING_FOUND_ACTIONS) |
                          ((decided.action == "handoff") &
                           (decided.policy_handoff_reason == MISSING_KNOWLEDGE_HANDOFF))]
    hits = knowledge_q.action.isin(KNOWLEDGE_ANSWER_ACTIONS)
    no_answer = decided.action.isin(NOTHING_FOUND_ACTIONS) | (decided.state == "error") | \
        ((decided.action == "handoff") & (decided.policy_handoff_reason == MISSING_KNOWLEDGE_HANDOFF))

    csat = conv.csat.dropna() if not conv.empty else pd.Series(dtype=float)
    up = int((bot.rating == 1).sum())
    down = int((bot.rating == -1).sum())
    first_response = engaged.first_response_s.dropna() if n_engaged else pd.Series(dtype=float)
    latency = bot.total_ms.dropna() / 1000.0
    generated = bot[bot.generation_mode == "generated"]
    role_counts = turns.role.value_counts()
    bot_answers = int(bot.action.isin(ANSWER_ACTIONS).sum())
    resolved_turns = int(resolved_by_bot(conv, turns).sum()) if not bot.empty else 0

    return {
        "conversations": int(len(conv)),
        "messages": int(len(turns)),
        "customer_messages": int(role_counts.get("customer", 0)),
        "bot_messages": int(role_counts.get("bot", 0)),
        "agent_messages": int(role_counts.get("agent", 0)),
        "engaged_conversations": n_engaged,
        "contained_conversations": int(engaged.contained.sum()) if n_engaged else 0,
        "containment_rate": _ratio(int(engaged.contained.sum()) if n_engaged else 0, n_engaged),
        "handed_over_conversations": int(len(handed)),
        "handoff_rate": _ratio(len(handed), n_engaged),
        "handoff_reasons": {str(k): int(v) for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))},
        "waiting_for_human": int((conv.status == "waiting").sum()) if not conv.empty else 0,
        "csat": _round(csat.mean()) if len(csat) else None,
        "csat_responses": int(len(csat)),
        "csat_distribution": {str(s): int((csat == s).sum()) for s in range(1, 6)},
        "bot_answers": bot_answers,
        "resolved_by_bot_turns": resolved_turns,
        "resolved_by_bot_rate": _ratio(resolved_turns, bot_answers),
        "thumbs_up": up,
        "thumbs_down": down,
        "thumbs_up_ratio": _ratio(up, up + down),
        "first_response_p50_s": _quantile(first_response, 0.50),
        "first_response_p95_s": _quantile(first_response, 0.95),
        "answer_latency_p50_s": _quantile(latency, 0.50),
        "answer_latency_p95_s": _quantile(latency, 0.95),
        "generated_answers": int(len(generated)),
        "generation_tok_s_p50": _quantile(generated.decode_tok_s.dropna(), 0.50),
        "ttft_p50_s": _quantile(generated.ttft_s.dropna(), 0.50),
        "knowledge_questions": int(len(knowledge_q)),
        "knowledge_hit_rate": _ratio(int(hits.sum()), len(knowledge_q)),
        "no_answer_turns": int(no_answer.sum()),
        "no_answer_rate": _ratio(int(no_answer.sum()), len(decided)),
        "untraced_bot_turns": int((~bot.has_trace).sum()),
        **emotion_figures(bot),
        "range": frames.filter.describe(),
    }


def emotion_figures(bot: pd.DataFrame) -> dict:
    """`emotion_turns`: customer turns showing each emotion; `rising_emotion_conversations`: conversations in which
    an emotion rose over the turns (emotions.emotion_trend, stored in each turn's trace), by emotion."""
    turns: Counter = Counter(chain.from_iterable(bot.emotions.dropna())) if not bot.empty else Counter()
    rising: Counter = Counter()
    if not bot.empty:
        for emotions in bot.groupby("conversation_id").rising_emotions.agg(
                lambda col: set(chain.from_iterable(v for v in col if isinstance(v, tuple)))):
            rising.update(emotions)
    return {"emotion_turns": dict(sorted(turns.items())), "rising_emotion_conversations": dict(sorted(rising.items()))}


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(float(numerator) / float(denominator), 4) if denominator else None


def _round(value, digits: int = 3) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def _quantile(series: pd.Series, q: float) -> float | None:
    values = series.to_numpy(dtype=float)
    return _round(np.quantile(values, q)) if len(values) else None


# ------------------------------------------------------------------------------------------------ helpers
def domains(store: ConversationStore) -> list[str]:
    return store.domains()


def kpis_for(store: ConversationStore, start: str | None = "", end: str | None = "", *, domain: str | None = None,
             include_demo: bool = True, workspace: str | None = None) -> dict:
    """The KPIs for ISO-date inputs (what the `analytics(start, end)` API returns), in one workspace."""
    return compute_kpis(load_frames(store, AnalyticsFilter.from_inputs(start, end, domain, include_demo, workspace)))


def compare_workspaces(store: ConversationStore, workspaces: list[str], start: str | None = "",
                       end: str | None = "", include_demo: bool = True) -> list[dict]:
    """One row of headline KPIs per workspace, side by side (the analytics tab's comparison and the API)."""
    rows = []
    for workspace in workspaces:
        kpis = kpis_for(store, start, end, include_demo=include_demo, workspace=workspace)
        rows.append({"workspace": workspace, **{k: v for k, v in kpis.items() if not isinstance(v, (dict, list))}})
    return rows


def cited_documents(turns: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """How often each knowledge document was cited under a bot answer (trace.sources), most cited first."""
    counts = Counter(chain.from_iterable(turns.loc[(turns.role == "bot") & turns.sources_json.notna(),
                                                   "sources_json"]))
    frame = pd.DataFrame([{"doc_id": k[0], "title": k[1], "citations": v} for k, v in counts.items()],
                         columns=["doc_id", "title", "citations"])
    return frame.sort_values(["citations", "title"], ascending=[False, True]).head(top).reset_index(drop=True)
