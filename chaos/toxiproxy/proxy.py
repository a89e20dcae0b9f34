"""A proxy's TCP listener and its connections (asyncio protocols, no streams).

``ProxyRuntime`` owns the listening socket (an ``asyncio.Server`` bound on ``start``, closed on
``stop``) and the set of open ``Connection``s. Each accepted client socket is paused until the
upstream is dialed (once, no retry); a failed dial closes the client. A ``Connection`` owns both
transports and one ``Link`` per direction; flow control pauses reading on one side when the other
side's write buffer is full or a link's backlog is too large. ``close(reset=True)`` sets SO_LINGER 0
so the peers see RST. Every close path is idempotent and updates the proxy's live stats.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from typing import Any, cast

from chaos.toxiproxy.link import Link
from chaos.toxiproxy.models import Stream, split_host_port
from chaos.toxiproxy.records import ProxyStats, ToxicRecord
from chaos.toxiproxy.response_order import ResponseOrder

WRITE_HIGH_WATER = 1024 * 1024


class ProxyRuntime:
    def __init__(self, name: str, listen: str, upstream: str, seed: int) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.enabled = False
        self.seed = seed
        self.toxics: dict[str, ToxicRecord] = {}
        self.connections: set[Connection] = set()
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Bind the listen address (raises OSError); ``listen`` becomes the resolved address."""
        if self._server is not None:
            return
        host, port = split_host_port(self.listen)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: ClientSide(self), host or "127.0.0.1", port, reuse_address=True, backlog=1024
        )
        sockname = self._server.sockets[0].getsockname()
        bound_host = f"[{sockname[0]}]" if ":" in sockname[0] else sockname[0]
        self.listen = f"{bound_host}:{sockname[1]}"
        self.enabled = True

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        self.enabled = False
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for conn in list(self.connections):
            conn.close()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)

    # -- toxics ------------------------------------------------------------------------------
    def chain(self, stream: Stream) -> list[ToxicRecord]:
        return [t for t in self.toxics.values() if t.stream is stream]

    def chain_changed(self, stream: Stream) -> None:
        """Push the current chain of ``stream`` to every open connection (live change)."""
        chain = self.chain(stream)
        for conn in list(self.connections):
            link = conn.links.get(stream)
            if link is not None:
                link.rebuild(chain)

    def to_json(self) -> dict[str, Any]:
        up = [t.to_json() for t in self.chain(Stream.UPSTREAM)]
        down = [t.to_json() for t in self.chain(Stream.DOWNSTREAM)]
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": up + down,
        }


