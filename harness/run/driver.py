"""One game day: validate → up → setup → load → steady state → faults/detection/remediation → heal →
steady state again → teardown → integrity → reports.

Resources and exit paths: the stack (supervisor children), the Locust processes, the gameday
metrics server, the alert watcher thread and the remediation thread are all released in
:meth:`Run.teardown`, which runs from ``finally`` on every path: normal end, an error, Ctrl-C
(KeyboardInterrupt) and SIGTERM (turned into :class:`Interrupted` by a handler installed for the
duration of the run). Faults are healed first (ledger updated), then the load, then the stack.
Locust pids and the Prometheus pid are recorded in ``stack.json`` so ``gameday heal --all`` can
clean up if this process is SIGKILLed. Any error becomes the report's ``error`` (verdict unknown,
exit 2) unless a check failed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from harness.run.finish import finish_reports
from harness.run.folder import RunFolder, new_run_id
from harness.run.phases import Run
from harness.run.publish import PUSHGATEWAY_ENV, publish_run
from harness.scenario.model import Scenario


class Interrupted(BaseException):
    """SIGTERM received: the run stops, heals and reports."""


@dataclass(frozen=True)
class RunOptions:
    runs_dir: Path = Path("runs")
    run_id: str | None = None
    out: TextIO | None = field(default_factory=lambda: sys.stderr)
    after_budget: float = 45.0  # longest wait for the steady state after the last heal
    admin_token: str | None = None


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    run_dir: Path
    report: dict[str, Any]
    exit_code: int
    wall_seconds: float


def _on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(f"signal {signum}")


def run_scenario(scenario: Scenario, options: RunOptions | None = None) -> RunOutcome:
    """Run one validated scenario end to end; always returns (the report says what happened)."""
    opts = options or RunOptions()
    t0 = time.monotonic()
    run_id = opts.run_id or new_run_id(scenario.name)
    folder = RunFolder(opts.runs_dir / run_id).create()
    run = Run(scenario, folder, run_id, out=opts.out, after_budget=opts.after_budget,
              admin_token=opts.admin_token)
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: no handler, Ctrl-C still works
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    error: str | None = None
    try:
        run.execute()
    except KeyboardInterrupt:
        error = "interrupted (SIGINT)"
    except Interrupted as exc:
        error = f"interrupted ({exc})"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        try:
            run.teardown()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
    error = error or run.error
    figures = run.figures()
    figures["wall_seconds"] = round(time.monotonic() - t0, 3)
    report = finish_reports(folder.root, scenario, run_id, error, figures)
    gateway = os.environ.get(PUSHGATEWAY_ENV)
    if gateway:
        problem = publish_run(report, gateway)
        run.progress.say(problem or f"results pushed to {gateway}")
    run.progress.say(_summary(report))
    return RunOutcome(run_id, folder.root, report, int(report["exit_code"]), time.monotonic() - t0)


def _summary(report: dict[str, Any]) -> str:
    from harness.report.terminal import summary

    return summary(report)
