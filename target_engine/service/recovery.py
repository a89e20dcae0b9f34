"""Rebuild an engine from the journal: newest verified snapshot + replay; and full verification.

All reads go through ``target_engine.journal.reader`` so a torn or corrupt record raises
``JournalCorruptError`` instead of being applied.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from target_engine.domain import (
    COMMAND_TYPES,
    Command,
    Engine,
    EngineConfig,
    MarginType,
    OrderType,
    Side,
    TimeInForce,
    TradingMode,
    command_from_dict,
    engine_config_from_dict,
    event_to_dict,
)
from target_engine.journal import JournalError, canonical_json, reader


class ConfigMissingError(JournalError):
    code = "JOURNAL_NO_CONFIG"


def service_config(raw: dict[str, Any]) -> EngineConfig:
    """The engine config the service runs: the margin worker (not the domain) liquidates."""
    return engine_config_from_dict(raw, auto_liquidate=False)


def journal_config(conn: sqlite3.Connection) -> EngineConfig:
    text = reader.read_meta(conn, "engine_config")
    if text is None:
        raise ConfigMissingError("journal has no engine_config in meta; pass --config")
    return service_config(json.loads(text))


@dataclass
class Recovered:
    engine: Engine
    last_seq: int
    last_ts_ms: int
    snapshot_seq: int


# Enum-typed command fields (journal payloads carry their string values): value -> member.
_ENUM_MEMBERS: dict[str, dict[Any, Any]] = {
    name: dict(enum_cls._value2member_map_)
    for name, enum_cls in (("side", Side), ("order_type", OrderType), ("time_in_force", TimeInForce),
                           ("margin_type", MarginType), ("mode", TradingMode))
}


def _load_flat(payload: str) -> Any:
    """Parse a command payload (a flat object). orjson turns an integer beyond 64 bits into a float
    silently, and commands hold no floats: a payload with a float value re-parses with ``json``."""
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)  # raises ValueError with the reason
    if type(data) is dict and float not in map(type, data.values()):
        return data
    return json.loads(payload)


def decode_command(payload: str) -> Command:
    """A journaled command payload back into a command object.

    Fast path for replay (journal rows are CRC-checked and were written by ``command_to_dict``):
    build the dataclass directly, skipping the domain's per-field type audit. Anything unexpected
    falls back to ``command_from_dict``, which raises ``DomainError(INVALID_COMMAND)`` with the reason.
    """
    data = _load_flat(payload)
    try:
        cls = COMMAND_TYPES[data.pop("type")]
        for name, members in _ENUM_MEMBERS.items():
            if name in data:
                data[name] = members[data[name]]
        cmd: Command = cls(**data)
        return cmd
    except (KeyError, TypeError, ValueError, AttributeError):
        return command_from_dict(json.loads(payload))


def apply_row_payload(engine: Engine, payload: str) -> list[Any]:
    return engine.apply(decode_command(payload))


def recover(conn: sqlite3.Connection, config: EngineConfig, *, use_snapshot: bool = True) -> Recovered:
    """Newest CRC-valid snapshot (hash checked) + replay of every later command."""
    snap = reader.latest_snapshot(conn) if use_snapshot else None
    engine: Engine | None = None
    start = 0
    if snap is not None:
        candidate = Engine.restore(config, json.loads(snap.payload))
        if candidate.state_hash() == snap.state_hash:
            engine, start = candidate, snap.seq
    if engine is None:
        engine = Engine(config)
    last_seq, last_ts = start, 0
    apply = engine.apply
    # The replayed state is long-lived and acyclic: cyclic GC passes during the replay would only walk
    # it again and again (~15 % of the replay); collection resumes afterwards.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for row in reader.iter_commands(conn, start):
            apply(decode_command(row.payload))
            last_seq, last_ts = row.seq, row.ts_ms
    finally:
        if gc_was_enabled:
            gc.enable()
    engine.flush_index()  # once per touched account, not once per command
    return Recovered(engine, last_seq, last_ts, start)


@dataclass
class VerifyResult:
    last_seq: int
    state_hash: str
    divergences: list[str]


def verify(conn: sqlite3.Connection, config: EngineConfig, *, max_report: int = 20,
           progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Replay from scratch, comparing every command's events with the stored ones, and every
    snapshot's state hash with the replayed state at its seq."""
    engine = Engine(config)
    snaps = {int(s): str(h) for s, h in conn.execute("SELECT seq, state_hash FROM snapshots")}
    divergences: list[str] = []
    last = 0
    for row in reader.iter_commands(conn, 0):
        events = engine.apply(decode_command(row.payload))
        stored = reader.read_events(conn, row.seq, row.seq).get(row.seq, [])
        got = [canonical_json(event_to_dict(e)) for e in events]
        want = [e.payload for e in stored]
        if got != want and len(divergences) < max_report:
            divergences.append(f"seq {row.seq}: stored {len(want)} events differ from replay ({len(got)})")
        if row.seq in snaps and engine.state_hash() != snaps[row.seq]:
            divergences.append(f"seq {row.seq}: snapshot state hash differs from replay")
        last = row.seq
        if progress and last % 100_000 == 0:
            progress(last)
    return VerifyResult(last, engine.state_hash(), divergences)
