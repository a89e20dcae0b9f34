"""Fixtures: tiny real exporters (prometheus_client on 127.0.0.1, port 0)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


@dataclass
class EngineExporter:
    """Publishes the engine metrics MarginQueueOverflow and NoLeader read, for one color."""

    color: str
    registry: CollectorRegistry
    depth: Gauge
    limit: Gauge
    excess: Counter
    is_leader: Gauge
    server: WSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/metrics"

    def shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def make_exporter(color: str, leader: bool = True) -> EngineExporter:
    reg = CollectorRegistry()
    depth = Gauge("engine_margin_queue_depth", "depth", ["color"], registry=reg)
    limit = Gauge("engine_margin_queue_limit", "limit", ["color"], registry=reg)
    excess = Counter("engine_excess_queue_depth", "excess", ["color"], registry=reg)
    is_leader = Gauge("engine_is_leader", "leader", ["color"], registry=reg)
    depth.labels(color).set(0)
    limit.labels(color).set(1000)
    excess.labels(color)
    is_leader.labels(color).set(1 if leader else 0)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=reg)
    return EngineExporter(color, reg, depth, limit, excess, is_leader, server, thread)


@pytest.fixture
def blue_exporter() -> Iterator[EngineExporter]:
    exp = make_exporter("blue")
    yield exp
    exp.shutdown()


@pytest.fixture
def green_exporter() -> Iterator[EngineExporter]:
    exp = make_exporter("green", leader=False)
    yield exp
    exp.shutdown()


requires_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="prometheus binary not installed (apt install prometheus)"
)
