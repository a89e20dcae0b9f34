"""When and how the sequencer takes snapshots: due every ``snapshot_every`` commands or on admin
request, started only at the sequencer's consistent points (nothing applied-but-uncommitted).

``fork`` mode (``ServiceOptions.snapshot_mode``, the default where ``os.fork`` exists): ``point``
forks a snapshot child (``snapshotter.ForkSnapshotter``) and returns at once; when the child
reports, its row goes to the commit thread (written between two batch commits, in order) and the
admin callers are answered. At most one child runs at a time: ``due`` is false while it runs (a
due snapshot waits for it); an admin request joins it when it covers every acknowledged command
(its seq >= the journal's), otherwise waits for the next point. If ``fork()`` fails (ENOMEM,
EAGAIN) the snapshot is taken inline instead, and the failure is logged.

``inline`` mode (today's synchronous path, and ``snapshot_now``): dump, hash and encode on the
loop (seconds at 100k commands of state), then the same commit-thread write.

Errors: a failed child, dump or write is logged and answered ``503 JOURNAL_UNAVAILABLE`` to the
admin callers; the engine keeps running and ``node.snapshot_seq`` moves only when a row is written
(by this process, or by the leader, seen by ``Node.catch_up`` on a standby and at promotion).
The next snapshot is due ``snapshot_every`` commands after the last attempt either way (a failing
snapshot is not retried in a loop). Everything here runs on the event loop thread.

Metrics (``EngineMetrics``): ``engine_snapshots_total{outcome=written|failed}``,
``engine_snapshot_duration_seconds`` (consistent point to row written), ``engine_snapshot_seq`` and
``engine_snapshot_bytes`` of the newest row written, ``engine_snapshot_in_progress`` (1 from the
consistent point until the row is written or the attempt failed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from target_engine.service.commit_thread import CommitThread
from target_engine.service.errors import ApiError, not_leader
from target_engine.service.node import Node, now_ms
from target_engine.service.options import SnapshotMode
from target_engine.service.snapshotter import Captured, ForkSnapshotter, capture_inline

__all__ = ["Snapshots"]

log = logging.getLogger("target_engine.service")

_Waiters = list["asyncio.Future[dict[str, Any]]"]


@dataclass
class _Running:
    """The snapshot child in progress: the seq it captures and the admin callers waiting for it."""

    seq: int
    started: float  # time.perf_counter() at the consistent point
    waiters: _Waiters = field(default_factory=list)


class Snapshots:
    def __init__(self, node: Node, writer: CommitThread, wake: asyncio.Event) -> None:
        self.node = node
        self._writer = writer
        self._wake = wake
        fork = node.opts.snapshot_mode is SnapshotMode.FORK
        self.forker = ForkSnapshotter(node.journal.path) if fork else None
        self._waiters: _Waiters = []
        self._running: _Running | None = None
        self._attempt_seq = 0  # seq of the last snapshot attempted
        self._in_progress = 0  # attempts started and not yet written or failed
        self._closed = False  # shutting down: a killed child is abandoned, not failed
        node.metrics.snapshot_seq.set(node.snapshot_seq)  # the snapshot recovery started from

    def close(self) -> None:
        """Shutdown: SIGKILL a running child (its row would be written by nobody). That attempt is
        abandoned, not failed: a normal shutdown (a blue-green cutover) must not count as a failure
        (``engine_snapshots_total{outcome="failed"}`` raises the SnapshotFailing alert)."""
        self._closed = True
        if self.forker is not None:
            self.forker.kill()

    async def request(self) -> dict[str, Any]:
        """Admin: a snapshot covering every acknowledged command: the running child's when it does,
        else one taken at the sequencer's next consistent point."""
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        running = self._running
        if running is not None and running.seq >= self.node.journal_seq:
            running.waiters.append(fut)
        else:
            self._waiters.append(fut)
            self._wake.set()
        return await fut

    def due(self) -> bool:
        """Should the sequencer stop at a consistent point for a snapshot now?"""
        if self._running is not None:  # one child at a time: the next waits for it
            return False
        node = self.node
        due = node.applied_seq - max(node.snapshot_seq, self._attempt_seq) >= node.opts.snapshot_every
        return due or bool(self._waiters)

    def point(self) -> None:
        """Called at a consistent point (memory equals the journal): start a snapshot."""
        waiters, self._waiters = self._waiters, []
        node = self.node
        if not node.is_leader:
            for w in waiters:
                if not w.done():
                    w.set_exception(not_leader(node.leader_color))
            return
        self._attempt_seq = node.applied_seq
        started = self._begin()
        if self.forker is not None:
            try:
                child = self.forker.start(node.engine, node.applied_seq, node.epoch, node.last_ts)
            except OSError as exc:
                log.error("snapshot fork failed (%s): taking it inline", exc)
            else:
                running = self._running = _Running(node.applied_seq, started, waiters)
                child.add_done_callback(lambda fut: self._child_done(running, fut))
                return
        try:
            captured = self._capture()
        except Exception as exc:  # a bug in the dump: report it to the admin caller, keep running
            self._failed(waiters, exc, started)
            return
        self._write(captured, waiters, started)

    def _child_done(self, running: _Running, fut: asyncio.Future[Captured]) -> None:
        """The child reported: write its row, or report its failure."""
        if self._running is running:
            self._running = None
        self._wake.set()  # a due snapshot or waiting admin requests may go now
        exc = None if fut.cancelled() else fut.exception()
        if exc is not None or fut.cancelled():
            self._failed(running.waiters, exc or RuntimeError("cancelled"), running.started)
            return
        self._write(fut.result(), running.waiters, running.started)

    def _write(self, captured: Captured, waiters: _Waiters, started: float) -> None:
        """The row goes to the commit thread (in order with batches); answer once it is written."""
        node = self.node
        try:
            written = self._writer.submit(node.journal.write_snapshot, captured.seq, captured.epoch,
                                          captured.ts_ms, captured.state_hash, captured.payload)
        except RuntimeError as exc:  # the commit thread is closed: shutting down
            self._failed(waiters, exc, started)
            return

        def answer(fut: asyncio.Future[Any]) -> None:
            exc = None if fut.cancelled() else fut.exception()
            if fut.cancelled() or exc is not None:
                self._failed(waiters, exc or RuntimeError("cancelled"), started)
                return
            node.snapshot_seq = max(node.snapshot_seq, captured.seq)
            self._end(started, captured)
            result = {"seq": captured.seq, "state_hash": captured.state_hash, "bytes": len(captured.payload),
                      "ts_ms": now_ms()}
            for w in waiters:
                if not w.done():
                    w.set_result(result)

        written.add_done_callback(answer)

    def _failed(self, waiters: _Waiters, exc: BaseException, started: float) -> None:
        if self._closed:
            log.info("snapshot abandoned at shutdown: %s", exc)
        else:
            log.error("snapshot failed: %s", exc)
        self._end(started, None)
        for w in waiters:
            if not w.done():
                w.set_exception(ApiError("JOURNAL_UNAVAILABLE", f"snapshot failed: {exc}"))

    def _begin(self) -> float:
        """A snapshot attempt starts at this consistent point: its start time for ``_end``."""
        self._in_progress += 1
        self.node.metrics.snapshot_in_progress.set(1)
        return time.perf_counter()

    def _end(self, started: float, written: Captured | None) -> None:
        """The attempt begun at ``started`` is over: its row ``written``, or failed (None)."""
        self._in_progress -= 1
        metrics = self.node.metrics
        metrics.snapshot_in_progress.set(1 if self._in_progress else 0)
        if written is None:
            if not self._closed:
                metrics.snapshots["failed"].inc()
            return
        metrics.snapshots["written"].inc()
        metrics.snapshot_duration.observe(time.perf_counter() - started)
        metrics.snapshot_seq.set(self.node.snapshot_seq)
        metrics.snapshot_bytes.set(len(written.payload))

    def _capture(self) -> Captured:
        node = self.node
        return capture_inline(node.engine, node.applied_seq, node.epoch, node.last_ts)

    def snapshot_now(self) -> dict[str, Any]:
        """Write a snapshot of the current state now, on the calling thread (call only when memory
        equals the journal and no commit is in flight). Raises what the dump or the write raised."""
        started = self._begin()
        try:
            c = self._capture()
            self.node.journal.write_snapshot(c.seq, c.epoch, c.ts_ms, c.state_hash, c.payload)
        except BaseException:
            self._end(started, None)
            raise
        self.node.snapshot_seq = max(self.node.snapshot_seq, c.seq)
        self._end(started, c)
        return {"seq": c.seq, "state_hash": c.state_hash, "bytes": len(c.payload), "ts_ms": now_ms()}
