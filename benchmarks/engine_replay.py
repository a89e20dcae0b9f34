"""Replay figures stage by stage (JSON lines): read + CRC, + decode, + apply (= ``recover``).

Builds the same journal as ``engine_service.py --only replay`` (``build_journal``: deposits,
limit/market orders, cancels, index ticks; seed 7), or reuses ``--journal PATH`` when it exists,
then times each stage over the whole journal. CPU seconds are reported next to wall seconds: the
machine is shared, wall figures are noisy.

With the compiled domain in use (``make native``), the recover stage is timed once more under the
pure-Python domain in a child process: ``engine_replay_native_speedup`` is the ratio.

Usage: python benchmarks/engine_replay.py [--commands N] [--journal PATH] [--repeat R] [--only-recover]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_common import emit  # noqa: E402


def timed(fn: Callable[[], int], repeat: int) -> tuple[int, float, float]:
    """Best (wall, cpu) seconds over ``repeat`` runs of ``fn`` (returns a count)."""
    best_wall = best_cpu = float("inf")
    count = 0
    for _ in range(repeat):
        gc.collect()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        count = fn()
        best_wall = min(best_wall, time.perf_counter() - wall0)
        best_cpu = min(best_cpu, time.process_time() - cpu0)
    return count, best_wall, best_cpu


def run(path: Path, repeat: int, only_recover: bool = False) -> tuple[dict[str, tuple[float, float]], int]:
    """Times each stage; returns {stage: (wall, cpu) seconds} and the number of commands."""
    from target_engine.journal import connect, reader
    from target_engine.service.recovery import decode_commands, journal_config, recover

    conn = connect(path, readonly=True)
    config = journal_config(conn)

    def read_only() -> int:
        n = 0
        for chunk in reader.iter_command_chunks(conn, 0):
            n += len(chunk)
        return n

    def read_decode() -> int:
        n = 0
        for chunk in reader.iter_command_chunks(conn, 0):
            n += len(decode_commands([row[4] for row in chunk]))
        return n

    def full() -> int:
        return recover(conn, config, use_snapshot=False).last_seq

    stages = [("read_crc", read_only), ("read_crc_decode", read_decode), ("recover", full)]
    if only_recover:
        stages = stages[-1:]
    results: dict[str, tuple[float, float]] = {}
    count = 0
    for name, fn in stages:
        count, wall, cpu = timed(fn, repeat)
        results[name] = (wall, cpu)
        emit(f"engine_replay_{name}_commands_per_s", count / wall, "commands/s",
             100_000 if name == "recover" else None, commands=count, seconds=round(wall, 3),
             commands_per_cpu_s=round(count / cpu), us_per_command_cpu=round(cpu / count * 1e6, 2))
    if only_recover:
        return results, count
    read_cpu = results["read_crc"][1]
    decode_cpu = results["read_crc_decode"][1] - read_cpu
    apply_cpu = results["recover"][1] - results["read_crc_decode"][1]
    emit("engine_replay_split_us_per_command", results["recover"][1] / count * 1e6, "us (CPU)", 10.0,
         read_crc=round(read_cpu / count * 1e6, 2), decode=round(decode_cpu / count * 1e6, 2),
         apply=round(apply_cpu / count * 1e6, 2))
    return results, count


def pure_baseline(path: Path, repeat: int, compiled: tuple[float, float], count: int) -> None:
    """The recover stage again under the pure-Python domain (a child process with
    GAMEDAY_PURE_DOMAIN=1), and the compiled build's speed-up over it in CPU time."""
    env = {**os.environ, "GAMEDAY_PURE_DOMAIN": "1"}
    argv = [sys.executable, __file__, "--journal", str(path), "--repeat", str(repeat), "--only-recover"]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    pure = json.loads(done.stdout.splitlines()[-1])
    pure_cpu_us = float(pure["us_per_command_cpu"])
    compiled_cpu_us = compiled[1] / count * 1e6
    emit("engine_replay_native_speedup", pure_cpu_us / compiled_cpu_us, "x (CPU per command)", None,
         baseline="pure-Python domain, same journal, same run", pure_us_per_command_cpu=pure_cpu_us,
         pure_commands_per_s=pure["value"], native_us_per_command_cpu=round(compiled_cpu_us, 2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=100_000)
    parser.add_argument("--journal", type=Path, help="reuse (or create) this journal file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only-recover", action="store_true", help="time the recover stage only")
    args = parser.parse_args()
    from engine_service import build_journal

    from target_engine.native import DOMAIN_BUILD

    with tempfile.TemporaryDirectory() as tmp_name:
        path = args.journal or Path(tmp_name) / "replay.sqlite"
        if not path.exists():
            build_journal(path, args.commands, seed=7)
        results, count = run(path, args.repeat, args.only_recover)
        if DOMAIN_BUILD == "mypyc" and not args.only_recover:
            pure_baseline(path, args.repeat, results["recover"], count)


if __name__ == "__main__":
    main()
