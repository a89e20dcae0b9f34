"""How steady this host's speed is: one fixed unit of Python, timed back to back (benchmark code).

A shared virtual machine does not run at one speed. Here the same CPU-bound Python, with nothing
else running, has taken 1.7x longer in one window than in another a few seconds earlier, with no
steal and no other process on that CPU (the guest cannot see why: other tenants on the same caches
and memory, the host's clock). A figure such as "p99 at 80 % of the maximum rate" assumes that the
capacity measured in one minute still holds in the next: on a host whose spread is above 1.25,
80 % of a maximum measured in a fast window is 100 % of the capacity of a slow one.

The unit: canonical JSON of a small document, parsed back, and a dict of 3,000 entries (about 2 ms
here). It is timed in this process's own CPU time, so time the CPU gave to other processes does
not count: only how fast it ran ours. A window's speed is the run's median unit time over the
window's median: 1.0 is this run's usual speed, 0.7 means 30 % slower.

Usage: ``python benchmarks/host_speed.py [--cpu N] [--seconds S] [--window-s W]`` -> the figure row
``host_cpu_speed_spread`` (the fastest window's speed over the slowest's; 1.0: one speed throughout),
with every window's speed. Run it on an otherwise idle machine, before a latency benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from bench_common import emit

_DOC = [{"a": i, "b": str(i) * 3, "c": [i, i + 1, {"d": i * 2}]} for i in range(300)]
Sample = tuple[float, float]  # (CLOCK_MONOTONIC when the unit ended, its CPU milliseconds)


def unit() -> int:
    """The fixed unit of work (its result only keeps it from being optimised away)."""
    total = 0
    for _ in range(2):
        total += len(json.loads(json.dumps(_DOC, sort_keys=True)))
        table = {str(i): i * i for i in range(3000)}
        total += sum(table.values()) & 1
    return total


def timed_units(seconds: float) -> list[Sample]:
    """Units back to back for ``seconds`` of wall time."""
    samples: list[Sample] = []
    deadline = time.monotonic() + seconds
    while True:
        started = time.process_time()
        unit()
        now = time.monotonic()
        samples.append((now, (time.process_time() - started) * 1000))
        if now >= deadline:
            return samples


def spread(samples: list[Sample], window_s: float) -> dict[str, object]:
    """Each consecutive ``window_s`` window's speed (windows of fewer than 3 units left out), and the
    fastest over the slowest (``spread``, absent with fewer than 2 such windows)."""
    usual = statistics.median(ms for _, ms in samples)
    first = samples[0][0]
    buckets: dict[int, list[float]] = {}
    for at, ms in samples:
        buckets.setdefault(int((at - first) // window_s), []).append(ms)
    speeds = [round(usual / statistics.median(v), 3) for _, v in sorted(buckets.items()) if len(v) >= 3]
    found: dict[str, object] = {"usual_unit_ms": round(usual, 3), "window_s": window_s, "units": len(samples),
                                "window_speeds": speeds}
    if len(speeds) >= 2:
        found.update(slowest_window_speed=min(speeds), fastest_window_speed=max(speeds),
                     spread=round(max(speeds) / min(speeds), 3))
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--cpu", type=int, help="pin the probe to this CPU")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to run (default 60)")
    parser.add_argument("--window-s", type=float, default=2.0, help="window of each speed (default 2)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.window_s <= 0:
        parser.error("--seconds and --window-s must be > 0")
    if args.cpu is not None:
        try:
            os.sched_setaffinity(0, {args.cpu})
        except (OSError, ValueError) as exc:
            parser.error(f"cannot run on CPU {args.cpu}: {exc}")
    found = host_spread(args.seconds, args.window_s)
    if "spread" not in found:
        parser.error(f"a spread needs 2 windows of {args.window_s:g} s with 3 units or more each: run longer")
    emit_spread(found, cpu=args.cpu, seconds=args.seconds)


def host_spread(seconds: float, window_s: float = 2.0) -> dict[str, object]:
    """Run the probe on the calling thread's CPUs for ``seconds``; its windows and spread."""
    return spread(timed_units(seconds), window_s)


def emit_spread(found: dict[str, object], **extra: object) -> None:
    """The ``host_cpu_speed_spread`` row of a probe run."""
    value = found.pop("spread")
    assert isinstance(value, float)
    emit("host_cpu_speed_spread", value, "ratio", None, **extra,
         what=f"fastest {found['window_s']:g} s window's speed over the slowest's: one fixed unit of Python "
         "back to back, timed in process CPU time (1.0: one speed throughout; above 1.25, 80 % of a "
         "maximum measured in a fast window is 100 % of a slow window's capacity)", **found)


if __name__ == "__main__":
    main()
