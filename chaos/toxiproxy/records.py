"""Server-side records of a proxy: live counters and mutable toxic records (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaos.toxiproxy.models import Stream


@dataclass
class ProxyStats:
    """Live counters read by /metrics."""

    bytes: dict[Stream, int] = field(default_factory=lambda: {Stream.UPSTREAM: 0, Stream.DOWNSTREAM: 0})
    connections_open: int = 0
    connections_total: int = 0
    http_errors: dict[int, int] = field(default_factory=dict)


@dataclass
class ToxicRecord:
    """Server-side toxic: mutated in place by updates (``version`` bumps)."""

    name: str
    type: str
    stream: Stream
    toxicity: float
    attributes: dict[str, Any]
    version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream.value,
            "toxicity": self.toxicity,
        }
