"""Leader lease renewal, standby tailing and automatic promotion.

Two liveness signals, one correctness mechanism:

- the **fencing epoch** in the journal's ``lease`` row: every batch append checks it inside its
  write transaction, so a stale leader can never write (correctness rests on this alone);
- the **leader file lock** (``<journal>.leader.lock``, ``flock``), held by the leader for as long
  as it leads: the kernel drops it the instant the process dies, a slow process keeps it;
- the **time lease** (``expires_ms``, renewed every ``min(lease_ms / 3, 500 ms)``).

Automatic promotion of a standby (``auto_promote``): when the leader lock has been seen free for
``lock_grace_ms`` (the leader died or stepped down: no lease wait), or when the time lease has
expired (a hung-but-alive leader, e.g. SIGSTOP: after ``lease_ms``, default 3 s). A leader stalled
for less than ``lease_ms`` (CPU starvation, GC) keeps both, so it keeps its leadership. A node that
just stepped down ignores the lock for ``lease_ms`` (the newly promoted leader may not hold it yet).
The leader retries the lock on every tick while it does not hold it (after an admin promotion, until
the fenced old leader steps down and drops it). A failed renewal (another epoch holds the lease)
makes the leader step down. Journal errors are logged and retried on the next tick; a corrupt
record stops tailing (reported on /readyz) instead of being applied.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

from target_engine.journal import JournalCorruptError, JournalError, LeaseHeldError, reader
from target_engine.service.node import Node, now_ms
from target_engine.service.options import RoleRequest

log = logging.getLogger("target_engine.service")


class Leadership:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.corrupt: str | None = None
        self._lock_free_since: float | None = None  # time.monotonic() the leader lock was first seen free

    def start(self) -> None:
        """Initial role: leader/auto try to take the lease; standby (or a held lease) tails."""
        node = self.node
        if node.opts.role in (RoleRequest.LEADER, RoleRequest.AUTO):
            try:
                node.become_leader()
                return
            except LeaseHeldError as exc:
                log.warning("lease held by %s: starting as standby", exc.holder)
                node.leader_color = exc.holder
        lease = reader.read_lease(node.read_conn)
        node.leader_color = lease.holder if lease else None

    def promote(self, force: bool) -> int:
        return self.node.become_leader(force=force)

    async def run(self) -> None:
        node = self.node
        renew_every = min(max(node.opts.lease_ms / 3000.0, 0.02), 0.5)
        tail_every = node.opts.tail_interval_ms / 1000.0
        next_renew = 0.0
        loop = asyncio.get_running_loop()
        while not node.stopping:
            try:
                if node.is_leader:
                    if not node.leader_lock.held and node.leader_lock.try_acquire():
                        log.warning("%s holds the leader lock", node.opts.color)
                    if loop.time() >= next_renew:
                        next_renew = loop.time() + renew_every
                        # in a thread: the journal lock may be held by a commit (an fsync with
                        # --durability power), which must not stall the event loop
                        epoch = node.epoch
                        renewed = await asyncio.to_thread(node.journal.renew, epoch, node.opts.color,
                                                          node.opts.lease_ms, now_ms())
                        if not renewed and node.is_leader and node.epoch == epoch:
                            node.step_down("lease renewal refused: fenced by a newer epoch")
                else:
                    self._standby_tick()
            except JournalCorruptError as exc:
                if self.corrupt is None:
                    log.error("standby stopped tailing: %s", exc)
                self.corrupt = str(exc)
            except (JournalError, sqlite3.Error) as exc:
                log.warning("leadership tick failed: %s", exc)
            await asyncio.sleep(tail_every if not node.is_leader else min(renew_every, 0.05))

    def _standby_tick(self) -> None:
        node = self.node
        if self.corrupt is None:
            node.catch_up(node.read_conn, limit=1000)  # bounded time on the loop per tick
        last = reader.last_seq(node.read_conn)
        node.metrics.standby_lag.set(max(0, last - node.applied_seq))
        node.metrics.applied_seq.set(node.applied_seq)
        lease = reader.read_lease(node.read_conn)
        node.leader_color = lease.holder if lease else None
        if not node.opts.auto_promote or self.corrupt is not None:
            return
        if lease is None or not lease.live(now_ms()):
            try:
                self.promote(force=False)
                log.warning("%s promoted: the time lease expired", node.opts.color)
            except LeaseHeldError:
                pass
        elif self._leader_lock_free() and node.leader_lock.try_acquire():
            # the leader process is gone (or stepped down): take over at once, holding its lock
            try:
                self.promote(force=True)
            except BaseException:
                node.leader_lock.release()
                raise
            log.warning("%s promoted: the leader lock was free", node.opts.color)

    def _leader_lock_free(self) -> bool:
        """True once the leader lock has been free for ``lock_grace_ms`` (ignored just after our own
        step-down, while the newly promoted leader may not hold it yet)."""
        node = self.node
        now = time.monotonic()
        down = node.stepped_down_at
        cooling = down is not None and now - down < node.opts.lease_ms / 1000.0
        if cooling or not node.leader_lock.is_free():
            self._lock_free_since = None
            return False
        if self._lock_free_since is None:
            self._lock_free_since = now
        return now - self._lock_free_since >= node.opts.lock_grace_ms / 1000.0

    def lag(self) -> int:
        return max(0, reader.last_seq(self.node.read_conn) - self.node.applied_seq)
