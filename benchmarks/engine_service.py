"""Engine-service figures (JSON lines: {"figure","value","unit","target",...}).

1. Orders/s over HTTP into one engine process and p99 at 80 % of it: benchmarks/engine_http_bench.py
   (load from benchmarks/loadgen_http.py processes on the other core; closed loop at 16/64/256
   connections -> max; then ``--rounds`` open loops, each at 80 % of a closed loop at the best
   connection count run just before it, latency from the scheduled time -> p50..p99.9; the
   figure is the median round's p99, every round listed: the host's speed drifts by tens of
   percent within minutes, so one open loop at 80 % of a rate measured earlier can run at 100 %
   of what the host gives now; /metrics scraped every 250 ms throughout).
   Run for ``--durability process`` (survives a process crash) and ``power`` (the engine's
   default: fsync per commit, survives any crash), and for ``--http-server`` (default: the
   engine's default server; ``both``: builtin, with uvicorn measured in the same run as the
   baseline). First, the generator's own ceiling against a server that only answers 200
   (benchmarks/loadgen_sink.py) -> ``loadgen_http_capacity_per_s``; then 20 s of
   benchmarks/host_speed.py on the engine's CPU -> ``host_cpu_speed_spread`` (how far this host's
   speed moved in 2 s windows; above 1.25, 80 % of a maximum can be all of a slow window's capacity).
   Beside each engine, benchmarks/reference_http.py: a round after each engine round, the same closed
   and open loops against a server whose every request costs about what an order cost the engine in
   its closed loop, and nothing else -> ``reference_http_p99_ms_at_80pct``, this host's part of the
   p99 figure; the engine's p99 rows carry it as ``reference_p99_ms`` with ``ratio_to_reference``.
2. Replay: a journal of N commands (deposits, limit/market orders, cancels, index ticks) written
   with its events through the real journal, then ``recover`` from seq 0 (every command
   re-executed, no snapshot) in 3 fresh processes -> the median's commands/s, and per CPU-second.
3. Failover: blue leader + green standby on one journal; SIGKILL blue; time until green answers a
   write with 200 -> p50 (and max) over R runs. The standby sees the leader's file lock freed by the
   kernel at once (no lease wait; the 3 s time lease only covers a hung leader).
(Durable commands/s through group commit alone: benchmarks/engine_journal.py.)

The machine is shared (2 cores, other helpers' work running): every row carries the 1-minute load
average at its start. Usage: python benchmarks/engine_service.py [--quick]
[--only http|loadgen|replay|failover] [--durability process|power|both]
[--http-server builtin|uvicorn|both] [--pipeline-depth N] [--loadgen-procs N] [--rounds N] [--no-pin]
``--loadgen closed|open URL ...`` runs one load generator (benchmarks/loadgen_http.py) directly.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(Path(__file__).resolve().parent))  # sibling modules when imported

from bench_common import emit, engine_argv, http  # noqa: E402
from bench_common import start as launch  # noqa: E402
from bench_probes import ENGINE_CPU, can_pin  # noqa: E402
from engine_http_bench import (  # noqa: E402
    HttpPlan,
    bench_http,
    bench_loadgen_capacity,
    emit_http,
    http_server_choices,
)
from host_speed import emit_spread, host_spread  # noqa: E402
from loadgen_http import positive  # noqa: E402
from reference_http import Reference, emit_reference  # noqa: E402


def build_journal(path: Path, n: int, seed: int) -> None:
    """N commands through the real engine and journal writer, in batches of 512 (as the sequencer does)."""
    from target_engine.config.loader import load_config_dict
    from target_engine.domain import (
        CancelOrder,
        Command,
        Deposit,
        Engine,
        IndexTick,
        OrderType,
        PlaceOrder,
        Side,
        command_to_dict,
        event_to_dict,
        with_sequence,
    )
    from target_engine.journal import CommandRow, EventRow, Journal, canonical_json
    from target_engine.service.recovery import service_config

    raw = load_config_dict(None)
    engine = Engine(service_config(raw))
    journal = Journal(path, engine_config_json=json.dumps(raw, sort_keys=True))
    epoch = journal.acquire("blue", 600_000, 1_700_000_000_000)
    rng = random.Random(seed)
    cmds: list[Command] = [IndexTick(symbol="BTCUSDT", price=60_000 * 10_000)]
    cmds += [Deposit(account=f"r{i}", asset="USDT", amount=10**8 * 10**8) for i in range(500)]
    open_ids: list[tuple[str, str]] = []
    while len(cmds) < n:
        roll = rng.random()
        if roll < 0.15 and open_ids:
            acct, cid = open_ids.pop(rng.randrange(len(open_ids)))
            cmds.append(CancelOrder(account=acct, client_order_id=cid))
        elif roll < 0.16:
            cmds.append(IndexTick(symbol="BTCUSDT", price=(60_000 + rng.randint(-50, 50)) * 10_000))
        else:
            acct, cid = f"r{rng.randrange(500)}", f"c{len(cmds)}"
            market = roll > 0.9
            cmds.append(
                PlaceOrder(
                    account=acct,
                    symbol="BTCUSDT",
                    side=Side.BUY if rng.random() < 0.5 else Side.SELL,
                    order_type=OrderType.MARKET if market else OrderType.LIMIT,
                    qty=2_000,
                    price=None if market else (60_000 + rng.randint(-20, 20) * 10) * 10_000,
                    client_order_id=cid,
                )
            )
            if not market:
                open_ids.append((acct, cid))
    ts = 1_700_000_000_000
    for start in range(0, len(cmds), 512):
        rows, events = [], []
        ts += 5
        for seq0, cmd in enumerate(cmds[start : start + 512], start=start + 1):
            stamped = with_sequence(cmd, seq0, ts)
            d = command_to_dict(stamped)
            rows.append(CommandRow(seq0, epoch, ts, d["type"], canonical_json(d)))
            for idx, ev in enumerate(engine.apply(stamped)):
                ed = event_to_dict(ev)
                events.append(EventRow(seq0, idx, ed["type"], canonical_json(ed)))
        journal.append_batch(epoch, rows, events)
    journal.close()


def replay_once(path: Path) -> None:
    """Child: one full replay of ``path``; prints ``{"commands", "wall_s", "cpu_s"}``."""
    from target_engine.journal import connect
    from target_engine.service.recovery import journal_config, recover

    conn = connect(path, readonly=True)
    config = journal_config(conn)
    started, cpu0 = time.perf_counter(), time.process_time()
    rec = recover(conn, config, use_snapshot=False)
    print(json.dumps({"commands": rec.last_seq, "wall_s": time.perf_counter() - started,
                      "cpu_s": time.process_time() - cpu0}))


def bench_replay(tmp: Path, n: int, runs: int = 3) -> None:
    """The median of ``runs`` full replays of one journal, each in a fresh process as an engine
    replays at start-up (in the process that built the journal, the builder's leftover heap made
    replay 15-25 % slower). The host's speed drifts between runs; every run is listed."""
    path = tmp / "replay.sqlite"
    build_journal(path, n, seed=7)
    results = []
    for _ in range(runs):
        done = subprocess.run([sys.executable, __file__, "--replay-child", str(path)],
                              capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout.splitlines()[-1]))
    results.sort(key=lambda r: float(r["wall_s"]))
    median = results[len(results) // 2]
    commands = int(median["commands"])
    emit(
        "engine_replay_commands_per_s",
        commands / float(median["wall_s"]),
        "commands/s",
        100_000,
        what=f"median of {runs} replays of the whole journal, each in a fresh process",
        commands=commands,
        seconds=round(float(median["wall_s"]), 3),
        commands_per_cpu_s=round(commands / float(median["cpu_s"])),
        runs_commands_per_s=[round(commands / float(r["wall_s"])) for r in results],
    )


def failover_times(tmp: Path, runs: int, tag: str, *extra: str) -> list[float]:
    """SIGKILL the blue leader R times; seconds until the green standby answers a write with 200."""
    times: list[float] = []
    for r in range(runs):
        journal = tmp / f"fo{tag}{r}.sqlite"
        blue, burl = launch(engine_argv(journal, "blue", "leader", *extra), tmp / f"fo{tag}{r}-blue.log")
        green, gurl = launch(engine_argv(journal, "green", "standby", *extra), tmp / f"fo{tag}{r}-green.log")
        assert http("POST", burl + "/v1/accounts/f/deposits", {"asset": "USDT", "amount": "1"}) == 200
        deadline = time.monotonic() + 10
        while http("GET", gurl + "/readyz") != 200 and time.monotonic() < deadline:
            time.sleep(0.01)
        killed = time.perf_counter()
        blue.kill()
        blue.wait(10)
        while time.perf_counter() - killed < 30:
            if (
                http("POST", gurl + "/v1/accounts/f/deposits", {"asset": "USDT", "amount": "1"}, timeout=1.0)
                == 200
            ):
                break
            time.sleep(0.005)
        times.append(time.perf_counter() - killed)
        green.terminate()
        green.wait(20)
    return sorted(times)


def bench_failover(tmp: Path, runs: int) -> None:
    """Default settings (leader lock + 3 s time lease) against the old lease-only behaviour
    (600 ms lease, lock ignored via an unreachable grace), measured in the same run."""
    times = failover_times(tmp, runs, "lock")
    base = failover_times(tmp, runs, "lease", "--lease-ms", "600", "--lock-grace-ms", str(10**9))
    p50, base_p50 = times[len(times) // 2], base[len(base) // 2]
    emit(
        "engine_failover_seconds_p50",
        p50,
        "s",
        1.0,
        runs=runs,
        max_s=round(times[-1], 3),
        min_s=round(times[0], 3),
        lease_ms=3000,
        lock_grace_ms=100,
        baseline=round(base_p50, 3),
        baseline_what="lease only, 600 ms (before the leader lock)",
        ratio=round(p50 / base_p50, 3),
    )


def http_plan(args: argparse.Namespace) -> HttpPlan:
    return HttpPlan(
        seconds=1.5 if args.quick else 8.0,
        warmup_s=0.5 if args.quick else 2.0,
        connections=(64, 256) if args.quick else (16, 64, 256),
        depth=args.pipeline_depth,
        procs=args.loadgen_procs,
        min_sleep_ms=args.min_sleep_ms,
        pin=not args.no_pin,
        rounds=args.rounds or (1 if args.quick else 3),
    )


def host_check(seconds: float, pin: bool) -> None:
    """The host's speed spread on the engine's CPU before any HTTP figure (host_speed.py): whether
    this machine holds one speed long enough for a figure at 80 % of a maximum to mean anything."""
    pinned = pin and can_pin()
    saved = os.sched_getaffinity(0) if pinned else set()
    if pinned:
        os.sched_setaffinity(0, {ENGINE_CPU})
    try:
        found = host_spread(seconds)
    finally:
        if pinned:
            os.sched_setaffinity(0, saved)
    emit_spread(found, cpu=ENGINE_CPU if pinned else None, seconds=seconds,
                when="just before the HTTP figures, machine otherwise idle")


def run_http(tmp: Path, args: argparse.Namespace) -> None:
    """HTTP rows per durability; with ``--http-server both`` builtin is the figure and uvicorn, run
    first on its own engine, its baseline (rows suffixed ``_uvicorn``). Beside each engine, the
    reference server (reference_http.py) at that engine's closed-loop CPU per order, a round after
    each engine round: the p99 rows carry its p99 at 80 % and their ratio to it."""
    plan = http_plan(args)
    host_check(5.0 if args.quick else 20.0, plan.pin)
    choices = http_server_choices()
    if args.http_server and not choices:
        raise SystemExit("this engine has no --http-server option (only its default server)")
    durabilities = {"both": ("process", "power"), None: ("power",) if args.quick else ("process", "power")}
    pinned = plan.pin and can_pin()

    def measure(durability: str, server: str | None, suffix: str,
                baseline: dict[str, object] | None = None) -> dict[str, object]:
        reference = Reference(tmp, plan, pinned)
        try:
            res = bench_http(tmp, plan, durability, server, beside=reference)
            found = reference.finish()
        finally:
            reference.stop()
        emit_reference(found, suffix)
        emit_http(res, suffix, baseline=baseline, reference=found)
        return res

    for durability in durabilities.get(args.durability, (args.durability,)):
        suffix = "" if durability == "process" else "_power"
        if args.http_server == "both":
            base = measure(durability, "uvicorn", suffix + "_uvicorn")
            measure(durability, "builtin", suffix, baseline=base)
        else:
            measure(durability, args.http_server, suffix)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--replay-child":
        replay_once(Path(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--loadgen":  # one generator (as /tmp/prof_http.sh uses)
        from loadgen_http import main as loadgen_main

        loadgen_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smoke test: under a minute")
    parser.add_argument("--only", choices=["http", "loadgen", "replay", "failover"],
                        help="loadgen: the load generator's own capacity against a trivial server")
    parser.add_argument("--durability", choices=["process", "power", "both"],
                        help="journal durability of the HTTP figures' engine (default: both in turn; "
                        "--quick: power)")
    parser.add_argument("--http-server", choices=["builtin", "uvicorn", "both"],
                        help="default: the engine's default; both: builtin with uvicorn as baseline")
    parser.add_argument("--pipeline-depth", type=positive(int), default=1,
                        help="requests in flight per connection")
    parser.add_argument("--loadgen-procs", type=positive(int), default=1,
                        help="load generator processes (all on the load CPU)")
    parser.add_argument("--min-sleep-ms", type=float, default=1.0,
                        help="open loop: least sleep between dispatches (0: exact schedule, ~3x loadgen CPU)")
    parser.add_argument("--rounds", type=positive(int), default=None,
                        help="open loops at 80 %%, each after its own closed loop; the figure is their "
                        "median p99 (default 3, --quick 1)")
    parser.add_argument("--no-pin", action="store_true", help="leave CPU placement to the scheduler")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.only in (None, "loadgen", "http"):
            bench_loadgen_capacity(tmp, http_plan(args))
        if args.only in (None, "http"):
            run_http(tmp, args)
        if args.only in (None, "replay"):
            bench_replay(tmp, 20_000 if args.quick else 100_000)
        if args.only in (None, "failover"):
            bench_failover(tmp, 3 if args.quick else 10)


if __name__ == "__main__":
    main()
