"""End-to-end game days: the real stack (engines, feed, gateway, chaos-proxy, Prometheus, Locust).

A built-in scenario runs at most once per session (per xdist worker): tests that only read the same
run's report and folder share it (``bad-deploy-rollback`` serves both the rollback test and the
dashboard-panel test). A run that raised is not cached, so the next test runs it again.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from harness.run import RunOptions, run_scenario
from harness.scenario import load_scenario
from harness.scenario.builtins import scenarios_dir

CiRun = tuple[dict[str, Any], Path]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def ci_runs() -> dict[str, CiRun]:
    """Finished ``ci`` runs by scenario name (this session / xdist worker only)."""
    return {}


@pytest.fixture
def run_ci(ci_runs: dict[str, CiRun], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Run a built-in scenario under the ``ci`` profile (once per session); returns (report, run dir).

    The report is a deep copy: a test cannot change what the next reader of the same run sees.
    """
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed (scripts/install-system-deps.sh installs it)")

    def run(name: str) -> CiRun:
        if name not in ci_runs:
            scenario = load_scenario(scenarios_dir() / f"{name}.yaml", "ci")
            runs_dir = tmp_path_factory.mktemp(f"ci-{name}")
            outcome = run_scenario(scenario, RunOptions(runs_dir=runs_dir, out=None))
            ci_runs[name] = (outcome.report, outcome.run_dir)
        report, run_dir = ci_runs[name]
        return copy.deepcopy(report), run_dir

    return run
