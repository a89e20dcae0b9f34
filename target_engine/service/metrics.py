"""Engine metrics on an explicit prometheus-client registry (names pinned in INTERFACES.md).

Every series carries ``color``; other labels are low-cardinality (route templates, codes, symbols,
assets, modes) — never account or order ids. Values are updated where they change (the sequencer
after each commit, the worker, the request layer); a scrape only sets the few wall-clock gauges
(index age and staleness, queue depths) and renders in a worker thread (``render_cached``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from target_engine.native import DOMAIN_BUILD
from target_engine.service.exposition import Exposition

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048)
SNAPSHOT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SNAPSHOT_OUTCOMES = ("written", "failed")
TRADING_MODES = ("normal", "cancel_only", "post_only", "reduce_only", "halted")

CONTENT_TYPE = CONTENT_TYPE_LATEST


class EngineMetrics:
    """All engine series, pre-bound to one color."""

    def __init__(self, color: str) -> None:
        self.color = color
        r = self.registry = CollectorRegistry(auto_describe=True)
        c = ["color"]
        self.http_requests = Counter("engine_http_requests_total", "HTTP requests", [*c, "route", "code"],
                                     registry=r)
        self.http_duration = Histogram("engine_http_request_duration_seconds", "HTTP request latency",
                                       [*c, "route"], buckets=LATENCY_BUCKETS, registry=r)
        self.inbound_depth = Gauge("engine_inbound_queue_depth", "commands waiting for the sequencer", c,
                                   registry=r).labels(color)
        self.margin_depth = Gauge("engine_margin_queue_depth", "accounts waiting for margin recalculation",
                                  c, registry=r).labels(color)
        self.margin_limit = Gauge("engine_margin_queue_limit", "margin queue depth limit", c,
                                  registry=r).labels(color)
        self.excess = Counter("engine_excess_queue_depth_total", "EXCESS_QUEUE_DEPTH raised", c,
                              registry=r).labels(color)
        self.commit_duration = Histogram("engine_journal_commit_duration_seconds", "group commit latency",
                                         c, buckets=LATENCY_BUCKETS, registry=r).labels(color)
        self.batch_size = Histogram("engine_journal_batch_size", "commands per group commit", c,
                                    buckets=BATCH_BUCKETS, registry=r).labels(color)
        self.state_hash_duration = Histogram(
            "engine_state_hash_duration_seconds",
            "event-loop time per state hash for GET /v1/state: the fork of a hash child, or the whole "
            "hash when computed inline (blocks the event loop)",
            c, buckets=LATENCY_BUCKETS, registry=r).labels(color)
        self.applied_seq = Gauge("engine_applied_seq", "last applied seq", c, registry=r).labels(color)
        self.standby_lag = Gauge("engine_standby_lag_commands", "commands behind the journal", c,
                                 registry=r).labels(color)
        self.is_leader = Gauge("engine_is_leader", "1 when this process holds the lease", c,
                               registry=r).labels(color)
        self.epoch = Gauge("engine_epoch", "fencing epoch", c, registry=r).labels(color)
        self.snapshot_seq = Gauge("engine_snapshot_seq", "seq covered by the newest snapshot written (or "
                                  "recovered from at start-up)", c, registry=r).labels(color)
        self.snapshot_duration = Histogram("engine_snapshot_duration_seconds", "snapshot from its consistent "
                                           "point (fork or inline capture) until its row is written", c,
                                           buckets=SNAPSHOT_BUCKETS, registry=r).labels(color)
        self.snapshot_bytes = Gauge("engine_snapshot_bytes", "payload size of the newest snapshot written", c,
                                    registry=r).labels(color)
        snapshots = Counter("engine_snapshots_total", "snapshots finished, by outcome", [*c, "outcome"],
                            registry=r)
        self.snapshots = {o: snapshots.labels(color, o) for o in SNAPSHOT_OUTCOMES}  # at 0 from start-up
        self.snapshot_in_progress = Gauge("engine_snapshot_in_progress", "1 while a snapshot child runs or a "
                                          "snapshot row waits to be written", c, registry=r).labels(color)
        # Which build of the domain core this process runs (target_engine.native): a game day's
        # figures differ by ~1.5x in replay CPU between the two.
        Gauge("engine_build_info", "1, labelled with the build of the domain core (mypyc or python)",
              [*c, "domain"], registry=r).labels(color, DOMAIN_BUILD).set(1)
        self._mode = Gauge("engine_trading_mode", "1 for the current trading mode", [*c, "mode"], registry=r)
        self.orders = Counter("engine_orders_total", "orders", [*c, "symbol", "outcome"], registry=r)
        self.rejects = Counter("engine_order_rejects_total", "rejects", [*c, "code"], registry=r)
        self.fills = Counter("engine_fills_total", "fills", [*c, "symbol"], registry=r)
        self.liquidations = Counter("engine_liquidations_total", "liquidations", [*c, "symbol"], registry=r)
        self.adl = Counter("engine_adl_total", "auto-deleveraging events", [*c, "symbol"], registry=r)
        self.insurance = Gauge("engine_insurance_fund_balance", "insurance fund", [*c, "asset"], registry=r)
        self.funding_rate = Gauge("engine_funding_rate", "current funding rate", [*c, "symbol"], registry=r)
        self.funding_cap_hits = Counter("engine_funding_cap_hits_total", "funding rate capped",
                                        [*c, "symbol"], registry=r)
        self.mark = Gauge("engine_mark_price", "mark price", [*c, "symbol"], registry=r)
        self.index = Gauge("engine_index_price", "index price", [*c, "symbol"], registry=r)
        self.index_age = Gauge("engine_index_age_seconds", "age of the last index tick", [*c, "symbol"],
                               registry=r)
        self.index_stale = Gauge("engine_index_stale", "index stale", [*c, "symbol"], registry=r)
        self._children: dict[tuple[object, ...], Any] = {}
        self._rendered: tuple[float, bytes] | None = None  # (loop time, exposition text)
        self._rendering: asyncio.Future[bytes] | None = None
        self._route_children: dict[tuple[str, int], Counter] = {}
        self._route_hist: dict[str, Histogram] = {}
        self._exposition = Exposition(r)
        self.set_mode("normal")

    def child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(color, *labels)``, cached (``labels`` takes a lock and builds a key per call)."""
        key = (id(metric), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(self.color, *labels)
        return found

    def set_mode(self, mode: str) -> None:
        for m in TRADING_MODES:
            self._mode.labels(self.color, m).set(1 if m == mode else 0)

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        key = (route, status)
        child = self._route_children.get(key)
        if child is None:
            child = self._route_children[key] = self.http_requests.labels(self.color, route, str(status))
        child.inc()
        hist = self._route_hist.get(route)
        if hist is None:
            hist = self._route_hist[route] = self.http_duration.labels(self.color, route)
        hist.observe(seconds)

    def render(self) -> bytes:
        """The text exposition (= ``generate_latest(self.registry)``, label text cached per series)."""
        return self._exposition.render()

    async def render_cached(self, max_age_s: float = 0.0) -> bytes:
        """The exposition text, rendered in a worker thread (a few ms: the event loop keeps serving
        orders meanwhile); concurrent scrapes share one render, and with ``max_age_s`` > 0 so do
        scrapes that arrive within that many seconds of each other."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if max_age_s > 0 and self._rendered is not None and now - self._rendered[0] <= max_age_s:
            return self._rendered[1]
        if self._rendering is None:
            self._rendering = loop.run_in_executor(None, self.render)
        task = self._rendering
        try:
            body = await asyncio.shield(task)
        finally:
            if self._rendering is task and task.done():
                self._rendering = None
        self._rendered = (now, body)
        return body
