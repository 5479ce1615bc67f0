"""A workspace's own SQLite file, created from its seed (data/seed.json: {table: [row, ...]}) on first use.

Subclasses give the schema (SCHEMA, SQL) and the queries; this class owns the file, the connections and the
seeding. Writes go through `write()` (one transaction, serialised by a lock) and are logged in `desk_writes`.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

from components.storage.thread_connections import ThreadConnections

log = logging.getLogger(__name__)

_WRITES_TABLE = """
CREATE TABLE IF NOT EXISTS desk_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS desk_writes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, action TEXT NOT NULL, arguments TEXT NOT NULL);
"""


class SeededDatabase:
    SCHEMA = ""                     # CREATE TABLE statements of the workspace's tables
    SEED_FILE = "seed.json"

    def __init__(self, path: Path, seed_dir: Path):
        self.path = Path(path)
        self.seed_dir = Path(seed_dir)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self.path, _desk_connection_setup)
        self._write_lock = threading.Lock()
        self._ensure_seeded()

    @classmethod
    def fresh_copy(cls, path: Path, seed_dir: Path):
        """A new database at `path` loaded from the seed (an existing file there is replaced)."""
        path = Path(path)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return cls(path, seed_dir)

    # -- connections -------------------------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def rows(self, sql: str, *args) -> list[dict]:
        return [dict(r) for r in self._conn().execute(sql, args).fetchall()]

    def row(self, sql: str, *args) -> dict | None:
        found = self._conn().execute(sql, args).fetchone()
        return dict(found) if found is not None else None

    def write(self, action: str, arguments: dict, statements: list[tuple[str, tuple]]) -> int | None:
        """Run `statements` in one transaction and log the write; returns the last row id."""
        with self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = None
                for sql, args in statements:
                    last = conn.execute(sql, args).lastrowid
                conn.execute("INSERT INTO desk_writes (at, action, arguments) VALUES (?, ?, ?)",
                             (time.time(), action, json.dumps(arguments, ensure_ascii=False, sort_keys=True)))
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
        return last

    def writes(self) -> list[dict]:
        return [{**r, "arguments": json.loads(r["arguments"])}
                for r in self.rows("SELECT action, arguments FROM desk_writes ORDER BY id")]

    # -- seeding -----------------------------------------------------------------------------------------------
    def _ensure_seeded(self) -> None:
        conn = self._conn()
        conn.executescript(_WRITES_TABLE + self.SCHEMA)
        if self.row("SELECT value FROM desk_meta WHERE key = 'seeded'"):
            return
        seed_path = self.seed_dir / self.SEED_FILE
        if not seed_path.exists():
            raise ValueError(f"The desk seed file {seed_path} is missing; the workspace folder is incomplete")
        try:
            seed = json.loads(seed_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{seed_path} is not valid JSON ({exc}); fix the file and start again") from exc
        started = time.perf_counter()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for table, records in seed.items():
                    if table.startswith("_"):
                        continue  # "_comment" and other notes in the seed file
                    for record in records:
                        columns = ", ".join(record)
                        marks = ", ".join("?" for _ in record)
                        conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(record.values()))
                conn.execute("INSERT INTO desk_meta (key, value) VALUES ('seeded', ?)", (str(time.time()),))
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                raise ValueError(f"{seed_path} does not fit the desk's tables: {exc}") from exc
        log.info("seeded %s from %s in %.0f ms", self.path, seed_path, (time.perf_counter() - started) * 1000)


def _desk_connection_setup(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
