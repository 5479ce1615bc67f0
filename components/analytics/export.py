"""Export the history for a spreadsheet or a notebook: one row per conversation (with its KPIs) and one row per
turn (with its trace flattened into `trace.<path>` columns), as CSV or Parquet.

`python app.py export --format parquet --out DIR` calls `run_export`; the analytics tab calls `export_history`.
Lists inside a trace (retrieved hits, sources, tool calls, redactions) are kept as JSON text in one column.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from components.analytics.fast_json import encode_json, parse_json
from components.analytics.kpis import AnalyticsFilter, load_frames
from components.storage.conversation_store import ConversationStore

log = logging.getLogger(__name__)

FORMATS = ("csv", "parquet")
CONVERSATION_KPI_COLUMNS = ("messages", "customer_messages", "bot_messages", "agent_messages", "first_response_s",
                            "answered", "handed_over", "handoff_reason_effective", "claimed", "resolved_by_agent",
                            "ends_without_answer", "contained", "thumbs_up", "thumbs_down")
TURN_COLUMNS = ("id", "conversation_id", "role", "text", "created_at", "completed_at", "state", "rating")


def flatten_trace(trace, prefix: str = "trace") -> dict:
    """{"nlu": {"intent": "x"}} -> {"trace.nlu.intent": "x"}; lists become JSON text, an empty dict None.

    Written without recursion helpers or isinstance chains: it runs once per turn of a 100k-turn export."""
    out: dict = {}
    if type(trace) is not dict:
        return out
    stack = [(prefix, trace)]
    while stack:
        key, value = stack.pop()
        if not value:
            out[key] = None
            continue
        for k, v in value.items():
            t = type(v)
            if t is dict:
                stack.append((f"{key}.{k}", v))
            elif t is list or t is tuple:
                out[f"{key}.{k}"] = encode_json(v)
            else:
                out[f"{key}.{k}"] = v
    return out


def conversation_rows(store: ConversationStore, flt: AnalyticsFilter) -> pd.DataFrame:
    """Every column of the conversations table plus the per-conversation KPI columns."""
    table = pd.DataFrame.from_records(store.scope_conversations(flt), columns=store.db.columns("conversations"))
    table = table.drop(columns=["session_token"], errors="ignore")  # a customer's secret, never exported
    derived = load_frames(store, flt).conversations
    kpis = derived.set_index("id")[list(CONVERSATION_KPI_COLUMNS)]
    table = table.join(kpis, on="id")
    for col in ("created_at", "updated_at", "handoff_at"):
        table[col + "_iso"] = _iso_column(table[col])
    return table


def turn_rows(store: ConversationStore, flt: AnalyticsFilter) -> pd.DataFrame:
    """One row per message of the in-scope conversations, its trace flattened."""
    rows = store.scope_messages(flt, (*TURN_COLUMNS, "trace"))
    base = pd.DataFrame.from_records([tuple(r)[:-1] for r in rows], columns=list(TURN_COLUMNS))
    n = len(rows)
    columns: dict[str, list] = {}
    for i, r in enumerate(rows):
        raw = r[-1]
        if not raw:
            continue
        try:
            flat = flatten_trace(parse_json(raw))
        except ValueError:  # orjson.JSONDecodeError is a ValueError too
            flat = {"trace.unreadable": raw[:200]}
        for key, value in flat.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = [None] * n
            column[i] = value
    traces = pd.DataFrame({key: columns[key] for key in sorted(columns)}, index=base.index)
    table = pd.concat([base, traces], axis=1)
    table["created_at_iso"] = _iso_column(table["created_at"])
    return table


def export_history(store: ConversationStore, out_dir, *, fmt: str = "parquet",
                   flt: AnalyticsFilter | None = None) -> dict:
    """Write conversations.<fmt> and turns.<fmt> into `out_dir`; returns paths, row counts and seconds."""
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"The export format is one of {', '.join(FORMATS)}; got {fmt!r}.")
    flt = flt or AnalyticsFilter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    conversations = conversation_rows(store, flt)
    turns = turn_rows(store, flt)
    paths = {}
    for name, frame in (("conversations", conversations), ("turns", turns)):
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            pq.write_table(arrow_table(frame), path, compression="zstd")
        paths[name] = str(path)
    seconds = time.perf_counter() - started
    log.info("exported %d conversations and %d turns to %s in %.2fs", len(conversations), len(turns), out, seconds)
    return {"format": fmt, "out": str(out), "files": paths, "conversations": int(len(conversations)),
            "turns": int(len(turns)), "trace_columns": int(sum(c.startswith("trace.") for c in turns.columns)),
            "seconds": round(seconds, 3), "range": flt.describe()}


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A Parquet-safe table: a column whose values mix types (e.g. a number in some traces, text in others)
    is written as text rather than failing the export."""
    arrays, names = [], []
    for name in frame.columns:
        column = frame[name]
        try:
            array = pa.array(column, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            array = pa.array(column.map(lambda v: None if _missing(v) else str(v)), type=pa.string(),
                             from_pandas=True)
        arrays.append(array)
        names.append(str(name))
    return pa.Table.from_arrays(arrays, names=names)


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _iso_column(seconds: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(pd.to_numeric(seconds, errors="coerce"), unit="s", utc=True)
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_export(settings, *, fmt: str, out: str, start: str = "", end: str = "", include_demo: bool = True) -> dict:
    """CLI: `python app.py export --format parquet --out DIR` (all time by default)."""
    if not str(out or "").strip():
        raise ValueError("--out needs a directory to write the export into")
    if not settings.database_url and not Path(settings.sqlite_path).exists():
        raise ValueError(f"No conversation database at {settings.sqlite_path}: start the app or run "
                         "`python app.py demo-history` first (or set KEFU_DATA_DIR).")
    store = ConversationStore(settings.database)
    try:
        return export_history(store, out, fmt=fmt,
                              flt=AnalyticsFilter.from_inputs(start, end, include_demo=include_demo))
    finally:
        store.close()


def export_stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
