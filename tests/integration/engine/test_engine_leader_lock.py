"""Leader file lock (liveness hint) vs time lease (hung leader), with real processes on one journal.

A dead leader frees ``<journal>.leader.lock`` at once: the standby promotes without waiting for the
time lease (here 60 s, so only the lock can explain a takeover). A hung leader (SIGSTOP) keeps the
lock: the standby promotes only once the time lease expired, and the old leader is fenced when it
resumes. A leader stalled for longer than the old 600 ms lease but less than the time lease keeps its
leadership (no new epoch): the regression test for the blue/green flapping seen on game days.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from target_engine.journal import LeaderLock
from tests.integration.engine.engine_proc import EngineProc, start_engine, wait_for


def _state(e: EngineProc) -> dict[str, object]:
    with e.client() as c:
        state: dict[str, object] = c.get("/v1/state").json()
        return state


def _deposit(e: EngineProc, account: str = "f1") -> int:
    with e.client() as c:
        return c.post(f"/v1/accounts/{account}/deposits", json={"asset": "USDT", "amount": "1"}).status_code


def _epochs(journal: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
        return [(int(e), str(c)) for e, c in db.execute("SELECT epoch, color FROM epochs ORDER BY epoch")]


def _pair(journal: Path, *extra: str) -> tuple[EngineProc, EngineProc]:
    blue = start_engine(journal, "blue", "leader", *extra)
    green = start_engine(journal, "green", "standby", *extra)
    assert _deposit(blue) == 200
    assert wait_for(lambda: _state(green)["seq"] == _state(blue)["seq"], timeout=30)
    return blue, green


def test_sigkill_leader_frees_the_lock_and_standby_takes_over_without_lease_wait(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    blue, green = _pair(journal, "--lease-ms", "60000")
    probe = LeaderLock(journal)
    try:
        assert not probe.is_free()  # blue holds it
        blue.kill()
        assert wait_for(lambda: _state(green)["role"] == "leader", timeout=30)  # far less than 60 s
        assert _deposit(green) == 200
        assert _epochs(journal) == [(1, "blue"), (2, "green")]
        assert not probe.is_free()  # green holds it now
        assert "the leader lock was free" in green.log.read_text()
    finally:
        probe.close()
    assert green.terminate() == 0


def test_sigstop_leader_keeps_lock_standby_waits_for_the_lease_old_leader_fenced(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    blue, green = _pair(journal, "--lease-ms", "1500")
    os.kill(blue.proc.pid, signal.SIGSTOP)
    try:
        assert wait_for(lambda: _state(green)["role"] == "leader", timeout=30)
        assert "the time lease expired" in green.log.read_text()
        assert _deposit(green) == 200
    finally:
        os.kill(blue.proc.pid, signal.SIGCONT)
    assert wait_for(lambda: _state(blue)["role"] == "standby", timeout=30)
    with blue.client() as b:
        r = b.post("/v1/accounts/f1/deposits", json={"asset": "USDT", "amount": "1"})
        assert r.status_code == 409 and r.json()["leader_color"] == "green"
    probe = LeaderLock(journal)
    try:
        # blue dropped the lock when it stepped down; green picks it up on its next tick
        assert wait_for(lambda: not probe.is_free(), timeout=30)
    finally:
        probe.close()
    assert _epochs(journal) == [(1, "blue"), (2, "green")]
    assert blue.terminate() == 0
    assert green.terminate() == 0


@pytest.mark.parametrize("stall", ["sigstop", "journal_fsync_delay"])
def test_leader_stalled_past_the_old_lease_keeps_leadership(tmp_path: Path, stall: str) -> None:
    """A stall of ~1.2 s (twice the old 600 ms lease, under the 3 s default) changes no epoch."""
    journal = tmp_path / "j.sqlite"
    blue, green = _pair(journal)  # default --lease-ms (with --lease-ms 600 both stalls fail over)
    if stall == "sigstop":  # the whole process frozen, as under CPU starvation
        os.kill(blue.proc.pid, signal.SIGSTOP)
        time.sleep(1.2)  # the fault's duration, not a readiness wait
        os.kill(blue.proc.pid, signal.SIGCONT)
    else:  # a commit holding the journal's write lock: lease renewals wait behind it
        with blue.client() as b:
            assert b.put("/admin/failpoints/journal.fsync", json={"spec": "delay(1200)"}).status_code == 200
            assert _deposit(blue, "f2") == 200  # its commit holds the journal's write lock 1.2 s
            assert b.delete("/admin/failpoints/journal.fsync").status_code == 200
    assert _deposit(blue) == 200
    assert wait_for(lambda: _state(green)["seq"] == _state(blue)["seq"], timeout=30)
    assert (_state(blue)["role"], _state(blue)["epoch"]) == ("leader", 1)
    assert _state(green)["role"] == "standby"
    assert _epochs(journal) == [(1, "blue")]
    assert blue.terminate() == 0
    assert green.terminate() == 0
