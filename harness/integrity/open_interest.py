"""Long open interest = short open interest per symbol: in the journal's positions and in the answers."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from harness.integrity import ledger
from harness.integrity.journal_reader import qty
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, nothing_to_check, result, unknown

NAME = "open_interest"


def check(run: RunData) -> CheckerResult:
    j = run.journal
    if j is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    long_oi: dict[str, int] = defaultdict(int)
    short_oi: dict[str, int] = defaultdict(int)
    for (_account, symbol), e in ledger.journal_positions(j).items():
        q = int(e.payload.get("qty", 0))
        (long_oi if q > 0 else short_oi)[symbol] += abs(q)
    failures = [
        f"journal {s}: long {qty(long_oi[s])} != short {qty(short_oi[s])}"
        for s in sorted(set(long_oi) | set(short_oi))
        if long_oi[s] != short_oi[s]
    ]
    if run.final is not None and run.final.accounts:
        lo: dict[str, Decimal] = defaultdict(Decimal)
        sh: dict[str, Decimal] = defaultdict(Decimal)
        for view in run.final.accounts.values():
            for sym, q2 in view.positions.items():
                (lo if q2 > 0 else sh)[sym] += abs(q2)
        # answers may cover only the load's accounts: report, but only fail when they cover all
        complete = set(run.final.accounts) >= {a for a, _ in ledger.journal_positions(j)}
        for sym in sorted(set(lo) | set(sh)):
            if lo[sym] != sh[sym] and complete:
                failures.append(f"answers {sym}: long {lo[sym]} != short {sh[sym]}")
    details = {
        s: {"long": str(qty(long_oi[s])), "short": str(qty(short_oi[s]))}
        for s in sorted(set(long_oi) | set(short_oi))
    }
    counts = {"symbols": len(details), "violations": len(failures)}
    if not details and not failures:
        return nothing_to_check(NAME, "no position was ever opened", details, counts)
    return result(NAME, failures, counts, f"{len(details)} symbols checked", details)
