"""The p99 at 80 % of a maximum that this host gives a server with a constant cost per request.

``engine_http_p99_ms_at_80pct`` mixes the engine and the host. The engine: an order in an open loop
costs it more CPU than one in a closed loop (smaller batches and commits), so 80 % of its closed-loop
maximum keeps its core busier than 80 %. The host: a shared virtual machine whose speed moves by tens
of percent within a minute (host_speed.py). This module measures the host's part alone.

The server is benchmarks/loadgen_sink.py with ``--work-iters`` chosen so that one request costs about
the CPU one order cost the engine in its closed loop. It is pinned where the engine is and runs the
engine's protocol beside it: after each engine round, a closed loop at the engine's best connection
count and an open loop at 80 % of it; after the last, one closed loop ->
``reference_http_p99_ms_at_80pct`` (the median round's p99, every round listed). Each pair of rounds
thus met the host at about the same moment. Nothing such a server does gets cheaper in large
batches: whatever more a request costs it in the open loop is the event loop's waking and the host's
(each round lists both costs). A p99 it misses on this host is the host's, and the engine's row
carries this figure and the engine's ratio to it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_common import emit, start
from bench_probes import ENGINE_CPU, LOAD_CPU, CpuWatch
from engine_http_bench import HttpPlan, Result, _f, load_on, run_loadgen, us_per_order
from loadgen_sink import work

SINK = Path(__file__).with_name("loadgen_sink.py")
PROBE_ITERATIONS = 20_000


def iterations_for(target_us: float, per_iteration_us: float) -> int:
    """Iterations of ``loadgen_sink.work`` costing ``target_us`` at ``per_iteration_us`` each (at least 1)."""
    if per_iteration_us <= 0:
        raise ValueError(f"per-iteration cost must be positive, not {per_iteration_us}")
    return max(1, round(target_us / per_iteration_us))


def per_iteration_us(cpu: int | None, batches: int = 7) -> float:
    """CPU microseconds per iteration of ``loadgen_sink.work``, on ``cpu`` (None: wherever this runs):
    the median of ``batches`` timed runs, in this thread's CPU time."""
    saved = os.sched_getaffinity(0)
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    try:
        timings = []
        for _ in range(batches):
            began = time.thread_time()
            work(PROBE_ITERATIONS)
            timings.append((time.thread_time() - began) * 1e6 / PROBE_ITERATIONS)
    finally:
        os.sched_setaffinity(0, saved)
    return statistics.median(timings)


def round_summaries(bases: list[Result], opens: list[Result], after: Result) -> list[dict[str, object]]:
    """Per round: its closed base, its open loop, and the closed loop that came next (the next
    round's base, or the one after the rounds) with the open loop's rate over it."""
    nexts = [*bases[1:], after]
    return [{"closed_rate": round(_f(base, "rate")), "closed_us_per_request": us_per_order(base),
             "rate": round(_f(opened, "rate")), "p50_ms": opened.get("p50_ms"),
             "p99_ms": opened["p99_ms"],
             "us_per_request": us_per_order(opened), "dispatch_lag_p99_ms": opened.get("dispatch_lag_p99_ms"),
             "load_on_next_closed": load_on(opened, following)}
            for base, opened, following in zip(bases, opens, nexts, strict=True)]


class Reference:
    """The reference server beside one engine run, its rounds interleaved with the engine's.

    ``start`` (once the engine's sweep gave its closed-loop CPU per order and best connection count)
    calibrates and starts the server; ``round`` runs one round (a closed loop, then an open loop at
    80 % of it) right after each engine round, so each pair met the host at about the same moment;
    ``finish`` runs the closed loop after the rounds, stops the server and returns the row's fields.
    The iterations come from timing ``work`` on the server's CPU; a request also costs the server
    its reads, parsing and writes, and the host's speed moves meanwhile. So the warm-up loop is
    measured too, and when a request cost more than 10 % off the target the server restarts once
    with the iterations scaled by the miss (``calibration`` lists both). The server is pinned where
    the engine is; each idles while the other is measured."""

    def __init__(self, tmp: Path, plan: HttpPlan, pinned: bool) -> None:
        self.tmp, self.plan, self.pinned = tmp, plan, pinned
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.conns = 64
        self.target_us = 0.0
        self.iterations = 0
        self.calibration: list[dict[str, float]] = []
        self.bases: list[Result] = []
        self.opens: list[Result] = []

    def start(self, target_us: float, conns: int) -> None:
        self.target_us, self.conns = target_us, conns
        self.iterations = iterations_for(target_us, per_iteration_us(ENGINE_CPU if self.pinned else None))
        self._launch()
        warm = self._warm_up()
        if abs(warm / target_us - 1) > 0.1:
            self.iterations = max(1, round(self.iterations * target_us / warm))
            self.stop()
            self._launch()
            self._warm_up()

    def round(self) -> None:
        base = self._loop("closed")
        self.bases.append(base)
        self.opens.append(self._loop("open", rate=0.8 * _f(base, "rate")))

    def finish(self) -> dict[str, object]:
        try:
            after = self._loop("closed")
        finally:
            self.stop()
        rounds = round_summaries(self.bases, self.opens, after)
        p99s = sorted(_f(opened, "p99_ms") for opened in self.opens)
        return {"value": p99s[len(p99s) // 2], "rounds": rounds, "work_iters": self.iterations,
                "target_us_per_request": round(self.target_us, 1), "calibration": self.calibration,
                "connections": self.conns,
                "pinning": f"server cpu {ENGINE_CPU}, loadgen cpu {LOAD_CPU}" if self.pinned else "none"}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def _launch(self) -> None:
        argv = [sys.executable, str(SINK), "--work-iters", str(self.iterations)]
        self.proc, self.url = start(argv + (["--cpu", str(ENGINE_CPU)] if self.pinned else []),
                                    self.tmp / "reference.log")

    def _warm_up(self) -> float:
        warm = us_per_order(self._loop("closed", seconds=max(self.plan.warmup_s, 1.0)))
        self.calibration.append({"work_iters": self.iterations, "us_per_request": warm})
        return warm

    def _loop(self, mode: str, rate: float = 0.0, seconds: float | None = None) -> Result:
        assert self.proc is not None, "start() first"
        conns = max(self.conns, 64) if mode == "open" else self.conns
        return run_loadgen(mode, self.url, self.plan, conns, seconds or self.plan.seconds, 0, rate=rate,
                           pinned=self.pinned, watch=CpuWatch(self.proc.pid))


def emit_reference(found: dict[str, object], suffix: str) -> None:
    rounds, value = found["rounds"], found["value"]
    assert isinstance(rounds, list) and isinstance(value, float)
    emit(f"reference_http_p99_ms_at_80pct{suffix}", value, "ms", None,
         what=f"median of {len(rounds)} rounds, each an open loop at 80 % of a closed loop run just "
         "before it, against loadgen_sink.py doing a fixed loop per request that costs about what an "
         "order cost the engine in its closed loop, each round right after the engine's round of the "
         "same number: this host's part of the engine's p99 figure",
         **{k: v for k, v in found.items() if k != "value"})
