"""Funding: every (symbol, interval) settled exactly once, none skipped, and each settlement's payments
sum to zero (exact integers).

"None skipped" is checked two ways: between the first and the last settled interval of a symbol the
starts are evenly spaced, and — when the journal's engine_config lists the instruments — the funding
times the run's commands crossed are replayed the way the domain settles them (target_engine/domain
README "Mark price and funding": the first command fixes the next funding time, a multiple of the
interval after its ts; a command whose ts reaches it settles every crossed interval in order unless
trading is halted, and the command ending a halt settles the backlog). A run that crossed no funding
time passes with "nothing to check".
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from harness.integrity.journal_reader import JournalData
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, nothing_to_check, result, unknown

NAME = "funding"
HOUR_MS = 3_600_000


def intervals_ms(config: dict[str, object]) -> dict[str, int]:
    """Funding interval per symbol from the engine config (``funding_interval_seconds``, else
    ``funding_interval_hours``, default 8 h)."""
    instruments = config.get("instruments")
    out: dict[str, int] = {}
    if isinstance(instruments, dict):
        for symbol, raw in instruments.items():
            spec = raw if isinstance(raw, dict) else {}
            try:
                if "funding_interval_seconds" in spec:
                    out[str(symbol)] = int(str(spec["funding_interval_seconds"])) * 1000
                else:
                    out[str(symbol)] = int(str(spec.get("funding_interval_hours", 8))) * HOUR_MS
            except ValueError:
                continue
    return out


def expected_settlements(j: JournalData, intervals: dict[str, int]) -> set[tuple[str, int]]:
    """(symbol, interval_start) the domain must have settled for the journal's commands."""
    modes: dict[int, str] = {}
    for e in j.events_of("TradingModeChanged"):
        modes[e.seq] = str(e.payload.get("mode"))
    out: set[tuple[str, int]] = set()
    nxt: dict[str, int] = {}
    mode, now = "normal", None
    for c in j.commands:
        if now is None:
            nxt = {s: (c.ts_ms // iv + 1) * iv for s, iv in intervals.items()}
        now = c.ts_ms if now is None else max(now, c.ts_ms)
        for _ in range(2):  # before the command, and again after a SetTradingMode ends a halt
            if mode != "halted":
                for s, iv in intervals.items():
                    while now >= nxt[s]:
                        out.add((s, nxt[s] - iv))
                        nxt[s] += iv
            mode = modes.get(c.seq, mode)
    return out


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
    intervals = intervals_ms(j.config)
    if intervals:
        expected = expected_settlements(j, intervals)
        for sym, start in sorted(expected - set(settled)):
            failures.append(f"{sym} interval {start}: crossed by the run's commands but never settled")
        for sym, start in sorted(set(settled) - expected):
            failures.append(f"{sym} interval {start}: settled, but no command crossed its funding time")
    resumed = {e.seq for e in j.events_of("TradingModeChanged") if e.payload.get("previous") == "halted"}
    after_halt = sum(1 for e in j.events_of("FundingSettled") if e.seq in resumed)
    counts = {"intervals": len(settled), "symbols": len(by_symbol), "missed_during_halt": after_halt,
              "violations": len(failures)}
    if not settled and not failures:
        span = "no commands"
        if j.commands:
            span = f"seq 1..{j.last_seq}, ts {j.commands[0].ts_ms}..{j.commands[-1].ts_ms} ms"
        why = "crossed no funding time" if intervals else "settled none (no instruments in engine_config)"
        return nothing_to_check(NAME, f"the run ({span}) {why}", counts=counts)
    summary = f"{len(settled)} intervals settled" + ("" if failures else " once each, zero-sum")
    if after_halt:
        summary += f"; {after_halt} missed during a halt, settled in order when trading resumed"
    return result(NAME, failures, counts, summary)
