"""The redaction vault's part of `python app.py db copy`: an embedded install keeps the vault in its own file,
vault.sqlite3 beside kefu.sqlite3; a PostgreSQL install keeps it in the shared tables vault_entries/vault_meta. The
copy moves its rows verbatim (the ciphertexts and keyed HMACs as they are: no value is decrypted), so a token
redacted before the move resolves after it under the same key (KEFU_VAULT_KEY or KEFU_VAULT_KEY_FILE).

Everything is checked before `db copy` writes anything: the configured key must open the source vault and the
target vault if it has one, and no token of the source may stand for a different value in the target (or a value
under a different token). The rows then go in one transaction, and both sides are read again: the count and the
checksum (as for the other tables) must be equal. The source is only read.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

from components.privacy.redaction_vault import create_vault_tables, key_check_matches, settings_key
from components.storage.database import POSTGRESQL, Database, SqliteDatabase, describe_url

log = logging.getLogger(__name__)

VAULT_FILE = "vault.sqlite3"
KNOWLEDGE_FILE = "knowledge.sqlite3"
COLUMNS = ("conversation_id", "type", "token", "value_mac", "ciphertext", "created_at")


@dataclass
class VaultCopy:
    """A checked plan: what to copy from where to where. `run()` writes; `close()` closes what it opened."""
    source: Database
    source_where: str
    target: Database | None  # None: a SQLite vault file not opened yet (created if need be by run())
    target_path: Path | None
    target_where: str
    rows: list[tuple]
    meta: list[tuple]
    already_there: int = 0
    _opened: list[Database] = field(default_factory=list)

    def run(self, summarize) -> dict:
        """Insert the rows not already in the target in one transaction; compare counts and checksums (`summarize`:
        rows → {rows, checksum}, as for the other tables)."""
        if self.target is None:
            self.target = SqliteDatabase(self.target_path)
            self._opened.append(self.target)
        create_vault_tables(self.target)
        present = _keys(self.target)
        new = [row for row in self.rows if (row[0], row[2]) not in present]
        insert = f"INSERT INTO vault_entries ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
        with self.target.transaction() as tx:
            for key, value in self.meta:
                tx.execute("INSERT INTO vault_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                           (key, value))
            for row in new:  # in the source's id order, so tokens() lists them as before
                tx.execute(insert, row)
        wanted = {(row[0], row[2]) for row in self.rows}
        copied = [row for row in self.target.rows(f"SELECT {', '.join(COLUMNS)} FROM vault_entries ORDER BY id")
                  if (row[0], row[2]) in wanted]
        before, after = summarize(self.rows), summarize(copied)
        return {"from": self.source_where, "to": self.target_where, "rows": before["rows"],
                "target_rows": after["rows"], "checksum": before["checksum"], "target_checksum": after["checksum"],
                "already_there": self.already_there, "equal": before == after}

    def close(self) -> None:
        for db in self._opened:
            db.close()


def _keys(db: Database) -> set[tuple]:
    return {(c, t) for c, t in db.rows("SELECT conversation_id, token FROM vault_entries")}


def _sqlite_vault(db: Database) -> Path | None:
    """The vault file of an embedded install whose conversations file is `db`; None for knowledge.sqlite3."""
    path = Path(db.path)
    return None if path.name == KNOWLEDGE_FILE else path.parent / VAULT_FILE


def _has_vault(db: Database) -> bool:
    return "vault_entries" in db.tables()


def _key_for(settings) -> Fernet:
    key_file = Path(getattr(settings, "vault_key_file", "~/.config/kefu/vault.key")).expanduser()
    if not getattr(settings, "vault_key", "") and not key_file.exists():
        raise ValueError(f"The source has a redaction vault but no vault key is configured ({key_file} does not "
                         "exist): set KEFU_VAULT_KEY or KEFU_VAULT_KEY_FILE to the key the source install uses, so "
                         "the copy can check that the target uses the same one")
    return Fernet(settings_key(settings))


def plan_vault_copy(settings, source: Database, target: Database) -> VaultCopy | None:
    """The checked plan for the vault beside `source` into the vault beside `target`, or None when the source has no
    vault rows (or the copy is of knowledge.sqlite3). Raises ValueError, having written nothing, when the configured
    key does not open a vault or a token conflicts."""
    opened: list[Database] = []
    try:
        plan = _plan(settings, source, target, opened)
    except BaseException:
        for db in opened:
            db.close()
        raise
    if plan is None:
        for db in opened:
            db.close()
    else:
        plan._opened = opened
    return plan


def _plan(settings, source: Database, target: Database, opened: list[Database]) -> VaultCopy | None:
    if source.dialect == POSTGRESQL:
        if not _has_vault(source):
            return None
        vault, source_where = source, f"vault_entries in {describe_url(source.url)}"
    else:
        path = _sqlite_vault(source)
        if path is None or not path.exists():
            return None
        vault = SqliteDatabase(path)
        opened.append(vault)
        source_where = str(path)
        if not _has_vault(vault):
            return None
    rows = vault.rows(f"SELECT {', '.join(COLUMNS)} FROM vault_entries ORDER BY id")
    if not rows:
        return None
    write_to = None
    if target.dialect == POSTGRESQL:
        write_to, target_path, target_where = target, None, f"vault_entries in {describe_url(target.url)}"
        target_vault = target if _has_vault(target) else None
    else:
        target_path = _sqlite_vault(target)
        if target_path is None:  # the knowledge registry's file: the vault goes with the conversations' copy
            return None
        target_where, target_vault = str(target_path), None
        if target_path.exists():
            write_to = target_vault = SqliteDatabase(target_path)
            opened.append(target_vault)
            if not _has_vault(target_vault):
                target_vault = None
    fernet = _key_for(settings)
    if key_check_matches(vault, fernet) is False:
        raise ValueError(f"The source vault ({source_where}) was encrypted with a different key than the one "
                         "configured: set KEFU_VAULT_KEY (or KEFU_VAULT_KEY_FILE) to the source install's key. "
                         "Nothing was copied.")
    already = 0
    if target_vault is not None:
        if key_check_matches(target_vault, fernet) is False:
            raise ValueError(f"The target vault ({target_where}) was encrypted with a different key than the source "
                             f"vault ({source_where}): its tokens and the copied ones could not both be resolved. "
                             "Copy into a database without a vault, or give both installs the same KEFU_VAULT_KEY "
                             "first. Nothing was copied.")
        already, conflicts = _compare(rows, target_vault)
        if conflicts:
            shown = ", ".join(f"{c} {t}" for c, t in conflicts[:5])
            raise ValueError(f"The target vault ({target_where}) already holds {len(conflicts)} token(s) of the same "
                             f"conversations for different values ({shown}{', …' if len(conflicts) > 5 else ''}): "
                             "copying would make them resolve wrongly. Copy into a database without those "
                             "conversations. Nothing was copied.")
    meta = vault.rows("SELECT key, value FROM vault_meta") if "vault_meta" in vault.tables() else []
    return VaultCopy(source=vault, source_where=source_where, target=write_to, target_path=target_path,
                     target_where=target_where, rows=rows, meta=meta, already_there=already)


def _compare(rows: list[tuple], target: Database) -> tuple[int, list[tuple]]:
    """(rows the target already holds identically, (conversation, token) pairs that conflict). A conflict: the same
    token for another value, or the same value under another token, in one conversation."""
    by_token, by_value = {}, {}
    for conversation, type_, token, mac in target.rows(
            "SELECT conversation_id, type, token, value_mac FROM vault_entries"):
        by_token[(conversation, token)] = mac
        by_value[(conversation, type_, mac)] = token
    same, conflicts = 0, []
    for conversation, type_, token, mac, _ciphertext, _at in rows:
        there = by_token.get((conversation, token))
        other = by_value.get((conversation, type_, mac))
        if there == mac and other == token:
            same += 1
        elif there is not None or other is not None:
            conflicts.append((conversation, token))
    return same, conflicts
