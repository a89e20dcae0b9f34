"""``GET /v1/state``'s hash off the event loop (``state_hasher.StateHasher``) on a real leader node,
journal and fork(): the forked child's hash is the engine's own, concurrent requests share one
child, a result is reused until the next command, a failing child or no fork at all falls back to
hashing on the loop (the engine's own hash still), and cheap hashes stay on the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chaos import failpoints
from target_engine.domain import Deposit
from target_engine.service.node import Node
from target_engine.service.options import SnapshotMode
from target_engine.service.sequencer import Sequencer
from target_engine.service.snapshotter import HASH_FAILPOINT
from target_engine.service.state_hasher import StateHasher
from tests.unit.target_engine.service.sequencer_support import leading, running

ALWAYS_FORK = {"inline_below_s": 0.0, "inline_below_seq": 0}


@pytest.fixture(autouse=True)
def _no_failpoints() -> Iterator[None]:
    failpoints.clear()
    yield
    failpoints.clear()


@contextmanager
def hashing(path: Path, mode: SnapshotMode = SnapshotMode.FORK,
            **policy: Any) -> Iterator[tuple[Node, Sequencer, StateHasher]]:
    """A leader node on a journal at ``path``, its sequencer and a hasher (its child killed on exit)."""
    with leading(path, snapshot_mode=mode) as (node, seq):
        hasher = StateHasher(node, timeout_s=60, **policy)
        try:
            yield node, seq, hasher
        finally:
            hasher.close()


def sequencing(body: Callable[[], Awaitable[None]], *sequencers: Sequencer) -> None:
    """Run ``body`` on a fresh event loop while the sequencers' loops run."""
    async def main() -> None:
        async with running(*sequencers):
            await body()

    asyncio.run(main())


async def _deposit(seq: Sequencer, n: int, amount: int = 10) -> None:
    deposits = [Deposit(account=f"h{i}", asset="USDT", amount=amount) for i in range(n)]
    await asyncio.gather(*[seq.submit(d) for d in deposits])


def _hash_count(hasher: StateHasher) -> float:
    return hasher.node.metrics.registry.get_sample_value(
        "engine_state_hash_duration_seconds_count", {"color": hasher.node.opts.color}) or 0.0


def test_forked_hash_is_the_engines_and_is_shared_and_remembered(tmp_path: Path) -> None:
    with hashing(tmp_path / "j.sqlite", **ALWAYS_FORK) as (node, seq, hasher):

        async def body() -> None:
            await _deposit(seq, 12)
            first = await asyncio.gather(*[hasher.current() for _ in range(5)])  # one child for all
            assert hasher.forks == 1 and _hash_count(hasher) == 1
            assert set(first) == {(node.engine.seq, node.engine.state_hash())}
            assert first[0][0] == node.applied_seq == 12
            assert await hasher.current() == first[0] and hasher.forks == 1  # same seq: remembered
            await _deposit(seq, 3, amount=7)
            later = await hasher.current()
            assert hasher.forks == 2 and later == (15, node.engine.state_hash()) and later != first[0]

        sequencing(body, seq)


def test_answer_pairs_the_hash_with_the_seq_it_was_forked_at(tmp_path: Path) -> None:
    """Commands applied while the child hashes do not leak into its answer: seq and hash stay a pair."""
    with hashing(tmp_path / "j.sqlite", **ALWAYS_FORK) as (node, seq, hasher):

        async def body() -> None:
            await _deposit(seq, 4)
            at_fork = (node.engine.seq, node.engine.state_hash())
            failpoints.set(HASH_FAILPOINT, "delay(300)")  # evaluated in the child only
            pending = asyncio.ensure_future(hasher.current())
            await asyncio.sleep(0)  # the request forks now
            await _deposit(seq, 4, amount=3)  # applied while the child hashes
            assert node.engine.seq == at_fork[0] + 4
            assert await pending == at_fork

        sequencing(body, seq)


def test_failing_child_and_no_fork_hash_on_the_loop(tmp_path: Path) -> None:
    with (hashing(tmp_path / "j.sqlite", **ALWAYS_FORK) as (node, seq, forked),
          hashing(tmp_path / "inline.sqlite", SnapshotMode.INLINE) as (inline_node, inline_seq, inline)):
        assert inline.forker is None

        async def body() -> None:
            await _deposit(seq, 5)
            await _deposit(inline_seq, 5)
            failpoints.set(HASH_FAILPOINT, "error(IO)")
            got = await forked.current()  # the child failed: hashed on the loop instead
            assert forked.forks == 1 and got == (5, node.engine.state_hash())
            assert await inline.current() == (5, inline_node.engine.state_hash())
            assert inline.forks == 0

        sequencing(body, seq, inline_seq)


def test_cheap_hashes_stay_on_the_loop_and_costly_ones_fork(tmp_path: Path) -> None:
    """Before any measurement the state's size (seq) decides; then the last hash's measured cost."""
    with hashing(tmp_path / "j.sqlite", inline_below_s=0.5, inline_below_seq=6) as (node, seq, hasher):

        async def body() -> None:
            await _deposit(seq, 3)
            assert await hasher.current() == (3, node.engine.state_hash())
            assert hasher.forks == 0  # small and unmeasured: on the loop (and now measured: cheap)
            await _deposit(seq, 5)
            assert await hasher.current() == (8, node.engine.state_hash())
            assert hasher.forks == 0  # past inline_below_seq, but measured cheap: still on the loop
            hasher.inline_below_s = 0.0  # every measured cost is now "costly"
            await _deposit(seq, 1)
            assert await hasher.current() == (9, node.engine.state_hash()) and hasher.forks == 1
            hasher.inline_below_s = 1.0  # the child's measured CPU is cheap under this bar
            await _deposit(seq, 1)
            assert await hasher.current() == (10, node.engine.state_hash()) and hasher.forks == 1

        sequencing(body, seq)


def test_an_unmeasured_large_state_forks_first(tmp_path: Path) -> None:
    with hashing(tmp_path / "j.sqlite", inline_below_s=1.0, inline_below_seq=5) as (node, seq, hasher):

        async def body() -> None:
            await _deposit(seq, 5)
            assert await hasher.current() == (5, node.engine.state_hash()) and hasher.forks == 1

        sequencing(body, seq)
