"""The engine's built-in HTTP/1.1 server: ``App.dispatch`` over asyncio protocols (uvloop + httptools).

Chosen by measurement over uvicorn (benchmarks/engine_http_server.py: about half the engine CPU
per /healthz request): per request it skips ASGI's scope dict, receive/send coroutines and message
dicts, the proxy-headers middleware and the second write; each response is one ``transport.write``.
What is left is mostly the two syscalls (recv, send) per request. A dispatch task still runs per
burst of requests on a connection: an order always waits for the sequencer's group commit, so an
inline fast path would only help the GET routes. Wire behaviour: ``target_engine.service.httpconn``.

Resources and errors:
- Serves on a socket bound (and listening) before start, so port 0 works; the caller closes it.
- One sweep task (every ``SWEEP_S``) closes connections past their deadline: idle keep-alive
  (``keepalive_s``, 5 s like uvicorn) or reading one request too slowly (``read_timeout_s``).
- ``shutdown``: stop accepting, close idle connections, let in-flight requests finish for up to
  ``grace_s`` (10 s like uvicorn's graceful timeout), then abort the rest. Never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

from target_engine.service.asgi import App
from target_engine.service.httpconn import HttpConnection

log = logging.getLogger("target_engine.service.http")
SWEEP_S = 0.25


class HttpServer:
    """Built inside the running event loop (it keeps a reference to it)."""

    def __init__(self, app: App, *, keepalive_s: float = 5.0, read_timeout_s: float = 10.0,
                 grace_s: float = 10.0) -> None:
        self.app = app
        self.keepalive_s = keepalive_s
        self.read_timeout_s = read_timeout_s
        self.grace_s = grace_s
        self.loop = asyncio.get_running_loop()
        self.connections: set[HttpConnection] = set()
        self._server: asyncio.AbstractServer | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self, sock: socket.socket) -> None:
        """Accept connections on ``sock`` (bound and listening); returns once accepting."""
        self._server = await self.loop.create_server(lambda: HttpConnection(self), sock=sock)
        self._sweeper = self.loop.create_task(self._sweep())

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            now = self.loop.time()
            for conn in [c for c in self.connections if c.deadline and c.deadline < now]:
                conn.timed_out()

    async def shutdown(self) -> None:
        """Graceful stop (see the module docstring)."""
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.shutdown()
        deadline = self.loop.time() + self.grace_s
        while self.connections and self.loop.time() < deadline:
            if all(c.idle for c in self.connections):
                for conn in list(self.connections):
                    conn.close()
            await asyncio.sleep(0.01)
        if self.connections:
            log.warning("%d HTTP connections still busy after %.0f s: closing them",
                        len(self.connections), self.grace_s)
            for conn in list(self.connections):
                conn.abort()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
