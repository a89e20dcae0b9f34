"""Engine pipeline figures, in-process (no HTTP): per-stage CPU µs per command and the sequencer
end to end (JSON lines: {"figure","value","unit","target"[,"baseline","ratio"]}).

Stages, over the load generator's order mix (limit orders around 60,000 on BTCUSDT, 200 accounts;
about half of them cross):

- ``parse``: request body -> ``PlaceOrder`` (``requests.parse_body`` + ``requests.place_order``),
  baseline ``json.loads`` + ``requests.place_order``;
- ``apply``: ``with_sequence`` + ``Engine.apply``;
- ``encode``: journal rows (payload text + CRC) — ``batch.record_json`` into flat value lists,
  baseline the pre-change path (``command_to_dict``/``event_to_dict`` + ``canonical_json`` into
  ``CommandRow``/``EventRow``, then per-row tuples with ``.crc``);
- ``commit``: one transaction per batch of 64 commands (``Journal.append_rows``: multi-row INSERTs),
  baseline ``executemany`` (one step per row), CPU of the calling thread per command, for
  ``--durability process`` (no fsync) and ``power``;
- ``sequencer``: ``Node`` + ``Sequencer`` + margin worker + leadership on an asyncio loop (uvloop),
  clients parsing a body, submitting and reading the order view as the handler does; closed loop
  (64 clients) and open loop (``--rate``, latency from each order's scheduled time) -> process CPU
  µs per order (all threads; the loop thread, the other threads and the kernel's share apart),
  orders/s, the event loop's stalls (a probe sleeping 1 ms records how late it wakes: p99, max),
  GC pauses, the commit round trip (batch handed to the writer -> the loop sees it committed) and
  the /metrics render time after the run. With ``--baseline-ref REF`` (default: the commit before
  this work) the same runs use ``git archive REF`` in a subprocess, alternating with the current
  tree ``--repeat`` times (medians reported).

Noisy on a shared machine (2 cores, other work running): CPU times are steadier than wall rates.
Usage: python benchmarks/engine_pipeline.py [--orders N] [--rate R] [--baseline-ref REF|none]
       [--durability power|process] [--switch-interval S] [--only stages|sequencer]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

from bench_common import emit
from pipeline_sequencer import ACCOUNTS, bodies

ROOT = Path(__file__).resolve().parent.parent
SEQUENCER_RUN = Path(__file__).with_name("pipeline_sequencer.py")
BASELINE_REF = "2d89494"  # the tree before the pipeline work (pre-change code path)


def setup_engine() -> Any:
    from target_engine.config.loader import load_config_dict
    from target_engine.domain import Deposit, Engine, IndexTick
    from target_engine.service.recovery import service_config

    config = service_config(load_config_dict(None))
    engine = Engine(config)
    seq = 0
    for cmd in [IndexTick(symbol="BTCUSDT", price=6_000_000_000)] + [
            Deposit(account=f"b{i}", asset="USDT", amount=100_000_000 * 10**8) for i in range(ACCOUNTS)]:
        seq += 1
        from target_engine.domain import with_sequence
        engine.apply(with_sequence(cmd, seq, 1))
    return config, engine, seq


# ----------------------------------------------------------------------------- stages
def stage_figures(n: int) -> None:
    from target_engine.domain import command_to_dict, event_to_dict, with_sequence
    from target_engine.journal import CommandRow, EventRow, canonical_json
    from target_engine.service import requests as rq
    from target_engine.service.batch import record_json

    config, engine, seq0 = setup_engine()
    raw = bodies(n)
    cpu = time.process_time
    t0 = cpu()
    [rq.place_order(config, json.loads(b)) for b in raw]
    parse_old = (cpu() - t0) / n
    t0 = cpu()
    cmds = [rq.place_order(config, rq.parse_body(b)) for b in raw]
    parse = (cpu() - t0) / n
    t0 = cpu()
    applied = []
    seq = seq0
    for cmd in cmds:
        seq += 1
        stamped = with_sequence(cmd, seq, 2)
        applied.append((stamped, engine.apply(stamped)))
    apply = (cpu() - t0) / n
    n_events = sum(len(evs) for _, evs in applied)

    def encode_old() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        crows, erows = [], []
        for stamped, events in applied:
            d = command_to_dict(stamped)
            crows.append(CommandRow(stamped.seq, 1, 2, d["type"], canonical_json(d)))
            for idx, ev in enumerate(events):
                ed = event_to_dict(ev)
                erows.append(EventRow(stamped.seq, idx, ed["type"], canonical_json(ed)))
        return ([(c.seq, c.epoch, c.ts_ms, c.kind, c.payload, c.crc) for c in crows],
                [(e.seq, e.idx, e.kind, e.payload, e.crc) for e in erows])

    def encode_new() -> tuple[list[Any], list[Any]]:
        import zlib
        crc32 = zlib.crc32
        cflat: list[Any] = []
        eflat: list[Any] = []
        for stamped, events in applied:
            s = stamped.seq
            kind, payload = record_json(stamped)
            cflat += (s, 1, 2, kind, payload, crc32(f"{s}|1|2|{kind}|{payload}".encode()) & 0xFFFFFFFF)
            for idx, ev in enumerate(events):
                kind, payload = record_json(ev)
                eflat += (s, idx, kind, payload, crc32(f"{s}|{idx}|{kind}|{payload}".encode()) & 0xFFFFFFFF)
        return cflat, eflat

    best_old = best_new = 1e9
    for _ in range(3):
        t0 = cpu()
        old_rows = encode_old()
        best_old = min(best_old, (cpu() - t0) / n)
        t0 = cpu()
        new_rows = encode_new()
        best_new = min(best_new, (cpu() - t0) / n)
    flat_old = [v for r in old_rows[0] for v in r], [v for r in old_rows[1] for v in r]
    assert flat_old == new_rows, "new encoding differs from the pre-change encoding"
    emit("pipeline_parse_us_per_order", parse * 1e6, "us", baseline=round(parse_old * 1e6, 2),
         ratio=round(parse_old / parse, 2), baseline_is="json.loads + place_order")
    emit("pipeline_apply_us_per_order", apply * 1e6, "us", events_per_order=round(n_events / n, 2))
    emit("pipeline_encode_us_per_order", best_new * 1e6, "us", baseline=round(best_old * 1e6, 2),
         ratio=round(best_old / best_new, 2), identical_rows=True)
    for durability in ("process", "power"):
        commit_figures(old_rows, new_rows, durability)


Rows = list[tuple[Any, ...]]
Flat = list[Any]


def commit_figures(old_rows: tuple[Rows, Rows], new_rows: tuple[Flat, Flat], durability: str) -> None:
    from target_engine.journal import Durability, Journal
    from target_engine.journal.store import COMMAND_COLS, EVENT_COLS

    batch = 64
    n = len(old_rows[0])
    results = {}
    for variant in ("old", "new"):
        with tempfile.TemporaryDirectory() as tmp:
            j = Journal(Path(tmp) / "j.sqlite", "{}", durability=Durability(durability))
            epoch = j.acquire("blue", 600_000, 1)
            cpu_total = wall_total = 0.0
            ev_pos = 0
            for start in range(0, n, batch):
                if variant == "old":
                    crows = [(r[0], epoch, *r[2:]) for r in old_rows[0][start:start + batch]]
                    last = crows[-1][0]
                    erows = []
                    while ev_pos < len(old_rows[1]) and old_rows[1][ev_pos][0] <= last:
                        erows.append(old_rows[1][ev_pos])
                        ev_pos += 1
                    c0, w0 = time.thread_time(), time.perf_counter()
                    _old_append(j, epoch, crows, erows)
                else:
                    cflat = list(new_rows[0][start * COMMAND_COLS:(start + batch) * COMMAND_COLS])
                    cflat[1::COMMAND_COLS] = [epoch] * (len(cflat) // COMMAND_COLS)
                    last = cflat[-COMMAND_COLS]
                    ev_end = ev_pos
                    while ev_end < len(new_rows[1]) and new_rows[1][ev_end] <= last:
                        ev_end += EVENT_COLS
                    eflat = new_rows[1][ev_pos:ev_end]
                    ev_pos = ev_end
                    c0, w0 = time.thread_time(), time.perf_counter()
                    j.append_rows(epoch, cflat, eflat)
                cpu_total += time.thread_time() - c0
                wall_total += time.perf_counter() - w0
            j.close()
        results[variant] = (cpu_total / n, wall_total / -(-n // batch))
    (old_cpu, old_wall), (new_cpu, new_wall) = results["old"], results["new"]
    emit(f"pipeline_commit_cpu_us_per_order_{durability}", new_cpu * 1e6, "us",
         baseline=round(old_cpu * 1e6, 2), ratio=round(old_cpu / new_cpu, 2), batch=batch,
         commit_ms=round(new_wall * 1e3, 3), baseline_commit_ms=round(old_wall * 1e3, 3))


def _old_append(j: Any, epoch: int, crows: list[tuple[Any, ...]], erows: list[tuple[Any, ...]]) -> None:
    """The pre-change ``append_batch`` body: executemany, one SQLite step per row."""
    from target_engine.journal import FencedError, reader

    conn = j.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        lease = reader.read_lease(conn)
        if lease is None or lease.epoch != epoch:
            raise FencedError(epoch, 0, "")
        conn.executemany("INSERT INTO commands(seq, epoch, ts_ms, kind, payload, crc) "
                         "VALUES (?, ?, ?, ?, ?, ?)", crows)
        conn.executemany("INSERT INTO events(seq, idx, kind, payload, crc) VALUES (?, ?, ?, ?, ?)", erows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def run_child(src: Path, args: argparse.Namespace, durability: str, rate: float = 0.0) -> dict[str, float]:
    argv = [sys.executable, str(SEQUENCER_RUN), "--orders", str(args.orders),
            "--durability", durability, "--switch-interval", str(args.switch_interval or 0),
            "--rate", str(rate)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(argv, env=env, cwd=src, capture_output=True, text=True, timeout=600, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def baseline_tree(ref: str, dest: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "target_engine", "chaos"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--baseline-ref", default=BASELINE_REF, help="git ref for the baseline, or 'none'")
    parser.add_argument("--switch-interval", type=float, default=0.0,
                        help="sys.setswitchinterval for the sequencer stage (0: leave the default)")
    parser.add_argument("--durability", default="power")
    parser.add_argument("--repeat", type=int, default=3, help="sequencer runs per variant (medians)")
    parser.add_argument("--rate", type=float, default=2000.0,
                        help="open-loop rate for the sequencer's second run (orders/s; 0: skip it)")
    parser.add_argument("--only", choices=["stages", "sequencer"])
    args = parser.parse_args()
    if args.only != "sequencer":
        stage_figures(min(args.orders, 20_000))
    if args.only == "stages":
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = baseline_tree(args.baseline_ref, Path(tmp)) if args.baseline_ref != "none" else None
        for rate in (0.0, args.rate) if args.rate > 0 else (0.0,):
            bases: list[dict[str, float]] = []
            news: list[dict[str, float]] = []
            for _ in range(args.repeat):  # alternated, so both see the same background load
                if src:
                    bases.append(run_child(src, args, args.durability, rate))
                news.append(run_child(ROOT, args, args.durability, rate))
            sequencer_figures(args, rate, _median(bases) if bases else None, _median(news))


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per key, the median over the runs that have it."""
    keys = {k for run in runs for k in run}
    return {k: statistics.median(run[k] for run in runs if k in run) for k in keys}


