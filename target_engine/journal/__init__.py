"""The engine's journal: one SQLite file (WAL) with commands, events, epochs, lease, snapshots and
funding settlements; CRC32 per record. The on-disk contract is ``SCHEMA.md`` in this package."""

from target_engine.journal.errors import (
    FencedError,
    JournalCorruptError,
    JournalError,
    LeaseHeldError,
    SchemaMismatchError,
)
from target_engine.journal.leader_lock import LeaderLock, lock_path
from target_engine.journal.records import (
    CommandRow,
    EventRow,
    FundingRow,
    Lease,
    SnapshotRow,
    canonical_json,
    decode_snapshot_payload,
    encode_snapshot_payload,
)
from target_engine.journal.schema import SCHEMA_VERSION, Durability, check_schema, connect
from target_engine.journal.store import Journal

__all__ = [
    "SCHEMA_VERSION",
    "CommandRow",
    "Durability",
    "EventRow",
    "FencedError",
    "FundingRow",
    "Journal",
    "JournalCorruptError",
    "JournalError",
    "LeaderLock",
    "Lease",
    "LeaseHeldError",
    "SchemaMismatchError",
    "SnapshotRow",
    "canonical_json",
    "check_schema",
    "connect",
    "decode_snapshot_payload",
    "encode_snapshot_payload",
    "lock_path",
]
