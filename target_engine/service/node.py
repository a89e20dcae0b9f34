"""The engine node: the in-memory engine, its role and epoch, the journal, the margin queue.

Everything here runs on the event loop thread; only the journal commit runs in the sequencer's
single writer thread. Role changes (promotion, step-down) rebuild or catch up the engine
synchronously on the loop thread so no request ever sees a half-applied state.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field

from target_engine.domain import Engine, EngineConfig, TradingMode
from target_engine.journal import Journal, LeaderLock, connect, reader
from target_engine.service.gcpolicy import GcPolicy
from target_engine.service.margin_queue import MarginQueue
from target_engine.service.metrics import EngineMetrics
from target_engine.service.observe import export_state_gauges
from target_engine.service.options import OverflowPolicy, Role, ServiceOptions
from target_engine.service.recovery import recover, replay_payloads
from target_engine.service.risk import position_qty

log = logging.getLogger("target_engine.service")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class IndexState:
    """Wall-clock freshness of the feed, per symbol (liquidations pause while stale).

    A symbol that has had a tick is stale once its last tick is older than the budget. A symbol the
    feed never priced (e.g. BTCUSDC when the feed serves only USDT symbols) is not stale — unless a
    feed is configured and nothing at all has arrived for longer than the budget since start-up
    (a feed that is down from the beginning).
    """

    feed_configured: bool = False
    started_ms: int = field(default_factory=now_ms)
    last_tick_ms: dict[str, int] = field(default_factory=dict)

    def stale(self, symbol: str, now: int, stale_ms: int) -> bool:
        last = self.last_tick_ms.get(symbol)
        if last is not None:
            return now - last > stale_ms
        return self.feed_configured and not self.last_tick_ms and now - self.started_ms > stale_ms


class Node:
    def __init__(self, opts: ServiceOptions, config: EngineConfig, journal: Journal) -> None:
        self.opts = opts
        self.config = config
        self.journal = journal
        self.read_conn: sqlite3.Connection = connect(journal.path)
        self.leader_lock = LeaderLock(journal.path)  # liveness hint only; the epoch fences writes
        self.stepped_down_at: float | None = None  # time.monotonic() of the last step-down
        self.metrics = EngineMetrics(opts.color)
        self.role = Role.STANDBY
        self.epoch = 0
        self.leader_color: str | None = None
        self.margin_queue = MarginQueue(opts.margin_queue_limit, opts.overflow_policy is OverflowPolicy.SHED)
        self.metrics.margin_limit.set(opts.margin_queue_limit)
        self.excess_halted = False  # halt policy tripped: every order 503 EXCESS_QUEUE_DEPTH
        self.shedding = False  # shed policy active: risk-increasing orders 503 + Retry-After
        self.index = IndexState(feed_configured=bool(opts.feed_url))
        self.journal_seq = 0
        self.snapshot_seq = 0
        self.stopping = False
        rec = recover(self.read_conn, config)
        self.engine: Engine = rec.engine
        self.engine_generation = 0  # +1 each time ``engine`` is replaced (rebuild): keys per-engine caches
        self.applied_seq = rec.last_seq
        self.last_ts = rec.last_ts_ms
        self.snapshot_seq = rec.snapshot_seq
        self.gc = GcPolicy()
        self.gc.startup(self.applied_seq)
        self._refresh_role_metrics()

    # ------------------------------------------------------------------ role
    @property
    def is_leader(self) -> bool:
        return self.role is Role.LEADER

    def _refresh_role_metrics(self) -> None:
        self.metrics.is_leader.set(1 if self.is_leader else 0)
        self.metrics.epoch.set(self.epoch)
        self.metrics.applied_seq.set(self.applied_seq)
        self.metrics.set_mode(self.engine_mode())
        export_state_gauges(self)

    def engine_mode(self) -> str:
        try:
            return str(self.engine.trading_mode.value)
        except Exception:
            return TradingMode.NORMAL.value

    def catch_up(self, conn: sqlite3.Connection, limit: int | None = None) -> int:
        """Apply committed commands after ``applied_seq`` (all, or at most ``limit``)."""
        while True:
            rows = reader.read_command_tuples(conn, self.applied_seq, limit or 5000)
            if rows:  # replay mode: the standby reads no events, so none are built
                replay_payloads(self.engine, [row[4] for row in rows])
                self.applied_seq, self.last_ts = rows[-1][0], rows[-1][2]
            self.engine.flush_index()  # keep the liquidation index fresh for a promotion
            self.gc.after_commit(self.applied_seq)
            if not rows or limit is not None:
                self._sync_snapshot_seq(conn)
                return self.applied_seq

    def _sync_snapshot_seq(self, conn: sqlite3.Connection) -> None:
        """Follow the snapshots another process (the leader) wrote: a standby's snapshot metric stays
        true, and after a promotion the next snapshot is due from the newest one, not from start-up."""
        newest = reader.last_snapshot_seq(conn)
        if newest > self.snapshot_seq:
            self.snapshot_seq = newest
            self.metrics.snapshot_seq.set(newest)

    def become_leader(self, force: bool = False) -> int:
        """Take the lease with a new epoch after applying every committed command (inside the lock).

        The leader file lock is taken first when free (so a standby never sees a live leader without
        it); when another process still holds it (an admin promotion over a running leader) the
        leadership loop keeps trying until the fenced leader steps down and drops it."""
        had_lock = self.leader_lock.held
        self.leader_lock.try_acquire()
        try:
            epoch = self.journal.acquire(self.opts.color, self.opts.lease_ms, now_ms(), force=force,
                                         catch_up=self.catch_up)
        except BaseException:
            if not had_lock:
                self.leader_lock.release()
            raise
        self.role, self.epoch, self.leader_color = Role.LEADER, epoch, self.opts.color
        self.excess_halted = self.shedding = False
        self.margin_queue.clear()
        self.journal_seq = self.applied_seq
        self._refresh_role_metrics()
        self.metrics.standby_lag.set(0)
        log.warning("%s is leader, epoch %d, seq %d", self.opts.color, epoch, self.applied_seq)
        return epoch

    def step_down(self, reason: str) -> None:
        """Fenced or failed: drop un-journaled state by rebuilding from the journal; become standby."""
        log.warning("%s steps down: %s", self.opts.color, reason)
        self.role = Role.STANDBY
        self.leader_lock.release()
        self.stepped_down_at = time.monotonic()
        self.margin_queue.clear()
        self.excess_halted = self.shedding = False
        self.rebuild()
        lease = reader.read_lease(self.read_conn)
        self.leader_color = lease.holder if lease else None
        self._refresh_role_metrics()

    def rebuild(self) -> None:
        rec = recover(self.read_conn, self.config)
        self.engine, self.applied_seq, self.last_ts = rec.engine, rec.last_seq, rec.last_ts_ms
        self.engine_generation += 1
        self.metrics.applied_seq.set(self.applied_seq)
        self._sync_snapshot_seq(self.read_conn)

    # ------------------------------------------------------------------ time
    def next_ts(self) -> int:
        ts = max(self.last_ts, now_ms())
        self.last_ts = ts
        return ts

    def stale_symbols(self, now: int | None = None) -> list[str]:
        t = now_ms() if now is None else now
        budget = self.config.index_stale_ms
        return [s for s in sorted(self.config.instruments) if self.index.stale(s, t, budget)]

    def index_stale(self, now: int | None = None) -> bool:
        return bool(self.stale_symbols(now))

    def account_index_stale(self, account: str) -> bool:
        """True when a symbol the account holds a position in has a stale index (pause its liquidation)."""
        stale = self.stale_symbols()
        return any(position_qty(self.engine, account, s) != 0 for s in stale)
