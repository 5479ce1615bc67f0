"""One connection to kefu's database, SQLite (embedded, the default) or PostgreSQL (shared by app replicas).

    db = open_database("sqlite:///data/kefu.sqlite3")        # or a Path, or "postgresql://user@host/kefu"
    db.execute("UPDATE conversations SET status = ? WHERE id = ?", ("human", cid)).rowcount
    rows = db.query("SELECT * FROM notes WHERE conversation_id = ?", (cid,))   # list of dicts
    with db.transaction() as tx:                               # one transaction, same methods
        tx.execute(...)

Every store writes its SQL once with `?` placeholders; on PostgreSQL they become `%s` (psycopg 3's server-side
binding) and a literal `%` is escaped. `insert()` returns the new row's integer id on both (lastrowid / RETURNING).
The few places where the dialects differ (JSON paths, `IN` over a list, identity columns) ask `db.dialect`.

Why psycopg 3 and not SQLAlchemy Core: kefu's SQL is a few dozen hand-written statements over ten tables and
already runs on SQLite; a thin wrapper keeps them readable and lets analytics use each engine's JSON functions
directly. psycopg 3 is one dependency (plus its pool), binds parameters on the server, and has LISTEN/NOTIFY and
COPY natively should live updates or bulk copies need them. SQLAlchemy would add an expression language and an
engine layer that this code would mostly bypass.

SQLite: one connection guarded by a re-entrant lock (WAL mode, so readers elsewhere are not blocked), as before.
PostgreSQL: a small psycopg_pool of autocommit connections; a transaction holds one connection until it ends.
"""
from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

log = logging.getLogger(__name__)

SQLITE, POSTGRESQL = "sqlite", "postgresql"


class DatabaseError(RuntimeError):
    """The database refused or could not be reached; the message says what to do."""


class IntegrityError(DatabaseError):
    """A unique key or a foreign key was violated (same class on both engines)."""


class Result:
    """What a write returns: rowcount (rows changed) and lastrowid (SQLite inserts only)."""

    def __init__(self, rowcount: int, lastrowid: int | None = None, rows: list | None = None):
        self.rowcount, self.lastrowid, self._rows = rowcount, lastrowid, rows or []

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list:
        return list(self._rows)


