"""Read and verify journal records on an open connection (recovery, standby tailing, verify).

Every row read is checked against its CRC and the command sequence must be contiguous; a failure
raises ``JournalCorruptError`` naming the table and seq, so a torn or corrupt tail is reported and
never applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from target_engine.journal.errors import JournalCorruptError
from target_engine.journal.records import (
    CommandRow,
    EventRow,
    Lease,
    SnapshotRow,
    command_crc,
    event_crc,
    snapshot_crc,
)


def last_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(seq) FROM commands").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def read_lease(conn: sqlite3.Connection) -> Lease | None:
    row = conn.execute("SELECT epoch, holder, expires_ms FROM lease WHERE id = 1").fetchone()
    return Lease(int(row[0]), str(row[1]), int(row[2])) if row else None


def read_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def read_commands(conn: sqlite3.Connection, after_seq: int, limit: int = 10_000) -> list[CommandRow]:
    """Commands with seq > after_seq in order, at most ``limit``; verified (CRC and no gap)."""
    rows = conn.execute(
        "SELECT seq, epoch, ts_ms, kind, payload, crc FROM commands WHERE seq > ? ORDER BY seq LIMIT ?",
        (after_seq, limit),
    ).fetchall()
    out: list[CommandRow] = []
    expected = after_seq + 1
    for seq, epoch, ts_ms, kind, payload, crc in rows:
        if seq != expected:
            raise JournalCorruptError("commands", expected, f"gap: next stored seq is {seq}")
        if not isinstance(payload, str) or command_crc(seq, epoch, ts_ms, kind, payload) != crc:
            raise JournalCorruptError("commands", seq, "CRC mismatch")
        out.append(CommandRow(seq, epoch, ts_ms, kind, payload))
        expected += 1
    return out


def iter_commands(conn: sqlite3.Connection, after_seq: int = 0, chunk: int = 20_000) -> Iterator[CommandRow]:
    """Every verified command after ``after_seq``, read in chunks."""
    cursor = after_seq
    while True:
        rows = read_commands(conn, cursor, chunk)
        if not rows:
            return
        yield from rows
        cursor = rows[-1].seq


def read_events(conn: sqlite3.Connection, first_seq: int, last_seq_incl: int) -> dict[int, list[EventRow]]:
    """Verified events for commands first_seq..last_seq_incl, grouped by seq in idx order."""
    out: dict[int, list[EventRow]] = {}
    rows = conn.execute(
        "SELECT seq, idx, kind, payload, crc FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq, idx",
        (first_seq, last_seq_incl),
    ).fetchall()
    for seq, idx, kind, payload, crc in rows:
        if not isinstance(payload, str) or event_crc(seq, idx, kind, payload) != crc:
            raise JournalCorruptError("events", seq, f"CRC mismatch at idx {idx}")
        group = out.setdefault(seq, [])
        if idx != len(group):
            raise JournalCorruptError("events", seq, f"idx gap: expected {len(group)}, found {idx}")
        group.append(EventRow(seq, idx, kind, payload))
    return out


def latest_snapshot(conn: sqlite3.Connection, max_seq: int | None = None) -> SnapshotRow | None:
    """The newest snapshot whose CRC verifies (older ones are tried when the newest is corrupt)."""
    sql = "SELECT seq, epoch, ts_ms, state_hash, payload, crc FROM snapshots"
    params: tuple[int, ...] = ()
    if max_seq is not None:
        sql += " WHERE seq <= ?"
        params = (max_seq,)
    for seq, epoch, ts_ms, state_hash, payload, crc in conn.execute(sql + " ORDER BY seq DESC", params):
        data = bytes(payload)
        if snapshot_crc(seq, epoch, state_hash, data) == crc:
            return SnapshotRow(seq, epoch, ts_ms, state_hash, data)
    return None


@dataclass(frozen=True)
class IntegrityReport:
    """Result of a full CRC and sequence scan."""

    last_good_seq: int
    commands: int
    events: int
    error: JournalCorruptError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def scan(conn: sqlite3.Connection) -> IntegrityReport:
    """Check every command and event; report the last good seq and the first corruption."""
    good = 0
    n_events = 0
    try:
        for row in iter_commands(conn, 0):
            good = row.seq
        upper = good
        cursor = 0
        while cursor < upper:
            hi = min(upper, cursor + 50_000)
            groups = read_events(conn, cursor + 1, hi)
            n_events += sum(len(g) for g in groups.values())
            cursor = hi
        stray = conn.execute("SELECT MIN(seq) FROM events WHERE seq > ?", (upper,)).fetchone()
        if stray and stray[0] is not None:
            raise JournalCorruptError("events", int(stray[0]), "events without a command")
    except JournalCorruptError as exc:
        last_good = exc.seq - 1 if exc.table == "commands" else min(good, exc.seq - 1)
        return IntegrityReport(last_good_seq=last_good, commands=good, events=n_events, error=exc)
    return IntegrityReport(last_good_seq=good, commands=good, events=n_events, error=None)
