"""One SQLite connection per thread for a file, all closed together (the shop's and the workspaces' desk databases).

Each connection is used by its own thread only; `check_same_thread=False` lets `close()` end them from another
thread. `setup(conn)` runs once on each new connection (pragmas, the row factory).
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Callable


class ThreadConnections:
    def __init__(self, path: Path, setup: Callable[[sqlite3.Connection], None]):
        self.path = Path(path)
        self._setup = setup
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=30000")
            self._setup(conn)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
