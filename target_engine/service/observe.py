"""Turn committed events into metric updates (low-cardinality labels only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from target_engine.domain import Event
from target_engine.domain.events import (
    ADLExecuted,
    Fill,
    FundingSettled,
    InsuranceFundChanged,
    LiquidationFinished,
    MarkPriceChanged,
    OrderAccepted,
    OrderRejected,
)
from target_engine.domain.units import MONEY_SCALE, PRICE_SCALE, RATE_SCALE

if TYPE_CHECKING:
    from target_engine.service.metrics import EngineMetrics
    from target_engine.service.node import Node


def export_state_gauges(node: Node) -> None:
    """Series that must exist before their first event: the insurance fund per settlement asset (its
    current balance: a seeded fund reads as seeded, an empty one as 0, on a standby as on the leader) and
    the liquidation / ADL counters per symbol at their current value (``increase()`` misses the first
    count of a series that appears already above 0). Called at start-up and on every role change."""
    m = node.metrics
    for asset in node.config.assets:
        m.insurance.labels(m.color, asset).set(node.engine.insurance_fund(asset) / MONEY_SCALE)
    for symbol in node.config.instruments:
        m.liquidations.labels(m.color, symbol)
        m.adl.labels(m.color, symbol)


def observe_events(node: Node, events: list[Event]) -> None:
    """Count a committed batch's events: counters incremented once per label set and batch."""
    m = node.metrics
    c = m.color
    child = m.child
    counts: dict[tuple[Any, str, str], int] = {}
    for ev in events:
        if isinstance(ev, OrderAccepted):
            key = (m.orders, ev.symbol, "accepted")
        elif isinstance(ev, Fill):
            key = (m.fills, ev.symbol, "")
        elif isinstance(ev, OrderRejected):
            if ev.command == "PlaceOrder":
                counts[(m.orders, "", "rejected")] = counts.get((m.orders, "", "rejected"), 0) + 1
            key = (m.rejects, ev.code, "")
        else:
            _observe_rare(m, c, ev)
            continue
        counts[key] = counts.get(key, 0) + 1
    for (metric, first, second), n in counts.items():
        if second:
            child(metric, first, second).inc(n)
        else:
            child(metric, first).inc(n)


def _observe_rare(m: EngineMetrics, c: str, ev: Event) -> None:
    if isinstance(ev, MarkPriceChanged):
        m.mark.labels(c, ev.symbol).set(ev.mark_price / PRICE_SCALE)
        m.index.labels(c, ev.symbol).set(ev.index_price / PRICE_SCALE)
    elif isinstance(ev, LiquidationFinished):
        m.liquidations.labels(c, ev.symbol).inc()
    elif isinstance(ev, ADLExecuted):
        m.adl.labels(c, ev.symbol).inc()
    elif isinstance(ev, InsuranceFundChanged):
        m.insurance.labels(c, ev.asset).set(ev.balance / MONEY_SCALE)
    elif isinstance(ev, FundingSettled):
        m.funding_rate.labels(c, ev.symbol).set(ev.rate / RATE_SCALE)
        if ev.capped:
            m.funding_cap_hits.labels(c, ev.symbol).inc()
