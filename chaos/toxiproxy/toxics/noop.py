"""noop: pass-through."""

from __future__ import annotations

from chaos.toxiproxy.toxics.base import Stage
from chaos.toxiproxy.toxics.schema import ToxicSchema

SCHEMA = ToxicSchema("noop", (), description="pass-through")


class NoopStage(Stage):
    """Forwards everything unchanged."""
