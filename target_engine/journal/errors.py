"""Journal exceptions: one hierarchy, each with a stable code."""

from __future__ import annotations


class JournalError(Exception):
    """Base class for every journal failure."""

    code = "JOURNAL_ERROR"


class FencedError(JournalError):
    """A write was attempted with an epoch that is no longer the lease's epoch."""

    code = "NOT_LEADER"

    def __init__(self, my_epoch: int, lease_epoch: int, holder: str) -> None:
        super().__init__(f"epoch {my_epoch} is fenced: lease epoch {lease_epoch} held by {holder!r}")
        self.my_epoch = my_epoch
        self.lease_epoch = lease_epoch
        self.holder = holder


class LeaseHeldError(JournalError):
    """The lease is held by another live holder."""

    code = "LEASE_HELD"

    def __init__(self, epoch: int, holder: str, expires_ms: int) -> None:
        super().__init__(f"lease epoch {epoch} held by {holder!r} until {expires_ms}")
        self.epoch = epoch
        self.holder = holder
        self.expires_ms = expires_ms


class JournalCorruptError(JournalError):
    """A record failed its CRC, or the sequence has a gap: a torn or corrupt tail."""

    code = "JOURNAL_CORRUPT"

    def __init__(self, table: str, seq: int, reason: str) -> None:
        super().__init__(f"corrupt journal record in {table} at seq {seq}: {reason}")
        self.table = table
        self.seq = seq
        self.reason = reason


class SchemaMismatchError(JournalError):
    """The file is not a journal of the schema version this code reads."""

    code = "JOURNAL_SCHEMA"
