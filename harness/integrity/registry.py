"""The integrity checkers by name (one explicit registry dict) and the runner."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from harness.integrity import (
    conservation,
    funding,
    journal_check,
    open_interest,
    orders,
    positions,
    snapshot_positions,
    statement,
)
from harness.integrity.rundata import RunData
from harness.integrity.verdict import Checker, CheckerResult, Verdict

CHECKERS: dict[str, Checker] = {
    journal_check.NAME: journal_check.check,
    orders.NAME: orders.check,
    positions.NAME: positions.check,
    snapshot_positions.NAME: snapshot_positions.check,
    conservation.NAME: conservation.check,
    open_interest.NAME: open_interest.check,
    funding.NAME: funding.check,
    statement.NAME: statement.check,
}
CHECKER_NAMES: tuple[str, ...] = tuple(CHECKERS)
# Run even when a scenario names a subset: the others' evidence is only as good as the journal copy.
ALWAYS: tuple[str, ...] = (journal_check.NAME,)


def _corruption_note(res: CheckerResult, run: RunData) -> CheckerResult:
    """A FAIL on a corrupt journal copy says so first: its findings may only follow from the dropped tail."""
    j = run.journal
    if j is None or not j.corruption or res.name in ALWAYS or res.verdict is not Verdict.FAIL:
        return res
    note = (
        f"note: the journal copy is corrupt ({j.corruption[0]}); records from there on are not trusted, "
        "so the findings below may follow from the corruption (see the journal checker)"
    )
    return dataclasses.replace(res, evidence=(note, *res.evidence))


def run_checkers(run: RunData, names: Iterable[str] | None = None) -> list[CheckerResult]:
    """Run the named checkers (default all; ALWAYS are added first); a checker that raises is reported
    UNKNOWN, never fatal."""
    chosen = list(names or CHECKER_NAMES)
    chosen = [n for n in ALWAYS if n not in chosen] + chosen
    out = []
    for name in chosen:
        checker = CHECKERS.get(name)
        if checker is None:
            out.append(CheckerResult(name, Verdict.UNKNOWN, summary=f"unknown checker {name!r}"))
            continue
        try:
            out.append(_corruption_note(checker(run), run))
        except Exception as exc:  # a bad record must not kill the analysis
            out.append(
                CheckerResult(
                    name,
                    Verdict.UNKNOWN,
                    evidence=(f"{type(exc).__name__}: {exc}",),
                    summary=f"checker crashed: {type(exc).__name__}: {exc}",
                )
            )
    return out
