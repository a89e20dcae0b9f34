"""The stage interface every toxic implements on one connection and one direction.

A ``Stage`` holds a toxic's per-connection state. The link (chaos.toxiproxy.link) pushes each chunk
through the enabled stages in chain order: ``on_chunk(chunk, emit)`` passes zero or more chunks on
by awaiting ``emit``; ``on_eof(emit_eof)`` does the same for end-of-stream. Stages wait with
``ctx.sleep_until`` so a chain change (update/remove) wakes them early; they never touch sockets
directly, only through the ``LinkContext`` (write to the client, close, reset).
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any, Protocol


class Chunk:
    """Bytes read from one socket read, with arrival time and the time they may leave (``due``)."""

    __slots__ = ("arrival", "data", "due")

    def __init__(self, data: bytes, arrival: float) -> None:
        self.data = data
        self.arrival = arrival
        self.due = arrival


Emit = Callable[[Chunk], Awaitable[None]]
EmitEof = Callable[[], Awaitable[None]]


class LinkContext(Protocol):
    """What a stage may do to its connection."""

    proxy_name: str
    rng: random.Random

    def now(self) -> float: ...

    async def sleep_until(self, deadline: float | None, stage: Stage) -> bool:
        """Sleep until ``deadline`` (None = until woken). False if woken early by a chain change."""
        ...

    def close_connection(self, *, reset: bool = False) -> None: ...

    def request_forwarded(self, method: str) -> None:
        """An HTTP request was passed on: its response is owed before later injected ones."""
        ...

    def reply_to_client(self, data: bytes, *, close: bool) -> None:
        """Answer the client in request order, through the downstream chain; ``close`` ends it after."""
        ...

    def count_http_error(self, status: int) -> None: ...


class Stage:
    """Base toxic stage: pass-through. ``toxic`` is the live server-side toxic record."""

    pure_delay = False  # True: the stage only delays chunks (see draw_delay)

    def __init__(self, toxic: Any, ctx: LinkContext) -> None:
        self.toxic = toxic
        self.ctx = ctx
        self.enabled = False
        self.removed = False

    @property
    def attrs(self) -> dict[str, Any]:
        """Current attributes (updated live by PATCH)."""
        attributes: dict[str, Any] = self.toxic.attributes
        return attributes

    def draw_delay(self) -> float:
        """Delay in seconds for the next chunk (only for ``pure_delay`` stages)."""
        return 0.0

    def on_start(self) -> None:
        """The stage became active on this connection (created, or re-rolled to enabled)."""

    def on_stop(self, *, removed: bool) -> None:
        """The stage stopped being active (disabled by a re-roll, removed, or connection closed)."""

    async def on_chunk(self, chunk: Chunk, emit: Emit) -> None:
        await emit(chunk)

    async def on_eof(self, emit_eof: EmitEof) -> None:
        await emit_eof()
