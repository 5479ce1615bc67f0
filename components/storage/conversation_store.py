"""SQLite store for conversations, messages (with each bot turn's trace) and the append-only dialogue event log.

The only module that writes kefu's conversation database. WAL mode, one connection guarded by a lock so the
Gradio worker threads can share it. A bot message is inserted as `complete = 0` when its answer starts and marked
complete when it ends; a process killed in between leaves it visibly incomplete, and `recover_interrupted()`
marks such turns `interrupted` on the next start.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'bot',          -- bot | waiting | human | resolved
    customer TEXT,                               -- authenticated customer id or a session label
    language TEXT,
    domain TEXT NOT NULL DEFAULT 'ecommerce',
    channel TEXT NOT NULL DEFAULT 'web',
    is_demo INTEGER NOT NULL DEFAULT 0,
    assigned_agent TEXT,
    handoff_reason TEXT,
    handoff_at REAL,
    csat INTEGER,
    last_intent TEXT,
    last_sentiment TEXT,
    session_token TEXT
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,                          -- customer | bot | agent | system
    text TEXT NOT NULL,
    created_at REAL NOT NULL,
    completed_at REAL,
    state TEXT NOT NULL DEFAULT 'complete',      -- complete | streaming | interrupted | error
    trace TEXT,                                  -- JSON, bot turns
    rating INTEGER                               -- thumbs: 1 up, -1 down
);
CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    type TEXT NOT NULL,                          -- user_turn | nlu | slot_set | tool_call | handoff | resume | bot_turn | ...
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_conversation ON events(conversation_id, id);
CREATE INDEX IF NOT EXISTS conversations_by_update ON conversations(updated_at);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    agent TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    agent TEXT NOT NULL,
    action TEXT NOT NULL,                        -- claim | reply | hand_back | resolve | teach | forget | kb_* ...
    conversation_id TEXT,
    detail TEXT
);
"""

ROLES = ("customer", "bot", "agent", "system")
STATUSES = ("bot", "waiting", "human", "resolved")


def new_conversation_id() -> str:
    return "c_" + uuid.uuid4().hex  # 128 random bits: unguessable


class ConversationStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)

    # -- low level -------------------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, tuple(params))

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        with self._lock:
            return [dict(row) for row in self._db.execute(sql, tuple(params)).fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def integrity_check(self) -> str:
        return self._query("PRAGMA integrity_check")[0]["integrity_check"]

    # -- conversations ---------------------------------------------------------------------------------------
    def create_conversation(self, conversation_id: str | None = None, *, customer: str | None = None,
                            domain: str = "ecommerce", channel: str = "web", is_demo: bool = False,
                            created_at: float | None = None) -> str:
        cid = conversation_id or new_conversation_id()
        now = created_at if created_at is not None else time.time()
        self._execute("INSERT INTO conversations (id, created_at, updated_at, customer, domain, channel, is_demo, "
                      "session_token) VALUES (?,?,?,?,?,?,?,?)",
                      (cid, now, now, customer, domain, channel, int(is_demo), uuid.uuid4().hex))
        return cid

    def get_conversation(self, conversation_id: str) -> dict | None:
        rows = self._query("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return rows[0] if rows else None

    def exists(self, conversation_id: str) -> bool:
        return self.get_conversation(conversation_id) is not None

    def update_conversation(self, conversation_id: str, **fields: Any) -> None:
        allowed = {"status", "customer", "language", "domain", "assigned_agent", "handoff_reason", "handoff_at",
                   "csat", "last_intent", "last_sentiment", "updated_at"}
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update conversation fields {sorted(bad)}")
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        fields.setdefault("updated_at", time.time())
        cols = ", ".join(f"{k} = ?" for k in fields)
        self._execute(f"UPDATE conversations SET {cols} WHERE id = ?", [*fields.values(), conversation_id])

    def list_conversations(self, status: str | None = None, limit: int = 200, include_demo: bool = True) -> list[dict]:
        where, params = [], []
        if status:
            where.append("c.status = ?")
            params.append(status)
        if not include_demo:
            where.append("c.is_demo = 0")
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        sql = f"""
            SELECT c.*, (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count,
                   (SELECT text FROM messages m WHERE m.conversation_id = c.id ORDER BY m.id DESC LIMIT 1) AS last_message,
                   (SELECT created_at FROM messages m WHERE m.conversation_id = c.id AND m.role = 'customer'
                      ORDER BY m.id DESC LIMIT 1) AS last_customer_at
            FROM conversations c {clause} ORDER BY c.updated_at DESC LIMIT ?"""
        return self._query(sql, [*params, limit])

    def last_customer_texts(self, conversation_ids: list[str]) -> dict[str, str]:
        """Each conversation's latest customer message (the operator queue shows it)."""
        if not conversation_ids:
            return {}
        rows = self._query(
            "SELECT m.conversation_id, m.text FROM messages m WHERE m.id IN (SELECT MAX(id) FROM messages "
            "WHERE role = 'customer' AND conversation_id IN (SELECT value FROM json_each(?)) "
            "GROUP BY conversation_id)", (json.dumps(list(conversation_ids)),))
        return {r["conversation_id"]: r["text"] for r in rows}

    def delete_conversation(self, conversation_id: str) -> None:
        self._execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def claim(self, conversation_id: str, agent: str) -> bool:
        """Atomically give a conversation to one agent. False when another agent already holds it."""
        cur = self._execute(
            "UPDATE conversations SET status = 'human', assigned_agent = ?, updated_at = ? "
            "WHERE id = ? AND (assigned_agent IS NULL OR assigned_agent = ? OR status IN ('bot', 'resolved'))",
            (agent, time.time(), conversation_id, agent))
        return cur.rowcount == 1

    def release(self, conversation_id: str, status: str) -> None:
        self.update_conversation(conversation_id, status=status)
        self._execute("UPDATE conversations SET assigned_agent = NULL WHERE id = ?", (conversation_id,))

    def add_note(self, conversation_id: str, agent: str, text: str) -> int:
        cur = self._execute("INSERT INTO notes (conversation_id, agent, text, created_at) VALUES (?,?,?,?)",
                            (conversation_id, agent, text, time.time()))
        return int(cur.lastrowid)

    def notes(self, conversation_id: str) -> list[dict]:
        return self._query("SELECT * FROM notes WHERE conversation_id = ? ORDER BY id", (conversation_id,))

    def audit(self, agent: str, action: str, conversation_id: str | None = None, detail: dict | None = None) -> None:
        self._execute("INSERT INTO audit (at, agent, action, conversation_id, detail) VALUES (?,?,?,?,?)",
                      (time.time(), agent, action, conversation_id,
                       json.dumps(detail or {}, ensure_ascii=False, default=str)))

    def audit_log(self, limit: int = 200) -> list[dict]:
        return self._query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))

    # -- messages --------------------------------------------------------------------------------------------
    def add_message(self, conversation_id: str, role: str, text: str, *, trace: dict | None = None,
                    state: str = "complete", created_at: float | None = None) -> int:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        now = created_at if created_at is not None else time.time()
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO messages (conversation_id, role, text, created_at, completed_at, state, trace) "
                "VALUES (?,?,?,?,?,?,?)",
                (conversation_id, role, text, now, now if state == "complete" else None, state,
                 json.dumps(trace, ensure_ascii=False, default=str) if trace is not None else None))
            self._db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            return int(cur.lastrowid)

    def finish_message(self, message_id: int, text: str, *, trace: dict | None = None,
                       state: str = "complete") -> None:
        self._execute("UPDATE messages SET text = ?, trace = ?, state = ?, completed_at = ? WHERE id = ?",
                      (text, json.dumps(trace, ensure_ascii=False, default=str) if trace is not None else None,
                       state, time.time(), message_id))

    def messages(self, conversation_id: str, after: int = 0) -> list[dict]:
        rows = self._query("SELECT * FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id",
                           (conversation_id, after))
        for row in rows:
            row["trace"] = json.loads(row["trace"]) if row["trace"] else None
        return rows

    def get_message(self, message_id: int) -> dict | None:
        rows = self._query("SELECT * FROM messages WHERE id = ?", (message_id,))
        if not rows:
            return None
        row = rows[0]
        row["trace"] = json.loads(row["trace"]) if row["trace"] else None
        return row

    def rate_message(self, message_id: int, rating: int) -> None:
        if rating not in (-1, 1):
            raise ValueError("rating must be 1 (thumbs up) or -1 (thumbs down)")
        self._execute("UPDATE messages SET rating = ? WHERE id = ?", (rating, message_id))

    def recover_interrupted(self) -> int:
        """Mark turns that were streaming when the process died. Returns how many."""
        cur = self._execute("UPDATE messages SET state = 'interrupted', completed_at = ? WHERE state = 'streaming'",
                            (time.time(),))
        return cur.rowcount

    # -- event log -------------------------------------------------------------------------------------------
    def append_event(self, conversation_id: str, type_: str, payload: dict | None = None) -> int:
        cur = self._execute("INSERT INTO events (conversation_id, type, payload, created_at) VALUES (?,?,?,?)",
                            (conversation_id, type_, json.dumps(payload or {}, ensure_ascii=False, default=str),
                             time.time()))
        return int(cur.lastrowid)

    def events(self, conversation_id: str, types: tuple[str, ...] | None = None) -> list[dict]:
        sql = "SELECT * FROM events WHERE conversation_id = ?"
        params: list[Any] = [conversation_id]
        if types:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            params.extend(types)
        rows = self._query(sql + " ORDER BY id", params)
        for row in rows:
            row["payload"] = json.loads(row["payload"])
        return rows

    # -- counts for analytics --------------------------------------------------------------------------------
    def counts(self) -> dict:
        row = self._query("SELECT (SELECT COUNT(*) FROM conversations) AS conversations, "
                          "(SELECT COUNT(*) FROM messages) AS messages")[0]
        return dict(row)

    def connection_for_reading(self) -> sqlite3.Connection:
        """A separate read-only connection (analytics/export read large tables without holding the write lock)."""
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        return conn

    def shift_demo_conversation(self, conversation_id: str, offset_s: float) -> None:
        """Move a demo conversation and everything in it `offset_s` seconds in time (demo-history spreads its
        conversations over past days). Refuses real conversations: their timestamps are records."""
        conversation = self.get_conversation(conversation_id)
        if conversation is None:
            raise ValueError(f"No conversation with id {conversation_id!r}")
        if not conversation["is_demo"]:
            raise ValueError("Only demo conversations can be moved in time")
        d = float(offset_s)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute("UPDATE conversations SET created_at = created_at + ?, updated_at = updated_at + ?, "
                                 "handoff_at = handoff_at + ? WHERE id = ?", (d, d, d, conversation_id))
                self._db.execute("UPDATE messages SET created_at = created_at + ?, completed_at = completed_at + ? "
                                 "WHERE conversation_id = ?", (d, d, conversation_id))
                for table in ("events", "notes"):
                    self._db.execute(f"UPDATE {table} SET created_at = created_at + ? WHERE conversation_id = ?",
                                     (d, conversation_id))
                self._db.execute("UPDATE audit SET at = at + ? WHERE conversation_id = ?", (d, conversation_id))
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise
