"""Read and verify journal records on an open connection (recovery, standby tailing, verify).

Every row read is checked against its CRC and the command sequence must be contiguous; a failure
raises ``JournalCorruptError`` naming the table and seq, so a torn or corrupt tail is reported and
never applied.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from target_engine.journal.errors import JournalCorruptError
from target_engine.journal.records import (
    CommandRow,
    EventRow,
    Lease,
    SnapshotRow,
    event_crc,
    snapshot_crc,
)


def last_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(seq) FROM commands").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def last_snapshot_seq(conn: sqlite3.Connection) -> int:
    """The highest snapshot row's seq, 0 without one (its CRC unchecked: for scheduling and metrics;
    recovery uses ``latest_snapshot``)."""
    row = conn.execute("SELECT MAX(seq) FROM snapshots").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def read_lease(conn: sqlite3.Connection) -> Lease | None:
    row = conn.execute("SELECT epoch, holder, expires_ms FROM lease WHERE id = 1").fetchone()
    return Lease(int(row[0]), str(row[1]), int(row[2])) if row else None


def read_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


_COMMANDS_SQL = (
    "SELECT seq, epoch, ts_ms, kind, payload, crc FROM commands WHERE seq > ? ORDER BY seq LIMIT ?"
)

#: A verified command row as read: (seq, epoch, ts_ms, kind, payload, crc).
RawCommand = tuple[int, int, int, str, str, int]


def read_command_tuples(conn: sqlite3.Connection, after_seq: int, limit: int = 10_000) -> list[RawCommand]:
    """Commands with seq > after_seq in order, at most ``limit``, as plain tuples; verified (CRC of
    every row, no gap). The cheap form for replay: no row objects, one pass over the chunk.
    Raises ``JournalCorruptError`` for the first bad row (earlier rows of the chunk are not returned:
    the caller applies nothing it has not seen verified)."""
    rows = conn.execute(_COMMANDS_SQL, (after_seq, limit)).fetchall()
    if not rows:
        return []
    # seq is the INTEGER PRIMARY KEY (unique, ascending): the chunk is contiguous iff its ends are.
    gap = found = None
    if rows[0][0] != after_seq + 1 or rows[-1][0] != after_seq + len(rows):
        gap = next(i for i, row in enumerate(rows) if row[0] != after_seq + 1 + i)
        found = rows[gap][0]
        rows = rows[:gap]  # rows before the gap are checked first: the first failure is reported
    crc32 = zlib.crc32
    # records.command_crc inlined: CRC-32 of the UTF-8 bytes of "seq|epoch|ts_ms|kind|payload"
    bad = next(
        (
            row[0]
            for row in rows
            if type(row[4]) is not str
            or crc32(f"{row[0]}|{row[1]}|{row[2]}|{row[3]}|{row[4]}".encode()) != row[5]
        ),
        None,
    )
    if bad is not None:
        raise JournalCorruptError("commands", bad, "CRC mismatch")
    if gap is not None:
        raise JournalCorruptError("commands", after_seq + 1 + gap, f"gap: next stored seq is {found}")
    return rows


def read_commands(conn: sqlite3.Connection, after_seq: int, limit: int = 10_000) -> list[CommandRow]:
    """Commands with seq > after_seq in order, at most ``limit``; verified (CRC and no gap)."""
    return [CommandRow(*row[:5]) for row in read_command_tuples(conn, after_seq, limit)]


def iter_command_chunks(
    conn: sqlite3.Connection, after_seq: int = 0, chunk: int = 20_000
) -> Iterator[list[RawCommand]]:
    """Every verified command after ``after_seq``, as lists of tuples of at most ``chunk`` rows."""
    cursor = after_seq
    while True:
        rows = read_command_tuples(conn, cursor, chunk)
        if not rows:
            return
        yield rows
        cursor = rows[-1][0]


def iter_commands(conn: sqlite3.Connection, after_seq: int = 0, chunk: int = 20_000) -> Iterator[CommandRow]:
    """Every verified command after ``after_seq``, read in chunks."""
    for rows in iter_command_chunks(conn, after_seq, chunk):
        for row in rows:
            yield CommandRow(*row[:5])


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
