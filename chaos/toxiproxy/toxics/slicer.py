"""slicer: split each chunk into pieces of average_size ± size_variation bytes, delay µs apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaos.toxiproxy.toxics.base import Chunk, Emit, Stage
from chaos.toxiproxy.toxics.schema import Attr, AttrKind, ToxicSchema


def _check(attrs: Mapping[str, Any]) -> str | None:
    if attrs["size_variation"] > attrs["average_size"]:
        return (
            f"attribute size_variation ({attrs['size_variation']}) must not exceed "
            f"average_size ({attrs['average_size']})"
        )
    return None


SCHEMA = ToxicSchema(
    "slicer",
    (
        Attr("average_size", AttrKind.INT, 0, minimum=1),
        Attr("size_variation", AttrKind.INT, 0),
        Attr("delay", AttrKind.INT, 0),
    ),
    cross_check=_check,
    description="slice data into average_size ± size_variation byte pieces, delay µs apart",
)


class SlicerStage(Stage):
    async def on_chunk(self, chunk: Chunk, emit: Emit) -> None:
        data = chunk.data
        pos = 0
        while pos < len(data):
            average = max(1, int(self.attrs.get("average_size", 1)))
            variation = min(int(self.attrs.get("size_variation", 0)), average)
            size = average + (self.ctx.rng.randint(-variation, variation) if variation else 0)
            piece = Chunk(data[pos : pos + max(1, size)], chunk.arrival)
            piece.due = chunk.due
            pos += len(piece.data)
            await emit(piece)
            delay = self.attrs.get("delay", 0)
            if delay > 0 and pos < len(data) and not self.removed:
                await self.ctx.sleep_until(self.ctx.now() + delay / 1_000_000.0, self)
