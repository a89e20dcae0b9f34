"""Grafana dashboards: generated = committed, structure, every query valid PromQL (promtool)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .dashboards_common import GRAFANA_DIR, ROOT, RULES_DIR, dashboards, metric_names, panel_exprs, panels

EXPECTED = {"engine-overview.json", "deployment.json", "game-day.json", "fault-proxy.json"}
# Exported by the real Toxiproxy (-proxy-metrics) in docker-compose, not by a project component.
THIRD_PARTY_METRICS = {"toxiproxy_proxy_received_bytes_total", "toxiproxy_proxy_sent_bytes_total"}
PANEL_TYPES = {"timeseries", "stat", "state-timeline", "bargauge", "table"}


def test_generated_json_is_committed_and_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "dashboards" / "generate.py"), "--check"],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_generator_writes_the_same_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "dashboards" / "generate.py"), "--out", str(tmp_path)],
                   check=True, timeout=60)
    assert {p.name for p in tmp_path.iterdir()} == EXPECTED
    for p in tmp_path.iterdir():
        assert p.read_text() == (GRAFANA_DIR / p.name).read_text()


def test_the_four_dashboards_exist_with_unique_uids_and_titles() -> None:
    dash = dashboards()
    assert set(dash) == EXPECTED
    uids = [d["uid"] for d in dash.values()]
    titles = [d["title"] for d in dash.values()]
    assert len(set(uids)) == len(uids) and len(set(titles)) == len(titles)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_structure(name: str) -> None:
    dash = dashboards()[name]
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in panels(dash)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    real = [p for p in panels(dash) if p["type"] != "row"]
    assert real, "no panels"
    for panel in real:
        assert panel["type"] in PANEL_TYPES, panel["title"]
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], f"{panel['title']} has no target"
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_panels_do_not_overlap(name: str) -> None:
    cells: set[tuple[int, int]] = set()
    for panel in panels(dashboards()[name]):
        g = panel["gridPos"]
        mine = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not mine & cells, panel["title"]
        cells |= mine


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_every_panel_query_passes_promtool(tmp_path: Path) -> None:
    exprs = [expr for _, _, expr in panel_exprs()]
    rules = [{"record": f"panel:query_{i}:check", "expr": expr} for i, expr in enumerate(exprs)]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = subprocess.run(["promtool", "check", "rules", str(path)],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rules)} rules found" in result.stdout


def test_every_metric_is_pinned_or_recorded() -> None:
    interfaces = (ROOT / "docs" / "dev" / "INTERFACES.md").read_text()
    pinned = set(re.findall(r"`([a-z_]+)(?:\{[^`]*\})?`", interfaces))
    recorded = set()
    for f in RULES_DIR.glob("*.yml"):
        for group in yaml.safe_load(f.read_text())["groups"]:
            recorded |= {r["record"] for r in group["rules"] if "record" in r}
    unknown = set()
    for _, where, expr in panel_exprs():
        for metric in metric_names(expr):
            base = re.sub(r"_(bucket|count|sum)$", "", metric)
            known = recorded | {"ALERTS", "up"} | THIRD_PARTY_METRICS
            if metric not in known and base not in pinned:
                unknown.add(f"{where}: {metric}")
    assert unknown == set()


def test_provisioning_points_at_the_dashboards_and_prometheus() -> None:
    ds = yaml.safe_load((ROOT / "dashboards/provisioning/datasources/prometheus.yml").read_text())
    assert ds["datasources"][0]["uid"] == "gameday-prometheus"
    assert ds["datasources"][0]["type"] == "prometheus"
    prov = yaml.safe_load((ROOT / "dashboards/provisioning/dashboards/gameday.yml").read_text())
    assert prov["providers"][0]["type"] == "file"
    for dash in dashboards().values():
        assert dash["templating"]["list"][0]["current"]["value"] == "gameday-prometheus"
