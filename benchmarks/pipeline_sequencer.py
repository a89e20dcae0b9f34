"""One in-process sequencer run for benchmarks/engine_pipeline.py (run as a subprocess, so the
baseline tree can be measured through PYTHONPATH): Node + Sequencer + margin worker + leadership on
uvloop, closed loop (64 clients) or open loop (``--rate``); prints one JSON object of figures.

Usage: python benchmarks/pipeline_sequencer.py [--orders N] [--rate R] [--durability D] [--switch-interval S]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ACCOUNTS = 200


def bodies(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(json.dumps({
            "account": f"b{rng.randrange(ACCOUNTS)}", "symbol": "BTCUSDT",
            "side": "BUY" if rng.random() < 0.5 else "SELL", "type": "LIMIT", "qty": "0.002",
            "price": str(60_000 + rng.randint(-20, 20) * 10), "time_in_force": "GTC",
            "client_order_id": f"c{i}",
        }).encode())
    return out



# ----------------------------------------------------------------------------- sequencer
async def _sequencer_run(n: int, clients: int, durability: str, journal_dir: str,
                         rate: float = 0.0, commit_interval_ms: float = 0.0) -> dict[str, float]:
    """Closed loop (``clients`` concurrent clients), or open loop at ``rate`` orders/s (each order
    its own task, started on a fixed schedule; latency from its scheduled time)."""
    from target_engine.config.loader import load_config_dict
    from target_engine.domain import Deposit, IndexTick
    from target_engine.journal import Durability, Journal
    from target_engine.service import requests as rq
    from target_engine.service.leadership import Leadership
    from target_engine.service.node import Node
    from target_engine.service.options import RoleRequest, ServiceOptions
    from target_engine.service.recovery import service_config
    from target_engine.service.sequencer import Sequencer
    from target_engine.service.worker import MarginWorker

    raw_cfg = load_config_dict(None)
    journal = Journal(Path(journal_dir) / "j.sqlite", json.dumps(raw_cfg, sort_keys=True),
                      durability=Durability(durability))
    # commit_interval_ms only when asked: a baseline tree (PYTHONPATH) may predate the option
    paced: dict[str, Any] = {"commit_interval_ms": commit_interval_ms} if commit_interval_ms else {}
    opts = ServiceOptions(role=RoleRequest.LEADER, inbound_limit=20_000, margin_queue_limit=100_000, **paced)
    node = Node(opts, service_config(raw_cfg), journal)
    seq = Sequencer(node)
    leadership = Leadership(node)
    worker = MarginWorker(node, seq)
    leadership.start()
    tasks = [asyncio.create_task(c) for c in (seq.run(), worker.run(), worker.watch(), leadership.run())]
    await seq.submit(IndexTick(symbol="BTCUSDT", price=6_000_000_000))
    await asyncio.gather(*[seq.submit(Deposit(account=f"b{i}", asset="USDT", amount=10**16))
                           for i in range(ACCOUNTS)])
    raw = bodies(n, seed=7)
    config = node.config
    parse_body = getattr(rq, "parse_body", json.loads)  # the baseline tree has no parse_body
    lags: list[float] = []
    done = False

    async def probe() -> None:
        while not done:
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - t - 0.001)

    it = iter(raw)

    async def client() -> None:
        for body in it:
            cmd = rq.place_order(config, parse_body(body))
            await seq.submit(cmd)
            node.engine.order(cmd.account, cmd.client_order_id)

    latencies: list[float] = []

    async def one(body: bytes, due: float) -> None:
        cmd = rq.place_order(config, parse_body(body))
        await seq.submit(cmd)
        node.engine.order(cmd.account, cmd.client_order_id)
        latencies.append(time.perf_counter() - due)

    async def open_loop() -> None:
        start = time.perf_counter()
        pending: set[asyncio.Task[None]] = set()
        for i, body in enumerate(raw):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0.0005:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(body, due))
            pending.add(task)
            task.add_done_callback(pending.discard)
        while pending:
            await asyncio.gather(*list(pending))

    round_trips: list[float] = []  # batch hand-off: to the writer -> the loop sees it committed
    in_thread: list[float] = []
    commit = seq._commit

    def timed_commit(applied: Any) -> Any:
        t = time.perf_counter()
        out = commit(applied)

        def seen(f: asyncio.Future[float]) -> None:
            round_trips.append(time.perf_counter() - t)
            if not f.cancelled() and f.exception() is None:
                in_thread.append(f.result())

        out[1].add_done_callback(seen)
        return out

    seq._commit = timed_commit  # type: ignore[method-assign]
    prober = asyncio.create_task(probe())
    import gc
    import resource
    gc_pauses: list[float] = []
    gc_started = [0.0]

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        else:
            gc_pauses.append(time.perf_counter() - gc_started[0])

    gc.callbacks.append(on_gc)
    threads0 = _thread_cpu()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    c0, w0 = time.process_time(), time.perf_counter()
    if rate > 0:
        await open_loop()
    else:
        await asyncio.gather(*[client() for _ in range(clients)])
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    gc.callbacks.remove(on_gc)
    threads1 = _thread_cpu()
    main_us = (threads1.get("main", 0.0) - threads0.get("main", 0.0)) / n * 1e6
    others = sum(cpu1 - threads0.get(name, 0.0) for name, cpu1 in threads1.items() if name != "main")
    others_us = others / n * 1e6
    sys_us = (ru1.ru_stime - ru0.ru_stime) / n * 1e6
    ctx_switches = (ru1.ru_nvcsw - ru0.ru_nvcsw + ru1.ru_nivcsw - ru0.ru_nivcsw) / n
    done = True
    await prober
    node.metrics.render()  # the first scrape after start-up (a cold cache)
    r0 = time.perf_counter()
    node.metrics.render()  # a steady-state scrape
    render_ms = (time.perf_counter() - r0) * 1e3
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    seq.close()
    node.leader_lock.close()
    journal.close()
    lags.sort()
    round_trips.sort()
    in_thread.sort()
    latencies.sort()
    extra = {"latency_p50_ms": latencies[len(latencies) // 2] * 1e3,
             "latency_p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3} if latencies else {}
    return {**extra, "sys_us": sys_us, "ctx_switches_per_order": ctx_switches,
            "gc_pause_max_ms": max(gc_pauses, default=0.0) * 1e3, "gc_ms_per_s": sum(gc_pauses) * 1e3 / wall,
            "main_thread_cpu_us": main_us, "other_threads_cpu_us": others_us,
            "commit_round_trip_p50_ms": round_trips[len(round_trips) // 2] * 1e3,
            "commit_round_trip_p99_ms": round_trips[int(len(round_trips) * 0.99)] * 1e3,
            "commit_in_thread_p50_ms": in_thread[len(in_thread) // 2] * 1e3,
            "batch_mean": n / max(1, len(round_trips)),
            "cpu_us": cpu / n * 1e6, "rate": n / wall, "lag_p99_ms": lags[int(len(lags) * 0.99)] * 1e3,
            "lag_max_ms": lags[-1] * 1e3, "render_ms": render_ms}


def _thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) per thread of this process (Linux /proc; {} elsewhere)."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    try:
        for tid in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
            name = "main" if int(tid) == os.getpid() else f"thread-{tid}"
            fields = stat[stat.rindex(")") + 2:].split()
            out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    except OSError:
        return {}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--durability", default="power")
    parser.add_argument("--rate", type=float, default=0.0, help="open loop at this rate (0: closed loop)")
    parser.add_argument("--switch-interval", type=float, default=0.0)
    parser.add_argument("--commit-interval-ms", type=float, default=0.0,
                        help="the engine's --commit-interval-ms (0: option not passed)")
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(_sequencer_run(args.orders, 64, args.durability, tmp, args.rate,
                                                   args.commit_interval_ms))
        print(json.dumps(result), flush=True)




if __name__ == "__main__":
    main()
