"""The sequencer: bounded inbound queue -> batches -> seq + time -> apply -> one journal
transaction per batch (group commit) -> answers.

Pipelined, one commit in flight: while batch N is being committed by the writer thread, the loop
applies the first arrivals in memory as batch N+1; once N committed (and is answered), what arrived
meanwhile is applied and merged into N+1 (up to ``merge_limit`` commands), and N+1 goes to the
writer. Every client is answered only after its own batch committed. So an answer always means
"durable", and the journal order is the apply order.

Failures: a fenced commit answers its batch and the applied-but-unwritten next batch 409
NOT_LEADER and the node steps down; any other journal failure answers both 503
``JOURNAL_UNAVAILABLE`` and the engine is rebuilt from the journal (what was applied in memory but
never made durable is discarded). A full queue raises ``ApiError(OVERLOADED)`` before anything is
queued (definitely not executed).

Snapshots (every ``snapshot_every`` commands, or on admin request) are taken only at a point where
nothing is applied-but-uncommitted, so a snapshot never holds state the journal lacks. ``snapshots``
decides when one is due and starts it: in ``fork`` mode (the default) the loop only forks there and
a child serialises, hashes and encodes the inherited state while the loop keeps applying batches;
in ``inline`` mode the state is captured and encoded on the loop. Either way the row is written by
the writer thread (``commit_thread``) between two batch commits.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from typing import Any

from chaos import failpoints
from target_engine.domain import Command, Event, TradingMode
from target_engine.domain.events import Fill, MarkPriceChanged, TradingModeChanged
from target_engine.journal import FencedError, JournalError
from target_engine.service.batch import Applied, Pending, apply_batch
from target_engine.service.commit_thread import CommitThread
from target_engine.service.errors import ApiError, not_leader, overloaded
from target_engine.service.node import Node
from target_engine.service.observe import observe_events
from target_engine.service.snapshots import Snapshots

__all__ = ["Pending", "Sequencer"]

log = logging.getLogger("target_engine.service")


def _consume(fut: asyncio.Future[list[Event]]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("internal command failed: %s", fut.exception())


class Sequencer:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.queue: deque[Pending] = deque()
        self.limit = node.opts.inbound_limit
        self.max_batch = node.opts.max_batch
        # bound on what is merged into the next commit while one is in flight (rows per transaction)
        self.merge_limit = 4 * node.opts.max_batch
        self.commit_interval = node.opts.commit_interval_ms / 1000.0
        self._commit_started = 0.0  # when the last commit went to the writer (time.monotonic)
        self._wake = asyncio.Event()
        self._writer = CommitThread()
        self._idle = asyncio.Event()
        self._idle.set()
        self._failure: ApiError | None = None  # why the last commit failed (answers the next batch too)
        self._rebuild_pending = False  # an apply failed while a commit was in flight
        self._snapshots = Snapshots(node, self._writer, self._wake)

    def submit(self, cmd: Command, *, internal: bool = False) -> asyncio.Future[list[Event]]:
        """Queue a command; raises OVERLOADED when the queue is full (internal commands always fit)."""
        if not self.node.is_leader:
            raise not_leader(self.node.leader_color)
        if not internal and len(self.queue) >= self.limit:
            raise overloaded()
        fut: asyncio.Future[list[Event]] = asyncio.get_running_loop().create_future()
        if internal:
            fut.add_done_callback(_consume)
        self.queue.append(Pending(cmd, fut))
        self._wake.set()
        return fut

    async def drain(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while (self.queue or not self._idle.is_set()) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def close(self) -> None:
        self._snapshots.close()
        self._writer.close()

    async def snapshot(self) -> dict[str, Any]:
        """A snapshot covering every acknowledged command (see ``snapshots.Snapshots.request``)."""
        return await self._snapshots.request()

    # ------------------------------------------------------------------ loop
    def _take(self) -> list[Pending]:
        queue = self.queue
        n = min(len(queue), self.max_batch)
        return [queue.popleft() for _ in range(n)]

    async def run(self) -> None:
        inflight: tuple[Applied, asyncio.Future[float]] | None = None
        while True:
            if inflight is None:
                if self._rebuild_pending:
                    self._rebuild_pending = False
                    self.node.rebuild()
                if self._snapshots.due():
                    self._snapshots.point()
                if not self.queue:
                    self._idle.set()
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                self._idle.clear()
                inflight = await self._start(self._take())
                continue
            applied, commit = inflight
            following = await self._apply_while_committing(commit)
            ok = await self._finish(applied, commit)
            if ok and following is not None:
                await self._pace(following)
                await self._top_up(following)
            if following is None:
                inflight = None
            elif ok:
                inflight = self._commit(following) if following.commands else None
                if inflight is None:
                    self._answer(following)
            else:
                failure = self._failure or ApiError("JOURNAL_UNAVAILABLE", "journal write failed")
                self._fail(following, failure)  # applied on top of the failed batch: discarded too
                inflight = None

    def _may_apply(self) -> bool:
        """May more be applied on top of what is in flight? Not when a snapshot is due (it needs a
        point where nothing is applied-but-uncommitted) or after an apply failure (rebuild first)."""
        return bool(self.queue) and not self._rebuild_pending and not self._snapshots.due()

    async def _apply_while_committing(self, commit: asyncio.Future[float]) -> Applied | None:
        """The first arrivals during ``commit`` are applied while it runs (overlap); the batch
        they form is then topped up by ``_top_up`` once ``commit`` is done."""
        if commit.done():
            return None
        if not self.queue:  # woken by the commit's callback or by new work
            self._wake.clear()
            await self._wake.wait()
        if not commit.done() and self._may_apply():
            return await self._apply(self._take())
        return None

    async def _pace(self, following: Applied) -> None:
        """Hold ``following`` until ``commit_interval`` after the previous commit started, so that
        what arrives meanwhile joins it (skipped once it could not grow any more)."""
        wait = self._commit_started + self.commit_interval - time.monotonic()
        if wait > 0 and following.command_count + len(self.queue) < self.merge_limit:
            await asyncio.sleep(wait)

    async def _top_up(self, following: Applied) -> None:
        """Merge what arrived during the commit into ``following``, the batch that commits next.
        Under open-loop load arrivals trickle in during a commit; committing only the first few
        (one small batch per commit) made the per-batch cost dominate. No per-arrival wake-ups:
        this runs once, after the commit. Bounded by ``merge_limit``; stops at an apply failure or
        a lost leadership (nothing may go on top of those)."""
        node = self.node
        while (following.command_count < self.merge_limit and following.epoch == node.epoch
               and self._may_apply()):
            more = await self._apply(self._take())
            if more is None:  # not leader, or the apply failed (a rebuild is pending)
                return
            following.extend(more)

    async def _apply(self, batch: list[Pending]) -> Applied | None:
        node = self.node
        if not node.is_leader:
            err = not_leader(node.leader_color)
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(err)
            return None
        try:
            return await apply_batch(node, batch)
        except Exception:
            log.exception("sequencer batch failed")
            err = ApiError("INTERNAL", "internal error", status=500)
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(err)
            self._rebuild_pending = True  # after the commit in flight, if any (it must not be lost)
            return None

    async def _start(self, batch: list[Pending]) -> tuple[Applied, asyncio.Future[float]] | None:
        applied = await self._apply(batch)
        if applied is None:
            return None
        if not applied.commands:
            self._answer(applied)
            return None
        return self._commit(applied)

    def _commit(self, applied: Applied) -> tuple[Applied, asyncio.Future[float]]:
        """Hand the batch to the writer thread: one transaction; the future gets its duration."""
        self._commit_started = time.monotonic()
        fut: asyncio.Future[float] = self._writer.submit(self._append, applied)
        fut.add_done_callback(self._commit_done)
        return applied, fut

    def _append(self, applied: Applied) -> float:
        """Commit thread: one transaction; returns its duration in seconds (the commit latency)."""
        started = time.perf_counter()
        self.node.journal.append_rows(applied.epoch, applied.commands, applied.events, applied.fundings)
        return time.perf_counter() - started

    def _commit_done(self, _fut: asyncio.Future[float]) -> None:
        self._wake.set()

    async def _finish(self, applied: Applied, commit: asyncio.Future[float]) -> bool:
        """Wait for the commit; answer the batch (or fail it). True when durable."""
        node = self.node
        self._failure = None
        try:
            seconds = await commit
        except FencedError as exc:
            self._failure = not_leader(exc.holder)
            self._fail(applied, self._failure)
            node.step_down(str(exc))
            return False
        except (JournalError, sqlite3.Error, failpoints.FailpointError, OSError) as exc:
            log.error("journal append failed: %s", exc)
            self._failure = ApiError("JOURNAL_UNAVAILABLE", f"journal write failed: {exc}")
            self._fail(applied, self._failure)
            node.rebuild()
            return False
        m = node.metrics
        m.commit_duration.observe(seconds)
        m.batch_size.observe(applied.command_count)
        m.applied_seq.set(applied.last_seq)
        node.journal_seq = applied.last_seq
        self._answer(applied)
        node.gc.after_commit(applied.last_seq)
        return True

    def _answer(self, applied: Applied) -> None:
        all_events: list[Event] = []
        for p, events in applied.done:
            if not p.future.done():
                p.future.set_result(events)
            all_events.extend(events)
        self._after_commit(all_events)

    @staticmethod
    def _fail(applied: Applied, err: Exception) -> None:
        for p, _ in applied.done:
            if not p.future.done():
                p.future.set_exception(err)

    def _after_commit(self, events: list[Event]) -> None:
        node = self.node
        observe_events(node, events)
        touched: set[str] = set()
        for ev in events:
            if isinstance(ev, Fill):
                touched.add(ev.taker_account)
                touched.add(ev.maker_account)
            elif isinstance(ev, MarkPriceChanged):
                touched.update(node.engine.accounts_to_liquidate(ev.symbol))
            elif isinstance(ev, TradingModeChanged):
                node.metrics.set_mode(ev.mode)
                if ev.mode != TradingMode.HALTED.value:  # liquidations paused by a halt: re-check everyone
                    touched.update(node.engine.accounts_to_liquidate())
        if touched:
            node.margin_queue.put_many(sorted(touched))
        node.engine.flush_index()  # re-file this batch's touched accounts now, not on the next mark tick

    # ------------------------------------------------------------------ snapshots
    def snapshot_now(self) -> dict[str, Any]:
        """Write a snapshot of the current state now, on the calling thread (call only when memory
        equals the journal and no commit is in flight)."""
        return self._snapshots.snapshot_now()
