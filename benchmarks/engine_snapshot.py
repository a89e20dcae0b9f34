"""Snapshot stall on the event loop: inline (today's path: dump + hash + encode on the loop) vs fork
(the loop pays for ``fork()`` only; a child serialises the copy-on-write state).

A journal of N commands (default 100,000, the engine's ``snapshot_every``) of the HTTP benchmark's
order mix is written with ``engine_service.build_journal`` and recovered into an engine, frozen with
``gc.freeze`` as the service does. Then, on a running event loop with a 1 ms ticker coroutine:
- inline: ``capture_inline`` on the loop -> the longest gap between ticks (= the stall);
- fork: ``ForkSnapshotter.start`` -> the ``fork()`` call, the longest tick gap until the child's
  snapshot is back in the parent (the stall requests would see), and the child's total time.
The fork result is checked to be byte-identical to the inline one (same payload, same hash).
With ``--http`` (default on): the same journal served by a real engine process per mode; one client
sends deposits back to back (each a journaled write) while ``POST /admin/snapshot`` runs -> the
slowest deposit during the snapshot and the admin round trip, inline (baseline) vs fork.
JSON lines {"figure","value","unit","target","baseline","ratio"}; the machine is shared (2 cores,
other helpers' work running): figures are noisy, each row carries the 1-minute load average.
Usage: python benchmarks/engine_snapshot.py [--commands N] [--runs R]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(Path(__file__).resolve().parent))

from bench_common import emit, engine_argv  # noqa: E402
from bench_common import start as launch  # noqa: E402
from engine_service import build_journal  # noqa: E402

from target_engine.config.loader import load_config_dict  # noqa: E402
from target_engine.domain import Engine  # noqa: E402
from target_engine.service.recovery import recover, service_config  # noqa: E402
from target_engine.service.snapshotter import Captured, ForkSnapshotter, capture_inline  # noqa: E402


class Ticker:
    """A coroutine that wakes every 1 ms and records the longest gap between wake-ups (loop stall)."""

    def __init__(self) -> None:
        self.max_gap = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last)
            last = now

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.create_task(self._run())
        await asyncio.sleep(0.01)
        self.max_gap = 0.0
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def _uncache_hash(engine: Engine) -> None:
    """Drop the engine's cached state hash so the inline path pays for it as after any apply."""
    setattr(engine, "_hash", None)  # noqa: B010 (the benchmark measures the uncached cost)


async def inline_once(engine: Engine) -> tuple[float, Captured]:
    _uncache_hash(engine)
    async with Ticker() as t:
        await asyncio.sleep(0.005)
        captured = capture_inline(engine, engine.last_seq, 1, 0)
        await asyncio.sleep(0.005)
    return t.max_gap, captured


async def fork_once(engine: Engine, journal: Path) -> tuple[float, float, float, Captured]:
    forker = ForkSnapshotter(journal)
    async with Ticker() as t:
        await asyncio.sleep(0.005)
        started = time.perf_counter()
        captured = await forker.start(engine, engine.last_seq, 1, 0)
        total = time.perf_counter() - started
        await asyncio.sleep(0.005)
    return forker.last_fork_s, t.max_gap, total, captured


def http_once(journal: Path, mode: str) -> tuple[float, float, int]:
    """(slowest deposit during the snapshot s, admin round trip s, deposits during it) for one mode."""
    import httpx

    argv = engine_argv(journal, "blue", "leader", "--snapshot-mode", mode, "--snapshot-every", "100000000")
    proc, url = launch(argv, journal.parent / f"engine-{mode}.log")
    window: list[float] = []
    lat: list[tuple[float, float]] = []
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            while not stop.is_set():
                t0 = time.perf_counter()
                r = c.post("/v1/accounts/probe/deposits", json={"asset": "USDT", "amount": "1"})
                assert r.status_code == 200, r.text
                lat.append((t0, time.perf_counter() - t0))

    try:
        with httpx.Client(base_url=url, timeout=60) as c:
            deadline = time.monotonic() + 60
            while c.get("/readyz").status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.05)
            # warm-up: the journal's synthetic clock is in 2023, so the first command settles every
            # funding interval since then (tens of seconds) -- not part of the snapshot figure
            assert c.post("/v1/accounts/probe/deposits", json={"asset": "USDT", "amount": "1"},
                          timeout=300).status_code == 200
            worker = threading.Thread(target=probe)
            worker.start()
            time.sleep(0.5)
            window.append(time.perf_counter())
            r = c.post("/admin/snapshot")
            window.append(time.perf_counter())
            assert r.status_code == 200, r.text
            time.sleep(0.3)
            stop.set()
            worker.join(30)
    finally:
        proc.terminate()
        proc.wait(30)
    during = [d for t0, d in lat if t0 + d >= window[0] and t0 <= window[1]]
    return max(during), window[1] - window[0], len(during)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commands", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-http", action="store_true", help="skip the engine-process figures")
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        journal = Path(tmp) / "j.sqlite"
        build_journal(journal, args.commands, seed=7)
        with sqlite3.connect(journal) as conn:
            engine = recover(conn, service_config(load_config_dict(None))).engine
        gc.collect()
        gc.freeze()
        stalls, forks, fork_stalls, totals = [], [], [], []
        for _ in range(args.runs):
            stall, inline = asyncio.run(inline_once(engine))
            fork_s, fork_stall, total, forked = asyncio.run(fork_once(engine, journal))
            assert forked == inline, "the child's snapshot differs from the inline one"
            stalls.append(stall)
            forks.append(fork_s)
            fork_stalls.append(fork_stall)
            totals.append(total)
        base = min(stalls) * 1000
        n = args.commands
        emit("snapshot_loop_stall_inline_ms", base, "ms", None, commands=n, runs=args.runs,
             bytes=len(inline.payload))
        emit("snapshot_loop_stall_fork_ms", min(fork_stalls) * 1000, "ms", 25.0, commands=n, runs=args.runs,
             baseline=round(base, 3), ratio=round(base / max(min(fork_stalls) * 1000, 1e-6), 1),
             worst=round(max(fork_stalls) * 1000, 3))
        emit("snapshot_fork_call_ms", min(forks) * 1000, "ms", None, commands=n,
             worst=round(max(forks) * 1000, 3))
        emit("snapshot_child_total_ms", min(totals) * 1000, "ms", None, commands=n, baseline=round(base, 3),
             note="fork to snapshot back in the parent; the loop keeps serving meanwhile")
        if args.no_http:
            return
        base_worst, base_admin, _ = http_once(journal, "inline")
        worst, admin, count = http_once(journal, "fork")
        emit("snapshot_http_slowest_deposit_ms", worst * 1000, "ms", 25.0, commands=n,
             baseline=round(base_worst * 1000, 3), ratio=round(base_worst / max(worst, 1e-6), 1),
             deposits_during_snapshot=count)
        emit("snapshot_http_admin_round_trip_ms", admin * 1000, "ms", None, commands=n,
             baseline=round(base_admin * 1000, 3))


if __name__ == "__main__":
    main()
