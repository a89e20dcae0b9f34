"""SQLite DDL for the journal (documented in SCHEMA.md) and connection set-up."""

from __future__ import annotations

import sqlite3
from enum import StrEnum
from pathlib import Path

from target_engine.journal.errors import SchemaMismatchError

SCHEMA_VERSION = "1"


class Durability(StrEnum):
    """What a committed (acknowledged) batch survives; the SQLite ``synchronous`` level in WAL mode.

    ``PROCESS``: ``synchronous=NORMAL``. COMMIT writes the batch into the WAL file (the OS page
    cache) before it returns, without fsync; the WAL is fsynced at each checkpoint (``checkpoint.py``,
    every 0.5 s by default). A crash of the engine process (SIGKILL, OOM kill, ``os._exit``) loses
    nothing acknowledged; an OS crash or power loss may lose the batches since the last checkpoint
    (the file stays consistent: SQLite rolls the WAL back to its last valid frame).
    ``POWER``: ``synchronous=FULL``. COMMIT also fsyncs the WAL: acknowledged batches survive an OS
    crash or power loss too, at the cost of one fsync per group commit.
    """

    PROCESS = "process"
    POWER = "power"


_SYNCHRONOUS = {Durability.PROCESS: "NORMAL", Durability.POWER: "FULL"}

DDL = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
    seq     INTEGER PRIMARY KEY,
    epoch   INTEGER NOT NULL,
    ts_ms   INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    payload TEXT    NOT NULL,
    crc     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq     INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    payload TEXT    NOT NULL,
    crc     INTEGER NOT NULL,
    PRIMARY KEY (seq, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epochs (
    epoch      INTEGER PRIMARY KEY,
    color      TEXT    NOT NULL,
    started_ms INTEGER NOT NULL,
    start_seq  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS lease (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    epoch      INTEGER NOT NULL,
    holder     TEXT    NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq        INTEGER PRIMARY KEY,
    epoch      INTEGER NOT NULL,
    ts_ms      INTEGER NOT NULL,
    state_hash TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    crc        INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS funding_settlements (
    symbol            TEXT    NOT NULL,
    interval_start_ms INTEGER NOT NULL,
    seq               INTEGER NOT NULL,
    rate              TEXT    NOT NULL,
    payload           TEXT    NOT NULL,
    crc               INTEGER NOT NULL,
    PRIMARY KEY (symbol, interval_start_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS quarantine (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl    TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    row    TEXT    NOT NULL,
    reason TEXT    NOT NULL
);
"""


def connect(path: str | Path, *, readonly: bool = False, busy_timeout_ms: int = 5000,
            durability: Durability = Durability.POWER) -> sqlite3.Connection:
    """Open the journal file in WAL mode; writers get the ``synchronous`` level of ``durability``.

    The connection is in autocommit mode (``isolation_level=None``): callers issue BEGIN/COMMIT
    themselves so one batch is exactly one transaction. Raises ``sqlite3.Error`` on I/O failure.
    """
    if readonly:
        uri = f"file:{Path(path).as_posix()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    if not readonly:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={_SYNCHRONOUS[durability]}")
    return conn


def ensure_schema(conn: sqlite3.Connection, engine_config_json: str | None = None) -> None:
    """Create the tables if missing and check the schema version; store the engine config once."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for stmt in DDL.split(";"):
            if stmt.strip():
                conn.execute(stmt)
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            raise SchemaMismatchError(f"journal schema version {row[0]!r}, expected {SCHEMA_VERSION!r}")
        if engine_config_json is not None:
            conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('engine_config', ?)", (engine_config_json,)
            )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def check_schema(conn: sqlite3.Connection) -> None:
    """Raise SchemaMismatchError unless ``conn`` is a journal of this schema version."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise SchemaMismatchError(f"not a journal: {exc}") from exc
    if row is None or row[0] != SCHEMA_VERSION:
        raise SchemaMismatchError(f"journal schema version {row and row[0]!r}, expected {SCHEMA_VERSION!r}")
