"""docker-compose.yml, its Prometheus/Toxiproxy configs and the Dockerfile (offline: no image builds)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.observability import ScrapeTarget, render_config

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
SERVICES = {"engine-blue", "engine-green", "feed", "gateway", "toxiproxy", "prometheus", "grafana", "locust",
            "harness"}


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
@pytest.mark.parametrize("profile", [[], ["--profile", "harness"]])
def test_docker_compose_config_is_valid(profile: list[str]) -> None:
    result = subprocess.run(["docker-compose", "-f", str(COMPOSE), *profile, "config", "-q"], cwd=ROOT,
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_every_component_is_a_service() -> None:
    services = _compose()["services"]
    assert set(services) >= SERVICES
    assert services["toxiproxy"]["image"].startswith("ghcr.io/shopify/toxiproxy:")
    assert services["grafana"]["image"].startswith("grafana/grafana:11.6")


def test_ports_are_published_on_loopback_only() -> None:
    published = []
    for name, service in _compose()["services"].items():
        for port in service.get("ports", []):
            published.append(port)
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
    assert len(published) >= 5


def test_engines_are_blue_halt_leader_and_green_shed_standby() -> None:
    services = _compose()["services"]
    blue, green = services["engine-blue"]["command"], services["engine-green"]["command"]
    assert blue[blue.index("--overflow-policy") + 1] == "halt" and blue[blue.index("--role") + 1] == "leader"
    assert green[green.index("--overflow-policy") + 1] == "shed"
    assert "--admin-token" in blue and "--admin-token" in green  # bound beyond loopback inside the network


def test_compose_mounts_the_project_rules_and_dashboards() -> None:
    services = _compose()["services"]
    prom_volumes = " ".join(services["prometheus"]["volumes"])
    assert "./dashboards/prometheus:/etc/prometheus/rules" in prom_volumes
    grafana_volumes = " ".join(services["grafana"]["volumes"])
    folders = ("dashboards/provisioning/datasources", "dashboards/provisioning/dashboards",
               "dashboards/grafana")
    for folder in folders:
        assert f"./{folder}:" in grafana_volumes
        assert (ROOT / folder).is_dir()


def test_compose_prometheus_config_matches_the_generator() -> None:
    text = (ROOT / "compose" / "prometheus.yml").read_text()
    cfg = yaml.safe_load(text)
    targets = [ScrapeTarget(c["job_name"], f"{c['scheme']}://{t}{c['metrics_path']}")
               for c in cfg["scrape_configs"] for t in c["static_configs"][0]["targets"]]
    regenerated = render_config(targets, cfg["rule_files"], cfg["global"]["scrape_interval"],
                                cfg["global"]["evaluation_interval"])
    assert yaml.safe_load(regenerated) == cfg
    jobs = {c["job_name"] for c in cfg["scrape_configs"]}
    assert {"engine-blue", "engine-green", "gateway", "chaos-proxy"} <= jobs
    rule_names = {Path(f).name for f in cfg["rule_files"]}
    assert rule_names == {p.name for p in (ROOT / "dashboards" / "prometheus").glob("*.yml")}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_compose_prometheus_config_passes_promtool() -> None:
    config = str(ROOT / "compose" / "prometheus.yml")
    result = subprocess.run(["promtool", "check", "config", "--syntax-only", config],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_toxiproxy_links_point_at_compose_services() -> None:
    proxies = {p["name"]: p for p in json.loads((ROOT / "compose" / "toxiproxy.json").read_text())}
    services = _compose()["services"]
    assert set(proxies) == {"api", "blue", "green", "index"}
    for proxy in proxies.values():
        assert proxy["upstream"].split(":")[0] in services
    published = " ".join(services["toxiproxy"]["ports"])
    assert proxies["api"]["listen"].split(":")[1] in published


def test_dockerfile_installs_the_project_with_its_rules() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.startswith("#") and "FROM python:3.11" in text
    assert "COPY dashboards ./dashboards" in text and "GAMEDAY_RULES_DIR=/app/dashboards/prometheus" in text
    assert "USER gameday" in text
