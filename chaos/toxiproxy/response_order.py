"""Keeps responses injected by http_error in request order on one connection.

A client may pipeline requests; the http_error stage forwards some and answers others itself. An
injected answer must reach the client only after the upstream's answers to every request forwarded
before it. ``ResponseOrder`` holds a ledger, in request order, of forwarded requests (their method)
and injected responses. Bytes from the upstream are framed into responses (``ResponseFramer``);
each complete final response settles the oldest forwarded request, and injected responses at the
head of the ledger are then released. Everything goes out through ``deliver`` (the downstream link's
input), so downstream toxics apply to injected responses too.

An injected response for a request that asked to close ends the stream (``deliver_eof``) and the
rest from the upstream is dropped (``closing``). When the upstream's responses stop being
delimitable (body until close, protocol switch, not HTTP) injected responses are released as they
come, and at upstream EOF those still waiting are dropped with the connection. Requests forwarded
before the order was attached (toxic added to a busy connection) are not in the ledger, so an
injected answer can overtake their responses.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from chaos.toxiproxy.toxics.http_response_framing import ResponseFramer


@dataclass(frozen=True)
class Injected:
    data: bytes
    close: bool


class ResponseOrder:
    def __init__(self, deliver: Callable[[bytes], None], deliver_eof: Callable[[], None]) -> None:
        self._deliver = deliver
        self._deliver_eof = deliver_eof
        self._ledger: deque[str | Injected] = deque()  # str: method of a forwarded request
        self._framer = ResponseFramer(self._method_of_next)
        self.closing = False

    def _method_of_next(self) -> str:
        front = self._ledger[0] if self._ledger else None
        return front if isinstance(front, str) else "GET"

    # -- from the http_error stage (upstream direction) -----------------------------------------
    def request_forwarded(self, method: str) -> None:
        if not self.closing and not self._framer.raw:
            self._ledger.append(method)

    def inject(self, data: bytes, *, close: bool) -> None:
        if self.closing:
            return
        self._ledger.append(Injected(data, close))
        self._release()

    # -- from the upstream socket (downstream direction) -----------------------------------------
    def from_upstream(self, data: bytes) -> None:
        if self.closing:
            return
        if not self._framer.delimited:  # raw, or a body read until the upstream closes
            self._deliver(data)
            return
        for segment, done in self._framer.feed(data):
            self._deliver(segment)
            if done:
                if self._ledger and isinstance(self._ledger[0], str):
                    self._ledger.popleft()
                self._release()
                if self.closing:
                    return
        if self._framer.raw:
            self._release()

    def upstream_eof(self) -> None:
        if self.closing:
            return
        self._ledger.clear()  # responses owed will never come; answers queued behind them go too
        self._deliver_eof()

    def _release(self) -> None:
        if self._framer.raw and any(isinstance(item, str) for item in self._ledger):
            self._ledger = deque(item for item in self._ledger if isinstance(item, Injected))
        while self._ledger and isinstance(self._ledger[0], Injected) and not self.closing:
            item = self._ledger.popleft()
            assert isinstance(item, Injected)
            self._deliver(item.data)
            if item.close:
                self.closing = True
                self._ledger.clear()
                self._deliver_eof()
