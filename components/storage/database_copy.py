"""`python app.py db upgrade` and `python app.py db copy --from URL --to URL`: move an install between engines.

The copy reads every table of the source (a SQLite file or PostgreSQL; the source is only read), writes the rows
with their ids into a target at the newest schema that holds no conversations yet, moves the target's id
sequences past the copied ids, and then reads both sides again: per table the row count and a checksum (the sum of
a SHA-256 per row over its values in a canonical form, so it does not depend on the order in which the engines
return rows) must be equal, or the command fails and says which table differs.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time

from components.storage.database import POSTGRESQL, Database, describe_url, open_database
from components.storage.migrations import SCHEMAS, current_version, upgrade, upgrade_all

log = logging.getLogger(__name__)

# parents before children (foreign keys); the migration tables are the target's own. The knowledge tables come from
# knowledge.sqlite3 in an embedded install: copy that file too (a second `db copy` into the same target).
SCHEMA_TABLES = {"conversations": ("conversations", "messages", "events", "notes", "audit", "agents", "agent_sessions",
                                   "rate_limit_buckets"),
                 "knowledge": ("documents", "chunks", "meta", "ingest_journal")}
TABLES = SCHEMA_TABLES["conversations"] + SCHEMA_TABLES["knowledge"]
KNOWLEDGE_FILE = "knowledge.sqlite3"


def target_schemas(target: Database) -> tuple[str, ...]:
    """PostgreSQL holds both schemas; an embedded install keeps the knowledge registry in its own
    knowledge.sqlite3 beside kefu.sqlite3, so a SQLite target receives the schema its file name says."""
    if target.dialect == POSTGRESQL:
        return tuple(SCHEMAS)
    return ("knowledge",) if target.path.name == KNOWLEDGE_FILE else ("conversations",)
_BATCH = 2000


def _canonical(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    return str(value)


def table_summary(db: Database, table: str, columns: list[str]) -> dict:
    """{rows, checksum} of `columns` of a table; checksum independent of row order."""
    return rows_summary(db.rows(f"SELECT {', '.join(columns)} FROM {table}"))


def rows_summary(rows) -> dict:
    """{rows, checksum} of rows: the sum of a SHA-256 per row, so independent of their order."""
    total, count = 0, 0
    for row in rows:
        digest = hashlib.sha256(json.dumps([_canonical(v) for v in row], ensure_ascii=False).encode()).digest()
        total = (total + int.from_bytes(digest, "big")) % (1 << 256)
        count += 1
    return {"rows": count, "checksum": f"{total:064x}"}


def _reset_identity(db: Database, table: str) -> None:
    if db.dialect == POSTGRESQL and "id" in db.columns(table) and db.scalar(
            "SELECT pg_get_serial_sequence(?, 'id')", (table,)):
        db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 1), "
                   f"max(id) IS NOT NULL) FROM {table}")


def copy_database(source: Database, target: Database) -> dict:
    started = time.perf_counter()
    schemas = target_schemas(target)
    for schema in schemas:
        upgrade(target, schema=schema)
    wanted = [t for schema in schemas for t in SCHEMA_TABLES[schema]]
    present = set(source.tables())
    # rows of the other schema stay behind (PostgreSQL → kefu.sqlite3: the knowledge registry goes to
    # knowledge.sqlite3 with a second copy); the output lists them so nothing is dropped without a word
    left = {t: source.scalar(f"SELECT COUNT(*) FROM {t}") for t in TABLES if t in present and t not in wanted}
    left = {t: n for t, n in left.items() if n}
    present &= set(wanted)
    full = [t for t in TABLES if t in present and source.scalar(f"SELECT COUNT(*) FROM {t}")
            and target.scalar(f"SELECT COUNT(*) FROM {t}")]
    if full:
        raise ValueError(f"The target {describe_url(target.url)} already has rows in {full}; copy into an empty "
                         "database (create a new one, or drop its tables) so nothing is mixed or overwritten")
    tables = {}
    for table in TABLES:
        if table not in present:
            continue
        target_columns = target.columns(table)
        columns = [c for c in source.columns(table) if c in target_columns]
        missing = [c for c in source.columns(table) if c not in target_columns]
        if missing:
            raise ValueError(f"The target's {table} table has no column(s) {missing}: upgrade kefu on the target side")
        insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        rows = source.rows(f"SELECT {', '.join(columns)} FROM {table}")
        for i in range(0, len(rows), _BATCH):
            target.execute_many(insert, rows[i:i + _BATCH])
        _reset_identity(target, table)
        before, after = table_summary(source, table, columns), table_summary(target, table, columns)
        tables[table] = {"rows": before["rows"], "target_rows": after["rows"], "checksum": before["checksum"],
                         "target_checksum": after["checksum"], "equal": before == after}
    unequal = [t for t, r in tables.items() if r.get("equal") is False]
    result = {"from": describe_url(source.url), "to": describe_url(target.url),
              "schema_versions": {name: current_version(target, name) for name in schemas}, "tables": tables, "equal": not unequal,
              "seconds": round(time.perf_counter() - started, 2)}
    if left:
        other = "knowledge" if "conversations" in schemas else "conversations"
        result["not_copied"] = {"rows": left, "why": (
            f"these tables belong to the {other} schema, which an embedded install keeps in "
            f"{KNOWLEDGE_FILE if other == 'knowledge' else 'kefu.sqlite3'}: run db copy again with that file as --to. "
            "The knowledge base's vectors live in Chroma, not in the database: re-ingest the documents "
            "(or keep KEFU_CHROMA_URL) after moving to the embedded shape")}
    if unequal:
        raise ValueError(f"The copy differs from the source in {unequal}: {json.dumps(result, default=str)}")
    return result


def run_db_upgrade(settings, *, url: str | None = None) -> dict:
    """CLI: `python app.py db upgrade [--url URL]` (default: the app's database; embedded, also the knowledge
    base's own SQLite file when it exists)."""
    targets = [url or settings.database]
    knowledge_file = settings.data_dir / "knowledge.sqlite3"
    if not url and not settings.database_url and knowledge_file.exists():
        targets.append(f"sqlite:///{knowledge_file}")
    result = {}
    for target in targets:
        db = open_database(target)
        try:
            if db.dialect == POSTGRESQL:
                steps = upgrade_all(db)
            elif target.endswith("knowledge.sqlite3"):
                steps = {"knowledge": upgrade(db, schema="knowledge")}
            else:
                steps = {"conversations": upgrade(db)}
            result[describe_url(db.url)] = steps
        finally:
            db.close()
    return {"databases": result}


def run_db_copy(settings, *, source: str, target: str) -> dict:
    """CLI: `python app.py db copy --from URL --to URL`. The redaction vault goes with the conversations
    (components/privacy/vault_copy.py): vault.sqlite3 beside a SQLite file ↔ the vault tables on PostgreSQL."""
    from pathlib import Path

    from components.privacy.vault_copy import plan_vault_copy
    from components.storage.database import SQLITE, parse_database_url

    if source == target:
        raise ValueError("--from and --to name the same database")
    dialect, where = parse_database_url(source)
    if dialect == SQLITE and not Path(where).exists():
        raise ValueError(f"There is no SQLite file at {where} to copy from")
    src = open_database(source)
    try:
        dst = open_database(target)
        try:
            vault = plan_vault_copy(settings, src, dst)  # every refusal before anything is written
            try:
                result = copy_database(src, dst)
                if vault is not None:
                    result["vault"] = _copy_vault(vault, result)
            finally:
                if vault is not None:
                    vault.close()
            return result
        finally:
            dst.close()
    finally:
        src.close()


def _copy_vault(vault, result: dict) -> dict:
    try:
        copied = vault.run(rows_summary)
    except Exception as exc:
        raise ValueError(f"The tables were copied ({json.dumps(result, default=str)}) but the redaction vault was not "
                         f"({exc}); its rows are unchanged in {vault.source_where}. Fix the cause, then copy again "
                         "into a new empty database.") from exc
    if not copied["equal"]:
        raise ValueError(f"The copied redaction vault differs from the source: {json.dumps(copied, default=str)}")
    return copied
