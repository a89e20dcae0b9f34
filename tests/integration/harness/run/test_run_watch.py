"""Steady-state rounds and stop conditions against a real Prometheus scraping a real exporter."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge

from harness.history import EventKind, HistoryWriter, read_history
from harness.observability import ManagedPrometheus, ScrapeTarget, wait_for_targets_up
from harness.run.exporter import MetricsServer
from harness.run.watch import StopWatch, hypothesis_round
from harness.scenario.model import Probe, Tolerance
from harness.slo.prometheus import PromClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_hypothesis_round_and_stop_condition(tmp_path: Path) -> None:
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed")
    registry = CollectorRegistry()
    depth = Gauge("demo_queue_depth", "a value the test controls", registry=registry)
    depth.set(1)
    probe = Probe("queue-small", "max(demo_queue_depth)", Tolerance(max=5), for_seconds=0.5)
    with MetricsServer(registry) as server, ManagedPrometheus(
        [ScrapeTarget("demo", server.url)], [], "250ms", "250ms", workdir=tmp_path / "prom"
    ) as prom, PromClient(prom.url) as client, HistoryWriter(tmp_path / "history.jsonl", proc="t") as hist:
        wait_for_targets_up(prom.url, ["demo"], timeout=30)
        ok, results = hypothesis_round(client, hist, [probe], "before", deadline=time.monotonic() + 20)
        assert ok and results[0].value == 1.0
        watch = StopWatch([probe])
        assert watch.check(client, time.time()) is None
        depth.set(50)
        breached = None
        deadline = time.monotonic() + 20
        while breached is None and time.monotonic() < deadline:
            breached = watch.check(client, time.time())
            time.sleep(0.1)
        assert breached is not None and breached.name == "queue-small" and breached.value == 50.0
        ok, _ = hypothesis_round(client, hist, [probe], "after", deadline=time.monotonic() + 1)
        assert not ok
    events = read_history(tmp_path).events_of(EventKind.CHECK)
    assert [(e.get("phase"), e.get("result")) for e in events] == [("before", "pass"), ("after", "fail")]
