"""The p99 at 80 % of a maximum that this host gives a server with a constant cost per request.

``engine_http_p99_ms_at_80pct`` mixes the engine and the host. The engine: an order in an open loop
costs it more CPU than one in a closed loop (smaller batches and commits), so 80 % of its closed-loop
maximum keeps its core busier than 80 %. The host: a shared virtual machine whose speed moves by tens
of percent within a minute (host_speed.py). This module measures the host's part alone.

The server is benchmarks/loadgen_sink.py with ``--work-iters`` chosen so that one request costs about
the CPU one order cost the engine in its closed loop. It is pinned where the engine was and runs the
engine's protocol: a closed loop at the engine's best connection count, then ``rounds`` open loops,
each at 80 % of a closed loop run just before it, then one closed loop after them ->
``reference_http_p99_ms_at_80pct`` (the median round's p99, every round listed). Such a server costs
the same per request in an open loop as in a closed one, and nothing about it gets cheaper in large
batches. A p99 it misses on this host is the host's, and the engine's row carries this figure and
the engine's ratio to it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_common import emit, start
from bench_probes import ENGINE_CPU, LOAD_CPU, CpuWatch, can_pin
from engine_http_bench import HttpPlan, Result, run_loadgen, us_per_order
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


def _rate(res: Result) -> float:
    rate = res["rate"]
    assert isinstance(rate, int | float)
    return float(rate)


def round_summaries(bases: list[Result], opens: list[Result], after: Result) -> list[dict[str, object]]:
    """Per round: its closed base, its open loop, and the closed loop that came next (the next
    round's base, or the one after the rounds) with the open loop's rate over it."""
    nexts = [*bases[1:], after]
    return [{"closed_rate": round(_rate(base)), "closed_us_per_request": us_per_order(base),
             "rate": round(_rate(opened)), "p50_ms": opened.get("p50_ms"), "p99_ms": opened["p99_ms"],
             "us_per_request": us_per_order(opened),
             "load_on_next_closed": round(_rate(opened) / max(_rate(following), 1.0), 2)}
            for base, opened, following in zip(bases, opens, nexts, strict=True)]


def bench_reference(tmp: Path, plan: HttpPlan, conns: int, target_us: float) -> dict[str, object]:
    """The reference server through the engine's protocol (see the module); the row's fields.

    The iterations come from timing ``work`` on the server's CPU; a request also costs the server
    its reads, parsing and writes, and the host's speed moves meanwhile. So the warm-up loop is
    measured too, and when a request cost more than 10 % off ``target_us`` the server restarts once
    with the iterations scaled by the miss (``calibration`` lists both)."""
    pinned = plan.pin and can_pin()
    saved = os.sched_getaffinity(0)
    iterations = iterations_for(target_us, per_iteration_us(ENGINE_CPU if pinned else None))
    calibration: list[dict[str, float]] = []
    proc, url = _start_sink(tmp, iterations, pinned)
    if pinned:
        os.sched_setaffinity(0, {LOAD_CPU})

    def loop(mode: str, rate: float = 0.0, seconds: float = plan.seconds) -> Result:
        conn_count = max(conns, 64) if mode == "open" else conns
        return run_loadgen(mode, url, plan, conn_count, seconds, 0, rate=rate, pinned=pinned,
                           watch=CpuWatch(proc.pid))

    try:
        warm = us_per_order(loop("closed", seconds=max(plan.warmup_s, 1.0)))
        calibration.append({"work_iters": iterations, "us_per_request": warm})
        if abs(warm / target_us - 1) > 0.1:
            iterations = max(1, round(iterations * target_us / warm))
            _stop(proc)
            proc, url = _start_sink(tmp, iterations, pinned)
            warm = us_per_order(loop("closed", seconds=max(plan.warmup_s, 1.0)))
            calibration.append({"work_iters": iterations, "us_per_request": warm})
        bases: list[Result] = []
        opens: list[Result] = []
        for _ in range(plan.rounds):
            bases.append(loop("closed"))
            opens.append(loop("open", rate=0.8 * _rate(bases[-1])))
        after = loop("closed")
    finally:
        _stop(proc)
        os.sched_setaffinity(0, saved)
    rounds = round_summaries(bases, opens, after)
    p99s = sorted(float(str(r["p99_ms"])) for r in rounds)
    return {"value": p99s[len(p99s) // 2], "rounds": rounds, "work_iters": iterations,
            "target_us_per_request": round(target_us, 1), "calibration": calibration, "connections": conns,
            "pinning": f"server cpu {ENGINE_CPU}, loadgen cpu {LOAD_CPU}" if pinned else "none"}


def _start_sink(tmp: Path, iterations: int, pinned: bool) -> tuple[subprocess.Popen[str], str]:
    argv = [sys.executable, str(SINK), "--work-iters", str(iterations)]
    return start(argv + (["--cpu", str(ENGINE_CPU)] if pinned else []), tmp / "reference.log")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(10)


def emit_reference(found: dict[str, object]) -> None:
    rounds, value = found["rounds"], found["value"]
    assert isinstance(rounds, list) and isinstance(value, float)
    emit("reference_http_p99_ms_at_80pct", value, "ms", None,
         what=f"median of {len(rounds)} rounds, each an open loop at 80 % of a closed loop run just "
         "before it, against loadgen_sink.py doing a fixed loop per request that costs about what an "
         "order cost the engine in its closed loop: this host's part of the engine's p99 figure",
         **{k: v for k, v in found.items() if k != "value"})
