"""One HTTP/1.1 connection of the built-in server: httptools parsing, in-order answers, flow control.

Resources and errors:
- Requests are parsed by ``httptools.HttpRequestParser`` into a per-connection queue; one worker
  task per connection answers them strictly in order (pipelining), each response in one
  ``transport.write``. Past ``MAX_PIPELINE`` queued requests reading pauses until the queue drains.
- ``pause_writing``/``resume_writing`` are honoured: the worker waits before writing more.
- Bodies over ``MAX_BODY`` (declared or chunked) are answered 413 by the request core (after
  routing, as on the ASGI path); malformed requests 400 ``BAD_REQUEST``; Upgrade/CONNECT 400; a
  request head over ``MAX_HEAD`` 431. Then the connection stops parsing and reading until that answer
  is written, half-closes and discards what the client still sends (at most ``LINGER_BYTES``, for at
  most ``LINGER_S``: the client reads the answer instead of a reset), then closes.
- A client that disconnects at any point is not an error: queued requests not started are dropped,
  the one in progress finishes (an order in the sequencer is executed and journaled) and its answer
  is discarded; nothing is logged above debug.
- Timeouts (idle keep-alive, reading one request) are enforced by the server's sweep through
  ``deadline`` (loop time; 0 = none), so no timer is armed per request.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from collections import deque
from typing import TYPE_CHECKING, cast

import httptools

from target_engine.service.asgi import MAX_BODY, App, Reply
from target_engine.service.httpwire import (
    CONTINUE,
    HEAD_TOO_LARGE,
    MALFORMED,
    UPGRADE,
    Close,
    WireError,
    forwarded_client,
    render,
)

if TYPE_CHECKING:
    from target_engine.service.httpserver import HttpServer

log = logging.getLogger("target_engine.service.http")
MAX_HEAD = 64 * 1024
MAX_PIPELINE = 32
LINGER_S = 1.0
LINGER_BYTES = 1 << 20
_TRUSTED = frozenset({"127.0.0.1"})

# A queued request: method, path, raw query, headers, body (None: over MAX_BODY), connection fate.
# A queued refusal: (WireError,).
_Request = tuple[str, str, bytes, dict[str, str], bytes | None, Close]


class HttpConnection(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.app: App = server.app
        self.loop = server.loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer = ""
        self.queue: deque[_Request | tuple[WireError]] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.deadline = 0.0  # loop time after which the sweep closes this connection; 0 = none
        self.reading = False  # part of a request has arrived
        self.discarding = False  # parsing stopped (refused request or close requested): drop input
        self.closing = False  # close once the queue is answered (shutdown)
        self.read_paused = False
        self.write_paused = False
        self.drained: asyncio.Future[None] | None = None
        self.lingered = 0
        self.lingering = False  # half-closed after the last answer
        self._url = b""
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0
        self._head = 0
        self._queued = False  # the request being parsed is already queued (refused early)

    # ----------------------------------------------------------------- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's transports do not subclass it
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else ""
        self.deadline = self.loop.time() + self.server.keepalive_s
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        log.debug("connection from %s lost: %s", self.peer, exc)
        self.server.connections.discard(self)
        self.transport = None
        self.queue.clear()
        self.deadline = 0.0
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self.discarding:
            if not self.lingering:  # the last answer is not written yet: hold the client back meanwhile
                self._pause_reading()
                return
            self.lingered += len(data)
            if self.lingered > LINGER_BYTES:
                self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(UPGRADE)
        except Exception as exc:  # HttpParserError, or a callback's error: the request is malformed
            log.debug("malformed request from %s: %s", self.peer, exc)
            self._refuse(MALFORMED)
        else:
            if self._head > MAX_HEAD and not self._queued:
                self._refuse(HEAD_TOO_LARGE)

    def eof_received(self) -> bool | None:
        return None  # close our side too (answers already queued are lost with the client)

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    # ----------------------------------------------------------------- httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._body = []
        self._size = 0
        self._head = 0
        self._queued = False
        self.reading = True
        self.deadline = self.loop.time() + self.server.read_timeout_s

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head += len(name) + len(value)
        if self._head <= MAX_HEAD:
            self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        if self._head > MAX_HEAD:
            self._refuse(HEAD_TOO_LARGE)
        elif self.parser.should_upgrade():
            self._refuse(UPGRADE)
        else:
            declared = self._headers.get("content-length")
            if declared is not None and int(declared) > MAX_BODY:  # llhttp checked it is digits
                self._push(None)
            elif (self._headers.get("expect", "").lower() == "100-continue" and not self.queue
                  and self.worker is None and self.transport is not None):
                self.transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._queued:
            return
        self._size += len(body)
        if self._size > MAX_BODY:
            self._push(None)
        else:
            self._body.append(body)

    def on_message_complete(self) -> None:
        self.reading = False
        if not self._queued:
            body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            self._push(body)

    # ----------------------------------------------------------------- queue and answers
    def _push(self, body: bytes | None) -> None:
        """Queue the request being parsed (body None: too large, and stop parsing after it)."""
        self._queued = True
        self.deadline = 0.0
        try:
            parsed = httptools.parse_url(self._url)
            path = parsed.path.decode("ascii")
        except (httptools.HttpParserInvalidURLError, UnicodeDecodeError):
            self._refuse(MALFORMED)
            return
        if "%" in path:
            path = urllib.parse.unquote(path)
        if body is None or self.closing:
            fate = Close.CLOSE
        elif self.parser.should_keep_alive():
            fate = Close.KEEP if self.parser.get_http_version() == "1.1" else Close.KEEP_10
        else:
            fate = Close.CLOSE
        method = self.parser.get_method().decode("ascii")
        self.queue.append((method, path, parsed.query or b"", self._headers, body, fate))
        if fate is Close.CLOSE:
            self.discarding = True
        self._kick()

    def _refuse(self, error: WireError) -> None:
        """Queue a refusal (answered in order, then the connection closes) and stop parsing."""
        if self.discarding:
            return
        self._queued = True
        self.discarding = True
        self.reading = False
        self.deadline = 0.0
        self.queue.append((error,))
        self._kick()

    def _kick(self) -> None:
        if self.worker is None:
            self.worker = self.loop.create_task(self._answer_queue())
        elif len(self.queue) >= MAX_PIPELINE:
            self._pause_reading()

    def _pause_reading(self) -> None:
        if not self.read_paused and self.transport is not None:
            self.read_paused = True
            self.transport.pause_reading()

    async def _answer_queue(self) -> None:
        try:
            await self._answer_all()
        except Exception:  # a bug here must not leave the connection hanging or kill the server
            log.exception("HTTP connection from %s failed", self.peer)
            if self.transport is not None:
                self.transport.abort()
        finally:
            self.worker = None
            if self.transport is not None and not self.queue:
                if self.closing and not self.lingering:
                    self.close()
                elif not self.reading:
                    self.deadline = self.loop.time() + self.server.keepalive_s

    async def _answer_all(self) -> None:
        while self.queue and self.transport is not None:
            item = self.queue[0]
            if len(item) == 1:
                reply, fate, head_only = item[0].reply(), Close.CLOSE, False
            else:
                method, path, query, headers, body, fate = item
                client = self.peer
                if "x-forwarded-for" in headers:
                    client = forwarded_client(client, headers["x-forwarded-for"], _TRUSTED)
                reply = await self.app.dispatch(method, path, query, headers, body, client_host=client)
                head_only = method == "HEAD"
            if self.write_paused and self.transport is not None:
                self.drained = self.loop.create_future()
                await self.drained
            if self.transport is None:
                return  # the client left: its answers are dropped
            self.queue.popleft()
            self._write(reply, fate, head_only)
            if (self.read_paused and len(self.queue) < MAX_PIPELINE // 2 and not self.discarding
                    and self.transport is not None):
                self.read_paused = False
                self.transport.resume_reading()

    def _write(self, reply: Reply, fate: Close, head_only: bool) -> None:
        transport = self.transport
        if transport is None:
            return
        if self.closing and not self.queue:
            fate = Close.CLOSE
        transport.write(render(reply, fate, head_only))
        if fate is Close.CLOSE:
            self._linger(transport)

    def _linger(self, transport: asyncio.Transport) -> None:
        """Half-close after the last answer; drop what still arrives; close after ``LINGER_S``."""
        self.discarding = True
        self.lingering = True
        self.queue.clear()
        if self.read_paused:
            self.read_paused = False
            transport.resume_reading()
        if transport.can_write_eof():
            transport.write_eof()
            self.loop.call_later(LINGER_S, self.close)
        else:
            transport.close()

    # ----------------------------------------------------------------- server-driven
    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        if self.worker is not None:
            self.worker.cancel()

    def timed_out(self) -> None:
        """Idle too long, or one request read too slowly (slowloris): close without an answer."""
        log.debug("connection from %s timed out (reading=%s)", self.peer, self.reading)
        self.deadline = 0.0
        self.close()

    def shutdown(self) -> None:
        """Graceful stop: an idle connection closes now, a busy one after its queued answers."""
        self.closing = True
        self.discarding = True
        if self.worker is None:
            self.close()

    @property
    def idle(self) -> bool:
        return self.worker is None and not self.queue
