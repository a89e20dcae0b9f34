"""Leader lease renewal, standby tailing and automatic promotion.

The leader renews its lease every ``lease_ms / 3``; a failed renewal (another epoch holds the
lease) makes it step down. The standby applies committed commands from the shared journal file
every ``tail_interval_ms`` and, when ``auto_promote`` is on and the lease has expired, promotes
itself (new epoch). Journal errors are logged and retried on the next tick; a corrupt record
stops tailing (reported on /readyz) instead of being applied.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from target_engine.journal import JournalCorruptError, JournalError, LeaseHeldError, reader
from target_engine.service.node import Node, now_ms
from target_engine.service.options import RoleRequest

log = logging.getLogger("target_engine.service")


class Leadership:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.corrupt: str | None = None

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
        renew_every = max(node.opts.lease_ms / 3000.0, 0.02)
        tail_every = node.opts.tail_interval_ms / 1000.0
        next_renew = 0.0
        loop = asyncio.get_running_loop()
        while not node.stopping:
            try:
                if node.is_leader:
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
        if node.opts.auto_promote and self.corrupt is None and (lease is None or not lease.live(now_ms())):
            try:
                self.promote(force=False)
            except LeaseHeldError:
                pass

    def lag(self) -> int:
        return max(0, reader.last_seq(self.node.read_conn) - self.node.applied_seq)
