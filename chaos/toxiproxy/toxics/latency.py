"""latency: delay each chunk to arrival + latency ± uniform(jitter) ms.

Each chunk's ``due`` time grows by this toxic's delay, so several latency toxics add up while
pipelined chunks never accumulate delay (each is measured from its own arrival).
"""

from __future__ import annotations

from chaos.toxiproxy.toxics.base import Chunk, Emit, Stage
from chaos.toxiproxy.toxics.schema import Attr, AttrKind, ToxicSchema

SCHEMA = ToxicSchema(
    "latency",
    (Attr("latency", AttrKind.INT, 0), Attr("jitter", AttrKind.INT, 0)),
    description="delay every chunk by latency ± jitter milliseconds",
)


class LatencyStage(Stage):
    pure_delay = True  # the link may schedule chunks with timers instead of running this stage

    def draw_delay(self) -> float:
        """This chunk's delay in seconds (latency ± uniform jitter, from the connection's RNG)."""
        delay_ms = float(self.attrs.get("latency", 0))
        jitter = self.attrs.get("jitter", 0)
        if jitter > 0:
            delay_ms += self.ctx.rng.uniform(-jitter, jitter)
        return delay_ms / 1000.0

    async def on_chunk(self, chunk: Chunk, emit: Emit) -> None:
        chunk.due = max(chunk.due + self.draw_delay(), chunk.arrival)
        await self.ctx.sleep_until(chunk.due, self)
        await emit(chunk)
