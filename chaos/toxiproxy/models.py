"""Typed values of the Toxiproxy API: ``Proxy`` and ``Toxic`` (frozen), ``Stream``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chaos.toxiproxy.errors import ServerError


class Stream(StrEnum):
    """Direction a toxic acts on: upstream = client→server bytes, downstream = server→client."""

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


@dataclass(frozen=True)
class Toxic:
    name: str
    type: str
    stream: Stream
    toxicity: float
    attributes: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Any) -> Toxic:
        """Build from an API object; unknown keys are ignored. Raises ServerError if malformed."""
        try:
            return cls(
                name=str(data["name"]),
                type=str(data["type"]),
                stream=Stream(data.get("stream", "downstream")),
                toxicity=float(data.get("toxicity", 1.0)),
                attributes=dict(data.get("attributes") or {}),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ServerError(f"malformed toxic in response: {exc!r}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": self.stream.value,
            "toxicity": self.toxicity,
            "attributes": dict(self.attributes),
        }


@dataclass(frozen=True)
class Proxy:
    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[Toxic, ...] = ()

    @property
    def listen_host(self) -> str:
        return split_host_port(self.listen)[0]

    @property
    def listen_port(self) -> int:
        return split_host_port(self.listen)[1]

    @classmethod
    def from_json(cls, data: Any) -> Proxy:
        """Build from an API object; unknown keys (e.g. ``Logger``) are ignored."""
        try:
            return cls(
                name=str(data["name"]),
                listen=str(data["listen"]),
                upstream=str(data["upstream"]),
                enabled=bool(data["enabled"]),
                toxics=tuple(Toxic.from_json(t) for t in data.get("toxics") or ()),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ServerError(f"malformed proxy in response: {exc!r}") from exc

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [t.to_json() for t in self.toxics],
        }


def split_host_port(address: str) -> tuple[str, int]:
    """``"host:port"`` / ``"[v6]:port"`` → (host, port). Raises ValueError when malformed."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"address {address!r} is not host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)
