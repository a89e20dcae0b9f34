"""Toxic types: one module per toxic, one explicit registry.

``TOXICS[type]`` gives the attribute schema (shared by server and client) and the stage class the
server runs per connection and direction.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaos.toxiproxy.toxics import (
    bandwidth,
    http_error,
    latency,
    limit_data,
    noop,
    reset_peer,
    slicer,
    slow_close,
    timeout,
)
from chaos.toxiproxy.toxics.base import Stage
from chaos.toxiproxy.toxics.schema import ToxicSchema


@dataclass(frozen=True)
class ToxicKind:
    schema: ToxicSchema
    stage: type[Stage]


TOXICS: dict[str, ToxicKind] = {
    "latency": ToxicKind(latency.SCHEMA, latency.LatencyStage),
    "bandwidth": ToxicKind(bandwidth.SCHEMA, bandwidth.BandwidthStage),
    "slow_close": ToxicKind(slow_close.SCHEMA, slow_close.SlowCloseStage),
    "timeout": ToxicKind(timeout.SCHEMA, timeout.TimeoutStage),
    "reset_peer": ToxicKind(reset_peer.SCHEMA, reset_peer.ResetPeerStage),
    "slicer": ToxicKind(slicer.SCHEMA, slicer.SlicerStage),
    "limit_data": ToxicKind(limit_data.SCHEMA, limit_data.LimitDataStage),
    "noop": ToxicKind(noop.SCHEMA, noop.NoopStage),
    "http_error": ToxicKind(http_error.SCHEMA, http_error.HttpErrorStage),
}

SCHEMAS: dict[str, ToxicSchema] = {name: kind.schema for name, kind in TOXICS.items()}

__all__ = ["SCHEMAS", "TOXICS", "ToxicKind"]
