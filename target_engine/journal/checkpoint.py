"""WAL checkpoints off the commit path.

SQLite's automatic checkpoint runs inside the COMMIT that crosses ~1000 WAL pages, on the writer's
connection: it copies the WAL into the database file and fsyncs both, which on a busy disk stalls
that commit (and every order waiting for it) for up to a second. The journal turns the automatic
checkpoint off on its writer connection and runs ``PRAGMA wal_checkpoint(PASSIVE)`` here instead,
every ``interval_s``, on a connection and thread of its own: a passive checkpoint never waits for
the writer or readers, and the writer keeps appending to the WAL meanwhile.

With ``synchronous=NORMAL`` (``Durability.PROCESS``) this is also when the WAL reaches the disk, so
an OS crash or power loss can lose about the last ``interval_s`` of commits; a crash of the engine
process loses nothing either way. Errors are logged and retried at the next interval.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("target_engine.journal")


class Checkpointer:
    def __init__(self, path: str | Path, interval_s: float = 0.5) -> None:
        self.path = Path(path)
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread (its last checkpoint, if one is running, completes first)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            log.error("journal checkpointer cannot open %s: %s", self.path, exc)
            return
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            while not self._stop.wait(self.interval_s):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:
                    log.warning("journal checkpoint failed (retrying): %s", exc)
        finally:
            conn.close()
