"""limit_data: forward ``bytes`` bytes on this connection and direction, then close it."""

from __future__ import annotations

from typing import Any

from chaos.toxiproxy.toxics.base import Chunk, Emit, LinkContext, Stage
from chaos.toxiproxy.toxics.schema import Attr, AttrKind, ToxicSchema

SCHEMA = ToxicSchema(
    "limit_data",
    (Attr("bytes", AttrKind.INT, 0),),
    description="close the connection after bytes bytes",
)


class LimitDataStage(Stage):
    def __init__(self, toxic: Any, ctx: LinkContext) -> None:
        super().__init__(toxic, ctx)
        self.forwarded = 0

    async def on_chunk(self, chunk: Chunk, emit: Emit) -> None:
        remaining = int(self.attrs.get("bytes", 0)) - self.forwarded
        if remaining > 0:
            piece = chunk.data[:remaining]
            self.forwarded += len(piece)
            if len(piece) < len(chunk.data):
                out = Chunk(piece, chunk.arrival)
                out.due = chunk.due
                chunk = out
            await emit(chunk)
            remaining -= len(piece)
        if remaining <= 0:
            self.ctx.close_connection()