def sequencer_figures(args: argparse.Namespace, rate: float, base: dict[str, float] | None,
                      new: dict[str, float]) -> None:
    tag = f"open{int(rate)}" if rate else "closed64"
    extra: dict[str, Any] = {"durability": args.durability, "load": tag, "orders": args.orders,
                             "runs": args.repeat,
                             "switch_interval_s": args.switch_interval or sys.getswitchinterval()}

    def versus(key: str) -> dict[str, Any]:
        if not base or key not in base:
            return extra
        return {**extra, "baseline": round(base[key], 3), "ratio": round(base[key] / max(new[key], 1e-9), 2)}

    emit(f"pipeline_sequencer_cpu_us_per_order_{tag}", new["cpu_us"], "us", **versus("cpu_us"))
    if not rate:
        emit("pipeline_sequencer_orders_per_s_closed64", new["rate"], "orders/s", **versus("rate"))
    for key in ("main_thread_cpu_us", "other_threads_cpu_us", "sys_us"):
        if key in new:
            emit(f"pipeline_sequencer_{key}_per_order_{tag}", new[key], "us", **versus(key))
    keys = ["lag_p99_ms", "lag_max_ms", "gc_pause_max_ms", "gc_ms_per_s", "commit_round_trip_p50_ms",
            "commit_round_trip_p99_ms", "commit_in_thread_p50_ms", "batch_mean", "render_ms"]
    if rate:
        keys[:0] = ["latency_p50_ms", "latency_p99_ms"]
    for key in keys:
        unit = "commands" if key == "batch_mean" else "ms"
        emit(f"pipeline_{key}_{tag}", new[key], unit, **versus(key))


if __name__ == "__main__":
    main()
