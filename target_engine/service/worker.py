"""The margin worker and the EXCESS_QUEUE_DEPTH policies.

The worker takes accounts off the margin queue, recomputes margin (``needs_liquidation``) and
submits ``Liquidate`` through the sequencer. The sequencer queues the accounts of every fill, the
index candidates of every mark move, and — when a halt ends (any mode change to a non-halted mode)
— every account ``accounts_to_liquidate()`` finds, since liquidations were paused meanwhile.
Failpoint ``margin.worker.delay`` runs before each
account (a delay stalls the worker, the queue grows). While the index of a symbol an account holds
is stale its liquidation is paused: the account is parked and re-queued (by ``watch``) once every
index is fresh again.

``check_overflow`` runs after each change of depth (synchronously when the queue grows, on each
take, and every 50 ms from ``watch`` while the worker is stalled): past the limit, ``halt`` journals
``SetTradingMode(halted, reason=EXCESS_QUEUE_DEPTH)`` and answers every order 503;
``shed`` rejects risk-increasing orders until the depth falls below the low-water mark.
"""

from __future__ import annotations

import asyncio
import logging

from chaos import failpoints
from target_engine.domain import Liquidate, SetTradingMode, TradingMode
from target_engine.service.node import Node
from target_engine.service.options import OverflowPolicy
from target_engine.service.sequencer import Sequencer

log = logging.getLogger("target_engine.service")
EXCESS_REASON = "EXCESS_QUEUE_DEPTH"


class MarginWorker:
    def __init__(self, node: Node, sequencer: Sequencer) -> None:
        self.node = node
        self.sequencer = sequencer
        self.parked: set[str] = set()
        node.margin_queue.on_grow.append(self.check_overflow)

    def check_overflow(self) -> None:
        node = self.node
        depth = len(node.margin_queue)
        node.metrics.margin_depth.set(depth)
        if not node.is_leader:
            return
        limit = node.opts.margin_queue_limit
        if node.opts.overflow_policy is OverflowPolicy.HALT:
            if depth > limit and not node.excess_halted:
                node.excess_halted = True
                node.metrics.excess.inc()
                log.error("EXCESS_QUEUE_DEPTH: margin queue %d > %d, halting trading", depth, limit)
                self.sequencer.submit(SetTradingMode(mode=TradingMode.HALTED, reason=EXCESS_REASON),
                                      internal=True)
        elif depth > limit and not node.shedding:
            node.shedding = True
            node.metrics.excess.inc()
            log.error("EXCESS_QUEUE_DEPTH: margin queue %d > %d, shedding", depth, limit)
        elif depth < node.opts.margin_low_water and node.shedding:
            node.shedding = False
            log.warning("margin queue %d below low water: resuming", depth)

    async def run(self) -> None:
        node = self.node
        while True:
            acct = await node.margin_queue.get()
            self.check_overflow()
            try:
                await failpoints.ahit("margin.worker.delay")
            except failpoints.FailpointError:
                continue
            if not node.is_leader:
                continue
            try:
                if not node.engine.needs_liquidation(acct):
                    continue
                if node.account_index_stale(acct):
                    self.parked.add(acct)  # liquidations pause on a stale index; watch() re-queues
                    continue
                self.sequencer.submit(Liquidate(account=acct), internal=True)
            except Exception:
                log.exception("margin check failed for one account")

    async def watch(self, interval: float = 0.05) -> None:
        """Re-evaluate overflow even when the worker is stalled inside a failpoint."""
        while True:
            self.check_overflow()
            if self.parked and self.node.is_leader and not self.node.index_stale():
                self.node.margin_queue.put_many(sorted(self.parked))
                self.parked.clear()
            await asyncio.sleep(interval)
