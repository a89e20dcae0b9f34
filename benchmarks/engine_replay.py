"""Replay figures stage by stage (JSON lines): read + CRC, + decode, + apply (= ``recover``).

Builds the same journal as ``engine_service.py --only replay`` (``build_journal``: deposits,
limit/market orders, cancels, index ticks; seed 7), or reuses ``--journal PATH`` when it exists,
then times each stage over the whole journal. CPU seconds are reported next to wall seconds: the
machine is shared, wall figures are noisy.

Usage: python benchmarks/engine_replay.py [--commands N] [--journal PATH] [--repeat R]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def emit(figure: str, value: float, unit: str, target: float | None, **extra: object) -> None:
    row = {"figure": figure, "value": round(value, 3), "unit": unit, "target": target, **extra,
           "loadavg_1m": round(os.getloadavg()[0], 2)}
    print(json.dumps(row), flush=True)


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


def run(path: Path, repeat: int) -> None:
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
    results: dict[str, tuple[float, float]] = {}
    count = 0
    for name, fn in stages:
        count, wall, cpu = timed(fn, repeat)
        results[name] = (wall, cpu)
        emit(f"engine_replay_{name}_commands_per_s", count / wall, "commands/s",
             100_000 if name == "recover" else None, commands=count, seconds=round(wall, 3),
             commands_per_cpu_s=round(count / cpu), us_per_command_cpu=round(cpu / count * 1e6, 2))
    read_cpu = results["read_crc"][1]
    decode_cpu = results["read_crc_decode"][1] - read_cpu
    apply_cpu = results["recover"][1] - results["read_crc_decode"][1]
    emit("engine_replay_split_us_per_command", results["recover"][1] / count * 1e6, "us (CPU)", 10.0,
         read_crc=round(read_cpu / count * 1e6, 2), decode=round(decode_cpu / count * 1e6, 2),
         apply=round(apply_cpu / count * 1e6, 2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=100_000)
    parser.add_argument("--journal", type=Path, help="reuse (or create) this journal file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from engine_service import build_journal

    with tempfile.TemporaryDirectory() as tmp_name:
        path = args.journal or Path(tmp_name) / "replay.sqlite"
        if not path.exists():
            build_journal(path, args.commands, seed=7)
        run(path, args.repeat)


if __name__ == "__main__":
    main()
