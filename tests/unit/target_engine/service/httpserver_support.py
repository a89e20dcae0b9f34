"""Run the built-in HTTP server in a thread (own uvloop loop) around a test router; raw-socket client.

The server binds 127.0.0.1 port 0; ``stop()`` runs the graceful shutdown and joins the thread.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from typing import Any

import uvloop

from target_engine.service.asgi import App, Request, Response, Router
from target_engine.service.errors import ApiError, overloaded
from target_engine.service.httpserver import HttpServer
from target_engine.service.metrics import EngineMetrics


def build_router() -> Router:
    r = Router()

    async def echo(req: Request) -> Response:
        return Response(200, {"method": req.method, "path": req.path, "query": req.query,
                              "headers": req.headers, "client": req.client_host, "body": req.body.decode()})

    async def slow(req: Request) -> Response:
        await asyncio.sleep(int(req.query_one("ms") or "0") / 1000)
        return Response(200, {"tag": req.query_one("tag", required=False)})

    async def boom(_req: Request) -> Response:
        raise RuntimeError("a bug")

    async def busy(_req: Request) -> Response:
        raise overloaded()

    async def big(req: Request) -> Response:
        return Response(200, None, raw=b"x" * int(req.query_one("n") or "0"), content_type="text/plain")

    async def order(req: Request) -> Response:
        body = req.json()
        if "qty" not in body:
            raise ApiError("MISSING_FIELD", "qty is required")
        return Response(200, {"ok": True})

    r.add("GET", "/echo", echo)
    r.add("POST", "/echo", echo)
    r.add("GET", "/slow", slow)
    r.add("GET", "/boom", boom)
    r.add("GET", "/busy", busy)
    r.add("GET", "/big", big)
    r.add("POST", "/orders", order)
    return r


class ServerThread:
    def __init__(self, **options: float) -> None:
        self.app = App(build_router(), EngineMetrics("blue"))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port: int = self.sock.getsockname()[1]
        self.loop = uvloop.new_event_loop()
        self.options = options
        self.server: HttpServer | None = None
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._started.wait(10), "server did not start"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())
        self.loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        self.server = HttpServer(self.app, **self.options)
        await self.server.start(self.sock)
        self._started.set()
        await self._stop.wait()
        await self.server.shutdown()

    def connections(self) -> int:
        assert self.server is not None
        return len(self.server.connections)

    def stop(self) -> None:
        if self._thread.is_alive():
            assert self._stop is not None
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(20)
        assert not self._thread.is_alive()
        self.sock.close()

    def requests_counted(self, route: str, code: int) -> float:
        value = self.app.metrics.registry.get_sample_value(
            "engine_http_requests_total", {"color": "blue", "route": route, "code": str(code)})
        return value or 0.0


class Client:
    """A raw HTTP/1.1 client on one socket: send bytes, read framed responses."""

    def __init__(self, port: int, timeout: float = 5.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def response(self, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        """(status, headers (lower-case names), body) of the next response."""
        while b"\r\n\r\n" not in self.buf:
            assert self._fill(), f"connection closed before a response; got {self.buf!r}"
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
        n = 0 if head_only else int(headers["content-length"])
        while len(self.buf) < n:
            assert self._fill(), "connection closed inside a body"
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, headers, body

    def json(self) -> tuple[int, dict[str, str], Any]:
        status, headers, body = self.response()
        return status, headers, json.loads(body)

    def closed(self) -> bool:
        """True once the server closed the connection (EOF or reset; bounded by the socket timeout)."""
        try:
            while self._fill():
                pass
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.sock.close()


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nhost: t\r\n{extra}\r\n".encode()


def post(path: str, body: bytes, extra: str = "") -> bytes:
    return f"POST {path} HTTP/1.1\r\nhost: t\r\ncontent-length: {len(body)}\r\n{extra}\r\n".encode() + body
