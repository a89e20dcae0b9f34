"""A tiny engine-shaped HTTP/1.1 server for load smoke tests, benchmarks and supervisor tests.

``python -m harness.load.stub_engine [--port 0] [--mode ok|overloaded|hang|bad-gateway]`` binds
127.0.0.1, prints ``LISTENING http://127.0.0.1:<port>`` (flushed) and answers keep-alive requests:
``/healthz`` always 200; ``/v1/markets/{symbol}`` a fixed mark; every other ``/v1/...`` route per
mode: ``ok`` 200 JSON, ``overloaded`` 503 ``{"code": "OVERLOADED"}``, ``hang`` never answers (the
client's timeout decides), ``bad-gateway`` 502 ``{"code": "UPSTREAM_FAILED"}``. Malformed requests
get 400 and the connection is closed. SIGTERM/SIGINT stop it with exit 0. Not the real engine: it
keeps no state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

MODES = ("ok", "overloaded", "hang", "bad-gateway")
MARKS = {"BTCUSDT": "60000.0", "ETHUSDT": "3000.00"}
MAX_BODY = 1 << 20
_REASONS = {200: "OK", 400: "Bad Request", 502: "Bad Gateway", 503: "Service Unavailable"}


def _response(status: int, body: dict[str, Any]) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


def route(mode: str, method: str, path: str) -> tuple[int, dict[str, Any]] | None:
    """The answer for one request, or None to hang."""
    bare = path.split("?", 1)[0]
    if bare == "/healthz":
        return 200, {"status": "ok"}
    if method == "GET" and bare.startswith("/v1/markets/"):
        symbol = bare.rsplit("/", 1)[-1]
        return 200, {"symbol": symbol, "mark_price": MARKS.get(symbol, "100.0")}
    if mode == "overloaded":
        return 503, {"code": "OVERLOADED", "message": "inbound queue full"}
    if mode == "bad-gateway":
        return 502, {"code": "UPSTREAM_FAILED", "message": "upstream failed"}
    if mode == "hang":
        return None
    return 200, {"status": "NEW", "path": bare}


async def _serve_connection(mode: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3:
                writer.write(_response(400, {"code": "BAD_REQUEST", "message": "bad request line"}))
                break
            length = 0
            for line in lines[1:]:
                name, _, val = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(val.strip()) if val.strip().isdigit() else -1
            if length < 0 or length > MAX_BODY:
                writer.write(_response(400, {"code": "BAD_REQUEST", "message": "bad content-length"}))
                break
            if length:
                await reader.readexactly(length)
            answer = route(mode, parts[0], parts[1])
            if answer is None:
                await reader.read()  # hang until the client gives up
                break
            writer.write(_response(*answer))
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        pass
    finally:
        writer.close()


async def serve(mode: str, port: int) -> None:
    server = await asyncio.start_server(lambda r, w: _serve_connection(mode, r, w), "127.0.0.1", port)
    bound = server.sockets[0].getsockname()[1]
    print(f"LISTENING http://127.0.0.1:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stub_engine", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=MODES, default="ok")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        pass
    asyncio.run(serve(args.mode, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
