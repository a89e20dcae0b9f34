"""The leader's OS file lock: a liveness hint next to the journal, never a correctness mechanism.

The leader holds an exclusive ``flock`` on ``<journal>.leader.lock`` for as long as it is leader.
The kernel drops the lock the instant the holding process dies (SIGKILL, crash, OOM kill), while a
merely slow process (CPU starvation, a GC pause, SIGSTOP) keeps it. So a standby that can take the
lock with a non-blocking attempt knows the leader is dead (or has stepped down) without waiting for
the time lease to expire. Correctness never depends on it: every journal write is still fenced by
the epoch in the ``lease`` table (see SCHEMA.md), so a wrong hint costs at most an extra epoch.

Resources: one file descriptor per ``LeaderLock``, opened at construction (O_CLOEXEC, so child
processes never inherit it) and closed by ``close``. ``flock`` locks belong to the open file
description, so two ``LeaderLock`` objects on the same path conflict even inside one process.
Errors: ``OSError`` from opening the file propagates (the caller reports it like any journal I/O
error); a failed non-blocking attempt is ``False``, never an exception.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def lock_path(journal: str | Path) -> Path:
    """``<journal>.leader.lock``: the lock file that belongs to a journal file."""
    p = Path(journal)
    return p.with_name(p.name + ".leader.lock")


class LeaderLock:
    def __init__(self, journal: str | Path) -> None:
        self.path = lock_path(journal)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock without blocking; True when this object holds it (also if it already did)."""
        if self.held:
            return True
        if self._fd is None:
            return False
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            return False
        self.held = True
        return True

    def release(self) -> None:
        """Drop the lock (step-down, shutdown); a no-op when not held."""
        if self.held and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self.held = False

    def is_free(self) -> bool:
        """Probe: could the lock be taken right now? (takes and drops it at once; False when held here)."""
        if self.held or not self.try_acquire():
            return False
        self.release()
        return True

    def close(self) -> None:
        self.release()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
