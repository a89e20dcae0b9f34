"""Latency statistics for the HTTP load generator (pure functions, no I/O).

- ``percentiles_ms``: p50/p90/p99/p99.9/max of latencies in seconds.
- ``merge``: results of several generator processes -> one (sums; percentiles from all samples).
- ``stall_analysis``: do the slowest requests line up with /metrics scrapes, do they come in
  episodes (a snapshot every N commands), and is the p99 much higher at one phase of a period
  (250 ms scrapes, 500 ms WAL checkpoints, the 1 s clock tick)?
- ``snapshot_windows`` / ``outside_windows_p99_ms``: the p99 of the requests scheduled away from
  the engine's snapshots (seen by the scrapes as ``engine_snapshot_in_progress`` 1). Samples are
  ``(scheduled offset s, latency s)``; scrape starts are CLOCK_MONOTONIC seconds, like ``t0``.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Sequence


def percentiles_ms(values: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/p99.9/max in ms of latencies in seconds (nearest rank); {} when empty."""
    if not values:
        return {}
    s = sorted(values)
    out = {f"p{name}_ms": s[min(len(s) - 1, int(q * len(s)))] * 1000
           for name, q in (("50", 0.50), ("90", 0.90), ("99", 0.99), ("99.9", 0.999))}
    out["max_ms"] = s[-1] * 1000
    return {k: round(v, 3) for k, v in out.items()}


def _num(value: object) -> float:
    if not isinstance(value, int | float):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


SUMMED = ("answered", "errors", "timeouts", "requests", "backlogged", "loadgen_cpu_s",
          "loadgen_cpu_share", "rate", "achieved_rate")


def merge(results: list[dict[str, object]]) -> dict[str, object]:
    """One result from P generator processes: counters summed (CPU shares too: they share one
    core), statuses merged, dispatch lag the worst, percentiles recomputed from every sample."""
    first = results[0]
    merged: dict[str, object]
    if len(results) == 1:
        merged = dict(first)
    else:
        merged = {k: v for k, v in first.items() if k not in ("samples", "statuses")}
        for key in SUMMED:
            if key in first:
                total = sum(_num(r[key]) for r in results)
                merged[key] = int(total) if isinstance(first[key], int) else total
        if first["mode"] == "open":
            merged["rate"] = first["rate"]  # every process was given the total rate
        for key in ("dispatch_lag_p99_ms", "dispatch_lag_max_ms", "seconds"):
            if key in first:
                merged[key] = max(_num(r[key]) for r in results)
        statuses: dict[str, int] = {}
        for r in results:
            for code, count in dict(r["statuses"]).items():  # type: ignore[call-overload]
                statuses[code] = statuses.get(code, 0) + count
        merged["statuses"] = statuses
        merged["samples"] = sorted(s for r in results for s in r["samples"])  # type: ignore[attr-defined]
        merged["connections"] = int(sum(_num(r["connections"]) for r in results))
    merged["loadgen_procs"] = len(results)
    samples: list[list[float]] = merged.get("samples", [])  # type: ignore[assignment]
    if samples:
        merged.update(percentiles_ms([lat for _, lat in samples]))
    return merged


def stall_analysis(samples: list[list[float]], t0: float, scrape_starts: list[float],
                   window_s: float = 0.05, gap_s: float = 0.02) -> dict[str, object]:
    """Slow = latency >= p99. Reports the share of slow requests scheduled within ``window_s``
    after a scrape started against the share of time such windows cover (equal shares: scrapes
    are not the cause), the p99 outside the windows, and episodes of slow requests (scheduled
    closer than ``gap_s`` apart) with the median interval between their starts."""
    if len(samples) < 100:
        return {}
    ordered = sorted(samples)
    lats = sorted(lat for _, lat in ordered)
    threshold = lats[int(0.99 * len(lats))]
    slow = [s for s, lat in ordered if lat >= threshold]
    starts = sorted(t - t0 for t in scrape_starts)
    duration = ordered[-1][0] - ordered[0][0]

    def in_window(at: float) -> bool:
        i = bisect.bisect_right(starts, at) - 1
        return i >= 0 and at - starts[i] <= window_s

    covered = 0.0
    for i, st in enumerate(starts):
        end = min(st + window_s, starts[i + 1] if i + 1 < len(starts) else st + window_s)
        lo, hi = max(st, ordered[0][0]), min(end, ordered[-1][0])
        covered += max(0.0, hi - lo)
    outside = [lat for s, lat in ordered if not in_window(s)]
    episodes: list[float] = []
    last = -1e9
    for at in slow:
        if at - last > gap_s:
            episodes.append(at)
        last = at
    intervals = [b - a for a, b in itertools.pairwise(episodes)]
    return {
        "slow_threshold_ms": round(threshold * 1000, 2),
        "slow_after_scrape_share": round(sum(map(in_window, slow)) / len(slow), 3),
        "time_after_scrape_share": round(covered / duration, 3) if duration > 0 else None,
        "p99_ms_outside_scrape_windows": percentiles_ms(outside).get("p99_ms"),
        "stall_episodes": len(episodes),
        "stall_interval_median_ms": round(statistics.median(intervals) * 1000, 1) if intervals else None,
        "stall_starts_s": [round(e, 3) for e in episodes[:20]],
        "periodic_p99_ratio": {str(round(p * 1000)): folded_p99_ratio(ordered, p) for p in PERIODS},
    }


PERIODS = (0.25, 0.5, 1.0)  # /metrics scrapes, WAL checkpoints, the engine's clock tick (defaults)


def folded_p99_ratio(samples: list[list[float]], period: float, bins: int = 10) -> float | None:
    """Fold samples by scheduled time modulo ``period`` into ``bins`` phases; the largest phase
    p99 over the median phase p99. About 1-2 for no periodic stall (noise); much higher when
    something stalls once per ``period`` (or per a multiple of it, which folds into one bin too:
    read it with ``stall_interval_median_ms``)."""
    groups: list[list[float]] = [[] for _ in range(bins)]
    for at, lat in samples:
        groups[int((at % period) / period * bins) % bins].append(lat)
    p99s = sorted(sorted(g)[int(0.99 * len(g))] for g in groups if len(g) >= 20)
    if len(p99s) < bins // 2:
        return None
    middle = statistics.median(p99s)
    return round(p99s[-1] / middle, 2) if middle > 0 else None


def snapshot_windows(seen: Sequence[float], t0: float, period: float = 0.25) -> list[tuple[float, float]]:
    """Scrape starts (CLOCK_MONOTONIC) that saw a snapshot in progress -> windows (offsets from
    ``t0``): consecutive scrapes merged, widened by one scrape period on each side (the snapshot
    began after the scrape before and ended before the scrape after)."""
    windows: list[tuple[float, float]] = []
    for at in sorted(t - t0 for t in seen):
        if windows and at - windows[-1][1] <= 2 * period:
            windows[-1] = (windows[-1][0], at + period)
        else:
            windows.append((at - period, at + period))
    return [(round(a, 3), round(b, 3)) for a, b in windows]


def outside_windows_p99_ms(samples: Sequence[Sequence[float]], windows: Sequence[tuple[float, float]],
                           after_s: float = 0.0) -> float | None:
    """p99 (ms) of the samples scheduled outside every window (each extended by ``after_s``: the
    backlog a stall leaves drains after it); None when fewer than 100 remain."""
    kept = [lat for at, lat in samples if not any(a <= at <= b + after_s for a, b in windows)]
    if len(kept) < 100:
        return None
    return percentiles_ms(kept)["p99_ms"]
