"""Prometheus rule files: promtool check + promtool unit tests, and coverage of every alert."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
RULES_DIR = ROOT / "dashboards" / "prometheus"
RULE_FILES = [RULES_DIR / "alerts.yml", RULES_DIR / "recording.yml"]
TEST_FILES = sorted((RULES_DIR / "tests").glob("*.yml"))
INTERFACES = ROOT / "docs" / "dev" / "INTERFACES.md"

REQUIRED_ALERTS = {
    "MarginQueueOverflow", "EngineHalted", "HighErrorRate", "LatencySLOBurn", "EngineDown",
    "NoLeader", "StandbyLagHigh", "IndexStale", "InsuranceFundDrawdown", "LiquidationSpike",
    "FundingCapHit", "FaultActive",
}
OWN_PREFIXES = ("engine_", "gateway_", "loadgen_", "gameday_", "chaos_proxy_")

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (apt prometheus)")


def _rules() -> list[dict]:
    rules: list[dict] = []
    for path in RULE_FILES:
        doc = yaml.safe_load(path.read_text())
        for group in doc["groups"]:
            rules.extend(group["rules"])
    return rules


def _alerts() -> dict[str, dict]:
    return {r["alert"]: r for r in _rules() if "alert" in r}


@needs_promtool
def test_promtool_check_rules_accepts_every_rule_file() -> None:
    result = subprocess.run([PROMTOOL, "check", "rules", *map(str, RULE_FILES)],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_promtool
def test_promtool_unit_tests_pass() -> None:
    assert TEST_FILES, "no promtool unit tests found"
    result = subprocess.run([PROMTOOL, "test", "rules", *map(str, TEST_FILES)],
                            check=False, capture_output=True, text=True, timeout=120,
                            cwd=RULES_DIR / "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_required_alert_exists() -> None:
    assert set(_alerts()) >= REQUIRED_ALERTS


def test_every_alert_has_severity_component_summary_and_runbook() -> None:
    for name, rule in _alerts().items():
        assert rule["labels"]["severity"] in {"page", "ticket", "info"}, name
        assert rule["labels"]["component"], name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["runbook"] == f"docs/game-day-guide.md#{name.lower()}", name


def test_every_alert_has_a_firing_and_a_quiet_unit_test() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in TEST_FILES:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    alerts = set(_alerts())
    assert alerts - firing == set(), "alerts never tested firing"
    assert alerts - quiet == set(), "alerts never tested quiet"


def test_fast_alerts_do_not_wait() -> None:
    """Game-day detection budgets are seconds: the incident alert fires on the first evaluation."""
    alerts = _alerts()
    assert alerts["MarginQueueOverflow"]["for"] == "0s"
    assert alerts["EngineDown"]["for"] == "1s"  # one missed 250 ms scrape is not an outage


def test_rules_only_use_metric_names_pinned_in_interfaces() -> None:
    pinned = set(re.findall(r"`?([a-z_]+)(?:\{|`| )", INTERFACES.read_text()))
    used: set[str] = set()
    for rule in _rules():
        for token in re.findall(r"[a-z_:]+", rule["expr"]):
            if token.startswith(OWN_PREFIXES) and ":" not in token:
                used.add(re.sub(r"_(bucket|count|sum)$", "", token))
    assert used, "no metric names found in the rules"
    assert used - pinned == set(), "rules use metric names not in docs/dev/INTERFACES.md"


def test_recording_rule_names_follow_level_metric_operation() -> None:
    for rule in _rules():
        if "record" in rule:
            assert re.fullmatch(r"[a-z_]+:[a-z0-9_]+:[a-z0-9_]+", rule["record"]), rule["record"]


def test_every_alert_has_a_runbook_section_in_the_guide() -> None:
    guide = (ROOT / "docs" / "game-day-guide.md").read_text()
    headings = set(re.findall(r"^### (\w+)$", guide, flags=re.MULTILINE))
    assert set(_alerts()) - headings == set(), "alerts without a runbook section"
