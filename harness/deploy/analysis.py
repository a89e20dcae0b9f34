"""Canary analysis of one interval, Flagger semantics (pure).

* A failed check halts advancement for that interval and counts as one failed check (one per
  interval, however many checks failed, as Flagger's ``failedChecks``); failed checks accumulate over
  the whole analysis run — they are not reset by a later success.
* No data is handled by the scenario's explicit policy: ``fail`` (Flagger: a canary without traffic
  fails), ``skip`` (ignore the check for that interval) or ``pause`` (Argo's inconclusive: halt
  advancement without counting a failure; the ramp's progress deadline bounds the wait).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from harness.scenario.model import NoDataPolicy
from harness.slo.model import CheckResult, CheckStatus


class IntervalOutcome(StrEnum):
    ADVANCE = "advance"
    HALT = "halt"  # a failed check: counted, no advancement
    PAUSE = "pause"  # no data under policy pause: not counted, no advancement


@dataclass(frozen=True)
class AnalysisVerdict:
    outcome: IntervalOutcome
    failed: tuple[str, ...] = ()
    nodata: tuple[str, ...] = ()
    message: str = ""

    @property
    def counts_as_failure(self) -> bool:
        return self.outcome is IntervalOutcome.HALT


def analyze_interval(results: Sequence[CheckResult], no_data: NoDataPolicy) -> AnalysisVerdict:
    """The verdict of one analysis interval; an empty result list counts as no data."""
    failed = [r for r in results if r.status is CheckStatus.FAIL]
    nodata = [r for r in results if r.status is CheckStatus.NODATA]
    nodata_names = tuple(r.name for r in nodata) or (() if results else ("<no checks>",))
    reasons = [r.reason or f"{r.name} failed" for r in failed]
    if nodata_names and no_data is NoDataPolicy.FAIL:
        failed_names = tuple(r.name for r in failed) + nodata_names
        reasons += [f"{n}: no data" for n in nodata_names]
        return AnalysisVerdict(IntervalOutcome.HALT, failed_names, nodata_names,
                               "Halt advancement: " + "; ".join(reasons))
    if failed:
        return AnalysisVerdict(IntervalOutcome.HALT, tuple(r.name for r in failed), nodata_names,
                               "Halt advancement: " + "; ".join(reasons))
    if nodata_names and no_data is NoDataPolicy.PAUSE:
        return AnalysisVerdict(IntervalOutcome.PAUSE, (), nodata_names,
                               "Pause advancement: no data for " + ", ".join(nodata_names))
    skipped = f" (skipped, no data: {', '.join(nodata_names)})" if nodata_names else ""
    return AnalysisVerdict(IntervalOutcome.ADVANCE, (), nodata_names, "All checks passed" + skipped)
