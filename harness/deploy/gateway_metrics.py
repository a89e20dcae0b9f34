"""Prometheus metrics of the gateway (names pinned in docs/dev/INTERFACES.md), explicit registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["GatewayMetrics"]

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GatewayMetrics:
    """All gateway series in one registry; ``render()`` gives the /metrics body."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "gateway_requests", "Requests forwarded, by color and upstream status code",
            ("color", "code"), registry=self.registry,
        )
        self.duration = Histogram(
            "gateway_request_duration_seconds", "Time to answer forwarded requests",
            ("color",), buckets=_BUCKETS, registry=self.registry,
        )
        self.admission_fraction = Gauge(
            "gateway_admission_fraction", "Fraction of requests admitted (the ramp)", registry=self.registry
        )
        self.admission_refused = Counter(
            "gateway_admission_refused", "Requests refused by the admission fraction (not errors)",
            registry=self.registry,
        )
        self.route_weight = Gauge(
            "gateway_route_weight", "Routing weight per color (100 for the active color)",
            ("color",), registry=self.registry,
        )
        self.upstream_errors = Counter(
            "gateway_upstream_errors", "Upstream failures by kind (connect|timeout|failed)",
            ("color", "kind"), registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
