"""Merging generator results and lining slow requests up with scrapes (benchmarks/loadgen_stats.py)."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "benchmarks"
_spec = importlib.util.spec_from_file_location("loadgen_stats", BENCH / "loadgen_stats.py")
assert _spec is not None and _spec.loader is not None
stats = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("loadgen_stats", stats)
_spec.loader.exec_module(stats)

T0 = 1000.0
SCRAPES = [T0 + 0.25 * i for i in range(40)]  # every 250 ms for 10 s


def samples(slow_at: list[float], n: int = 5000) -> list[list[float]]:
    rng = random.Random(5)
    out = [[i * 10.0 / n, 0.002 + rng.random() * 0.001] for i in range(n)]
    for at in slow_at:
        out.append([at, 0.2])
    return out


def test_slow_requests_right_after_scrapes_are_attributed_to_them() -> None:
    slow = [s - T0 + 0.01 * k for s in SCRAPES for k in range(2)]  # within 20 ms of each scrape
    res = stats.stall_analysis(samples(slow), T0, SCRAPES)
    assert res["slow_after_scrape_share"] > 0.9
    assert 0.15 < res["time_after_scrape_share"] < 0.25
    assert res["p99_ms_outside_scrape_windows"] < 5
    assert res["stall_interval_median_ms"] == 250.0
    assert res["periodic_p99_ratio"]["250"] > 20  # once per 250 ms, at one phase


def test_a_stall_once_a_second_shows_in_the_one_second_fold() -> None:
    slow = [0.7 + k + 0.002 * j for k in range(10) for j in range(8)]  # 0.7 s into every second
    res = stats.stall_analysis(samples(slow), T0, SCRAPES)
    ratios = res["periodic_p99_ratio"]
    assert ratios["1000"] > 20
    assert res["stall_interval_median_ms"] == 1000.0


def test_slow_requests_away_from_scrapes_are_not() -> None:
    slow = [s - T0 + 0.15 + 0.01 * k for s in SCRAPES for k in range(2)]  # 150-160 ms after each
    res = stats.stall_analysis(samples(slow), T0, SCRAPES)
    assert res["slow_after_scrape_share"] < 0.1
    assert res["slow_threshold_ms"] == 200.0
    assert res["stall_episodes"] == 40
    assert res["p99_ms_outside_scrape_windows"] == 200.0


def test_merge_sums_counters_and_recomputes_percentiles_from_all_samples() -> None:
    a = {"mode": "open", "rate": 100.0, "answered": 3, "errors": 1, "connections": 2,
         "statuses": {"200": 3, "500": 1}, "loadgen_cpu_share": 0.1, "dispatch_lag_p99_ms": 1.0,
         "samples": [[0.0, 0.001], [0.1, 0.002], [0.2, 0.003]]}
    b = {"mode": "open", "rate": 100.0, "answered": 1, "errors": 0, "connections": 2,
         "statuses": {"200": 1}, "loadgen_cpu_share": 0.2, "dispatch_lag_p99_ms": 4.0,
         "samples": [[0.05, 0.100]]}
    m = stats.merge([a, b])
    assert m["answered"] == 4 and isinstance(m["answered"], int)
    assert m["statuses"] == {"200": 4, "500": 1}
    assert m["rate"] == 100.0  # both were given the total rate
    assert m["connections"] == 4 and m["loadgen_procs"] == 2
    assert abs(m["loadgen_cpu_share"] - 0.3) < 1e-9
    assert m["dispatch_lag_p99_ms"] == 4.0
    assert m["max_ms"] == 100.0 and m["p50_ms"] == 3.0


def test_snapshot_windows_merge_consecutive_scrapes_and_widen_by_a_period() -> None:
    seen = [T0 + 2.0, T0 + 2.25, T0 + 2.5, T0 + 7.0]
    assert stats.snapshot_windows(seen, T0) == [(1.75, 2.75), (6.75, 7.25)]
    assert stats.snapshot_windows([], T0) == []


def test_p99_outside_snapshot_windows_leaves_the_stall_out() -> None:
    stalled = samples([2.0 + i * 0.004 for i in range(100)])  # 100 slow requests during a snapshot
    windows = stats.snapshot_windows([T0 + 2.0, T0 + 2.25], T0)
    assert stats.percentiles_ms([lat for _, lat in stalled])["p99_ms"] >= 200
    assert stats.outside_windows_p99_ms(stalled, windows) < 4
    assert stats.outside_windows_p99_ms(stalled, []) >= 200  # no window: the same p99 as all
    assert stats.outside_windows_p99_ms(stalled[:50], windows) is None  # too few samples left
