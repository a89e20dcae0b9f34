"""HTTP server choice for the engine: built-in (``--http-server builtin``) vs uvicorn, same engine, same load.

For each server: one ``margin-engine serve`` process (pinned to core 0 unless --no-pin; journal in
a temp dir, ``--durability process`` so fsync noise does not hide the HTTP cost), the load from a
separate process (``--loadgen``; pinned to core 1): a closed loop on C keep-alive connections over
raw asyncio sockets (uvloop), for ``GET /healthz`` and then ``POST /v1/orders`` (limit orders around
60,000 on 200 funded accounts, about half crossing), then the same orders paced at a fixed rate
(``--fixed-rate``, default 2000/s: CPU per order at equal load; per-batch journal costs dominate
there, so it says less about the HTTP server than the closed loop). Figures: requests/s, and the
engine's CPU time per request (user+system of all its threads from /proc/PID/stat over the measured
window), for the builtin server with uvicorn as the baseline measured in the same run (rounds
alternate the order; medians over rounds). Closed-loop p99 is informational (64 requests in flight).

The machine is shared: every row carries the 1-minute load average at its start.
Usage: python benchmarks/engine_http_server.py [--seconds S] [--conns C] [--rounds R] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling modules

from bench_common import cpu_seconds, emit  # noqa: E402

ACCOUNTS = 200
SERVERS = ("uvicorn", "builtin")


def pin(pid: int, core: int | None) -> None:
    if core is not None and core < (os.cpu_count() or 1):
        os.sched_setaffinity(pid, {core})


# ----------------------------------------------------------------------------- load generator
def _request(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nhost: bench\r\n"
    if body:
        head += f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _order(rng: random.Random, n: int) -> bytes:
    side = "BUY" if rng.random() < 0.5 else "SELL"
    price = 60_000 + rng.randint(-20, 20) * 10
    body = {
        "account": f"b{rng.randrange(ACCOUNTS)}",
        "symbol": "BTCUSDT",
        "side": side,
        "type": "LIMIT",
        "qty": "0.002",
        "price": str(price),
        "time_in_force": "GTC",
        "client_order_id": f"c{n}",
    }
    return _request("POST", "/v1/orders", json.dumps(body).encode())


async def _closed_loop(
    host: str, port: int, kind: str, conns: int, seconds: float, start_id: int, rate: float = 0.0
) -> dict[str, float]:
    """Each connection sends its next request when the answer arrived (``rate`` > 0: and not before
    its next slot on a fixed clock, ``conns / rate`` apart, so the engine sees a fixed rate)."""
    rng = random.Random(start_id)
    counter = iter(range(start_id, start_id + 10**9))
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    health = _request("GET", "/healthz")
    deadline = time.perf_counter() + seconds

    async def worker(slot: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        interval = conns / rate if rate > 0 else 0.0
        next_at = time.perf_counter() + interval * slot / conns
        try:
            while time.perf_counter() < deadline:
                if interval:
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                    next_at += interval
                req = health if kind == "healthz" else _order(rng, next(counter))  # orders, orders_fixed
                t0 = time.perf_counter()
                writer.write(req)
                head = await reader.readuntil(b"\r\n\r\n")
                i = head.index(b"content-length:") + 15
                await reader.readexactly(int(head[i : head.index(b"\r\n", i)]))
                latencies.append(time.perf_counter() - t0)
                status = int(head[9:12])
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(conns)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    done = len(latencies)
    return {
        "rate": done / elapsed,
        "answered": done,
        "seconds": elapsed,
        "p50_ms": latencies[done // 2] * 1e3 if done else 0.0,
        "p99_ms": latencies[min(done - 1, int(done * 0.99))] * 1e3 if done else 0.0,
        "non_2xx_4xx": sum(v for k, v in statuses.items() if k >= 500),
    }


def loadgen_main(argv: list[str]) -> None:
    url, kind, conns, seconds, start_id = argv[0], argv[1], int(argv[2]), float(argv[3]), int(argv[4])
    rate = float(argv[5])
    host, port = url.removeprefix("http://").rsplit(":", 1)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(_closed_loop(host, int(port), kind, conns, seconds, start_id, rate))))


# ----------------------------------------------------------------------------- driver
def _start_engine(server: str, tmp: Path, core: int | None) -> tuple[subprocess.Popen[str], str]:
    argv = [
        sys.executable,
        "-m",
        "target_engine.service",
        "serve",
        "--journal",
        str(tmp / f"{server}.sqlite"),
        "--role",
        "leader",
        "--port",
        "0",
        "--durability",
        "process",
        "--inbound-limit",
        "20000",
        "--margin-queue-limit",
        "100000",
        "--http-server",
        server,
    ]
    with (tmp / f"{server}.log").open("a") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("LISTENING "):
        proc.kill()
        raise SystemExit(f"engine did not start: {line!r}; see {tmp}/{server}.log")
    pin(proc.pid, core)
    url = line.split()[1]
    import httpx

    with httpx.Client(base_url=url, timeout=10) as c:
        assert c.put("/admin/index-price", json={"symbol": "BTCUSDT", "price": "60000"}).status_code == 200
        for i in range(ACCOUNTS):
            c.post(f"/v1/accounts/b{i}/deposits", json={"asset": "USDT", "amount": "100000000"})
    return proc, url


def _load(
    url: str,
    kind: str,
    conns: int,
    seconds: float,
    start_id: int,
    engine_pid: int,
    core: int | None,
    rate: float = 0.0,
) -> dict[str, float]:
    argv = [
        sys.executable,
        __file__,
        "--loadgen",
        url,
        kind,
        str(conns),
        str(seconds),
        str(start_id),
        str(rate),
    ]
    cpu0 = cpu_seconds(engine_pid)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    pin(proc.pid, core)
    out, _ = proc.communicate(timeout=seconds + 60)
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["cpu_us_per_request"] = (cpu_seconds(engine_pid) - cpu0) / max(1, result["answered"]) * 1e6
    return result


def run(args: argparse.Namespace) -> None:
    engine_core, load_core = (None, None) if args.no_pin else (0, 1)
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    start_id = 0
    with tempfile.TemporaryDirectory(prefix="http-server-bench-") as d:
        for rnd in range(args.rounds):
            for server in SERVERS if rnd % 2 == 0 else tuple(reversed(SERVERS)):
                tmp = Path(d) / f"r{rnd}"
                tmp.mkdir(exist_ok=True)
                proc, url = _start_engine(server, tmp, engine_core)
                try:
                    for kind in ("healthz", "orders", "orders_fixed"):
                        start_id += 10**7
                        rate = args.fixed_rate if kind == "orders_fixed" else 0.0
                        r = _load(url, kind, args.conns, args.seconds, start_id, proc.pid, load_core, rate)
                        results.setdefault((server, kind), []).append(r)
                        print(
                            json.dumps(
                                {
                                    "round": rnd,
                                    "server": server,
                                    "kind": kind,
                                    **{k: round(v, 3) for k, v in r.items()},
                                }
                            ),
                            file=sys.stderr,
                        )
                finally:
                    proc.terminate()
                    proc.wait(30)
    for kind, unit, target in (
        ("healthz", "req/s", None),
        ("orders", "orders/s", 5000.0),
        ("orders_fixed", "orders/s", args.fixed_rate),
    ):
        for key, figure, funit, better_low in (
            ("rate", f"http_server_{kind}_rate", unit, False),
            ("cpu_us_per_request", f"http_server_{kind}_cpu_us", "us/req", True),
        ):
            base = statistics.median(r[key] for r in results[("uvicorn", kind)])
            value = statistics.median(r[key] for r in results[("builtin", kind)])
            emit(
                figure,
                value,
                funit,
                target if not better_low else None,
                server="builtin",
                baseline=round(base, 3),
                baseline_server="uvicorn",
                ratio=round(value / base, 3) if base else None,
                lower_is_better=better_low,
                conns=args.conns,
                seconds=args.seconds,
                rounds=args.rounds,
            )
        for server in SERVERS:
            emit(
                f"http_server_{kind}_p99_closed_loop",
                statistics.median(r["p99_ms"] for r in results[(server, kind)]),
                "ms",
                None,
                server=server,
                conns=args.conns,
            )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--loadgen":
        loadgen_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--fixed-rate",
        type=float,
        default=2000.0,
        help="orders/s of the fixed-rate load (CPU per order at equal load)",
    )
    ap.add_argument(
        "--no-pin", action="store_true", help="do not pin the engine to core 0 and the load to core 1"
    )
    ap.add_argument("--quick", action="store_true", help="3 s per load, one round")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.rounds = 3.0, 1
    run(args)


if __name__ == "__main__":
    main()
