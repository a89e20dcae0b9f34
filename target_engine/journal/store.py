"""The journal writer: group-committed batches under a fencing epoch, lease, snapshots.

One ``Journal`` owns one SQLite connection (WAL; ``synchronous`` per ``Durability``: NORMAL
survives a process crash, FULL also an OS crash or power loss — see ``schema.Durability``).
Every write runs inside ``BEGIN IMMEDIATE`` (SQLite's single write lock), and batch appends re-read
the lease inside that transaction: a writer whose epoch is no longer the lease's epoch gets
``FencedError`` and nothing is written. Failpoints ``journal.append`` (before the rows are inserted)
and ``journal.fsync`` (before COMMIT) can delay or fail a batch; any failure rolls the whole batch
back.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from chaos import failpoints
from target_engine.journal import reader
from target_engine.journal.checkpoint import Checkpointer
from target_engine.journal.errors import FencedError, LeaseHeldError
from target_engine.journal.records import CommandRow, EventRow, FundingRow, Lease, snapshot_crc
from target_engine.journal.schema import Durability, connect, ensure_schema

COMMAND_COLS = 6
EVENT_COLS = 5
FUNDING_COLS = 6
_COMMANDS_SQL = "INSERT INTO commands(seq, epoch, ts_ms, kind, payload, crc) VALUES "
_EVENTS_SQL = "INSERT INTO events(seq, idx, kind, payload, crc) VALUES "
_FUNDINGS_SQL = "INSERT INTO funding_settlements(symbol, interval_start_ms, seq, rate, payload, crc) VALUES "
# rows per statement: chunks of 256, 64 and 16, then one statement for the rest (1..15 rows) -- at
# most 18 distinct statements per table (SQLite's statement cache keeps them prepared) and at most
# 256 * 6 bound values per statement (SQLite allows 32766)
_CHUNKS = (256, 64, 16)
_SQL: dict[tuple[str, int, int], str] = {}


def _statement(head: str, cols: int, rows: int) -> str:
    key = (head, cols, rows)
    sql = _SQL.get(key)
    if sql is None:
        one = "(" + ", ".join("?" * cols) + ")"
        sql = _SQL[key] = head + ", ".join([one] * rows)
    return sql


def _insert(conn: sqlite3.Connection, head: str, cols: int, flat: Sequence[object]) -> None:
    """INSERT ``len(flat) // cols`` rows of ``cols`` values each, in a few multi-row statements."""
    total = len(flat)
    if total % cols:
        raise ValueError(f"{total} values are not rows of {cols}")
    pos = 0
    for rows in _CHUNKS:
        width = rows * cols
        while total - pos >= width:
            conn.execute(_statement(head, cols, rows), flat[pos:pos + width])
            pos += width
    if pos < total:
        conn.execute(_statement(head, cols, (total - pos) // cols), flat[pos:] if pos else flat)


class Journal:
    """Writer side of the journal file. Thread-safe through one lock (one writer thread at a time)."""

    def __init__(
        self,
        path: str | Path,
        engine_config_json: str | None = None,
        durability: Durability = Durability.POWER,
        checkpoint_interval_s: float | None = 0.5,
    ) -> None:
        """``checkpoint_interval_s``: WAL checkpoints by a background thread at that interval, never
        inside a commit (see ``checkpoint.py``); None keeps SQLite's automatic checkpoint."""
        self.path = Path(path)
        self.durability = durability
        self.conn = connect(self.path, durability=durability)
        ensure_schema(self.conn, engine_config_json)
        self._lock = threading.Lock()
        self._checkpointer: Checkpointer | None = None
        if checkpoint_interval_s is not None:
            self.conn.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = Checkpointer(self.path, checkpoint_interval_s)
            self._checkpointer.start()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        with self._lock:
            self.conn.close()

    # ---------------------------------------------------------------- reads
    def last_seq(self) -> int:
        with self._lock:
            return reader.last_seq(self.conn)

    def lease(self) -> Lease | None:
        with self._lock:
            return reader.read_lease(self.conn)

    # ---------------------------------------------------------------- lease
    def acquire(
        self,
        color: str,
        ttl_ms: int,
        now_ms: int,
        *,
        force: bool = False,
        catch_up: Callable[[sqlite3.Connection], int] | None = None,
    ) -> int:
        """Take the lease with a new epoch (max epoch + 1); return that epoch.

        Raises LeaseHeldError when another holder's lease is live and ``force`` is false. ``catch_up``
        runs inside the write lock before the epoch is bumped (a promoting standby applies the
        commands it has not seen yet, so nothing can be written in between); it returns the last
        seq applied, which becomes the new epoch's ``start_seq - 1``.
        """
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                current = reader.read_lease(conn)
                if current and not force and current.holder != color and current.live(now_ms):
                    raise LeaseHeldError(current.epoch, current.holder, current.expires_ms)
                applied = catch_up(conn) if catch_up else reader.last_seq(conn)
                row = conn.execute("SELECT MAX(epoch) FROM epochs").fetchone()
                epoch = max(int(row[0] or 0), current.epoch if current else 0) + 1
                conn.execute(
                    "INSERT INTO epochs(epoch, color, started_ms, start_seq) VALUES (?, ?, ?, ?)",
                    (epoch, color, now_ms, applied + 1),
                )
                conn.execute(
                    "INSERT INTO lease(id, epoch, holder, expires_ms) VALUES (1, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET epoch=excluded.epoch, holder=excluded.holder, "
                    "expires_ms=excluded.expires_ms",
                    (epoch, color, now_ms + ttl_ms),
                )
                conn.execute("COMMIT")
                return epoch
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def renew(self, epoch: int, color: str, ttl_ms: int, now_ms: int) -> bool:
        """Extend our lease; False when we have been fenced (another epoch holds it)."""
        with self._lock:
            cur = self.conn.execute(
                "UPDATE lease SET expires_ms = ? WHERE id = 1 AND epoch = ? AND holder = ?",
                (now_ms + ttl_ms, epoch, color),
            )
            return cur.rowcount == 1

    def release(self, epoch: int, color: str) -> None:
        """Expire our lease now (clean shutdown), so a standby can promote without waiting."""
        with self._lock:
            self.conn.execute(
                "UPDATE lease SET expires_ms = 0 WHERE id = 1 AND epoch = ? AND holder = ?", (epoch, color)
            )

    # ---------------------------------------------------------------- batches
    def append_batch(
        self,
        epoch: int,
        commands: Sequence[CommandRow],
        events: Sequence[EventRow],
        fundings: Sequence[FundingRow] = (),
    ) -> None:
        """Write one batch in one transaction, or nothing (the record-object form of ``append_rows``)."""
        if not commands:
            return
        self.append_rows(
            epoch,
            [v for c in commands for v in (c.seq, c.epoch, c.ts_ms, c.kind, c.payload, c.crc)],
            [v for e in events for v in (e.seq, e.idx, e.kind, e.payload, e.crc)],
            [v for f in fundings for v in (f.symbol, f.interval_start_ms, f.seq, f.rate, f.payload, f.crc)],
        )

    def append_rows(
        self,
        epoch: int,
        commands: Sequence[object],
        events: Sequence[object] = (),
        fundings: Sequence[object] = (),
    ) -> None:
        """Write one batch in one transaction, or nothing. Raises FencedError when fenced,
        ``sqlite3.Error`` on I/O failure, ``failpoints.FailpointError`` when a failpoint fires.

        Rows come flat, CRC included: ``commands`` holds ``COMMAND_COLS`` values per row (seq, epoch,
        ts_ms, kind, payload, crc), ``events`` ``EVENT_COLS`` (seq, idx, kind, payload, crc),
        ``fundings`` ``FUNDING_COLS`` (symbol, interval_start_ms, seq, rate, payload, crc). They are
        inserted with multi-row INSERTs (a few statements per batch instead of one step per row:
        each step hands the GIL back and forth with the event loop thread)."""
        if not commands:
            return
        with self._lock:
            conn = self.conn
            failpoints.hit("journal.append")
            conn.execute("BEGIN IMMEDIATE")
            try:
                lease = reader.read_lease(conn)
                if lease is None or lease.epoch != epoch:
                    raise FencedError(epoch, lease.epoch if lease else 0, lease.holder if lease else "")
                _insert(conn, _COMMANDS_SQL, COMMAND_COLS, commands)
                if events:
                    _insert(conn, _EVENTS_SQL, EVENT_COLS, events)
                if fundings:
                    _insert(conn, _FUNDINGS_SQL, FUNDING_COLS, fundings)
                failpoints.hit("journal.fsync")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    # ---------------------------------------------------------------- snapshots
    def write_snapshot(self, seq: int, epoch: int, ts_ms: int, state_hash: str, payload: bytes) -> None:
        with self._lock:
            self.conn.execute(
                "INSERT OR REPLACE INTO snapshots(seq, epoch, ts_ms, state_hash, payload, crc) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (seq, epoch, ts_ms, state_hash, payload, snapshot_crc(seq, epoch, state_hash, payload)),
            )

    # ---------------------------------------------------------------- repair
    def quarantine_from(self, seq: int, reason: str) -> int:
        """Move every command, event and funding row with seq >= ``seq`` to ``quarantine``.

        Used only on explicit operator request (``--truncate-corrupt-tail``); returns rows moved.
        """
        with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                moved = 0
                for table, cols in (
                    ("commands", "seq, epoch, ts_ms, kind, payload, crc"),
                    ("events", "seq, idx, kind, payload, crc"),
                    ("funding_settlements", "symbol, interval_start_ms, seq, rate, payload, crc"),
                    ("snapshots", "seq, epoch, ts_ms, state_hash, crc"),
                ):
                    names = [c.strip() for c in cols.split(",")]
                    for row in conn.execute(f"SELECT {cols} FROM {table} WHERE seq >= ?", (seq,)).fetchall():  # noqa: S608
                        record = dict(zip(names, row, strict=True))
                        conn.execute(
                            "INSERT INTO quarantine(tbl, seq, row, reason) VALUES (?, ?, ?, ?)",
                            (table, record["seq"], json.dumps(record, default=str), reason),
                        )
                        moved += 1
                    conn.execute(f"DELETE FROM {table} WHERE seq >= ?", (seq,))  # noqa: S608
                conn.execute("COMMIT")
                return moved
            except BaseException:
                conn.execute("ROLLBACK")
                raise
