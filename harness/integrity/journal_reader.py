"""An independent reader of the engine's SQLite journal, written from target_engine/journal/SCHEMA.md.

It never imports target_engine (import-linter forbids it), so a bug shared by the engine and its own
reader cannot make a check pass. It verifies every CRC and the seq/idx contiguity, and reports
corruption instead of applying it: records after the first corrupt one are dropped and named in
``JournalData.corruption``. Quarantined rows are never treated as acknowledged.

Resources: opens the file read-only (``mode=ro`` URI) for the duration of :func:`read_journal` and
closes it. Errors: :class:`JournalReadError` (code JOURNAL_UNREADABLE) when the file is missing or
is not a journal of a known schema version.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

SUPPORTED_SCHEMA = "1"
PRICE_SCALE = Decimal(10) ** 4
QTY_SCALE = Decimal(10) ** 6
MONEY_SCALE = Decimal(10) ** 10
RATE_SCALE = Decimal(10) ** 8


class JournalReadError(Exception):
    code = "JOURNAL_UNREADABLE"


@dataclass(frozen=True)
class CommandRow:
    seq: int
    epoch: int
    ts_ms: int
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class EventRow:
    seq: int
    idx: int
    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class FundingRow:
    symbol: str
    interval_start_ms: int
    seq: int
    rate: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class SnapshotMeta:
    seq: int
    epoch: int
    ts_ms: int
    state_hash: str


@dataclass(frozen=True)
class JournalData:
    commands: tuple[CommandRow, ...]
    events: tuple[EventRow, ...]
    funding: tuple[FundingRow, ...]
    epochs: tuple[tuple[int, str, int, int], ...]  # (epoch, color, started_ms, start_seq)
    snapshots: tuple[SnapshotMeta, ...]
    quarantined: int = 0
    corruption: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def last_seq(self) -> int:
        return self.commands[-1].seq if self.commands else 0

    def events_of(self, *kinds: str) -> list[EventRow]:
        return [e for e in self.events if e.kind in kinds]

    def commands_of(self, *kinds: str) -> list[CommandRow]:
        return [c for c in self.commands if c.kind in kinds]


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def _json(text: str, where: str, problems: list[str]) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except (TypeError, ValueError):
        problems.append(f"{where}: payload is not JSON")
        return {}
    return obj if isinstance(obj, dict) else {}


def read_journal(path: str | Path) -> JournalData:
    """Read and verify the whole journal (see module docstring for errors and resources)."""
    p = Path(path)
    if not p.is_file():
        raise JournalReadError(f"{p}: no such journal file")
    try:
        conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise JournalReadError(f"{p}: cannot open: {exc}") from None
    try:
        return _read(conn, p)
    except sqlite3.Error as exc:
        raise JournalReadError(f"{p}: not a readable journal: {exc}") from None
    finally:
        conn.close()


def _read(conn: sqlite3.Connection, p: Path) -> JournalData:
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    version = meta.get("schema_version")
    if version != SUPPORTED_SCHEMA:
        raise JournalReadError(f"{p}: schema_version {version!r}, this reader knows {SUPPORTED_SCHEMA}")
    problems: list[str] = []
    commands: list[CommandRow] = []
    limit: int | None = None  # first corrupt seq: nothing from it on is trusted
    expected = None
    for seq, epoch, ts_ms, kind, payload, crc in conn.execute(
        "SELECT seq, epoch, ts_ms, kind, payload, crc FROM commands ORDER BY seq"
    ):
        if expected is not None and seq != expected:
            problems.append(f"commands: gap before seq {seq} (expected {expected})")
            limit = expected
            break
        if crc32(f"{seq}|{epoch}|{ts_ms}|{kind}|{payload}".encode()) != crc:
            problems.append(f"commands: CRC mismatch at seq {seq}")
            limit = seq
            break
        commands.append(CommandRow(seq, epoch, ts_ms, kind, _json(payload, f"commands seq {seq}", problems)))
        expected = seq + 1
    events: list[EventRow] = []
    last: tuple[int, int] = (0, -1)
    for seq, idx, kind, payload, crc in conn.execute(
        "SELECT seq, idx, kind, payload, crc FROM events ORDER BY seq, idx"
    ):
        if limit is not None and seq >= limit:
            break
        want = last[1] + 1 if seq == last[0] else 0
        if idx != want or crc32(f"{seq}|{idx}|{kind}|{payload}".encode()) != crc:
            problems.append(f"events: {'idx gap' if idx != want else 'CRC mismatch'} at seq {seq} idx {idx}")
            limit = seq
            commands = [c for c in commands if c.seq < seq]
            events = [e for e in events if e.seq < seq]
            break
        events.append(EventRow(seq, idx, kind, _json(payload, f"events seq {seq}.{idx}", problems)))
        last = (seq, idx)
    funding: list[FundingRow] = []
    for symbol, start, seq, rate, payload, crc in conn.execute(
        "SELECT symbol, interval_start_ms, seq, rate, payload, crc FROM funding_settlements "
        "ORDER BY interval_start_ms, symbol"
    ):
        if crc32(f"{symbol}|{start}|{seq}|{rate}|{payload}".encode()) != crc:
            problems.append(f"funding_settlements: CRC mismatch at {symbol} {start}")
            continue
        if limit is None or seq < limit:
            funding.append(
                FundingRow(symbol, start, seq, rate, _json(payload, f"funding {symbol}", problems))
            )
    snapshots = []
    for seq, epoch, ts_ms, state_hash, payload, crc in conn.execute(
        "SELECT seq, epoch, ts_ms, state_hash, payload, crc FROM snapshots ORDER BY seq"
    ):
        raw = payload if isinstance(payload, bytes) else str(payload).encode()
        if crc32(f"{seq}|{epoch}|{state_hash}|".encode() + raw) != crc:
            problems.append(f"snapshots: CRC mismatch at seq {seq}")
            continue
        snapshots.append(SnapshotMeta(seq, epoch, ts_ms, state_hash))
    epochs = tuple(conn.execute("SELECT epoch, color, started_ms, start_seq FROM epochs ORDER BY epoch"))
    quarantined = conn.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
    config = _json(meta.get("engine_config", "{}"), "meta engine_config", [])
    return JournalData(
        tuple(commands),
        tuple(events),
        tuple(funding),
        epochs,
        tuple(snapshots),
        quarantined,
        tuple(problems),
        config,
    )


def money(value: Any) -> Decimal:
    return Decimal(int(value)) / MONEY_SCALE


def qty(value: Any) -> Decimal:
    return Decimal(int(value)) / QTY_SCALE


def price(value: Any) -> Decimal:
    return Decimal(int(value)) / PRICE_SCALE
