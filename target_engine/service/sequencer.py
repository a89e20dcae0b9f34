"""The sequencer: bounded inbound queue -> batches -> seq + time -> apply -> one journal
transaction per batch (group commit) -> answers.

Clients await a future that resolves only after their batch committed. A full queue raises
``ApiError(OVERLOADED)`` before anything is queued (definitely not executed). A fenced batch is
answered 409 NOT_LEADER and the node steps down; any other journal failure answers 503
``JOURNAL_UNAVAILABLE`` and the engine is rebuilt from the journal (the batch was applied in
memory but never made durable, so it is discarded).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from chaos import failpoints
from target_engine.domain import Command, Event, command_to_dict, event_to_dict, with_sequence
from target_engine.domain.events import Fill, FundingSettled, MarkPriceChanged, TradingModeChanged
from target_engine.journal import CommandRow, EventRow, FencedError, FundingRow, JournalError, canonical_json
from target_engine.service.errors import ApiError, not_leader, overloaded
from target_engine.service.node import Node, now_ms
from target_engine.service.observe import observe_events

log = logging.getLogger("target_engine.service")


def _consume(fut: asyncio.Future[list[Event]]) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("internal command failed: %s", fut.exception())


@dataclass
class Pending:
    cmd: Command
    future: asyncio.Future[list[Event]]


class Sequencer:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.queue: deque[Pending] = deque()
        self.limit = node.opts.inbound_limit
        self.max_batch = node.opts.max_batch
        self._wake = asyncio.Event()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._idle = asyncio.Event()
        self._idle.set()

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
        self.node.metrics.inbound_depth.set(len(self.queue))
        self._wake.set()
        return fut

    async def drain(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while (self.queue or not self._idle.is_set()) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    async def run(self) -> None:
        while True:
            if not self.queue:
                self._wake.clear()
                await self._wake.wait()
            batch = [self.queue.popleft() for _ in range(min(len(self.queue), self.max_batch))]
            self.node.metrics.inbound_depth.set(len(self.queue))
            self._idle.clear()
            try:
                await self._process(batch)
            except Exception:
                log.exception("sequencer batch failed")
                self._fail(batch, ApiError("INTERNAL", "internal error", status=500))
                self.node.rebuild()
            finally:
                self._idle.set()

    @staticmethod
    def _fail(batch: list[Pending], err: Exception) -> None:
        for p in batch:
            if not p.future.done():
                p.future.set_exception(err)

    async def _process(self, batch: list[Pending]) -> None:
        node = self.node
        if not node.is_leader:
            self._fail(batch, not_leader(node.leader_color))
            return
        ts = node.next_ts()
        seq = node.applied_seq
        done: list[tuple[Pending, list[Event]]] = []
        cmd_rows: list[CommandRow] = []
        event_rows: list[EventRow] = []
        funding_rows: list[FundingRow] = []
        for p in batch:
            try:
                await failpoints.ahit("matching.apply")
            except failpoints.FailpointError as exc:
                p.future.set_exception(ApiError("FAILPOINT", f"matching.apply: {exc}", status=503))
                continue
            seq += 1
            stamped = with_sequence(p.cmd, seq, ts)
            events = node.engine.apply(stamped)
            cmd_dict = command_to_dict(stamped)
            cmd_rows.append(CommandRow(seq, node.epoch, ts, cmd_dict["type"], canonical_json(cmd_dict)))
            for idx, ev in enumerate(events):
                ev_dict = event_to_dict(ev)
                payload = canonical_json(ev_dict)
                event_rows.append(EventRow(seq, idx, ev_dict["type"], payload))
                if isinstance(ev, FundingSettled):
                    funding_rows.append(FundingRow(ev.symbol, ev.interval_start, seq, str(ev.rate), payload))
            done.append((p, events))
        node.applied_seq = seq
        if not cmd_rows:
            return
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._writer, node.journal.append_batch, node.epoch, cmd_rows,
                                       event_rows, funding_rows)
        except FencedError as exc:
            self._fail([p for p, _ in done], not_leader(exc.holder))
            node.step_down(str(exc))
            return
        except (JournalError, sqlite3.Error, failpoints.FailpointError, OSError) as exc:
            log.error("journal append failed: %s", exc)
            self._fail([p for p, _ in done], ApiError("JOURNAL_UNAVAILABLE", f"journal write failed: {exc}"))
            node.rebuild()
            return
        m = node.metrics
        m.commit_duration.observe(time.perf_counter() - started)
        m.batch_size.observe(len(cmd_rows))
        m.applied_seq.set(seq)
        node.journal_seq = seq
        all_events: list[Event] = []
        for p, events in done:
            if not p.future.done():
                p.future.set_result(events)
            all_events.extend(events)
        self._after_commit(all_events)
        if seq - node.snapshot_seq >= node.opts.snapshot_every:
            self.snapshot_now()

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
        if touched:
            node.margin_queue.put_many(sorted(touched))
        node.metrics.margin_depth.set(len(node.margin_queue))

    def snapshot_now(self) -> dict[str, Any]:
        """Write a snapshot of the current (committed) state; runs on the loop thread."""
        node = self.node
        snap = node.engine.snapshot()
        state_hash = node.engine.state_hash()
        payload = json.dumps(snap, sort_keys=True, separators=(",", ":")).encode()
        node.journal.write_snapshot(node.applied_seq, node.epoch, node.last_ts, state_hash, payload)
        node.snapshot_seq = node.applied_seq
        return {"seq": node.applied_seq, "state_hash": state_hash, "bytes": len(payload), "ts_ms": now_ms()}
