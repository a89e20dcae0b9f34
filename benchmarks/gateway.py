"""Gateway figures: throughput and added latency through the gateway vs straight to the upstream.

Upstream: a raw-ASGI uvicorn app answering a small JSON body (subprocess). Gateway: the real
``python -m harness.deploy.gateway`` subprocess. Load: aiohttp client in this process. Prints one
JSON object per figure per line. Noisy on a shared 2-core machine (load, gateway and upstream
compete for the same cores).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import threading
import time

import aiohttp

UPSTREAM_SRC = r'''
import socket, sys, uvicorn
BODY = b'{"seq":1,"status":"ok"}'
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]})
    await send({"type": "http.response.body", "body": BODY})
sock = socket.socket(); sock.bind(("127.0.0.1", 0)); sock.listen(1024)
print("LISTENING http://127.0.0.1:%d" % sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")).run(sockets=[sock])
'''


def start(cmd: list[str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(30)
    if not line or not line[0].startswith("LISTENING "):
        proc.kill()
        raise RuntimeError(f"did not start: {cmd}")
    return proc, line[0].split()[1]


async def latency(url: str, n: int) -> list[float]:
    async with aiohttp.ClientSession() as session:
        for _ in range(50):  # warm up the connection
            async with session.get(url + "/v1/state") as r:
                await r.read()
        samples = []
        for _ in range(n):
            t0 = time.perf_counter()
            async with session.get(url + "/v1/state") as r:
                await r.read()
            samples.append(time.perf_counter() - t0)
        return samples


async def throughput(url: str, concurrency: int, seconds: float) -> float:
    done = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.get(url + "/v1/state") as r:
                    await r.read()
                done += 1
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - t0)


def emit(figure: str, value: float, unit: str, target: object = None, **extra: object) -> None:
    print(json.dumps({"figure": figure, "value": round(value, 3), "unit": unit, "target": target, **extra}))


def main() -> None:
    upstream, up_url = start([sys.executable, "-c", UPSTREAM_SRC])
    gateway, gw_url = start([sys.executable, "-m", "harness.deploy.gateway",
                             "--upstream", f"blue={up_url}", "--active", "blue"])
    try:
        direct = statistics.median(asyncio.run(latency(up_url, 2000)))
        through = statistics.median(asyncio.run(latency(gw_url, 2000)))
        emit("gateway_added_latency_p50", (through - direct) * 1e6, "us", None,
             baseline=round(direct * 1e6, 1), note="median per small request, 1 connection")
        base_rps = asyncio.run(throughput(up_url, 32, 4.0))
        gw_rps = asyncio.run(throughput(gw_url, 32, 4.0))
        emit("gateway_throughput", gw_rps, "req/s", None, baseline=round(base_rps, 1),
             ratio=round(gw_rps / base_rps, 3), note="32 keep-alive connections, shared 2-core machine")
    finally:
        for proc in (gateway, upstream):
            proc.terminate()
            proc.wait(15)


if __name__ == "__main__":
    main()
