"""LeaderLock on a real file: exclusive between open file descriptions, released by release/close."""

from __future__ import annotations

from pathlib import Path

from target_engine.journal import LeaderLock, lock_path


def test_lock_file_sits_next_to_the_journal(tmp_path: Path) -> None:
    assert lock_path(tmp_path / "j.sqlite") == tmp_path / "j.sqlite.leader.lock"


def test_exclusive_then_free_after_release_and_close(tmp_path: Path) -> None:
    a, b = LeaderLock(tmp_path / "j.sqlite"), LeaderLock(tmp_path / "j.sqlite")
    try:
        assert b.is_free()
        assert a.try_acquire() and a.held
        assert a.try_acquire()  # idempotent for the holder
        assert not b.is_free() and not b.try_acquire() and not b.held
        a.release()
        assert b.try_acquire()
        assert not a.is_free()
        b.close()
        assert a.is_free() and not a.held  # a probe does not keep the lock
    finally:
        a.close()
        b.close()
