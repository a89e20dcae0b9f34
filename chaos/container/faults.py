"""Container faults through the Docker SDK: kill, pause/unpause, restart, stop/start, network
disconnect/connect.

:class:`ContainerFaults` owns one ``DockerClient`` (created lazily from the environment,
or passed in) and closes it in :meth:`close`. Every Docker SDK exception is translated into a
:class:`ContainerFaultError` subclass with a stable code: no Docker traceback leaks to callers.
Each call is a single engine request with the SDK's timeout (``timeout`` seconds).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import docker.errors
from docker.client import DockerClient
from docker.models.containers import Container
from docker.models.networks import Network

from chaos.container.errors import (
    ContainerFaultError,
    ContainerNotFound,
    ContainerStateError,
    DockerUnavailable,
    NetworkNotFound,
)

__all__ = ["ContainerFaults", "ContainerStatus", "NetworkAttachment"]

T = TypeVar("T")


class ContainerStatus(enum.Enum):
    """Docker's container states."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    REMOVING = "removing"
    EXITED = "exited"
    DEAD = "dead"


@dataclass(frozen=True)
class NetworkAttachment:
    """What a disconnect removed, so a heal can reconnect with the same aliases."""

    container: str
    network: str
    aliases: tuple[str, ...] = ()


class ContainerFaults:
    """Fault operations on containers of one Docker engine."""

    def __init__(self, client: DockerClient | None = None, timeout: float = 30.0) -> None:
        self._client = client
        self._timeout = timeout

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def client(self) -> DockerClient:
        if self._client is None:
            try:
                self._client = DockerClient.from_env(timeout=int(self._timeout))
                self._client.ping()
            except docker.errors.DockerException as exc:
                self._client = None
                raise DockerUnavailable(f"Docker engine unreachable: {exc}") from None
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> ContainerFaults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _call(what: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except docker.errors.NotFound as exc:
            raise ContainerNotFound(f"{what}: {exc.explanation or exc}") from None
        except docker.errors.APIError as exc:
            if exc.status_code == 409 or (exc.status_code == 500 and "is not" in str(exc.explanation)):
                raise ContainerStateError(f"{what}: {exc.explanation or exc}") from None
            raise ContainerFaultError(f"{what}: {exc.explanation or exc}") from None
        except docker.errors.DockerException as exc:
            raise DockerUnavailable(f"{what}: {exc}") from None
        except OSError as exc:  # socket gone mid-call (requests wraps most, not all)
            raise DockerUnavailable(f"{what}: {exc}") from None

    def container(self, ref: str) -> Container:
        """Look up a container by id or name; ContainerNotFound when absent."""
        if not isinstance(ref, str) or not ref:
            raise ContainerNotFound(f"container reference must be a non-empty string, got {ref!r}")
        client = self.client
        return self._call(f"container {ref}", lambda: client.containers.get(ref))

    def network(self, ref: str) -> Network:
        """Look up a network by id or name; NetworkNotFound when absent."""
        client = self.client
        try:
            return self._call(f"network {ref}", lambda: client.networks.get(ref))
        except ContainerNotFound as exc:
            raise NetworkNotFound(str(exc)) from None

    def status(self, ref: str) -> ContainerStatus:
        """Current state of the container, freshly read from the engine."""
        container = self.container(ref)
        return ContainerStatus(container.status)

    # -- faults --------------------------------------------------------------------------------
    def kill(self, ref: str, signal: str = "SIGKILL") -> None:
        """Send ``signal`` (default SIGKILL) to the container's main process."""
        container = self.container(ref)
        self._call(f"kill {ref}", lambda: container.kill(signal=signal))

    def pause(self, ref: str) -> None:
        """Freeze every process of the container (cgroup freezer)."""
        container = self.container(ref)
        self._call(f"pause {ref}", container.pause)

    def unpause(self, ref: str) -> None:
        container = self.container(ref)
        self._call(f"unpause {ref}", container.unpause)

    def stop(self, ref: str, grace: int = 10) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        container = self.container(ref)
        self._call(f"stop {ref}", lambda: container.stop(timeout=grace))

    def start(self, ref: str) -> None:
        container = self.container(ref)
        self._call(f"start {ref}", container.start)

    def restart(self, ref: str, grace: int = 10) -> None:
        container = self.container(ref)
        self._call(f"restart {ref}", lambda: container.restart(timeout=grace))

    def disconnect(self, ref: str, network: str, force: bool = True) -> NetworkAttachment:
        """Detach the container from ``network``; returns what is needed to reattach it."""
        container = self.container(ref)
        net = self.network(network)
        settings: dict[str, Any] = container.attrs.get("NetworkSettings", {}).get("Networks", {}) or {}
        endpoint = settings.get(net.name)
        if endpoint is None:
            raise ContainerStateError(f"container {ref} is not connected to network {network}")
        short_id = container.id[:12] if container.id else ""
        aliases = tuple(a for a in (endpoint.get("Aliases") or []) if a not in (short_id, container.id))
        self._call(f"disconnect {ref} from {network}", lambda: net.disconnect(container, force=force))
        return NetworkAttachment(container.name or ref, net.name or network, aliases)

    def connect(self, ref: str, network: str, aliases: tuple[str, ...] = ()) -> None:
        """Attach the container to ``network`` (with ``aliases``)."""
        container = self.container(ref)
        net = self.network(network)
        self._call(
            f"connect {ref} to {network}",
            lambda: net.connect(container, aliases=list(aliases) or None),
        )

    def networks_of(self, ref: str) -> list[str]:
        """Names of the networks the container is attached to."""
        container = self.container(ref)
        settings = container.attrs.get("NetworkSettings", {}).get("Networks", {}) or {}
        return sorted(settings)
