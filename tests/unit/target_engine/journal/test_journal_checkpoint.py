"""WAL checkpoints run in the journal's background thread, not inside commits: with the automatic
checkpoint off, committed batches reach the database file within a few checkpoint intervals."""

from __future__ import annotations

import time
from pathlib import Path

from target_engine.journal import CommandRow, Durability, EventRow, Journal, canonical_json, reader


def _append(j: Journal, epoch: int, first: int, n: int) -> None:
    cmds = [CommandRow(s, epoch, s, "Deposit", canonical_json({"pad": "x" * 500, "s": s}))
            for s in range(first, first + n)]
    j.append_batch(epoch, cmds, [EventRow(c.seq, 0, "Ev", c.payload) for c in cmds])


def test_background_checkpoint_copies_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    j = Journal(path, "{}", durability=Durability.PROCESS, checkpoint_interval_s=0.05)
    try:
        assert j.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        assert j.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        epoch = j.acquire("blue", 60_000, 0)
        before = path.stat().st_size
        _append(j, epoch, 1, 200)
        deadline = time.monotonic() + 10
        while path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.stat().st_size > before, "no checkpoint copied the WAL into the database file"
        assert reader.last_seq(j.conn) == 200
    finally:
        j.close()


def test_automatic_checkpoint_kept_when_asked(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite", "{}", durability=Durability.POWER, checkpoint_interval_s=None)
    try:
        assert j.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
        assert j.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        j.close()
