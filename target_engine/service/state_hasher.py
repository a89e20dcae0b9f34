"""The state hash for ``GET /v1/state`` without stalling the event loop.

``Engine.state_hash()`` dumps the whole state to canonical JSON and hashes it: ~220 ms at 38,000
orders, ~0.5 s at 137,000 commands, more as the state grows, and the engine caches it only until
the next command. Computed on the event loop, every order and scrape behind it waits. Here, in
``fork`` snapshot mode (the default where ``os.fork`` exists), a hash that costs more than
``inline_below_s`` (20 ms) is computed by a hash-only child of ``snapshotter.ForkSnapshotter``
(same hygiene as a snapshot child: off the engine's CPUs when it is pinned, else nice 19; no
SQLite; dies with the parent): the loop only forks (~5 ms) and the child pipes the digest back.
The answer pairs the digest with the seq of the state it describes, i.e. the seq at the fork.

- Which way: by the CPU the last hash cost (measured on the loop, or by the child); before any
  measurement, inline below ``inline_below_seq`` (10,000) commands of state, forked above. A
  small state is hashed at once (a few ms on the loop; a nice-19 child on a busy machine can take
  seconds to get the CPU), a large one never stalls the loop.
- At most one hash child runs: requests that arrive meanwhile wait for it and get its (seq, hash),
  so a client polling in a loop costs one fork per child lifetime, not one hash per request.
- The last result is remembered for its engine (``Node.engine_generation``: a rebuilt engine is
  another state) and seq: asking again before the next command computes nothing.
- No fork (inline snapshot mode, or ``fork()`` failing) or a child that fails: the hash is computed
  on the loop (logged; the answer is never an error for this).

``engine_state_hash_duration_seconds`` observes what the event loop spent per computed hash: the
``fork()`` call, or the whole inline hash.
"""

from __future__ import annotations

import asyncio
import logging
import time

from target_engine.domain import Engine
from target_engine.service.node import Node
from target_engine.service.options import SnapshotMode
from target_engine.service.snapshotter import Captured, ForkSnapshotter, SnapshotError

log = logging.getLogger("target_engine.service")


class StateHasher:
    def __init__(self, node: Node, timeout_s: float = 120.0, inline_below_s: float = 0.02,
                 inline_below_seq: int = 10_000) -> None:
        self.node = node
        self.inline_below_s = inline_below_s
        self.inline_below_seq = inline_below_seq
        self._cost_s: float | None = None  # CPU seconds of the last hash (inline or in a child)
        fork = node.opts.snapshot_mode is SnapshotMode.FORK
        self.forker = ForkSnapshotter(node.journal.path, timeout_s=timeout_s) if fork else None
        self._known: tuple[int, int, str] | None = None  # (engine generation, seq, hash) of the last result
        self._running: tuple[int, asyncio.Future[Captured]] | None = None  # (engine generation, child)
        self.forks = 0  # hash children started (tests and benchmarks read it)

    async def current(self) -> tuple[int, str]:
        """(seq, state hash) of the engine's state now, or at the fork of the child already running."""
        engine, generation = self.node.engine, self.node.engine_generation
        known = self._known
        if known is not None and known[:2] == (generation, engine.seq):
            return known[1], known[2]
        running = self._running
        fut = running[1] if running is not None and running[0] == generation else None
        if fut is None:
            fut = self._fork(engine, generation) if self._worth_forking(engine.seq) else None
            if fut is None:
                return self._inline()
        try:
            captured = await asyncio.shield(fut)
        except SnapshotError as exc:
            log.warning("state hash child failed (%s); hashing on the event loop", exc)
            return self._inline()
        return captured.seq, captured.state_hash

    def _worth_forking(self, seq: int) -> bool:
        if self._cost_s is None:
            return seq >= self.inline_below_seq
        return self._cost_s >= self.inline_below_s

    def close(self) -> None:
        if self.forker is not None:
            self.forker.kill()

    def _fork(self, engine: Engine, generation: int) -> asyncio.Future[Captured] | None:
        if self.forker is None:
            return None
        try:
            fut = self.forker.start(engine, engine.seq, self.node.epoch, 0, hash_only=True)
        except OSError as exc:
            log.warning("state hash: fork failed (%s); hashing on the event loop", exc)
            return None
        self.node.metrics.state_hash_duration.observe(self.forker.last_fork_s)
        self.forks += 1
        self._running = (generation, fut)
        fut.add_done_callback(lambda done: self._child_done(generation, done))
        return fut

    def _child_done(self, generation: int, fut: asyncio.Future[Captured]) -> None:
        if self._running is not None and self._running[1] is fut:
            self._running = None
        if not fut.cancelled() and fut.exception() is None:
            captured = fut.result()
            self._known = (generation, captured.seq, captured.state_hash)
            self._cost_s = captured.cpu_s

    def _inline(self) -> tuple[int, str]:
        node = self.node
        started = time.perf_counter()
        seq, digest = node.engine.seq, node.engine.state_hash()
        self._cost_s = time.perf_counter() - started
        node.metrics.state_hash_duration.observe(self._cost_s)
        self._known = (node.engine_generation, seq, digest)
        return seq, digest
