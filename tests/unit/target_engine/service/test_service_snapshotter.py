"""The fork snapshotter with real fork(), pipes and file locks: the child's snapshot equals the inline
one, its failures reach the parent, and it drops the inherited leader lock and sockets."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaos import failpoints
from target_engine.config.loader import load_config_dict
from target_engine.domain import Engine, with_sequence
from target_engine.journal import LeaderLock
from target_engine.service.recovery import service_config
from target_engine.service.snapshotter import (
    _CHILD_NICE,
    FAILPOINT,
    HASH_FAILPOINT,
    Captured,
    ForkSnapshotter,
    SnapshotError,
    capture_inline,
    state_hash_of_dump,
)
from tests.unit.target_engine.service.test_service_recovery_replay import commands


@pytest.fixture
def engine() -> Engine:
    eng = Engine(service_config(load_config_dict(None)))
    for seq, cmd in enumerate(commands(), start=1):
        eng.apply(with_sequence(cmd, seq, 1_700_000_000_000 + seq))
    return eng


@pytest.fixture(autouse=True)
def _no_failpoints() -> Iterator[None]:
    failpoints.clear()
    yield
    failpoints.clear()


def _fork_capture(engine: Engine, journal: Path, snapshotter: ForkSnapshotter | None = None) -> Captured:
    snap = snapshotter or ForkSnapshotter(journal, timeout_s=60)

    async def run() -> Captured:
        return await snap.start(engine, engine.last_seq, 3, 1234)

    return asyncio.run(run())


def test_hash_from_the_full_dump_equals_engine_state_hash(engine: Engine) -> None:
    snap = engine.snapshot()
    assert any(acct.get("fills") for acct in snap["accounts"].values())  # history present, and left out
    assert state_hash_of_dump(snap) == engine.state_hash()


def test_child_snapshot_is_the_inline_snapshot(engine: Engine, tmp_path: Path) -> None:
    got = _fork_capture(engine, tmp_path / "j.sqlite")
    want = capture_inline(engine, engine.last_seq, 3, 1234)
    assert got == want
    assert got.seq == len(commands())


def test_failing_child_reports_its_error(engine: Engine, tmp_path: Path) -> None:
    failpoints.set(FAILPOINT, "error(IO)")
    with pytest.raises(SnapshotError, match="FailpointError"):
        _fork_capture(engine, tmp_path / "j.sqlite")
    failpoints.clear(FAILPOINT)
    assert _fork_capture(engine, tmp_path / "j.sqlite").state_hash == engine.state_hash()


def test_hash_only_child_sends_the_hash_alone(engine: Engine, tmp_path: Path) -> None:
    async def run() -> Captured:
        return await ForkSnapshotter(tmp_path / "j.sqlite", timeout_s=60).start(
            engine, engine.last_seq, 3, 1234, hash_only=True)

    got = asyncio.run(run())
    assert (got.seq, got.state_hash, bytes(got.payload)) == (engine.last_seq, engine.state_hash(), b"")
    failpoints.set(HASH_FAILPOINT, "error(IO)")  # its own failpoint: a snapshot child is unaffected
    with pytest.raises(SnapshotError, match="FailpointError"):
        asyncio.run(run())
    assert _fork_capture(engine, tmp_path / "j.sqlite") == capture_inline(engine, engine.last_seq, 3, 1234)


def test_child_killed_is_an_error(engine: Engine, tmp_path: Path) -> None:
    failpoints.set(FAILPOINT, "delay(30000)")
    snapper = ForkSnapshotter(tmp_path / "j.sqlite", timeout_s=60)

    async def run() -> Captured:
        fut = snapper.start(engine, engine.last_seq, 1, 1)
        snapper.kill()
        return await fut

    with pytest.raises(SnapshotError, match="died"):
        asyncio.run(run())


def _child_fds(pid: int) -> list[os.stat_result]:
    out = []
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            out.append(os.stat(f"/proc/{pid}/fd/{name}"))
        except OSError:
            continue
    return out


def test_child_drops_the_leader_lock_and_sockets(engine: Engine, tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    lock = LeaderLock(journal)
    assert lock.try_acquire()
    listener = socket.create_server(("127.0.0.1", 0))
    failpoints.set(FAILPOINT, "delay(30000)")
    snapper = ForkSnapshotter(journal, timeout_s=60)
    lock_ino = os.stat(lock.path).st_ino

    def no_socket_or_lock(pid: int) -> bool:
        fds = _child_fds(pid)
        return not any(stat.S_ISSOCK(st.st_mode) or st.st_ino == lock_ino for st in fds)

    async def run() -> None:
        fut = snapper.start(engine, engine.last_seq, 1, 1)
        pid = snapper.child_pid
        assert pid is not None
        try:
            deadline = time.monotonic() + 20
            while not no_socket_or_lock(pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            assert no_socket_or_lock(pid)
            os.kill(pid, 0)  # still running (delayed by the failpoint)
            lock.close()  # the parent lets go: the lock must be free although the child lives
            other = LeaderLock(journal)
            assert other.try_acquire()
            other.close()
        finally:
            snapper.kill()
            with pytest.raises(SnapshotError):
                await fut

    try:
        asyncio.run(run())
    finally:
        listener.close()
        lock.close()


def _nice(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])  # field 19 of proc(5), counted after "pid (comm)"


def test_child_yields_the_cpu_to_the_serving_loop(engine: Engine, tmp_path: Path) -> None:
    failpoints.set(FAILPOINT, "delay(30000)")  # the failpoint is hit after the child lowered its priority
    snapper = ForkSnapshotter(tmp_path / "j.sqlite", timeout_s=60)

    async def run() -> None:
        fut = snapper.start(engine, engine.last_seq, 1, 1)
        pid = snapper.child_pid
        assert pid is not None
        try:
            for _ in range(2000):
                if _nice(pid) == _CHILD_NICE:
                    break
                await asyncio.sleep(0.01)
            assert _nice(pid) == _CHILD_NICE == 19
            assert _nice(os.getpid()) < _CHILD_NICE  # the parent keeps its priority
        finally:
            snapper.kill()
            with pytest.raises(SnapshotError):
                await fut

    asyncio.run(run())


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs a second CPU for the child to move to")
def test_child_of_a_pinned_engine_leaves_its_cpus(engine: Engine, tmp_path: Path) -> None:
    failpoints.set(FAILPOINT, "delay(30000)")
    snapper = ForkSnapshotter(tmp_path / "j.sqlite", timeout_s=60)
    saved = os.sched_getaffinity(0)
    others = set(range(os.cpu_count() or 1)) - {0}

    async def run() -> None:
        os.sched_setaffinity(0, {0})  # this thread, as a benchmark pins the engine; the fork inherits it
        try:
            fut = snapper.start(engine, engine.last_seq, 1, 1)
        finally:
            os.sched_setaffinity(0, saved)
        pid = snapper.child_pid
        assert pid is not None
        try:
            for _ in range(2000):
                if os.sched_getaffinity(pid) == others:
                    break
                await asyncio.sleep(0.01)
            assert os.sched_getaffinity(pid) == others
        finally:
            snapper.kill()
            with pytest.raises(SnapshotError):
                await fut

    asyncio.run(run())


def _hash_child(engine: Engine, path: Path, serving: set[int] | None) -> Captured:
    """A hash-only child forked while this thread runs on ``serving`` (None: unpinned)."""
    saved = os.sched_getaffinity(0)

    async def run() -> Captured:
        if serving is not None:
            os.sched_setaffinity(0, serving)  # the fork inherits it
        try:
            fut = ForkSnapshotter(path, timeout_s=60).start(engine, engine.last_seq, 1, 1, hash_only=True)
        finally:
            os.sched_setaffinity(0, saved)
        return await fut

    return asyncio.run(run())


def test_hash_child_sharing_the_engines_cpus_yields_them(engine: Engine, tmp_path: Path) -> None:
    online = set(range(os.cpu_count() or 1))
    assert _hash_child(engine, tmp_path / "j.sqlite", online).nice == _CHILD_NICE


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs a second CPU for the child to move to")
def test_hash_child_off_a_pinned_engines_cpus_keeps_its_priority(engine: Engine, tmp_path: Path) -> None:
    """A client waits for it, and it no longer shares a CPU with the engine."""
    got = _hash_child(engine, tmp_path / "j.sqlite", {0})
    assert got.state_hash == engine.state_hash()
    assert got.nice == os.getpriority(os.PRIO_PROCESS, 0) < _CHILD_NICE


@pytest.mark.parametrize("odd", ["ascii", "caf\u00e9", "del\x7f", "ctl\x01", 2**70])
def test_hash_of_a_dump_is_the_json_dumps_definition_for_any_value(odd: object) -> None:
    """The orjson fast path gives way to json.dumps where their bytes could differ."""
    dump = {"accounts": {"a": {"fills": [1], "note": odd, "wallet": 5}}, "seq": 3, "z": [odd, {"k": odd}]}
    history_free = {"accounts": {"a": {"note": odd, "wallet": 5}}, "seq": 3, "z": [odd, {"k": odd}]}
    want = hashlib.sha256(json.dumps(history_free, separators=(",", ":")).encode()).hexdigest()
    assert state_hash_of_dump(dump) == want
