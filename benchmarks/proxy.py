"""chaos-proxy figures, each measured against a direct connection in the same run.

Prints one JSON object per figure per line:
- proxy_added_latency_p50_us: small keep-alive HTTP request, p50 through the proxy minus direct;
- proxy_bulk_throughput_mb_s: one connection streaming bytes from the upstream, through the proxy;
- proxy_latency_toxic_p99_ms: 50 ms latency toxic, 100 concurrent keep-alive connections, p99.

Upstream servers (tiny HTTP responder, byte source) run in a separate process (`--serve-upstream`);
chaos-proxy runs as its own process. Everything binds 127.0.0.1 port 0 and stops at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.launcher import ChaosProxyProcess

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
REQUEST = b"GET /ping HTTP/1.1\r\nHost: bench\r\n\r\n"
BULK_BYTES = 1024 * 1024 * 1024


# -- upstream process -----------------------------------------------------------------------
class _Http(asyncio.Protocol):
    def connection_made(self, transport):  # type: ignore[no-untyped-def]
        self.t = transport
        self.buf = b""

    def data_received(self, data):  # type: ignore[no-untyped-def]
        self.buf += data
        n = self.buf.count(b"\r\n\r\n")
        if n:
            self.buf = self.buf[self.buf.rfind(b"\r\n\r\n") + 4 :]
            self.t.write(RESPONSE * n)


class _Source(asyncio.Protocol):
    def connection_made(self, transport):  # type: ignore[no-untyped-def]
        self.t = transport
        self.left = BULK_BYTES
        self.block = b"x" * (1024 * 1024)
        self.paused = False
        self._pump()

    def _pump(self) -> None:
        while self.left > 0 and not self.paused:
            self.t.write(self.block)
            self.left -= len(self.block)
        if self.left <= 0:
            self.t.close()

    def pause_writing(self):  # type: ignore[no-untyped-def]
        self.paused = True

    def resume_writing(self):  # type: ignore[no-untyped-def]
        self.paused = False
        self._pump()


async def _serve_upstream() -> None:
    loop = asyncio.get_running_loop()
    http = await loop.create_server(_Http, "127.0.0.1", 0)
    source = await loop.create_server(_Source, "127.0.0.1", 0)
    print(f"PORTS {http.sockets[0].getsockname()[1]} {source.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


# -- measurements ---------------------------------------------------------------------------
def small_request_latencies(port: int, count: int) -> list[float]:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = []
    for _ in range(count):
        start = time.perf_counter()
        sock.sendall(REQUEST)
        got = 0
        while got < len(RESPONSE):
            got += len(sock.recv(4096))
        out.append(time.perf_counter() - start)
    sock.close()
    return out


def bulk_mb_s(port: int) -> float:
    sock = socket.create_connection(("127.0.0.1", port))
    buf = bytearray(1024 * 1024)
    view = memoryview(buf)
    total = 0
    start = time.perf_counter()
    while True:
        n = sock.recv_into(view)
        if not n:
            break
        total += n
    elapsed = time.perf_counter() - start
    sock.close()
    assert total == BULK_BYTES, total
    return total / elapsed / 1e6


async def concurrent_latencies(port: int, conns: int, seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(REQUEST)
            await reader.readexactly(len(RESPONSE))
            latencies.append(time.perf_counter() - start)
        writer.close()

    await asyncio.gather(*(one() for _ in range(conns)))
    return latencies


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 1000) - 1]


def emit(figure: str, value: float, unit: str, target: str, baseline: float | None = None) -> None:
    row: dict[str, object] = {"figure": figure, "value": round(value, 3), "unit": unit, "target": target}
    row["load1"] = round(os.getloadavg()[0], 2)  # the machine is shared: context for noisy figures
    if baseline is not None:
        row["baseline"] = round(baseline, 3)
        row["ratio"] = round(value / baseline, 3) if baseline else None
    print(json.dumps(row), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve-upstream", action="store_true")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.serve_upstream:
        import uvloop

        uvloop.run(_serve_upstream())
        return 0
    upstream = subprocess.Popen(
        [sys.executable, __file__, "--serve-upstream"], stdout=subprocess.PIPE, text=True
    )
    try:
        _, http_port, source_port = upstream.stdout.readline().split()  # type: ignore[union-attr]
        with ChaosProxyProcess(seed=1) as server, ToxiproxyClient(server.url) as api:
            http_proxy = api.create_proxy("bench_http", f"127.0.0.1:{http_port}")
            bulk_proxy = api.create_proxy("bench_bulk", f"127.0.0.1:{source_port}")

            small_request_latencies(int(http_port), 500)  # warm-up
            small_request_latencies(http_proxy.listen_port, 500)
            direct = small_request_latencies(int(http_port), args.requests)
            proxied = small_request_latencies(http_proxy.listen_port, args.requests)
            d50, p50 = statistics.median(direct), statistics.median(proxied)
            emit("proxy_added_latency_p50_us", (p50 - d50) * 1e6, "us", "<=150", baseline=None)
            emit("proxy_small_request_p50_us", p50 * 1e6, "us", "info", baseline=d50 * 1e6)

            # best of 3 alternating trials: the machine is shared, contention only lowers figures
            direct_mb = proxied_mb = 0.0
            for _ in range(3):
                direct_mb = max(direct_mb, bulk_mb_s(int(source_port)))
                proxied_mb = max(proxied_mb, bulk_mb_s(bulk_proxy.listen_port))
            emit("proxy_bulk_throughput_mb_s", proxied_mb, "MB/s", ">=500", baseline=direct_mb)

            api.add_toxic("bench_http", "latency", {"latency": 50})
            import uvloop

            lat = uvloop.run(concurrent_latencies(http_proxy.listen_port, 100, args.seconds))
            emit("proxy_latency_toxic_p99_ms", p(lat, 0.99) * 1e3, "ms", "<=55", baseline=50.0)
            emit("proxy_latency_toxic_p50_ms", statistics.median(lat) * 1e3, "ms", "info", baseline=50.0)
    finally:
        upstream.terminate()
        upstream.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
