"""slow_close: on end-of-stream, wait ``delay`` ms before closing the other side."""

from __future__ import annotations

from chaos.toxiproxy.toxics.base import EmitEof, Stage
from chaos.toxiproxy.toxics.schema import Attr, AttrKind, ToxicSchema

SCHEMA = ToxicSchema(
    "slow_close",
    (Attr("delay", AttrKind.INT, 0),),
    description="delay the close by delay milliseconds",
)


class SlowCloseStage(Stage):
    async def on_eof(self, emit_eof: EmitEof) -> None:
        await self.ctx.sleep_until(self.ctx.now() + self.attrs.get("delay", 0) / 1000.0, self)
        await emit_eof()
