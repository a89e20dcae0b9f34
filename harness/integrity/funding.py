"""Funding: every (symbol, interval) settled exactly once, none skipped between the first and the
last, and each settlement's payments sum to zero (exact integers)."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, result, unknown

NAME = "funding"


def check(run: RunData) -> CheckerResult:
    j = run.journal
    if j is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    failures: list[str] = []
    settled = Counter(
        (str(e.payload.get("symbol")), int(e.payload.get("interval_start", 0)))
        for e in j.events_of("FundingSettled")
    )
    rows = {(f.symbol, f.interval_start_ms) for f in j.funding}
    for key, n in sorted(settled.items()):
        if n > 1:
            failures.append(f"{key[0]} interval {key[1]}: settled {n} times")
    for key in sorted(rows ^ set(settled)):
        failures.append(f"{key[0]} interval {key[1]}: funding_settlements and FundingSettled events disagree")
    by_symbol: dict[str, list[int]] = defaultdict(list)
    for sym, start in settled:
        by_symbol[sym].append(start)
    for sym, starts in sorted(by_symbol.items()):
        starts.sort()
        steps = [b - a for a, b in itertools.pairwise(starts)]
        if steps:
            period = min(steps)
            for a, b in itertools.pairwise(starts):
                if b - a != period:
                    failures.append(f"{sym}: intervals skipped between {a} and {b} (period {period} ms)")
    paid: dict[tuple[str, int], int] = defaultdict(int)
    for e in j.events_of("FundingPaid"):
        paid[(str(e.payload.get("symbol")), int(e.payload.get("funding_time", 0)))] += int(
            e.payload.get("amount", 0)
        )
    for e in j.events_of("FundingSettled"):
        total = paid.get((str(e.payload.get("symbol")), int(e.payload.get("funding_time", 0))), 0)
        if total != 0:
            failures.append(
                f"{e.payload.get('symbol')} interval {e.payload.get('interval_start')}: "
                f"payments sum to {total}, not zero"
            )
    counts = {"intervals": len(settled), "symbols": len(by_symbol), "violations": len(failures)}
    summary = f"{len(settled)} intervals settled" if settled else "no funding interval settled in this run"
    return result(NAME, failures, counts, summary)
