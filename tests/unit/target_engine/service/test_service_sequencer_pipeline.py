"""The sequencer on a real journal: answers after commit, periodic and requested snapshots written
by the commit thread in order with the batches (valid CRC, state hash of a replay), and the writer
thread's error hand-back (a fenced commit answers NOT_LEADER)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from target_engine.domain import Deposit
from target_engine.journal import Journal, reader
from target_engine.journal.records import snapshot_crc
from target_engine.service.errors import ApiError
from target_engine.service.options import SnapshotMode
from target_engine.service.recovery import recover
from target_engine.service.sequencer import Sequencer
from tests.unit.target_engine.service.sequencer_support import close_node, leader_node, leading


async def _child_finished(seq: Sequencer) -> None:
    """Wait (bounded) until no snapshot child runs: a due periodic snapshot is skipped while one
    does, so how many rows the waves leave must not depend on how fast the child is."""
    for _ in range(1000):
        if seq._snapshots._running is None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("snapshot child still running after 10 s")


@pytest.mark.parametrize("mode", [SnapshotMode.INLINE, SnapshotMode.FORK])
def test_snapshots_follow_their_batches_and_replay_to_the_same_hash(tmp_path: Path,
                                                                    mode: SnapshotMode) -> None:
    with leading(tmp_path / "j.sqlite", snapshot_every=7, snapshot_mode=mode) as (node, seq):

        async def run() -> dict[str, Any]:
            task = asyncio.create_task(seq.run())
            try:
                for wave in range(5):
                    deposits = [Deposit(account=f"a{i}", asset="USDT", amount=10 + wave) for i in range(6)]
                    await asyncio.gather(*[seq.submit(d) for d in deposits])
                    await _child_finished(seq)
                result = await asyncio.wait_for(seq.snapshot(), 10)
                await seq.drain()
                return result
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

        result = asyncio.run(run())
        assert result["seq"] == node.applied_seq == 30
        rows = node.journal.conn.execute(
            "SELECT seq, epoch, state_hash, payload, crc FROM snapshots ORDER BY seq").fetchall()
        # periodic ones (every 7 commands, at batch boundaries: 12 and 24) + the requested one (30)
        assert [r[0] for r in rows] == [12, 24, 30]
        assert rows[-1][0] == 30 and rows[-1][2] == result["state_hash"] == node.engine.state_hash()
        for s, epoch, state_hash, payload, crc in rows:
            assert crc == snapshot_crc(s, epoch, state_hash, payload)
            assert s <= reader.last_seq(node.journal.conn)
        replayed = recover(node.read_conn, node.config)
        assert replayed.engine.state_hash() == node.engine.state_hash()


def test_fenced_commit_answers_not_leader(tmp_path: Path) -> None:
    node = leader_node(tmp_path / "j.sqlite")
    seq = Sequencer(node)
    other = Journal(tmp_path / "j.sqlite", checkpoint_interval_s=None)
    other.acquire("green", 60_000, 1, force=True)  # a newer epoch fences this node's writes

    async def run() -> None:
        task = asyncio.create_task(seq.run())
        try:
            with pytest.raises(ApiError) as err:
                await asyncio.wait_for(seq.submit(Deposit(account="a", asset="USDT", amount=1)), 10)
            assert err.value.code == "NOT_LEADER"
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    try:
        asyncio.run(run())
        assert not node.is_leader
        assert reader.last_seq(node.journal.conn) == 0
    finally:
        other.close()
        close_node(node, seq)
