"""The Nemesis protocol, its value types and errors.

A nemesis is one fault kind: ``validate(params)`` refuses bad parameters (raising
:class:`FaultSpecError` naming the field) before anything is touched; ``inject(params)`` validates,
applies the fault and returns a :class:`Handle`; ``heal(handle)`` undoes it. Heals are idempotent:
healing a fault that is already gone (toxic removed, process exited, failpoint cleared) succeeds,
so leftovers of a killed run can be healed from a file without knowing what is still in place.

Handles are plain JSON values (kind, id, data) so they can be written to disk and healed by another
process (``handle_to_dict`` / ``handle_from_dict``). All operations are synchronous and bounded by
the timeouts of the :class:`NemesisContext`; call them through ``asyncio.to_thread`` from async code.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "FaultSpecError",
    "Handle",
    "HealError",
    "InjectError",
    "Nemesis",
    "NemesisContext",
    "NemesisError",
    "handle_from_dict",
    "handle_to_dict",
    "new_fault_id",
]


class NemesisError(Exception):
    """Base of chaos.nemesis errors; ``code`` is stable."""

    code = "NEMESIS_ERROR"


class FaultSpecError(NemesisError, ValueError):
    """Invalid fault parameters: ``field`` names the parameter, ``reason`` says what is wrong."""

    code = "INVALID_FAULT"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class InjectError(NemesisError):
    """The fault could not be applied (target unreachable, refused...)."""

    code = "INJECT_FAILED"


class HealError(NemesisError):
    """The fault could not be undone."""

    code = "HEAL_FAILED"


@dataclass(frozen=True)
class Handle:
    """What ``heal`` needs to undo one injected fault. ``data`` holds JSON values only."""

    kind: str
    id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


def new_fault_id(kind: str) -> str:
    """A fresh, unique fault id such as ``toxic-3f2a9c1b``."""
    return f"{kind}-{uuid.uuid4().hex[:8]}"


def handle_to_dict(handle: Handle) -> dict[str, Any]:
    """JSON-serialisable form of a handle."""
    return {
        "kind": handle.kind,
        "id": handle.id,
        "data": dict(handle.data),
        "description": handle.description,
    }


def handle_from_dict(data: object) -> Handle:
    """Rebuild a handle from ``handle_to_dict`` output; FaultSpecError when it is malformed."""
    if not isinstance(data, Mapping):
        raise FaultSpecError("handle", "must be a JSON object")
    kind, fault_id, payload = data.get("kind"), data.get("id"), data.get("data", {})
    if not isinstance(kind, str) or not kind:
        raise FaultSpecError("handle.kind", "must be a non-empty string")
    if not isinstance(fault_id, str) or not fault_id:
        raise FaultSpecError("handle.id", "must be a non-empty string")
    if not isinstance(payload, Mapping):
        raise FaultSpecError("handle.data", "must be a JSON object")
    description = data.get("description", "")
    return Handle(kind, fault_id, dict(payload), description if isinstance(description, str) else "")


@dataclass(frozen=True)
class NemesisContext:
    """Where faults go and how long calls may take.

    ``toxiproxy_url``: default Toxiproxy API (a fault's ``api`` parameter overrides it).
    ``admin_token``: bearer token for engine admin APIs (never written into handles).
    ``docker_client_factory``: builds a ``docker.DockerClient`` (default: from the environment).
    """

    toxiproxy_url: str = "http://127.0.0.1:8474"
    admin_token: str | None = None
    timeout: float = 10.0
    docker_client_factory: Callable[[], Any] | None = None


@runtime_checkable
class Nemesis(Protocol):
    """One fault kind."""

    kind: str

    def validate(self, params: Mapping[str, Any]) -> None:
        """Raise FaultSpecError(field, reason) if ``params`` are not valid; touch nothing."""

    def inject(self, params: Mapping[str, Any]) -> Handle:
        """Validate, then apply the fault; InjectError if it could not be applied."""

    def heal(self, handle: Handle) -> None:
        """Undo the fault (idempotent); HealError if it could not be undone."""
