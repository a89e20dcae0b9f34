"""Every dashboard query is accepted by a live Prometheus loaded with the project's rules."""

from __future__ import annotations

from pathlib import Path

import httpx

from harness.observability import ManagedPrometheus, ScrapeTarget, default_rule_files, wait_for_targets_up
from tests.unit.dashboards.dashboards_common import panel_exprs

from .conftest import EngineExporter, requires_prometheus

# Short windows: the live server has only seconds of data.
LIVE_MACROS = {"$__rate_interval": "4s", "$__interval": "1s", "$__range": "1m"}

pytestmark = requires_prometheus


def test_every_panel_query_runs_on_a_live_server(blue_exporter: EngineExporter, tmp_path: Path) -> None:
    exprs = [(f"{name}: {where}", expr) for name, where, expr in panel_exprs(LIVE_MACROS)]
    assert len(exprs) > 30
    with ManagedPrometheus([ScrapeTarget("engine-blue", blue_exporter.url)], default_rule_files(),
                           workdir=tmp_path) as prom, httpx.Client(timeout=5) as http:
        wait_for_targets_up(prom.url, ["engine-blue"], timeout=20)
        errors = []
        for where, expr in exprs:
            body = http.get(f"{prom.url}/api/v1/query", params={"query": expr}).json()
            if body.get("status") != "success":
                errors.append(f"{where}: {body.get('error')}")
        assert errors == []
        # the panel that reads what the exporter publishes returns data
        depth = http.get(f"{prom.url}/api/v1/query", params={"query": "engine_margin_queue_limit"}).json()
        assert depth["data"]["result"]
