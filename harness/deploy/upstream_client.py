"""Minimal HTTP/1.1 client for the gateway's upstream hops: keep-alive pools over raw asyncio.

Why not aiohttp: per request it built a URL, a ClientRequest, header multidicts and a response
object, which was most of the gateway's CPU per request. Here a request is one pre-joined bytes
write (method, raw target, end-to-end header bytes as received, ``Content-Length``) and the answer
is parsed by ``httptools`` (llhttp, which uvicorn uses too) straight into a status, raw header list
and body.

Resources: one :class:`UpstreamPool` per gateway, idle connections kept per ``(host, port)`` for at
most ``keepalive_timeout`` seconds (keep it below the upstream's idle timeout so a reused
connection is not one the upstream is closing) and at most ``max_connections`` connections in use
at once (callers wait for a slot within their timeout). ``close()`` closes every idle connection;
a connection in use is closed by its request when it ends in any way other than a complete,
keep-alive answer.

Errors: :class:`UpstreamError` with ``kind`` ``connect`` (nothing was sent: safe to retry),
``timeout`` or ``failed`` (sent, outcome unknown). Response ``HEAD`` bodies and ``1xx`` interim
answers are not supported: the gateway removes ``Expect`` and forwards ``HEAD`` like any method,
closing the connection after the head (see ``_Conn``).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import cast

import httptools

__all__ = ["UpstreamError", "UpstreamPool", "UpstreamResponse"]

Headers = list[tuple[bytes, bytes]]


class UpstreamError(Exception):
    """``kind``: connect (not sent) | timeout | failed (sent; outcome unknown)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class UpstreamResponse:
    status: int
    headers: Headers  # raw (name, value) pairs as received, names lower-cased
    body: bytes


class _Conn(asyncio.Protocol):
    """One upstream connection: write a request, parse one answer at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[UpstreamResponse] | None = None
        self._headers: Headers = []
        self._body: list[bytes] = []
        self._head_only = False
        self._framed = False  # Content-Length or chunked seen: EOF does not end the body
        self._headers_done = False

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass it

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for: the connection is unusable
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError("failed", f"bad response from upstream: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            if self._headers_done and not self._framed:  # body delimited by EOF
                self._finish()
            else:
                self._fail(UpstreamError("failed", "upstream closed the connection before answering"))

    # -- httptools callbacks -----------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in (b"content-length", b"transfer-encoding"):
            self._framed = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True
        if self._head_only:
            self._finish(keep=False)

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._finish(keep=self._parser.should_keep_alive())

    # -- use ---------------------------------------------------------------------------------
    def request(self, payload: bytes, head_only: bool) -> asyncio.Future[UpstreamResponse]:
        assert self.transport is not None
        self._waiter = self._loop.create_future()
        self._headers, self._body, self._headers_done = [], [], False
        self._head_only, self._framed = head_only, False
        self.transport.write(payload)
        return self._waiter

    def _finish(self, keep: bool = False) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        waiter.set_result(UpstreamResponse(self._parser.get_status_code(), self._headers,
                                           b"".join(self._body)))
        self._waiter = None
        if not keep:
            self.close()

    def expire(self, message: str) -> None:
        """The request's deadline passed: fail it with kind ``timeout`` and drop the connection."""
        self._fail(UpstreamError("timeout", message))
        self.close()

    def _fail(self, error: UpstreamError) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)
        self._waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class UpstreamPool:
    """Keep-alive connections per upstream origin; one event loop, not thread-safe."""

    def __init__(self, *, max_connections: int, connect_timeout: float, keepalive_timeout: float) -> None:
        self._idle: dict[tuple[str, int], deque[_Conn]] = {}
        self._slots = asyncio.Semaphore(max_connections)
        self._connect_timeout = connect_timeout
        self._keepalive = keepalive_timeout

    async def request(self, host: str, port: int, payload: bytes, *, timeout: float,
                      head_only: bool = False) -> UpstreamResponse:
        """Send ``payload`` (a complete HTTP/1.1 request) and return the answer; UpstreamError."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        if self._slots.locked():
            try:
                async with asyncio.timeout_at(deadline):
                    await self._slots.acquire()
            except TimeoutError:  # nothing was sent
                raise UpstreamError("connect", f"no free upstream connection within {timeout:.1f}s") from None
        else:
            await self._slots.acquire()  # free slot: returns without suspending
        try:
            conn = self._take_idle((host, port)) or await self._connect(loop, host, port, deadline)
            # One timer handle instead of an asyncio.timeout() scope: cheaper on the hot path.
            timer = loop.call_at(deadline, conn.expire, f"no complete answer within {timeout:.1f}s")
            try:
                response = await conn.request(payload, head_only)
            except UpstreamError:
                conn.close()
                raise
            except Exception as exc:  # e.g. a write on a transport closing under us
                conn.close()
                raise UpstreamError("failed", f"{type(exc).__name__}: {exc}") from None
            except BaseException:
                conn.close()  # cancelled mid-request: the connection state is unknown
                raise
            finally:
                timer.cancel()
            if not conn.closed:
                conn.idle_since = time.monotonic()
                self._idle.setdefault((host, port), deque()).append(conn)
            return response
        finally:
            self._slots.release()

    def _take_idle(self, origin: tuple[str, int]) -> _Conn | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # most recently used first: warmest, least likely to be timed out
            if not conn.closed and now - conn.idle_since < self._keepalive:
                return conn
            conn.close()
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, host: str, port: int, deadline: float) -> _Conn:
        budget = min(self._connect_timeout, max(0.0, deadline - loop.time()))
        try:
            async with asyncio.timeout(budget):
                _, conn = await loop.create_connection(lambda: _Conn(loop), host, port)
        except TimeoutError:
            message = f"connect to {host}:{port} timed out after {budget:.1f}s"
            raise UpstreamError("connect", message) from None
        except OSError as exc:
            message = f"cannot connect to {host}:{port}: {exc.strerror or exc}"
            raise UpstreamError("connect", message) from None
        return conn

    def close(self) -> None:
        for idle in self._idle.values():
            while idle:
                idle.pop().close()
        self._idle.clear()