def describe_url(url: str) -> str:
    """The URL without its password, for logs and status lines."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(url))


def sqlite_url(path: Path | str) -> str:
    return f"sqlite:///{Path(path)}"


def parse_database_url(url: str | Path) -> tuple[str, str]:
    """(dialect, target): ("sqlite", file path) or ("postgresql", conninfo). Raises ValueError with an example."""
    if isinstance(url, Path):
        return SQLITE, str(url)
    text = str(url or "").strip()
    if text.startswith("sqlite:///"):
        path = text[len("sqlite:///"):]
        if not path:
            raise ValueError("A sqlite URL names a file: sqlite:///data/kefu.sqlite3 (or sqlite:////abs/path)")
        return SQLITE, path
    if text.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return POSTGRESQL, text.replace("postgresql+psycopg://", "postgresql://", 1)
    raise ValueError(f"{describe_url(text)!r} is not a database URL kefu understands: use sqlite:///path/kefu.sqlite3 "
                     "or postgresql://user:password@host:5432/dbname")


def _to_pyformat(sql: str) -> str:
    """`?` -> `%s` and `%` -> `%%` outside quoted literals (psycopg's placeholder style)."""
    out, quote = [], None
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class Database:
    """The common surface of both engines. Subclasses implement `_run` and `transaction`."""

    dialect: str = ""
    url: str = ""

    # -- the API the stores use ----------------------------------------------------------------------------
    def execute(self, sql: str, params: Iterable[Any] = ()) -> Result:
        return self._run(sql, tuple(params), fetch=False)

    def query(self, sql: str, params: Iterable[Any] = ()) -> list[dict]:
        return self._run(sql, tuple(params), fetch=True, as_dict=True).fetchall()

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        """Plain tuples (faster than dicts for the analytics scans)."""
        return self._run(sql, tuple(params), fetch=True, as_dict=False).fetchall()

    def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run an INSERT into a table with an integer `id` and return the new id."""
        raise NotImplementedError

    def execute_many(self, sql: str, rows: Iterable[Sequence]) -> None:
        """One statement for many parameter rows (bulk copies), in one transaction."""
        raise NotImplementedError

    def in_list(self, column: str, values: Sequence) -> tuple[str, list]:
        """`column IN (...)` for any number of values, as (sql, params)."""
        raise NotImplementedError

    def json_paths(self, column: str, paths: Sequence[str]) -> str:
        """An SQL expression giving a JSON array (as text) of the values at `paths` ('$.a.b') in a JSON text column;
        NULL when the column is NULL."""
        raise NotImplementedError

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Database"]:
        raise NotImplementedError
        yield self

    def _run(self, sql: str, params: tuple, *, fetch: bool, as_dict: bool = True) -> Result:
        raise NotImplementedError

    def close(self) -> None:
        pass

    @property
    def identity(self) -> str:
        """Names this database for caches keyed per database (a file recreated at the same path is new)."""
        return self.url

    def tables(self) -> list[str]:
        raise NotImplementedError

    def columns(self, table: str) -> list[str]:
        """A table's column names in their declared order."""
        raise NotImplementedError

    def compact(self) -> None:
        """Give the bytes of deleted rows back (SQLite VACUUM + WAL truncate; PostgreSQL VACUUM)."""


# ---------------------------------------------------------------------------------------------------- SQLite
class SqliteDatabase(Database):
    dialect = SQLITE

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.url = sqlite_url(self.path)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")

    def _run(self, sql: str, params: tuple, *, fetch: bool, as_dict: bool = True) -> Result:
        with self._lock:
            try:
                cur = self._db.execute(sql, params)
            except sqlite3.IntegrityError as exc:
                raise IntegrityError(str(exc)) from exc
            if not fetch:
                return Result(cur.rowcount, cur.lastrowid)
            rows = cur.fetchall()
            if as_dict:
                names = [d[0] for d in cur.description or ()]
                rows = [dict(zip(names, row)) for row in rows]
            return Result(len(rows), rows=rows)

    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        return int(self._run(sql, tuple(params), fetch=False).lastrowid)

    def execute_many(self, sql: str, rows: Iterable[Sequence]) -> None:
        with self.transaction():
            try:
                self._db.executemany(sql, (tuple(r) for r in rows))
            except sqlite3.IntegrityError as exc:
                raise IntegrityError(str(exc)) from exc

    def in_list(self, column: str, values: Sequence) -> tuple[str, list]:
        import json

        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(list(values))]

    def json_paths(self, column: str, paths: Sequence[str]) -> str:
        quoted = ", ".join(f"'{p}'" for p in paths)
        return f"CASE WHEN json_valid({column}) THEN json_extract({column}, {quoted}) END"

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Database"]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @property
    def identity(self) -> str:
        path = self.path.resolve()
        return f"{path}:{path.stat().st_ino}"

    def tables(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.rows(f"PRAGMA table_info({table})")]

    def integrity_check(self) -> str:
        return str(self.scalar("PRAGMA integrity_check"))

    def compact(self) -> None:
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._db.execute("VACUUM")
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError as exc:  # busy: rows are deleted; their bytes go at the next compaction
                log.warning("could not compact %s now (%s); deleted rows may linger in free pages until the next "
                            "run", self.path, exc)

    def connection_for_reading(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        return conn


# ---------------------------------------------------------------------------------------------------- PostgreSQL
class _Transaction(Database):
    """The same API bound to one pooled connection inside BEGIN … COMMIT."""

    dialect = POSTGRESQL

    def __init__(self, owner: "PostgresDatabase", conn):
        self._owner, self._conn, self.url = owner, conn, owner.url

    def _run(self, sql, params, *, fetch, as_dict=True):
        return self._owner._run_on(self._conn, sql, params, fetch=fetch, as_dict=as_dict)

    def insert(self, sql, params=()):
        return self._owner._insert_on(self._conn, sql, tuple(params))

    def in_list(self, column, values):
        return self._owner.in_list(column, values)

    def json_paths(self, column, paths):
        return self._owner.json_paths(column, paths)

    @contextlib.contextmanager
    def transaction(self):
        yield self


class PostgresDatabase(Database):
    dialect = POSTGRESQL

    def __init__(self, url: str, *, pool_size: int = 8):
        try:
            import psycopg  # noqa: F401
            from psycopg_pool import ConnectionPool
        except ImportError as exc:  # pragma: no cover - pinned in requirements.txt
            raise DatabaseError("PostgreSQL needs the psycopg and psycopg-pool packages (pip install -r "
                                "requirements.txt)") from exc
        self.url = url
        self.path = None
        self._pool = ConnectionPool(url, min_size=1, max_size=max(1, pool_size), open=False,
                                    kwargs={"autocommit": True}, name="kefu")
        try:
            self._pool.open(wait=True, timeout=15)
        except Exception as exc:
            self._pool.close()
            raise DatabaseError(f"Cannot connect to PostgreSQL at {describe_url(url)}: {exc}. Check that the server "
                                "runs, the URL's user, password and database, and KEFU_DATABASE_URL.") from exc

    def _run_on(self, conn, sql: str, params: tuple, *, fetch: bool, as_dict: bool = True) -> Result:
        import psycopg

        try:
            cur = conn.execute(_to_pyformat(sql), params)
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        if not fetch:
            return Result(cur.rowcount)
        rows = cur.fetchall()
        if as_dict:
            names = [d.name for d in cur.description or ()]
            rows = [dict(zip(names, row)) for row in rows]
        return Result(len(rows), rows=rows)

    def _insert_on(self, conn, sql: str, params: tuple) -> int:
        return int(self._run_on(conn, sql.rstrip().rstrip(";") + " RETURNING id", params, fetch=True,
                                as_dict=False).fetchone()[0])

    def _run(self, sql: str, params: tuple, *, fetch: bool, as_dict: bool = True) -> Result:
        with self._pool.connection() as conn:
            return self._run_on(conn, sql, params, fetch=fetch, as_dict=as_dict)

    def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self._pool.connection() as conn:
            return self._insert_on(conn, sql, tuple(params))

    def execute_many(self, sql: str, rows: Iterable[Sequence]) -> None:
        import psycopg

        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            try:
                cur.executemany(_to_pyformat(sql), [tuple(r) for r in rows])
            except psycopg.errors.IntegrityError as exc:
                raise IntegrityError(str(exc)) from exc

    def in_list(self, column: str, values: Sequence) -> tuple[str, list]:
        return f"{column} = ANY(?)", [list(values)]

    def json_paths(self, column: str, paths: Sequence[str]) -> str:
        def pg_path(path: str) -> str:
            return "{" + ",".join(path.removeprefix("$.").split(".")) + "}"

        parts = ", ".join(f"{column}::jsonb #> '{pg_path(p)}'" for p in paths)
        return f"CASE WHEN {column} IS NOT NULL THEN json_build_array({parts})::text END"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        with self._pool.connection() as conn:
            with conn.transaction():
                yield _Transaction(self, conn)

    def close(self) -> None:
        self._pool.close()

    def tables(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                                        "ORDER BY tablename")]

    def columns(self, table: str) -> list[str]:
        return [r[0] for r in self.rows("SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                        "current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))]

    def integrity_check(self) -> str:
        self.scalar("SELECT 1")
        return "ok"

    def compact(self) -> None:
        try:
            for table in ("messages", "events", "notes", "conversations"):
                self.execute(f"VACUUM {table}")
        except Exception as exc:  # VACUUM needs ownership; the rows are deleted either way
            log.warning("could not VACUUM now (%s); PostgreSQL's autovacuum will reclaim the space", exc)


def database_for(location: "Database | str | Path") -> tuple[Database, bool]:
    """(database, owned): an open `Database` as it is (its opener closes it), else one opened for a URL or path
    (the caller owns and closes it). What every store's constructor takes."""
    if isinstance(location, Database):
        return location, False
    return open_database(location), True


def open_database(url: str | Path, **options) -> Database:
    """A `Database` for a URL (sqlite:///…, postgresql://…) or a SQLite file path."""
    dialect, target = parse_database_url(url)
    if dialect == SQLITE:
        return SqliteDatabase(target)
    return PostgresDatabase(target, **options)
