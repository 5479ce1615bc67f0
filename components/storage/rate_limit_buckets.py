"""Token buckets of the rate limiter in the database, so every app replica counts the same customer's messages.

The bucket arithmetic is the rate limiter's (components/privacy/rate_limiter.py); this store only takes one token
atomically: the row is locked (PostgreSQL `SELECT … FOR UPDATE`; SQLite's write transaction) while it is read and
written back. Times are wall-clock seconds (time.time()), the one clock the replicas share. Buckets idle long
enough to be full again are deleted now and then, so the table stays as small as the set of active customers.
"""
from __future__ import annotations

from components.storage.database import POSTGRESQL, Database
from components.storage.migrations import upgrade

_SWEEP_EVERY = 500  # takes between two deletions of idle buckets


class DatabaseBuckets:
    def __init__(self, db: Database):
        self.db = db
        upgrade(db)
        self._takes = 0

    def take(self, key: str, now: float, rate_per_s: float, burst: float) -> float | None:
        """Take one token from `key`'s bucket: None when allowed, else the seconds until one is there."""
        lock = " FOR UPDATE" if self.db.dialect == POSTGRESQL else ""
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO rate_limit_buckets (key, tokens, updated_at) VALUES (?,?,?) "
                       "ON CONFLICT (key) DO NOTHING", (key, float(burst), now))
            tokens, last = tx.rows(f"SELECT tokens, updated_at FROM rate_limit_buckets WHERE key = ?{lock}",
                                   (key,))[0]
            tokens = min(float(burst), float(tokens) + max(0.0, now - float(last)) * rate_per_s)
            wait = None if tokens >= 1.0 else round((1.0 - tokens) / rate_per_s, 2)
            tx.execute("UPDATE rate_limit_buckets SET tokens = ?, updated_at = ? WHERE key = ?",
                       (tokens - 1.0 if wait is None else tokens, now, key))
        self._takes += 1
        if self._takes % _SWEEP_EVERY == 0:
            self.db.execute("DELETE FROM rate_limit_buckets WHERE updated_at < ?", (now - burst / rate_per_s,))
        return wait

    def reset(self, key: str) -> None:
        self.db.execute("DELETE FROM rate_limit_buckets WHERE key = ?", (key,))

    def __len__(self) -> int:
        return int(self.db.scalar("SELECT COUNT(*) FROM rate_limit_buckets"))
