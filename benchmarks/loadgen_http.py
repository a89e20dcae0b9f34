"""HTTP/1.1 load generator for the engine's ``POST /v1/orders`` (benchmark code, one process).

A raw asyncio Protocol client on uvloop: persistent keep-alive connections, request bytes spliced
from a pool of body prefixes drawn once from a seeded RNG (account, side, price; the
client_order_id is a running number), responses framed by Content-Length, optional pipelining
``--depth`` per connection (default 1).

- ``closed``: C connections each keep ``depth`` requests in flight until the deadline -> rate
  (latency here is from the actual send time).
- ``open``: request i of process k (of P) is scheduled at ``t0 + (i*P + k) / rate`` on
  CLOCK_MONOTONIC (shared by processes, so several generators and the /metrics probe line up);
  latency = response time - scheduled time, so a stall is never hidden (no coordinated omission).
  A due request waits in a FIFO backlog while every connection has ``depth`` in flight.
  ``dispatch_lag`` (actual send - scheduled) shows whether the generator kept its own schedule.

Every result carries the generator's own CPU share (/proc/self/stat) over the measured window.
Errors: a status other than 200/400 counts in ``errors``; a connection the server closes counts its
in-flight requests in ``errors`` and is not reopened; requests unanswered 10 s (``grace``) after
the last one was due count in ``timeouts``. A malformed response raises ProtocolError (the run
fails loudly; a benchmark must not guess). Usage:
  python benchmarks/loadgen_http.py closed|open URL [--conns C] [--seconds S] [--rate R] ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from loadgen_stats import percentiles_ms
from loadgen_wire import OrderRequests, ResponseParser


class Conn(asyncio.Protocol):
    """One keep-alive connection; ``stamps`` holds, per request in flight, the time its latency
    counts from. Completed responses and a lost connection go to the driver's callbacks."""

    def __init__(self, on_response: Callable[[Conn, int, float, float], None],
                 on_lost: Callable[[Conn], None]) -> None:
        self.stamps: deque[float] = deque()
        self.parser = ResponseParser()
        self.transport: asyncio.Transport | None = None
        self._on_response = on_response
        self._on_lost = on_lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        for status in self.parser.feed(data):
            self._on_response(self, status, self.stamps.popleft(), now)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._on_lost(self)

    def send(self, request: bytes, stamp: float) -> None:
        assert self.transport is not None
        self.stamps.append(stamp)
        self.transport.write(request)


