"""Errors of chaos.container, each with a stable ``code`` and a one-line message."""

from __future__ import annotations

__all__ = [
    "ContainerFaultError",
    "ContainerNotFound",
    "ContainerStateError",
    "DockerUnavailable",
    "NetworkNotFound",
]


class ContainerFaultError(Exception):
    """Base of every chaos.container error."""

    code = "CONTAINER_FAULT_ERROR"


class DockerUnavailable(ContainerFaultError):
    """No Docker engine answers on the configured socket."""

    code = "DOCKER_UNAVAILABLE"


class ContainerNotFound(ContainerFaultError):
    """No container with that id or name."""

    code = "CONTAINER_NOT_FOUND"


class NetworkNotFound(ContainerFaultError):
    """No network with that id or name."""

    code = "NETWORK_NOT_FOUND"


class ContainerStateError(ContainerFaultError):
    """The engine refused the operation in the container's current state (e.g. pause a paused one)."""

    code = "CONTAINER_STATE_CONFLICT"
