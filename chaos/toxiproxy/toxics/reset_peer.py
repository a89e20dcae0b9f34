"""reset_peer: on the first chunk, drop it, wait ``timeout`` ms, close both sockets with RST.

Unlike the original (issue #603) a stage that lost its toxicity roll never resets.
"""

from __future__ import annotations

from chaos.toxiproxy.toxics.base import Chunk, Emit, Stage
from chaos.toxiproxy.toxics.schema import Attr, AttrKind, ToxicSchema

SCHEMA = ToxicSchema(
    "reset_peer",
    (Attr("timeout", AttrKind.INT, 0),),
    description="reset the connection (RST) timeout ms after the first data",
)


class ResetPeerStage(Stage):
    async def on_chunk(self, chunk: Chunk, emit: Emit) -> None:
        deadline = self.ctx.now() + self.attrs.get("timeout", 0) / 1000.0
        while not self.removed and not await self.ctx.sleep_until(deadline, self):
            pass
        if self.removed or not self.enabled:
            await emit(chunk)
            return
        self.ctx.close_connection(reset=True)