class Tally:
    """Counters and latency samples shared by both loops."""

    def __init__(self) -> None:
        self.answered = 0  # 200 or 400 (an order the engine rejected is still an answer)
        self.errors = 0
        self.statuses: dict[int, int] = {}
        self.latencies: list[float] = []
        self.last_answer = 0.0

    def record(self, status: int, latency: float, now: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status in (200, 400):
            self.answered += 1
        else:
            self.errors += 1
        self.latencies.append(latency)
        self.last_answer = now


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process from /proc/<pid>/stat (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _samples(stamps: list[float], latencies: list[float], t0: float) -> list[list[float]]:
    """(stamp - t0, latency) pairs in seconds, rounded to 10 us."""
    return [[round(s - t0, 5), round(lat, 5)] for s, lat in zip(stamps, latencies, strict=True)]


async def _connect(url: str, n: int, on_response: Callable[[Conn, int, float, float], None],
                   on_lost: Callable[[Conn], None]) -> list[Conn]:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"URL needs a host and a port: {url!r}")
    host, port = parts.hostname, parts.port
    loop = asyncio.get_running_loop()

    async def one() -> Conn:
        _, proto = await loop.create_connection(
            lambda: Conn(on_response, on_lost), host, port
        )
        return proto

    return list(await asyncio.gather(*(one() for _ in range(n))))


async def closed_loop(url: str, conns: int, depth: int, seconds: float, reqs: OrderRequests,
                      start_at: float | None = None) -> dict[str, object]:
    """Each connection keeps ``depth`` requests in flight from ``start_at`` (monotonic; default now)
    for ``seconds``; returns rate, counts, latency percentiles and own CPU share."""
    tally = Tally()
    sent_at: list[float] = []
    counter = 0
    finished = asyncio.get_running_loop().create_future()
    live: set[Conn] = set()
    deadline = float("inf")

    def settle() -> None:
        if not finished.done() and all(not c.stamps for c in live):
            finished.set_result(None)

    def on_response(conn: Conn, status: int, stamp: float, now: float) -> None:
        nonlocal counter
        sent_at.append(stamp)
        tally.record(status, now - stamp, now)
        if now < deadline:
            conn.send(reqs.build(counter), now)
            counter += 1
        elif not conn.stamps:
            settle()

    def on_lost(conn: Conn) -> None:
        tally.errors += len(conn.stamps)
        conn.stamps.clear()
        live.discard(conn)
        settle()

    live.update(await _connect(url, conns, on_response, on_lost))
    if start_at is not None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    started, cpu0 = time.monotonic(), cpu_seconds(os.getpid())
    deadline = started + seconds
    for conn in list(live):
        for _ in range(depth):
            conn.send(reqs.build(counter), started)
            counter += 1
    await asyncio.wait_for(finished, seconds + 30)
    elapsed = time.monotonic() - started
    cpu = cpu_seconds(os.getpid()) - cpu0
    for conn in live:
        assert conn.transport is not None
        conn.transport.close()
    return {
        "mode": "closed", "connections": conns, "pipeline_depth": depth, "seconds": round(elapsed, 3),
        "rate": tally.answered / elapsed, "answered": tally.answered, "errors": tally.errors,
        "statuses": tally.statuses, "loadgen_cpu_s": round(cpu, 3),
        "loadgen_cpu_share": round(cpu / elapsed, 3), **percentiles_ms(tally.latencies),
        "t0": started, "samples": _samples(sent_at, tally.latencies, started),
    }


async def open_loop(url: str, conns: int, depth: int, rate: float, seconds: float, reqs: OrderRequests,
                    t0: float | None = None, procs: int = 1, index: int = 0,
                    grace: float = 10.0, min_sleep: float = 0.001) -> dict[str, object]:
    """Requests on a fixed schedule (this process sends every ``procs``-th slot, from ``index``)
    starting at ``t0`` (monotonic; default now + 0.2 s); sleeps at least ``min_sleep`` between
    dispatches (0.001: batches of at most ~1 ms of requests, each still timed from its own slot;
    0: exact schedule, but sub-ms sleeps spin the loop at ~3x the CPU); returns
    latency from the scheduled time, the dispatch lag, achieved rate, own CPU share and the
    samples (scheduled offset, latency)."""
    tally = Tally()
    idle: deque[Conn] = deque()  # one entry per free pipeline slot
    backlog: deque[tuple[int, float]] = deque()
    sched_of: list[float] = []
    lags: list[float] = []
    outstanding = backlogged = 0
    all_done = asyncio.get_running_loop().create_future()

    def on_response(conn: Conn, status: int, stamp: float, now: float) -> None:
        nonlocal outstanding
        sched_of.append(stamp)
        tally.record(status, now - stamp, now)
        outstanding -= 1
        if backlog and conn.transport is not None:
            n, when = backlog.popleft()
            conn.send(reqs.build(n), when)
        else:
            idle.append(conn)
        if outstanding == 0 and sending_done and not all_done.done():
            all_done.set_result(None)

    def on_lost(conn: Conn) -> None:
        nonlocal outstanding
        tally.errors += len(conn.stamps)
        outstanding -= len(conn.stamps)
        conn.stamps.clear()
        while conn in idle:
            idle.remove(conn)
        if outstanding == 0 and sending_done and not all_done.done():
            all_done.set_result(None)

    sending_done = False
    for conn in await _connect(url, conns, on_response, on_lost):
        idle.extend([conn] * depth)
    start = t0 if t0 is not None else time.monotonic() + 0.2
    await asyncio.sleep(max(0.0, start - time.monotonic()))
    cpu0 = cpu_seconds(os.getpid())
    total = int(rate * seconds)
    step = 1.0 / rate
    slot = index
    n = 0
    while slot < total:
        now = time.monotonic()
        when = start + slot * step
        if when > now:
            await asyncio.sleep(max(when - now, min_sleep))
            continue
        while slot < total and start + slot * step <= now:  # everything due, in order
            when = start + slot * step
            outstanding += 1
            if idle:
                lags.append(now - when)
                idle.popleft().send(reqs.build(n), when)
            else:
                backlog.append((n, when))
                backlogged += 1
            n += 1
            slot += procs
    sending_done = True
    last_due = start + (slot - procs) * step
    if outstanding:
        try:
            await asyncio.wait_for(all_done, max(0.0, last_due + grace - time.monotonic()))
        except TimeoutError:
            pass
    end = time.monotonic()
    cpu = cpu_seconds(os.getpid()) - cpu0
    timeouts = outstanding
    answered_by = max(tally.last_answer, last_due)
    lag = percentiles_ms(lags)
    return {
        "mode": "open", "connections": conns, "pipeline_depth": depth, "rate": rate, "procs": procs,
        "seconds": round(end - start, 3),
        "requests": n, "answered": tally.answered, "errors": tally.errors, "timeouts": timeouts,
        "statuses": tally.statuses,
        "achieved_rate": round(tally.answered / max(answered_by - start, 1e-9), 1),
        "loadgen_cpu_s": round(cpu, 3), "loadgen_cpu_share": round(cpu / max(end - start, 1e-9), 3),
        "dispatch_lag_p99_ms": lag.get("p99_ms", 0.0), "dispatch_lag_max_ms": lag.get("max_ms", 0.0),
        "backlogged": backlogged,
        **percentiles_ms(tally.latencies),
        "t0": start,
        "samples": _samples(sched_of, tally.latencies, start),
    }


def positive(kind: type[int] | type[float]) -> Callable[[str], float]:
    """argparse type: a number > 0, else a clear usage error."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
        return value

    return parse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("mode", choices=["closed", "open"])
    parser.add_argument("url")
    parser.add_argument("--conns", type=positive(int), default=32)
    parser.add_argument("--depth", type=positive(int), default=1, help="requests in flight per connection")
    parser.add_argument("--seconds", type=positive(float), default=5.0)
    parser.add_argument("--rate", type=positive(float), default=1000.0,
                        help="open loop: total rate of all procs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start-id", type=int, default=0)
    parser.add_argument("--t0", type=float, help="start time on CLOCK_MONOTONIC (several processes)")
    parser.add_argument("--procs", type=positive(int), default=1,
                        help="open loop: generators sharing the schedule")
    parser.add_argument("--index", type=int, default=0, help="open loop: this generator's slot offset")
    parser.add_argument("--cpu", type=int, help="pin this process to one CPU")
    parser.add_argument("--min-sleep-ms", type=float, default=1.0,
                        help="open loop: least sleep between dispatches (0: exact schedule, ~3x the CPU)")
    parser.add_argument("--samples", action="store_true", help="include (sent or scheduled, latency) pairs")
    parser.add_argument("--out", type=Path, help="write the JSON result to this file instead of stdout")
    args = parser.parse_args(argv)
    import uvloop

    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    reqs = OrderRequests(urlsplit(args.url).netloc, args.seed, args.start_id)
    result: dict[str, object]
    if args.mode == "closed":
        result = uvloop.run(closed_loop(args.url, args.conns, args.depth, args.seconds, reqs, args.t0))
    else:
        result = uvloop.run(open_loop(args.url, args.conns, args.depth, args.rate, args.seconds, reqs,
                                      args.t0, args.procs, args.index, min_sleep=args.min_sleep_ms / 1000))
    if not args.samples:
        result.pop("samples")
    result["pinned_cpu"] = args.cpu
    if args.out is not None:  # large results: a file, not a pipe (uvloop may leave stdout non-blocking)
        args.out.write_text(json.dumps(result))
    else:
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
