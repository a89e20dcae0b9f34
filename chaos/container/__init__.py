"""Container faults (Docker SDK): kill, pause/unpause, restart, stop/start, network disconnect/connect."""

from chaos.container.errors import (
    ContainerFaultError,
    ContainerNotFound,
    ContainerStateError,
    DockerUnavailable,
    NetworkNotFound,
)
from chaos.container.faults import ContainerFaults, ContainerStatus, NetworkAttachment

__all__ = [
    "ContainerFaultError",
    "ContainerFaults",
    "ContainerNotFound",
    "ContainerStateError",
    "ContainerStatus",
    "DockerUnavailable",
    "NetworkAttachment",
    "NetworkNotFound",
]
