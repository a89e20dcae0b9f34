"""End-to-end game days: the real stack (engines, feed, gateway, chaos-proxy, Prometheus, Locust)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from harness.run import RunOptions, run_scenario
from harness.scenario import load_scenario
from harness.scenario.builtins import scenarios_dir


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def run_ci(tmp_path: Path) -> Any:
    """Run a built-in scenario under the ``ci`` profile in ``tmp_path``; returns (report, run dir)."""
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed (scripts/install-system-deps.sh installs it)")

    def run(name: str) -> tuple[dict[str, Any], Path]:
        scenario = load_scenario(scenarios_dir() / f"{name}.yaml", "ci")
        outcome = run_scenario(scenario, RunOptions(runs_dir=tmp_path, out=None))
        return outcome.report, outcome.run_dir

    return run
