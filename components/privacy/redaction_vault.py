"""The redaction vault: the raw values behind `[EMAIL_1]`-style tokens, encrypted at rest.

Every value is encrypted with Fernet (AES-128-CBC + HMAC-SHA256) before it reaches SQLite. Lookups by value (the same
email twice in one conversation gets the same token; `forget --customer EMAIL` finds every conversation where the
email was typed) go through a keyed HMAC of the normalised value, so the file holds neither the value nor an
unkeyed hash of it. The key comes from KEFU_VAULT_KEY or from a key file kept OUTSIDE the data directory (default
~/.config/kefu/vault.key, created 0600 on first use): a copy of the data directory alone reveals nothing.

Who may resolve a token is decided by the callers: the order-desk tools (to authenticate the customer) and
logged-in agents (the console should audit each reveal). Customers, exports, analytics and logs only see tokens.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import sqlite3
import stat
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

log = logging.getLogger(__name__)

DEFAULT_KEY_FILE = Path("~/.config/kefu/vault.key")
PII_TYPES = ("EMAIL", "PHONE", "CARD", "CN_ID", "IBAN", "ADDRESS", "HEALTH")  # HEALTH: components/workspaces/sensitive_data.py
TOKEN_PATTERN = re.compile(r"\[(EMAIL|PHONE|CARD|CN_ID|IBAN|ADDRESS|HEALTH)_(\d{1,6})\]")
_KEY_CHECK = b"kefu redaction vault key check"
_PASSPHRASE_SALT = b"kefu-redaction-vault-v1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vault_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vault_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    type TEXT NOT NULL,
    token TEXT NOT NULL,
    value_mac TEXT NOT NULL,            -- keyed HMAC of the normalised value (lookups, dedup)
    ciphertext BLOB NOT NULL,           -- Fernet token of the value as typed
    created_at REAL NOT NULL,
    UNIQUE (conversation_id, token)
);
CREATE INDEX IF NOT EXISTS vault_by_value ON vault_entries (value_mac);
CREATE INDEX IF NOT EXISTS vault_by_conversation ON vault_entries (conversation_id, type);
"""


def normalize_value(type_: str, value: str) -> str:
    """The form two spellings of one value share: emails lower-cased, numbers without separators."""
    value = str(value).strip()
    if type_ == "EMAIL":
        return value.lower()
    if type_ in ("PHONE", "CARD"):
        digits = re.sub(r"\D", "", value)
        if type_ == "PHONE" and digits.startswith("0086"):
            digits = digits[4:]
        elif type_ == "PHONE" and len(digits) == 13 and digits.startswith("86"):
            digits = digits[2:]
        return digits
    if type_ in ("CN_ID", "IBAN"):
        return re.sub(r"\s", "", value).upper()
    return re.sub(r"\s+", " ", value).lower()


def _fernet_key_from_setting(key: str) -> bytes:
    """A Fernet key as given, or one derived (PBKDF2-SHA256) from a passphrase."""
    raw = key.strip().encode("utf-8")
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            Fernet(raw)
            return raw
    except (ValueError, TypeError):
        pass
    if len(key.strip()) < 12:
        raise ValueError("KEFU_VAULT_KEY is too short: use a Fernet key (python -c \"from cryptography.fernet import "
                         "Fernet; print(Fernet.generate_key().decode())\") or a passphrase of 12 or more characters")
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=_PASSPHRASE_SALT, iterations=200_000)
    return base64.urlsafe_b64encode(kdf.derive(raw))


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def load_or_create_key_file(key_file: Path, *, data_dir: Path | None = None) -> bytes:
    """Read the Fernet key from `key_file`, creating it (0600, folder 0700) when it does not exist."""
    key_file = Path(key_file).expanduser()
    if data_dir is not None and _is_inside(key_file, data_dir):
        raise ValueError(f"The vault key file {key_file} is inside the data directory {data_dir}: anyone with a copy "
                         "of the data could decrypt the vault. Keep it elsewhere (default ~/.config/kefu/vault.key) "
                         "or set KEFU_VAULT_KEY.")
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Fernet.generate_key()
        try:
            fd = os.open(str(key_file), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return load_or_create_key_file(key_file, data_dir=data_dir)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
        log.info("created a new redaction vault key at %s (back it up: without it the vault cannot be read)",
                 key_file)
        return key
    mode = key_file.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the vault key file %s can be read by other users; run: chmod 600 %s", key_file, key_file)
    key = key_file.read_bytes().strip()
    try:
        Fernet(key)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{key_file} does not hold a Fernet key (44 URL-safe base64 characters); "
                         "move it away to have a new one created (the old vault then cannot be read)") from exc
    return key


