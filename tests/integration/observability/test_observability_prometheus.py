"""ManagedPrometheus against the real prometheus binary scraping real exporters."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import httpx
import pytest

from harness.observability import (
    ManagedPrometheus,
    ObservabilityError,
    ScrapeTarget,
    default_rule_files,
    wait_for_alert,
    wait_for_targets_up,
)
from harness.observability import prometheus as prom_module
from harness.observability.waits import firing_alerts

from .conftest import EngineExporter, requires_prometheus

pytestmark = [requires_prometheus, pytest.mark.timeout(120)]


def _query(url: str, expr: str) -> list[dict]:
    body = httpx.get(f"{url}/api/v1/query", params={"query": expr}, timeout=5).json()
    assert body["status"] == "success", body
    return body["data"]["result"]


def test_scrapes_target_and_fires_margin_queue_overflow(
    blue_exporter: EngineExporter, tmp_path: Path
) -> None:
    targets = [ScrapeTarget("engine-blue", blue_exporter.url)]
    with ManagedPrometheus(targets, default_rule_files(), workdir=tmp_path) as prom:
        assert prom.url.startswith("http://127.0.0.1:")
        wait_for_targets_up(prom.url, ["engine-blue"], timeout=20)
        result = _query(prom.url, 'engine_margin_queue_limit{job="engine-blue"}')
        assert [r["value"][1] for r in result] == ["1000"]
        assert "MarginQueueOverflow" not in firing_alerts(prom.url)

        blue_exporter.depth.labels("blue").set(1200)
        seconds = wait_for_alert(prom.url, "MarginQueueOverflow", timeout=30)
        assert seconds >= 0
        alerts = httpx.get(f"{prom.url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
        overflow = [a for a in alerts if a["labels"]["alertname"] == "MarginQueueOverflow"]
        assert overflow[0]["labels"]["color"] == "blue"
        assert overflow[0]["state"] == "firing"
    assert (tmp_path / "prometheus.log").exists()
    assert prom.pid is None


def test_set_targets_rewrites_config_and_reloads(
    blue_exporter: EngineExporter, green_exporter: EngineExporter, tmp_path: Path
) -> None:
    with ManagedPrometheus([ScrapeTarget("engine-blue", blue_exporter.url)], default_rule_files(),
                           scrape_interval="250ms", eval_interval="250ms", workdir=tmp_path) as prom:
        wait_for_targets_up(prom.url, ["engine-blue"], timeout=20)
        prom.set_targets([ScrapeTarget("engine-blue", blue_exporter.url),
                          ScrapeTarget("engine-green", green_exporter.url)])
        assert "engine-green" in prom.config_path.read_text()
        wait_for_targets_up(prom.url, ["engine-blue", "engine-green"], timeout=20)
        leaders = _query(prom.url, "sum(engine_is_leader)")
        assert leaders[0]["value"][1] == "1"


def test_engine_down_fires_when_the_exporter_dies(tmp_path: Path) -> None:
    from .conftest import make_exporter

    exporter = make_exporter("blue")
    try:
        with ManagedPrometheus([ScrapeTarget("engine-blue", exporter.url)], default_rule_files(),
                               workdir=tmp_path) as prom:
            wait_for_targets_up(prom.url, ["engine-blue"], timeout=20)
            assert "EngineDown" not in firing_alerts(prom.url)
            exporter.shutdown()
            wait_for_alert(prom.url, "EngineDown", timeout=30)
            assert "EngineDown" in firing_alerts(prom.url)
    finally:
        exporter.shutdown()


def test_bad_config_is_refused_by_reload(blue_exporter: EngineExporter, tmp_path: Path) -> None:
    with ManagedPrometheus([ScrapeTarget("engine-blue", blue_exporter.url)], default_rule_files(),
                           workdir=tmp_path) as prom:
        prom.config_path.write_text("global: {scrape_interval: nonsense}\n")
        with pytest.raises(ObservabilityError) as err:
            prom.reload()
        assert err.value.code == "PROMETHEUS_RELOAD_FAILED"
        # still serving after a refused reload
        assert httpx.get(f"{prom.url}/-/ready", timeout=5).status_code == 200


def test_port_collision_is_retried_on_a_fresh_port(
    blue_exporter: EngineExporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = busy.getsockname()[1]
    ports = iter([taken])
    real_free_port = prom_module.free_port
    monkeypatch.setattr(prom_module, "free_port",
                        lambda host="127.0.0.1": next(ports, None) or real_free_port())
    try:
        with ManagedPrometheus([ScrapeTarget("engine-blue", blue_exporter.url)], default_rule_files(),
                               workdir=tmp_path) as prom:
            assert not prom.url.endswith(f":{taken}")
            assert httpx.get(f"{prom.url}/-/ready", timeout=5).status_code == 200
    finally:
        busy.close()
    assert "address already in use" in (tmp_path / "prometheus.log").read_text()


def test_prometheus_url_uses_an_existing_server(
    blue_exporter: EngineExporter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = [ScrapeTarget("engine-blue", blue_exporter.url)]
    with ManagedPrometheus(targets, default_rule_files(), workdir=tmp_path / "a") as first:
        monkeypatch.setenv("PROMETHEUS_URL", first.url + "/")
        with ManagedPrometheus(targets, default_rule_files(), workdir=tmp_path / "b") as second:
            assert second.external
            assert second.url == first.url
            assert second.pid is None
            second.set_targets([])  # recorded only: an external server keeps its own config
            assert second.targets == []
        assert not (tmp_path / "b" / "prometheus.yml").exists()
        assert httpx.get(f"{first.url}/-/ready", timeout=5).status_code == 200


def test_temporary_workdir_is_removed_and_process_stopped(blue_exporter: EngineExporter) -> None:
    prom = ManagedPrometheus([ScrapeTarget("engine-blue", blue_exporter.url)], default_rule_files())
    prom.start()
    pid = prom.pid
    workdir = prom.config_path.parent
    assert pid is not None and workdir.is_dir()
    prom.stop()
    prom.stop()  # idempotent
    assert not workdir.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
