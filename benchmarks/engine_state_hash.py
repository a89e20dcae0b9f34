"""What a ``GET /v1/state`` (with its state hash) costs everyone else, forked against inline.

Two engines, ``--snapshot-mode fork`` (the default: the hash is computed by a forked child, the
event loop only forks) and ``inline`` (the hash is computed on the event loop, as every request did
before the child existed). Each takes the same closed-loop load first (so there is a state to hash),
then ``engine_http_bench._state_cost``: a hash request while another client polls
``/v1/state?hash=false`` back to back. Row ``engine_state_hash_stall_ms``: the slowest poll with the
fork (what other requests waited), baseline the same with inline hashing, and the ratio.

Usage: python benchmarks/engine_state_hash.py [--seconds S] [--rounds R]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench_common import emit, engine_argv, start
from engine_http_bench import HttpPlan, _f, _state_cost, fund, run_loadgen


def _engine(tmp: Path, mode: str) -> tuple[subprocess.Popen[str], str]:
    proc, url = start(engine_argv(tmp / f"{mode}.sqlite", "blue", "leader", "--inbound-limit", "20000",
                                  "--snapshot-mode", mode), tmp / f"{mode}.log")
    fund(url)
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="closed-loop load before each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="load + hash rounds per engine (median)")
    args = parser.parse_args()
    plan = HttpPlan(seconds=args.seconds, warmup_s=0.5, connections=(64,), pin=False)
    results: dict[str, list[dict[str, object]]] = {"fork": [], "inline": []}
    with tempfile.TemporaryDirectory(prefix="gameday-statehash-") as tmp:
        engines = {mode: _engine(Path(tmp), mode) for mode in results}
        try:
            for k in range(args.rounds):
                for mode, (_, url) in engines.items():  # alternate: both see the same host drift
                    run_loadgen("closed", url, plan, 64, plan.seconds, 10**7 * (k + 1), pinned=False)
                    results[mode].append(_state_cost(url))
        finally:
            for proc, _ in engines.values():
                proc.terminate()
                proc.wait(20)

    def median(mode: str, key: str) -> float:
        return statistics.median(_f(r, key) for r in results[mode])

    fork, inline = median("fork", "slowest_poll_ms"), median("inline", "slowest_poll_ms")
    emit("engine_state_hash_stall_ms", fork, "ms", None,
         what="slowest GET /v1/state?hash=false while a GET /v1/state hashes the state (median of rounds)",
         seq_at_last_round=results["fork"][-1]["seq"], rounds=args.rounds, load_seconds=args.seconds,
         event_loop_ms=median("fork", "loop_ms"), hash_round_trip_ms=median("fork", "hash_ms"),
         baseline=inline, baseline_what="--snapshot-mode inline: hashed on the event loop, same load",
         baseline_event_loop_ms=median("inline", "loop_ms"),
         ratio=round(fork / inline, 3) if inline else None,
         by_round={mode: [r["slowest_poll_ms"] for r in rs] for mode, rs in results.items()})


if __name__ == "__main__":
    main()