class RedactionVault:
    """Encrypted token → value store, one SQLite file (normally <data_dir>/vault.sqlite3). Thread-safe."""

    def __init__(self, path: Path, key_file: Path | None = None, key: str | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if key:
            fernet_key = _fernet_key_from_setting(key)
        else:
            fernet_key = load_or_create_key_file(key_file or DEFAULT_KEY_FILE, data_dir=self.path.parent)
        self._fernet = Fernet(fernet_key)
        self._mac_key = hmac.new(fernet_key, b"kefu-vault-index", hashlib.sha256).digest()
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, no fsync per message
            self._db.execute("PRAGMA secure_delete=ON")  # forgotten values are overwritten, not just unlinked
            self._db.executescript(_SCHEMA)
            self._check_key()

    @classmethod
    def from_settings(cls, settings) -> "RedactionVault":
        """The app's vault: <data_dir>/vault.sqlite3, key from KEFU_VAULT_KEY or KEFU_VAULT_KEY_FILE."""
        return cls(Path(settings.data_dir) / "vault.sqlite3",
                   key_file=Path(getattr(settings, "vault_key_file", DEFAULT_KEY_FILE)).expanduser(),
                   key=getattr(settings, "vault_key", "") or None)

    def _check_key(self) -> None:
        row = self._db.execute("SELECT value FROM vault_meta WHERE key = 'key_check'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO vault_meta VALUES ('key_check', ?)",
                             (self._fernet.encrypt(_KEY_CHECK).decode("ascii"),))
            return
        try:
            ok = self._fernet.decrypt(row[0].encode("ascii")) == _KEY_CHECK
        except InvalidToken:
            ok = False
        if not ok:
            raise ValueError(f"The redaction vault {self.path} was encrypted with a different key. Set KEFU_VAULT_KEY "
                             "(or KEFU_VAULT_KEY_FILE) to the key used before, or move the vault file away to start "
                             "an empty one (its tokens then can no longer be resolved).")

    def _mac(self, type_: str, value: str) -> str:
        return hmac.new(self._mac_key, f"{type_}\x00{normalize_value(type_, value)}".encode("utf-8"),
                        hashlib.sha256).hexdigest()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing ---------------------------------------------------------------------------------------------------
    def store(self, conversation_id: str, type_: str, value: str) -> str:
        """The token for `value` in this conversation: the existing one for the same value, else a new one."""
        if type_ not in PII_TYPES:
            raise ValueError(f"Unknown PII type {type_!r}; expected one of {PII_TYPES}")
        if not conversation_id or not str(value).strip():
            raise ValueError("store() needs a conversation id and a non-empty value")
        mac = self._mac(type_, value)
        with self._lock:
            row = self._db.execute("SELECT token FROM vault_entries WHERE conversation_id = ? AND type = ? AND "
                                   "value_mac = ?", (conversation_id, type_, mac)).fetchone()
            if row:
                return row[0]
            count = self._db.execute("SELECT COUNT(*) FROM vault_entries WHERE conversation_id = ? AND type = ?",
                                     (conversation_id, type_)).fetchone()[0]
            token = f"[{type_}_{count + 1}]"
            self._db.execute("INSERT INTO vault_entries (conversation_id, type, token, value_mac, ciphertext, "
                             "created_at) VALUES (?,?,?,?,?,?)",
                             (conversation_id, type_, token, mac, self._fernet.encrypt(str(value).encode("utf-8")),
                              time.time()))
            return token

    def forget_conversation(self, conversation_id: str) -> int:
        """Delete every value of one conversation. Returns how many."""
        with self._lock:
            cur = self._db.execute("DELETE FROM vault_entries WHERE conversation_id = ?", (conversation_id,))
            return cur.rowcount

    def forget_value(self, conversation_id: str, type_: str, value: str) -> int:
        """Delete one value from one conversation (its token then stays unresolved). Returns how many entries."""
        with self._lock:
            return self._db.execute("DELETE FROM vault_entries WHERE conversation_id = ? AND value_mac = ?",
                                    (conversation_id, self._mac(type_, value))).rowcount

    def forget_before(self, timestamp: float) -> int:
        """Delete every value stored before `timestamp` (retention). Returns how many."""
        with self._lock:
            return self._db.execute("DELETE FROM vault_entries WHERE created_at < ?", (timestamp,)).rowcount

    def compact(self) -> None:
        """Rewrite the file and empty the write-ahead log, so deleted ciphertexts leave no copy behind."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- reading ---------------------------------------------------------------------------------------------------
    def resolve(self, conversation_id: str, token: str) -> str | None:
        """The raw value behind `token` in this conversation, or None. For the order desk and logged-in agents."""
        with self._lock:
            row = self._db.execute("SELECT ciphertext FROM vault_entries WHERE conversation_id = ? AND token = ?",
                                   (conversation_id, str(token).strip())).fetchone()
        if row is None:
            return None
        return self._fernet.decrypt(bytes(row[0])).decode("utf-8")

    def resolve_text(self, conversation_id: str, text: str) -> str:
        """`text` with every token of this conversation replaced by its value (unknown tokens stay)."""
        if "[" not in (text or ""):
            return text
        with self._lock:
            rows = self._db.execute("SELECT token, ciphertext FROM vault_entries WHERE conversation_id = ?",
                                    (conversation_id,)).fetchall()
        if not rows:
            return text
        values = {token: ciphertext for token, ciphertext in rows}

        def swap(match: re.Match) -> str:
            ciphertext = values.get(match.group(0))
            return self._fernet.decrypt(bytes(ciphertext)).decode("utf-8") if ciphertext is not None else match.group(0)

        return TOKEN_PATTERN.sub(swap, text)

    def resolve_data(self, conversation_id: str, data):
        """`resolve_text` on every string inside a JSON-like value (e.g. the order desk's stored state)."""
        if isinstance(data, str):
            return self.resolve_text(conversation_id, data)
        if isinstance(data, dict):
            return {k: self.resolve_data(conversation_id, v) for k, v in data.items()}
        if isinstance(data, (list, tuple)):
            return [self.resolve_data(conversation_id, v) for v in data]
        return data

    def tokens(self, conversation_id: str) -> list[dict]:
        """The tokens of a conversation (type, token, created_at), without values."""
        with self._lock:
            rows = self._db.execute("SELECT type, token, created_at FROM vault_entries WHERE conversation_id = ? "
                                    "ORDER BY id", (conversation_id,)).fetchall()
        return [{"type": t, "token": tok, "created_at": at} for t, tok, at in rows]

    def conversations_with_value(self, type_: str, value: str) -> list[str]:
        """Conversations in which this value (e.g. a customer's email) was typed."""
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT conversation_id FROM vault_entries WHERE value_mac = ?",
                                    (self._mac(type_, value),)).fetchall()
        return [r[0] for r in rows]

    def conversation_ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT conversation_id FROM vault_entries")]

    def fingerprint(self, type_: str, value: str) -> str:
        """A short keyed fingerprint of a value, for audit rows that must not hold the value itself."""
        return self._mac(type_, value)[:16]

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM vault_entries").fetchone()[0]
