"""Snapshot metrics on a real journal (real fork in fork mode): written / failed counters, the newest
row's seq and size, the duration histogram and the in-progress gauge, read from the node's registry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chaos import failpoints
from target_engine.config.loader import load_config_dict
from target_engine.domain import Deposit
from target_engine.journal import Journal
from target_engine.service.errors import ApiError
from target_engine.service.node import Node
from target_engine.service.options import RoleRequest, ServiceOptions, SnapshotMode
from target_engine.service.recovery import service_config
from target_engine.service.sequencer import Sequencer
from target_engine.service.snapshotter import FAILPOINT
from tests.unit.target_engine.service.sequencer_support import close_node, leader_node, leading, until


@pytest.fixture(autouse=True)
def _no_failpoints() -> Iterator[None]:
    failpoints.clear()
    yield
    failpoints.clear()




def _value(node: Node, name: str, **labels: str) -> float:
    value = node.metrics.registry.get_sample_value(name, {"color": node.opts.color, **labels})
    assert value is not None, name
    return value


def _rows(node: Node) -> list[tuple[int, int]]:
    """(seq, payload bytes) of every snapshot row in the journal."""
    return node.journal.conn.execute("SELECT seq, length(payload) FROM snapshots ORDER BY seq").fetchall()


async def _settled(node: Node, seq: Sequencer) -> None:
    """Wait (bounded) until nothing is queued or committing and no snapshot is in progress."""
    await seq.drain()
    for _ in range(1000):
        if seq._snapshots._in_progress == 0 and seq._snapshots._running is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("snapshot still in progress after 10 s")


async def _deposits(seq: Sequencer, n: int, amount: int = 10) -> None:
    await asyncio.gather(*[seq.submit(Deposit(account=f"a{i}", asset="USDT", amount=amount))
                           for i in range(n)])


def _run(seq: Sequencer, body: Any) -> Any:
    async def main() -> Any:
        task = asyncio.create_task(seq.run())
        try:
            return await body()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return asyncio.run(main())


@pytest.mark.parametrize("mode", [SnapshotMode.INLINE, SnapshotMode.FORK])
def test_written_snapshots_set_the_metrics(tmp_path: Path, mode: SnapshotMode) -> None:
    with leading(tmp_path / "j.sqlite", snapshot_every=7, snapshot_mode=mode) as (node, seq):
        assert _value(node, "engine_snapshots_total", outcome="written") == 0

        async def body() -> dict[str, Any]:
            for wave in range(5):
                await _deposits(seq, 6, 10 + wave)
                await _settled(node, seq)
            result = await asyncio.wait_for(seq.snapshot(), 10)
            await _settled(node, seq)
            return result

        result = _run(seq, body)
        rows = _rows(node)
        # the periodic ones (every 7 commands, at batch boundaries) + the requested one
        assert [s for s, _ in rows] == [12, 24, 30] and result["seq"] == 30
        assert _value(node, "engine_snapshots_total", outcome="written") == len(rows)
        assert _value(node, "engine_snapshots_total", outcome="failed") == 0
        assert _value(node, "engine_snapshot_seq") == max(s for s, _ in rows) == node.snapshot_seq
        assert _value(node, "engine_snapshot_bytes") == rows[-1][1] == result["bytes"] > 0
        assert _value(node, "engine_snapshot_duration_seconds_count") == len(rows)
        assert _value(node, "engine_snapshot_duration_seconds_sum") > 0
        assert _value(node, "engine_snapshot_in_progress") == 0


@pytest.mark.parametrize("mode", [SnapshotMode.INLINE, SnapshotMode.FORK])
def test_in_progress_from_the_consistent_point_until_the_row_is_written(tmp_path: Path,
                                                                       mode: SnapshotMode) -> None:
    with leading(tmp_path / "j.sqlite", snapshot_every=1_000_000, snapshot_mode=mode) as (node, seq):

        async def body() -> float:
            await _deposits(seq, 3)
            await _settled(node, seq)  # memory equals the journal: a consistent point
            seq._snapshots.point()  # forks the child (fork) or hands the row to the commit thread (inline)
            during = _value(node, "engine_snapshot_in_progress")  # nothing can have settled: no loop turn yet
            await _settled(node, seq)
            return during

        assert _run(seq, body) == 1
        assert _value(node, "engine_snapshot_in_progress") == 0
        assert _value(node, "engine_snapshots_total", outcome="written") == 1
        assert _rows(node) == [(3, _value(node, "engine_snapshot_bytes"))]


def test_failed_child_counts_a_failure_and_writes_no_row(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with leading(path, snapshot_every=1_000_000, snapshot_mode=SnapshotMode.FORK) as (node, seq):

        async def body() -> None:
            await _deposits(seq, 3)
            failpoints.set(FAILPOINT, "error(IO)")
            with pytest.raises(ApiError) as err:
                await asyncio.wait_for(seq.snapshot(), 30)
            assert err.value.code == "JOURNAL_UNAVAILABLE"
            await _settled(node, seq)

        _run(seq, body)
        assert _rows(node) == []
        assert _value(node, "engine_snapshots_total", outcome="failed") == 1
        assert _value(node, "engine_snapshots_total", outcome="written") == 0
        assert _value(node, "engine_snapshot_duration_seconds_count") == 0
        assert _value(node, "engine_snapshot_seq") == 0
        assert _value(node, "engine_snapshot_in_progress") == 0


def test_a_child_killed_at_shutdown_is_abandoned_not_failed(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with leading(path, snapshot_every=1_000_000, snapshot_mode=SnapshotMode.FORK) as (node, seq):

        async def body() -> None:
            await _deposits(seq, 3)
            failpoints.set(FAILPOINT, "delay(30000)")  # the child stays busy until it is killed
            request = asyncio.ensure_future(seq.snapshot())
            await until(lambda: seq._snapshots._running is not None, "the snapshot child running")
            seq._snapshots.close()  # what Sequencer.close does at shutdown
            with pytest.raises(ApiError):
                await asyncio.wait_for(request, 30)
            await until(lambda: _value(node, "engine_snapshot_in_progress") == 0, "the attempt ended")

        _run(seq, body)
        assert _value(node, "engine_snapshot_in_progress") == 0
        assert _value(node, "engine_snapshots_total", outcome="failed") == 0  # no SnapshotFailing alert
        assert _rows(node) == []


def test_startup_gauge_and_snapshot_now(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with leading(path, snapshot_every=1_000_000, snapshot_mode=SnapshotMode.INLINE) as (node, seq):

        async def body() -> None:
            await _deposits(seq, 5)
            await asyncio.wait_for(seq.snapshot(), 10)
            await _deposits(seq, 2, amount=7)
            await _settled(node, seq)

        _run(seq, body)

    with leading(path, snapshot_every=1_000_000, snapshot_mode=SnapshotMode.INLINE) as (node, seq):
        assert node.applied_seq == 7
        assert _value(node, "engine_snapshot_seq") == 5  # the snapshot recovery started from
        result = seq.snapshot_now()
        assert result["seq"] == 7
        assert _value(node, "engine_snapshot_seq") == 7
        assert _value(node, "engine_snapshot_bytes") == dict(_rows(node))[7] == result["bytes"]
        assert _value(node, "engine_snapshots_total", outcome="written") == 1
        assert _value(node, "engine_snapshot_duration_seconds_count") == 1
        assert _value(node, "engine_snapshot_in_progress") == 0


def test_a_standby_follows_the_leaders_snapshots_and_a_promotion_starts_from_them(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    leader = leader_node(path, snapshot_every=1_000_000, snapshot_mode=SnapshotMode.INLINE)
    seq = Sequencer(leader)
    standby = Node(ServiceOptions(role=RoleRequest.STANDBY, color="green", snapshot_every=8),
                   service_config(load_config_dict(None)),
                   Journal(path, engine_config_json="{}", checkpoint_interval_s=None))
    standby_seq = Sequencer(standby)  # as serve builds it: sets the gauge from recovery (no snapshot yet)
    assert _value(standby, "engine_snapshot_seq") == 0

    async def body() -> None:
        await _deposits(seq, 6)
        await asyncio.wait_for(seq.snapshot(), 10)
        await _deposits(seq, 3)
        await _settled(leader, seq)

    try:
        _run(seq, body)
        assert standby.catch_up(standby.read_conn) == 9
        assert standby.snapshot_seq == 6 == _value(standby, "engine_snapshot_seq")
        close_node(leader, seq)
        standby.become_leader(force=True)
        # due counts from the leader's snapshot at 6, not from 0: 9 - 6 < 8
        assert standby.snapshot_seq == 6 and not standby_seq._snapshots.due()
    finally:
        close_node(standby, standby_seq)
