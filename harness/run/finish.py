"""After the stack is down: integrity checkers on the run folder, then report.json, JUnit, HTML.

Uses E's APIs only (harness.integrity, harness.report). Extra figures the driver measured are
merged into ``report["figures"]``. Writing errors propagate (OSError).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.integrity.registry import CHECKER_NAMES, run_checkers
from harness.integrity.rundata import load_run
from harness.report import build_report, write_reports
from harness.scenario.model import Scenario


def finish_reports(run_dir: Path, scenario: Scenario, run_id: str, error: str | None,
                   figures: dict[str, Any]) -> dict[str, Any]:
    run = load_run(run_dir)
    checkers = run_checkers(run, scenario.integrity.checkers or CHECKER_NAMES)
    report = build_report(scenario, run.history, checkers, run_id=run_id, error=error, manifest=run.manifest)
    report.setdefault("figures", {}).update(figures)
    if error and error.startswith("interrupted"):
        # An interrupted experiment decides nothing (Chaos Toolkit: "interrupted"); a detection that
        # had no time to happen is not a failure.
        report["reasons"] = [f"run {error}", *report.get("reasons", [])]
        report["verdict"], report["exit_code"] = "unknown", 2
    if run.problems:
        report["problems"] = list(run.problems)
    write_reports(run_dir, report, run.history, scenario.report.formats)
    return report
