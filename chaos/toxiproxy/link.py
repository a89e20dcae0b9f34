"""One direction of one proxied connection: the toxic pipeline between a reader and a writer.

Fast path: with no toxic on the direction and nothing queued, bytes go from ``feed`` straight to
the destination transport (no copy, no task). Otherwise chunks are queued with their arrival time
and a consumer task (alive only while there is work) runs them through the enabled stages. The
queue is bounded: past ``HIGH_WATER`` bytes the source socket stops being read until it drains.
Closing the link (``close``) wakes every sleeping stage, cancels the consumer and stops stages;
nothing is written afterwards.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chaos.toxiproxy.models import Stream
from chaos.toxiproxy.toxics import TOXICS
from chaos.toxiproxy.toxics.base import Chunk, Stage

if TYPE_CHECKING:
    from chaos.toxiproxy.proxy import Connection

HIGH_WATER = 4 * 1024 * 1024
LOW_WATER = 1 * 1024 * 1024


class Link:
    """Implements ``LinkContext`` for the stages of one connection and direction."""

    def __init__(self, conn: Connection, stream: Stream, dest: asyncio.Transport, rng: random.Random) -> None:
        self.conn = conn
        self.stream = stream
        self.dest = dest
        self.rng = rng
        self.proxy_name = conn.proxy.name
        self.stages: list[Stage] = []
        self._versions: dict[int, int] = {}
        self._queue: deque[Chunk | None] = deque()
        self._queued = 0
        self._task: asyncio.Task[None] | None = None
        self._sleepers: set[asyncio.Future[bool]] = set()
        self._loop = asyncio.get_running_loop()
        # timer path: when every enabled stage only delays, chunks are scheduled with call_at
        self._mode = "direct"  # "direct" | "timed" | "pipeline"
        self._delays: list[Stage] = []
        self._timed: deque[tuple[asyncio.TimerHandle, Chunk]] = deque()
        self._last_due = 0.0
        self._backlogged = False  # reading paused because too much is queued here
        self._counter = conn.proxy.stats.bytes
        self.closed = False

    # -- input -------------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self.closed:
            return
        if self._task is None:
            if self._mode == "direct":
                self.dest.write(data)
                self._counter[self.stream] += len(data)
                return
            if self._mode == "timed":
                self._schedule(Chunk(data, self._loop.time()))
                return
        self._queue.append(Chunk(data, self._loop.time()))
        self._queued += len(data)
        if self._queued > HIGH_WATER:
            self._backlogged = True
            self.conn.set_paused(self.stream, "backlog", True)
        self._kick()

    def feed_eof(self) -> None:
        if self.closed:
            return
        if self._mode == "direct" and self._task is None and not self._timed:
            self._deliver_eof()
            return
        self._unschedule()
        self._queue.append(None)
        self._kick()

    def _schedule(self, chunk: Chunk) -> None:
        due = chunk.arrival
        for stage in self._delays:
            due += stage.draw_delay()
        due = max(due, self._last_due, chunk.arrival)
        self._last_due = chunk.due = due
        self._timed.append((self._loop.call_at(due, self._timed_write), chunk))
        self._queued += len(chunk.data)
        if self._queued > HIGH_WATER:
            self._backlogged = True
            self.conn.set_paused(self.stream, "backlog", True)

    def _timed_write(self) -> None:
        # timers fire in due order; always write the oldest pending chunk (ties keep FIFO)
        if self._timed and not self.closed:
            _, chunk = self._timed.popleft()
            self._queued -= len(chunk.data)
            if self._backlogged and self._queued < LOW_WATER:
                self._backlogged = False
                self.conn.set_paused(self.stream, "backlog", False)
            self.dest.write(chunk.data)
            self._counter[self.stream] += len(chunk.data)

    def _unschedule(self) -> None:
        """Move timer-scheduled chunks back to the front of the queue (chain changed or EOF)."""
        while self._timed:
            handle, chunk = self._timed.pop()
            handle.cancel()
            chunk.due = chunk.arrival
            self._queue.appendleft(chunk)  # its bytes stay counted in _queued

    def _kick(self) -> None:
        if self._task is None and self._queue:
            self._task = self._loop.create_task(self._consume())

    async def _consume(self) -> None:
        try:
            while self._queue and not self.closed:
                item = self._queue.popleft()
                stages = list(self.stages)
                if item is None:
                    await self._run_eof(stages, 0)
                    continue
                self._queued -= len(item.data)
                if self._backlogged and self._queued < LOW_WATER:
                    self._backlogged = False
                    self.conn.set_paused(self.stream, "backlog", False)
                await self._run(stages, 0, item)
        except asyncio.CancelledError:
            pass
        finally:
            self._task = None

    async def _run(self, stages: list[Stage], index: int, chunk: Chunk) -> None:
        while index < len(stages) and (stages[index].removed or not stages[index].enabled):
            index += 1
        if index >= len(stages):
            if not self.closed:
                self.dest.write(chunk.data)
                self._counter[self.stream] += len(chunk.data)
            return
        nxt = index + 1
        await stages[index].on_chunk(chunk, lambda c: self._run(stages, nxt, c))

    async def _run_eof(self, stages: list[Stage], index: int) -> None:
        while index < len(stages) and (stages[index].removed or not stages[index].enabled):
            index += 1
        if index >= len(stages):
            self._deliver_eof()
            return
        nxt = index + 1
        await stages[index].on_eof(lambda: self._run_eof(stages, nxt))

    def _deliver_eof(self) -> None:
        if not self.closed:
            self.conn.eof_delivered(self.stream, self.dest)

    # -- chain changes -----------------------------------------------------------------------
    def rebuild(self, chain: list[Any]) -> None:
        """Apply the direction's current toxic chain; every toxicity is rolled again."""
        if self.closed:
            return
        old = {id(stage.toxic): stage for stage in self.stages}
        stages: list[Stage] = []
        for record in chain:
            stage = old.pop(id(record), None)
            was_enabled = stage.enabled if stage is not None else False
            updated = stage is not None and self._versions.get(id(stage)) != record.version
            if stage is None:
                stage = TOXICS[record.type].stage(record, self)
            self._versions[id(stage)] = record.version
            stage.enabled = self.rng.random() < record.toxicity
            if was_enabled and (updated or not stage.enabled):
                stage.on_stop(removed=False)
            if stage.enabled and (updated or not was_enabled):
                stage.on_start()
            stages.append(stage)
        self.stages = stages
        enabled = [s for s in stages if s.enabled]
        self._delays = enabled
        if not enabled:
            self._mode = "direct"
        elif all(s.pure_delay for s in enabled):
            self._mode = "timed"
        else:
            self._mode = "pipeline"
        self._unschedule()
        for stage in old.values():
            stage.removed = True
            self._versions.pop(id(stage), None)
            if stage.enabled:
                stage.on_stop(removed=True)
        self._wake_all()
        self._kick()

    # -- LinkContext -------------------------------------------------------------------------
    def now(self) -> float:
        return self._loop.time()

    async def sleep_until(self, deadline: float | None, stage: Stage) -> bool:
        """Sleep until ``deadline``; False as soon as the stage is removed/disabled or the link closes.

        With ``deadline`` None, sleep until the next chain change and return False.
        """
        while True:
            if stage.removed or not stage.enabled or self.closed:
                return False
            delay = None if deadline is None else deadline - self._loop.time()
            if delay is not None and delay <= 0:
                return True
            fut: asyncio.Future[bool] = self._loop.create_future()
            handle = None if delay is None else self._loop.call_later(delay, _resolve, fut, True)
            self._sleepers.add(fut)
            try:
                reached = await fut
            finally:
                if handle is not None:
                    handle.cancel()
                self._sleepers.discard(fut)
            if deadline is None and not reached:
                return False

    def _wake_all(self) -> None:
        for fut in list(self._sleepers):
            _resolve(fut, False)

    def close_connection(self, *, reset: bool = False) -> None:
        self.conn.close(reset=reset)

    def request_forwarded(self, method: str) -> None:
        self.conn.response_order().request_forwarded(method)

    def reply_to_client(self, data: bytes, *, close: bool) -> None:
        self.conn.response_order().inject(data, close=close)

    def count_http_error(self, status: int) -> None:
        errors = self.conn.proxy.stats.http_errors
        errors[status] = errors.get(status, 0) + 1

    # -- teardown ----------------------------------------------------------------------------
    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._wake_all()
        for handle, _ in self._timed:
            handle.cancel()
        self._timed.clear()
        if self._task is not None:
            self._task.cancel()
        for stage in self.stages:
            if stage.enabled and not stage.removed:
                stage.on_stop(removed=False)
        self._queue.clear()


def _resolve(fut: asyncio.Future[bool], value: bool) -> None:
    if not fut.done():
        fut.set_result(value)


Factory = Callable[[], Link]
