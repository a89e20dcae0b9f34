"""A leader ``Node`` on a real journal for sequencer tests (``leading``: with its ``Sequencer``), its
teardown, its loop running for a block (``running``), and bounded polling (shared by the sequencer
pipeline, merge, snapshot-metrics and state-hasher tests)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

from target_engine.config.loader import load_config_dict
from target_engine.journal import Journal
from target_engine.service.node import Node
from target_engine.service.options import RoleRequest, ServiceOptions
from target_engine.service.recovery import service_config
from target_engine.service.sequencer import Sequencer


def leader_node(path: Path, **opts: Any) -> Node:
    """A node leading epoch 1 on the journal at ``path`` (no background checkpoints)."""
    journal = Journal(path, engine_config_json="{}", checkpoint_interval_s=None)
    config = service_config(load_config_dict(None))
    node = Node(ServiceOptions(role=RoleRequest.LEADER, **opts), config, journal)
    node.become_leader()
    return node


@contextmanager
def leading(path: Path, **opts: Any) -> Iterator[tuple[Node, Sequencer]]:
    """``leader_node`` and its ``Sequencer``, closed on the way out."""
    node = leader_node(path, **opts)
    seq = Sequencer(node)
    try:
        yield node, seq
    finally:
        close_node(node, seq)


@asynccontextmanager
async def running(*sequencers: Sequencer) -> AsyncIterator[None]:
    """The sequencers' loops run inside the block and are cancelled on the way out."""
    tasks = [asyncio.create_task(s.run()) for s in sequencers]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def close_node(node: Node, seq: Sequencer) -> None:
    seq.close()
    node.leader_lock.close()
    node.read_conn.close()
    node.journal.close()


async def until(what: Callable[[], bool], why: str) -> None:
    """Poll ``what`` every 5 ms for at most 10 s (readiness by polling, never a fixed sleep)."""
    for _ in range(2000):
        if what():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {why}")