class Connection:
    """One client connection and its upstream connection."""

    def __init__(self, proxy: ProxyRuntime, client: asyncio.Transport) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream: asyncio.Transport | None = None
        self.number = proxy.stats.connections_total
        self.links: dict[Stream, Link] = {}
        self.closed = False
        self._paused: dict[str, set[str]] = {"client": set(), "upstream": set()}
        self._eofs: set[Stream] = set()
        self.pending: list[bytes | None] = []  # client bytes (None = EOF) read before the dial finished
        self.order: ResponseOrder | None = None  # attached by http_error: upstream bytes go through it
        proxy.connections.add(self)
        proxy.stats.connections_total += 1
        proxy.stats.connections_open += 1

    def _rng(self, stream: Stream) -> random.Random:
        return random.Random(f"{self.proxy.seed}|{self.proxy.name}|{self.number}|{stream.value}")

    async def dial(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            host, port = split_host_port(self.proxy.upstream)
            await loop.create_connection(lambda: UpstreamSide(self), host, port)
        except (OSError, ValueError):
            self.close()

    def upstream_made(self, transport: asyncio.Transport) -> None:
        if self.closed:
            transport.abort()
            return
        self.upstream = transport
        transport.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        self.client.set_write_buffer_limits(high=WRITE_HIGH_WATER)
        for stream, dest in ((Stream.UPSTREAM, transport), (Stream.DOWNSTREAM, self.client)):
            self.links[stream] = Link(self, stream, dest, self._rng(stream))
        for stream, link in self.links.items():
            link.rebuild(self.proxy.chain(stream))
        for item in self.pending:
            if item is None:
                self.links[Stream.UPSTREAM].feed_eof()
            else:
                self.links[Stream.UPSTREAM].feed(item)
        self.pending.clear()
        if not self.closed:
            self.client.resume_reading()

    def set_paused(self, stream: Stream, reason: str, paused: bool) -> None:
        """Pause/resume reading the socket that feeds ``stream``."""
        side = "client" if stream is Stream.UPSTREAM else "upstream"
        transport = self.client if side == "client" else self.upstream
        reasons = self._paused[side]
        before = bool(reasons)
        if paused:
            reasons.add(reason)
        else:
            reasons.discard(reason)
        if transport is None or self.closed or before == bool(reasons):
            return
        with contextlib.suppress(RuntimeError):
            if reasons:
                transport.pause_reading()
            else:
                transport.resume_reading()

    def eof_delivered(self, stream: Stream, dest: asyncio.Transport) -> None:
        self._eofs.add(stream)
        closing = stream is Stream.DOWNSTREAM and self.order is not None and self.order.closing
        if closing or len(self._eofs) == 2 or not dest.can_write_eof():
            self.close()
            return
        try:
            dest.write_eof()
        except (OSError, RuntimeError):
            self.close()

    def response_order(self) -> ResponseOrder:
        """The connection's ResponseOrder, attached on first use (http_error stages share it)."""
        if self.order is None:
            link = self.links[Stream.DOWNSTREAM]
            self.order = ResponseOrder(link.feed, link.feed_eof)
        return self.order

    def from_upstream(self, data: bytes) -> None:
        if self.order is None:
            self.links[Stream.DOWNSTREAM].feed(data)
        else:
            self.order.from_upstream(data)

    def upstream_eof(self) -> None:
        if self.order is None:
            self.links[Stream.DOWNSTREAM].feed_eof()
        else:
            self.order.upstream_eof()

    def close(self, *, reset: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        self.proxy.connections.discard(self)
        self.proxy.stats.connections_open -= 1
        for link in self.links.values():
            link.close()
        for transport in (self.client, self.upstream):
            if transport is None:
                continue
            if reset:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                transport.abort()
            else:
                transport.close()


class ClientSide(asyncio.Protocol):
    """Protocol of an accepted client socket."""

    def __init__(self, proxy: ProxyRuntime) -> None:
        self.proxy = proxy
        self.conn: Connection | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        client = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        client.pause_reading()
        self.conn = Connection(self.proxy, client)
        asyncio.get_running_loop().create_task(self.conn.dial())

    def data_received(self, data: bytes) -> None:
        conn = self.conn
        assert conn is not None
        link = conn.links.get(Stream.UPSTREAM)
        if link is None:  # uvloop may deliver a read already in flight before pause took effect
            conn.pending.append(data)
        else:
            link.feed(data)

    def eof_received(self) -> bool:
        conn = self.conn
        assert conn is not None
        link = conn.links.get(Stream.UPSTREAM)
        if link is None:
            conn.pending.append(None)
        else:
            link.feed_eof()
        return True

    def pause_writing(self) -> None:
        if self.conn:
            self.conn.set_paused(Stream.DOWNSTREAM, "write", True)

    def resume_writing(self) -> None:
        if self.conn:
            self.conn.set_paused(Stream.DOWNSTREAM, "write", False)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn:
            self.conn.close()


class UpstreamSide(asyncio.Protocol):
    """Protocol of the socket dialed to the upstream."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.conn.upstream_made(cast(asyncio.Transport, transport))

    def data_received(self, data: bytes) -> None:
        self.conn.from_upstream(data)

    def eof_received(self) -> bool:
        if Stream.DOWNSTREAM not in self.conn.links:
            return False
        self.conn.upstream_eof()
        return True

    def pause_writing(self) -> None:
        self.conn.set_paused(Stream.UPSTREAM, "write", True)

    def resume_writing(self) -> None:
        self.conn.set_paused(Stream.UPSTREAM, "write", False)

    def connection_lost(self, exc: Exception | None) -> None:
        self.conn.close()
