"""Every dashboard query is accepted by a live Prometheus loaded with the project's rules."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from harness.observability import ManagedPrometheus, ScrapeTarget, default_rule_files, wait_for_targets_up

from .conftest import EngineExporter, requires_prometheus

ROOT = Path(__file__).resolve().parents[3]
MACROS = {"$__rate_interval": "4s", "$__interval": "1s", "$__range": "1m"}

pytestmark = requires_prometheus


def _exprs() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "dashboards" / "grafana").glob("*.json")):
        dash = json.loads(path.read_text())
        for panel in dash["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for macro, value in MACROS.items():
                    expr = expr.replace(macro, value)
                out.append((f"{path.name}: {panel['title']}", expr))
    return out


def test_every_panel_query_runs_on_a_live_server(blue_exporter: EngineExporter, tmp_path: Path) -> None:
    exprs = _exprs()
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
