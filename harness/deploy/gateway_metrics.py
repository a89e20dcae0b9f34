"""Prometheus metrics of the gateway (names pinned in docs/dev/INTERFACES.md), explicit registry."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["GatewayMetrics"]

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class GatewayMetrics:
    """All gateway series in one registry; ``render()`` gives the /metrics body.

    The per-request path goes through :meth:`answered`, which keeps the labelled children in dicts
    (``labels()`` validates and locks on every call; the label sets here are few and fixed).
    """

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

        self.leader_switches = Counter(
            "gateway_leader_switches", "Active route switched to follow the leader (409 NOT_LEADER)",
            ("from", "to"), registry=self.registry,
        )
        self.leader_retries = Counter(
            "gateway_leader_retries", "Requests answered 409 NOT_LEADER and sent once more to the leader",
            ("from", "to"), registry=self.registry,
        )
        self._requests: dict[tuple[str, int], Any] = {}
        self._durations: dict[str, Any] = {}

    def answered(self, color: str, status: int, seconds: float) -> None:
        """One upstream attempt of ``color`` answered ``status`` after ``seconds``."""
        counter = self._requests.get((color, status))
        if counter is None:
            counter = self._requests[(color, status)] = self.requests.labels(color, str(status))
        counter.inc()
        histogram = self._durations.get(color)
        if histogram is None:
            histogram = self._durations[color] = self.duration.labels(color)
        histogram.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
