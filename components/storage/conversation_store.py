"""The store for conversations, messages (with each bot turn's trace), the append-only dialogue event log, notes
and the audit log, on SQLite (default) or PostgreSQL (components/storage/database.py).

The only module with SQL over these tables: analytics, export and data rights read through its read methods.
Every row carries its workspace's id (`workspace_id`, components/workspaces/): a message, event or note takes its
conversation's, and the reads take a `workspace` (None = every workspace, for the administrator's commands only).
A bot message is inserted as `complete = 0` when its answer starts and marked
complete when it ends; a process killed in between leaves it visibly incomplete, and `recover_interrupted()`
marks such turns `interrupted` on the next start.
"""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any, Iterable, Sequence

from components.storage.database import Database, database_for
from components.storage.migrations import upgrade

ROLES = ("customer", "bot", "agent", "system")
# a row's workspace is its conversation's (an audit row without a conversation keeps the one it was given)
_OWNER = "(SELECT workspace_id FROM conversations WHERE id = ?)"
STATUSES = ("bot", "waiting", "human", "resolved")


def new_conversation_id() -> str:
    return "c_" + uuid.uuid4().hex  # 128 random bits: unguessable


class ConversationStore:
    """Conversations, messages, events, notes and audit on a `Database` (SQLite file or PostgreSQL).

    `location` is a SQLite file path, a database URL (sqlite:///…, postgresql://…) or an open `Database`
    (shared with the other stores; then the caller closes it). The schema is brought to the newest migration."""

    def __init__(self, location: "Path | str | Database"):
        self.db, self._owns_db = database_for(location)
        self.path = getattr(self.db, "path", None)  # the SQLite file (None on PostgreSQL)
        upgrade(self.db)

    # -- low level -------------------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Iterable[Any] = ()):
        return self.db.execute(sql, params)

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        return self.db.query(sql, params)

    def close(self) -> None:
        if self._owns_db:
            self.db.close()

    def integrity_check(self) -> str:
        return self.db.integrity_check()

    # -- conversations ---------------------------------------------------------------------------------------
    def create_conversation(self, conversation_id: str | None = None, *, customer: str | None = None,
                            domain: str = "ecommerce", channel: str = "web", is_demo: bool = False,
                            created_at: float | None = None, workspace_id: str = "shop") -> str:
        cid = conversation_id or new_conversation_id()
        now = created_at if created_at is not None else time.time()
        self._execute("INSERT INTO conversations (id, created_at, updated_at, customer, domain, channel, is_demo, "
                      "session_token, workspace_id) VALUES (?,?,?,?,?,?,?,?,?)",
                      (cid, now, now, customer, domain, channel, int(is_demo), uuid.uuid4().hex, workspace_id))
        return cid

    def get_conversation(self, conversation_id: str, workspace: str | None = None) -> dict | None:
        """The conversation, or None (also when `workspace` is given and it belongs to another workspace)."""
        rows = self._query("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        if rows and workspace is not None and rows[0]["workspace_id"] != workspace:
            return None
        return rows[0] if rows else None

    def workspace_of(self, conversation_id: str) -> str | None:
        """The id of the workspace the conversation belongs to (None: no such conversation)."""
        return self.db.scalar("SELECT workspace_id FROM conversations WHERE id = ?", (conversation_id,))

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

    def list_conversations(self, status: str | None = None, limit: int = 200, include_demo: bool = True,
                           workspace: str | None = None) -> list[dict]:
        where, params = [], []
        if workspace is not None:
            where.append("c.workspace_id = ?")
            params.append(workspace)
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
        return self.db.insert("INSERT INTO notes (conversation_id, agent, text, created_at, workspace_id) "
                              f"VALUES (?,?,?,?,{_OWNER})", (conversation_id, agent, text, time.time(),
                                                             conversation_id))

    def notes(self, conversation_id: str) -> list[dict]:
        return self._query("SELECT * FROM notes WHERE conversation_id = ? ORDER BY id", (conversation_id,))

    def audit(self, agent: str, action: str, conversation_id: str | None = None, detail: dict | None = None,
              workspace: str = "shop") -> None:
        self._execute("INSERT INTO audit (at, agent, action, conversation_id, detail, workspace_id) "
                      f"VALUES (?,?,?,?,?,coalesce({_OWNER}, ?))",
                      (time.time(), agent, action, conversation_id,
                       json.dumps(detail or {}, ensure_ascii=False, default=str), conversation_id, workspace))

    def audit_log(self, limit: int = 200, workspace: str | None = None) -> list[dict]:
        if workspace is None:
            return self._query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return self._query("SELECT * FROM audit WHERE workspace_id = ? ORDER BY id DESC LIMIT ?", (workspace, limit))

    # -- messages --------------------------------------------------------------------------------------------
    def add_message(self, conversation_id: str, role: str, text: str, *, trace: dict | None = None,
                    state: str = "complete", created_at: float | None = None) -> int:
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        now = created_at if created_at is not None else time.time()
        with self.db.transaction() as tx:
            message_id = tx.insert(
                "INSERT INTO messages (conversation_id, role, text, created_at, completed_at, state, trace, "
                f"workspace_id) VALUES (?,?,?,?,?,?,?,{_OWNER})",
                (conversation_id, role, text, now, now if state == "complete" else None, state,
                 json.dumps(trace, ensure_ascii=False, default=str) if trace is not None else None, conversation_id))
            tx.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            return message_id

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

    def recover_interrupted(self, older_than_s: float = 0.0) -> int:
        """Mark turns that were streaming when the process died. Returns how many.

        With replicas sharing one database, another replica may be streaming right now: pass `older_than_s`
        (longer than any answer may take) so only turns started that long ago count as cut off."""
        now = time.time()
        cur = self._execute("UPDATE messages SET state = 'interrupted', completed_at = ? WHERE state = 'streaming' "
                            "AND created_at <= ?", (now, now - float(older_than_s)))
        return cur.rowcount

    # -- event log -------------------------------------------------------------------------------------------
    def append_event(self, conversation_id: str, type_: str, payload: dict | None = None) -> int:
        return self.db.insert("INSERT INTO events (conversation_id, type, payload, created_at, workspace_id) "
                              f"VALUES (?,?,?,?,{_OWNER})",
                              (conversation_id, type_, json.dumps(payload or {}, ensure_ascii=False, default=str),
                               time.time(), conversation_id))

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
    def counts(self, workspace: str | None = None) -> dict:
        where, params = ("", ()) if workspace is None else (" WHERE workspace_id = ?", (workspace,))
        return {"conversations": int(self.db.scalar("SELECT COUNT(*) FROM conversations" + where, params)),
                "messages": int(self.db.scalar("SELECT COUNT(*) FROM messages" + where, params))}

    def workspaces(self) -> list[str]:
        """The ids of the workspaces that have conversations."""
        return [r[0] for r in self.db.rows("SELECT DISTINCT workspace_id FROM conversations ORDER BY workspace_id")]

    def connection_for_reading(self):
        """Deprecated: a read-only sqlite3 connection (SQLite only). Use the read methods below, which work on
        both engines."""
        if not hasattr(self.db, "connection_for_reading"):
            raise ValueError("connection_for_reading() exists only for SQLite; use the store's read methods")
        return self.db.connection_for_reading()

    # -- reads for analytics, export and data rights (the SQL they need, on both engines) ----------------------
    def _scope(self, scope, alias: str = "c") -> tuple[str, list]:
        """WHERE clause for an analytics scope (anything with start, end, domain, include_demo attributes, and
        optionally workspace: None = every workspace)."""
        clauses, params = [], []
        if scope is not None:
            if getattr(scope, "workspace", None):
                clauses.append(f"{alias}.workspace_id = ?")
                params.append(scope.workspace)
            if scope.start is not None:
                clauses.append(f"{alias}.created_at >= ?")
                params.append(float(scope.start))
            if scope.end is not None:
                clauses.append(f"{alias}.created_at < ?")
                params.append(float(scope.end))
            if scope.domain:
                clauses.append(f"{alias}.domain = ?")
                params.append(scope.domain)
            if not scope.include_demo:
                clauses.append(f"{alias}.is_demo = 0")
        return (" AND ".join(clauses) or "1 = 1"), params

    def scope_conversations(self, scope=None, columns: Sequence[str] | None = None) -> list[dict]:
        """The conversations that started in the scope (all columns unless `columns`), oldest first."""
        where, params = self._scope(scope)
        cols = ", ".join("c." + col for col in columns) if columns else "c.*"
        return self._query(f"SELECT {cols} FROM conversations c WHERE {where} ORDER BY c.created_at, c.id", params)

    def scope_agent_actions(self, scope=None, actions: Sequence[str] = ("claim", "resolve")) -> list[tuple]:
        """Distinct (conversation_id, action) audit pairs of the given actions on in-scope conversations."""
        where, params = self._scope(scope)
        marks = ",".join("?" * len(actions))
        return self.db.rows(f"SELECT DISTINCT a.conversation_id, a.action FROM audit a JOIN conversations c "
                            f"ON c.id = a.conversation_id WHERE a.action IN ({marks}) AND {where}",
                            [*actions, *params])

    def message_progress(self, states: Sequence[str]) -> list[tuple]:
        """Every message as (id, completed_at or -1, index of its state in `states` or -1, rating or 0), by id:
        the columns of a message that change after it is written, as numbers."""
        case = " ".join(f"WHEN '{name}' THEN {code}" for code, name in enumerate(states))
        return self.db.rows(f"SELECT id, coalesce(completed_at, -1.0), CASE state {case} ELSE -1 END, "
                            f"coalesce(rating, 0) FROM messages ORDER BY id")

    def message_trace_fields(self, message_ids: Sequence[int], paths: Sequence[str]) -> list[tuple]:
        """(id, conversation_id, role, created_at, completed_at or -1, has_trace, JSON array text of the values at
        `paths` in the trace or None) for the given messages."""
        match, params = self.db.in_list("id", [int(i) for i in message_ids])
        return [(*row[:5], bool(row[5]), row[6]) for row in self.db.rows(
            f"SELECT id, conversation_id, role, created_at, coalesce(completed_at, -1.0), "
            f"CASE WHEN trace IS NULL THEN 0 ELSE 1 END, {self.db.json_paths('trace', paths)} "
            f"FROM messages WHERE {match}", params)]

    def questions_before(self, message_ids: Sequence[int]) -> dict[int, str | None]:
        """For each message id, the text of the last customer message before it in its conversation."""
        match, params = self.db.in_list("m.id", [int(i) for i in message_ids])
        return {int(mid): text for mid, text in self.db.rows(
            "SELECT m.id, (SELECT q.text FROM messages q WHERE q.conversation_id = m.conversation_id "
            "AND q.role = 'customer' AND q.id < m.id ORDER BY q.id DESC LIMIT 1) FROM messages m "
            f"WHERE {match}", params)}

    def scope_messages(self, scope=None, columns: Sequence[str] = ("id",)) -> list[tuple]:
        """The given message columns of every message in in-scope conversations, by message id."""
        where, params = self._scope(scope)
        return self.db.rows(f"SELECT {', '.join('m.' + c for c in columns)} FROM messages m "
                            f"JOIN conversations c ON c.id = m.conversation_id WHERE {where} ORDER BY m.id", params)

    def domains(self) -> list[str]:
        return [r[0] for r in self.db.rows("SELECT DISTINCT domain FROM conversations ORDER BY domain")]

    def conversation_ids(self, *, updated_before: float | None = None) -> list[str]:
        if updated_before is None:
            return [r[0] for r in self.db.rows("SELECT id FROM conversations")]
        return [r[0] for r in self.db.rows("SELECT id FROM conversations WHERE updated_at < ?",
                                           (float(updated_before),))]

    def conversations_of_customer(self, customer: str) -> list[str]:
        return [r[0] for r in self.db.rows("SELECT id FROM conversations WHERE lower(customer) = lower(?)",
                                           (customer,))]

    def conversations_mentioning(self, text: str) -> set[str]:
        """Conversations whose messages, traces, notes or events contain `text` (case-insensitive, verbatim)."""
        like = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        found: set[str] = set()
        for sql, params in (
                ("SELECT DISTINCT conversation_id FROM messages WHERE lower(text) LIKE ? ESCAPE '\\' "
                 "OR lower(trace) LIKE ? ESCAPE '\\'", (like, like)),
                ("SELECT DISTINCT conversation_id FROM notes WHERE lower(text) LIKE ? ESCAPE '\\'", (like,)),
                ("SELECT DISTINCT conversation_id FROM events WHERE lower(payload) LIKE ? ESCAPE '\\'", (like,))):
            found.update(r[0] for r in self.db.rows(sql, params))
        return found

    def count_rows(self, conversation_ids: Sequence[str]) -> dict:
        """How many messages, traces, events and notes these conversations hold."""
        counts = {"messages": 0, "traces": 0, "events": 0, "notes": 0}
        ids = list(conversation_ids)
        for i in range(0, len(ids), 500):
            match, params = self.db.in_list("conversation_id", ids[i:i + 500])
            counts["messages"] += self.db.scalar(f"SELECT COUNT(*) FROM messages WHERE {match}", params)
            counts["traces"] += self.db.scalar(f"SELECT COUNT(*) FROM messages WHERE trace IS NOT NULL AND {match}",
                                               params)
            counts["events"] += self.db.scalar(f"SELECT COUNT(*) FROM events WHERE {match}", params)
            counts["notes"] += self.db.scalar(f"SELECT COUNT(*) FROM notes WHERE {match}", params)
        return counts

    def compact(self) -> None:
        """Give the space of deleted rows back so no deleted customer data survives in free pages."""
        self.db.compact()

    @property
    def identity(self) -> str:
        """Names the database for per-database caches (analytics)."""
        return self.db.identity

    def shift_demo_conversation(self, conversation_id: str, offset_s: float) -> None:
        """Move a demo conversation and everything in it `offset_s` seconds in time (demo-history spreads its
        conversations over past days). Refuses real conversations: their timestamps are records."""
        conversation = self.get_conversation(conversation_id)
        if conversation is None:
            raise ValueError(f"No conversation with id {conversation_id!r}")
        if not conversation["is_demo"]:
            raise ValueError("Only demo conversations can be moved in time")
        d = float(offset_s)
        with self.db.transaction() as tx:
            tx.execute("UPDATE conversations SET created_at = created_at + ?, updated_at = updated_at + ?, "
                       "handoff_at = handoff_at + ? WHERE id = ?", (d, d, d, conversation_id))
            tx.execute("UPDATE messages SET created_at = created_at + ?, completed_at = completed_at + ? "
                       "WHERE conversation_id = ?", (d, d, conversation_id))
            for table in ("events", "notes"):
                tx.execute(f"UPDATE {table} SET created_at = created_at + ? WHERE conversation_id = ?",
                           (d, conversation_id))
            tx.execute("UPDATE audit SET at = at + ? WHERE conversation_id = ?", (d, conversation_id))
