"""SIGKILL in the middle of a streamed answer (and of an ingestion): after a restart nothing completed is lost,
the interrupted turn is marked, and SQLite's integrity check passes."""
from __future__ import annotations

import sqlite3
import time

from tests.conftest import RunningApp


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {what}")


def test_kill_during_streamed_answer(tmp_path, model_cache_dir):
    data = tmp_path / "data"
    app = RunningApp(data, model_cache_dir).start()
    db_path = data / "kefu.sqlite3"
    try:
        client = app.client()
        done = client.predict("What is your return policy?", "", api_name="/chat")
        cid = done["conversation_id"]
        job = client.submit("Explain how refunds for a cancelled order work, in detail.", cid, api_name="/chat")

        def streaming_row():
            db = sqlite3.connect(db_path)
            try:
                return db.execute("SELECT id FROM messages WHERE conversation_id = ? AND state = 'streaming'",
                                  (cid,)).fetchone()
            finally:
                db.close()

        row = _wait_for(streaming_row, 120, "the answer to start streaming")
        app.kill()  # SIGKILL
        del job
    finally:
        app.stop()
    app = RunningApp(data, model_cache_dir).start()
    try:
        db = sqlite3.connect(db_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT id, role, state, text FROM messages WHERE conversation_id = ? ORDER BY id",
                          (cid,)).fetchall()
        db.close()
        assert [r[1] for r in rows] == ["customer", "bot", "customer", "bot"]
        assert rows[1][2] == "complete" and rows[1][3] == done["reply"]          # the completed turn is intact
        assert rows[2][3].startswith("Explain how refunds")                     # the question was stored
        assert rows[3][0] == row[0] and rows[3][2] == "interrupted"              # marked, not silently half-saved
        # the conversation goes on after the restart
        after = app.client().predict("thanks", cid, api_name="/chat")
        assert after["conversation_id"] == cid and after["reply"]
    finally:
        app.stop()
