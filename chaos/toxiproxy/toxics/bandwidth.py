"""bandwidth: limit each connection and direction to ``rate`` KB/s (K = 1000); 0 stalls."""

from __future__ import annotations

from typing import Any

from chaos.toxiproxy.toxics.base import Chunk, Emit, LinkContext, Stage
from chaos.toxiproxy.toxics.schema import Attr, AttrKind, ToxicSchema

SCHEMA = ToxicSchema(
    "bandwidth",
    (Attr("rate", AttrKind.INT, 0),),
    description="limit throughput to rate KB/s per connection and direction (0 = stall)",
)


class BandwidthStage(Stage):
    """Token pacing: pieces of at most 100 ms worth of bytes, each scheduled after the last."""

    def __init__(self, toxic: Any, ctx: LinkContext) -> None:
        super().__init__(toxic, ctx)
        self._next = 0.0

    async def on_chunk(self, chunk: Chunk, emit: Emit) -> None:
        data = chunk.data
        while data:
            rate = int(self.attrs.get("rate", 0)) * 1000
            if self.removed:
                break
            if rate <= 0:
                await self.ctx.sleep_until(None, self)
                continue
            piece = data[: max(1, rate // 10)]
            start = max(self._next, self.ctx.now())
            self._next = start + len(piece) / rate
            await self.ctx.sleep_until(self._next, self)
            data = data[len(piece) :]
            out = Chunk(piece, chunk.arrival)
            out.due = chunk.due
            await emit(out)
        if data:
            rest = Chunk(data, chunk.arrival)
            rest.due = chunk.due
            await emit(rest)
