"""timeout: drop all data; close the connection when no chunk arrived for ``timeout`` ms.

The timer starts when the toxic starts on the connection and restarts on every chunk; timeout 0 is a
black hole until the toxic goes away. Removing an active timeout toxic closes its connections (as
the original does). The timer is a loop.call_later handle, cancelled on stop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chaos.toxiproxy.toxics.base import Chunk, Emit, EmitEof, LinkContext, Stage
from chaos.toxiproxy.toxics.schema import Attr, AttrKind, ToxicSchema

SCHEMA = ToxicSchema(
    "timeout",
    (Attr("timeout", AttrKind.INT, 0),),
    description="drop data and close after timeout ms of silence (0 = never close)",
)


class TimeoutStage(Stage):
    def __init__(self, toxic: Any, ctx: LinkContext) -> None:
        super().__init__(toxic, ctx)
        self._timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        timeout = self.attrs.get("timeout", 0)
        if timeout > 0:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(timeout / 1000.0, self.ctx.close_connection)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def on_start(self) -> None:
        self._arm()

    def on_stop(self, *, removed: bool) -> None:
        self._disarm()
        if removed:
            self.ctx.close_connection()

    async def on_chunk(self, chunk: Chunk, emit: Emit) -> None:
        self._arm()  # data dropped on the floor

    async def on_eof(self, emit_eof: EmitEof) -> None:
        self._disarm()
        await emit_eof()
