"""Closing a run: every resource released in order, each step timed (never raises for one step).

Order: heal open faults → stop the remediation thread → stop Locust → final snapshot (leader's
answers) → stop the alert watcher → store chart series (metrics.json) → stop the stack and the
gameday exporter → copy the journal → merge every history file into ``history.jsonl``.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING

from harness.load.runner import merge_histories
from harness.report.timeseries import collect_timeseries, write_metrics
from harness.run.folder import copy_journal

if TYPE_CHECKING:
    from harness.run.phases import Run


def close_run(run: Run) -> dict[str, float]:
    """Release everything ``run`` holds; returns the seconds each step took."""
    steps: dict[str, float] = {}

    def timed(name: str, t: float) -> None:
        steps[name] = round(time.monotonic() - t, 3)

    t = time.monotonic()
    run.heal_open_faults()
    timed("heal", t)
    if run.remediation is not None:
        run.remediation.abort("run ending")
        run.remediation.join(10.0)
        run.extra_figures["remediation_errors"] = run.remediation.errors
        run.remediation.close()
    t = time.monotonic()
    if run.load is not None:
        run.load.stop()
    timed("load_stop", t)
    t = time.monotonic()
    if run.stack is not None and run.error is None:
        try:
            run.snapshot("final.json", freeze=False)
        except Exception as exc:
            run.history.event("phase", name="integrity", status="fail", error=f"final snapshot: {exc}")
    timed("final_snapshot", t)
    if run.watcher is not None:
        run.watcher.stop()
    t = time.monotonic()
    if run.prom is not None:
        if run.load_started:
            start = time.time() - (time.monotonic() - run.load_started) - 5.0
            with contextlib.suppress(Exception):
                write_metrics(run.folder.root, collect_timeseries(run.prom, start, time.time(), 0.5))
        run.prom.close()
    timed("metrics", t)
    t = time.monotonic()
    if run.stack is not None:
        run.stack.stop()
    if run.server is not None:
        run.server.stop()
    run.http.close()
    run.annotator.close()
    timed("stack_stop", t)
    t = time.monotonic()
    problem = copy_journal(run.folder)
    run.history.event("phase", name="report", status="start", journal_problem=problem)
    run.history.close()
    sources = sorted(run.folder.load_dir.glob("history-*.jsonl"))
    run.folder.history.unlink(missing_ok=True)
    merge_histories(sources, run.folder.history)
    timed("journal_and_history", t)
    return steps
