"""The sequencer's group commits on a real journal: what arrives while a commit is in flight joins
the next commit (applied during the commit, topped up after it), and ``commit_interval_ms`` holds
a following commit until the interval since the previous one has passed, so it gathers more.

A ``journal.append`` failpoint delay makes a commit slow on purpose; progress is observed through
the node's applied/journal seq (bounded polling), never through timing guesses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chaos import failpoints
from target_engine.domain import Deposit
from target_engine.journal import reader
from target_engine.service.node import Node
from target_engine.service.recovery import recover
from target_engine.service.sequencer import Sequencer
from tests.unit.target_engine.service.sequencer_support import leading, until


@pytest.fixture(autouse=True)
def _no_failpoints() -> Iterator[None]:
    failpoints.clear()
    yield
    failpoints.clear()




def _commits(node: Node) -> tuple[float, float]:
    """(group commits, commands committed) from the node's own metrics."""
    get = node.metrics.registry.get_sample_value
    labels = {"color": node.opts.color}
    return (get("engine_journal_batch_size_count", labels) or 0.0,
            get("engine_journal_batch_size_sum", labels) or 0.0)


def _deposit(seq: Sequencer, i: int) -> asyncio.Future[Any]:
    return seq.submit(Deposit(account=f"a{i}", asset="USDT", amount=1 + i))


def _run(node: Node, seq: Sequencer, body: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        task = asyncio.create_task(seq.run())
        try:
            await body()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())


def test_arrivals_during_a_commit_are_merged_into_one_following_commit(tmp_path: Path) -> None:
    with leading(tmp_path / "j.sqlite") as (node, seq):

        async def body() -> None:
            failpoints.set("journal.append", "delay(300)")  # commit 1 stays in flight
            first = _deposit(seq, 0)
            await until(lambda: node.applied_seq == 1, "the first command applied")
            early = [_deposit(seq, i) for i in range(1, 4)]  # applied while commit 1 runs
            await until(lambda: node.applied_seq == 4, "the early arrivals applied during the commit")
            late = [_deposit(seq, i) for i in range(4, 9)]  # queued: topped up after commit 1
            failpoints.clear("journal.append")
            await asyncio.wait_for(asyncio.gather(first, *early, *late), 10)

        _run(node, seq, body)
        assert _commits(node) == (2.0, 9.0)  # [1] then [3 early + 5 late]
        assert reader.last_seq(node.journal.conn) == 9
        assert recover(node.read_conn, node.config).engine.state_hash() == node.engine.state_hash()


def test_merging_stops_at_the_merge_limit(tmp_path: Path) -> None:
    # merge limit 4 * 2 = 8 commands per commit
    with leading(tmp_path / "j.sqlite", max_batch=2) as (node, seq):

        async def body() -> None:
            failpoints.set("journal.append", "delay(300)")
            first = _deposit(seq, 0)
            await until(lambda: node.applied_seq == 1, "the first command applied")
            rest = [_deposit(seq, i) for i in range(1, 21)]
            failpoints.clear("journal.append")
            await asyncio.wait_for(asyncio.gather(first, *rest), 10)

        _run(node, seq, body)
        commits, commands = _commits(node)
        assert commands == 21.0
        assert commits >= 1 + 20 / 8  # no commit holds more than the merge limit
        assert seq.merge_limit == 8


def test_commit_interval_holds_the_following_commit_to_gather_more(tmp_path: Path) -> None:
    with leading(tmp_path / "j.sqlite", commit_interval_ms=400.0) as (node, seq):
        started: list[float] = []

        async def body() -> None:
            failpoints.set("journal.append", "delay(50)")
            first = _deposit(seq, 0)  # an idle engine commits at once (no interval to wait for)
            started.append(time.monotonic())
            await until(lambda: node.applied_seq == 1, "the first command applied")
            second = _deposit(seq, 1)  # during commit 1: becomes the following batch
            await until(lambda: node.journal_seq == 1, "commit 1 done")
            failpoints.clear("journal.append")
            third = _deposit(seq, 2)  # after commit 1, inside the interval: joins the second commit
            await asyncio.wait_for(asyncio.gather(first, second, third), 10)
            started.append(time.monotonic())

        _run(node, seq, body)
        assert _commits(node) == (2.0, 3.0)
        assert started[1] - started[0] >= 0.4  # the second commit waited out the interval


def test_commit_interval_zero_commits_the_following_batch_at_once(tmp_path: Path) -> None:
    with leading(tmp_path / "j.sqlite") as (node, seq):

        async def body() -> None:
            failpoints.set("journal.append", "delay(50)")
            first = _deposit(seq, 0)
            await until(lambda: node.applied_seq == 1, "the first command applied")
            second = _deposit(seq, 1)
            await until(lambda: node.applied_seq == 2, "the second command applied during commit 1")
            failpoints.clear("journal.append")
            await until(lambda: node.journal_seq == 2, "commit 2 done")
            third = _deposit(seq, 2)  # nothing in flight any more: a commit of its own
            await asyncio.wait_for(asyncio.gather(first, second, third), 10)

        _run(node, seq, body)
        assert _commits(node) == (3.0, 3.0)
