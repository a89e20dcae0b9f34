"""Fault kind ``container``: Docker container faults through ``chaos.container``.

Params: ``action`` (kill | pause | stop | restart | disconnect), ``container`` (id or name),
``network`` (required for disconnect, refused otherwise), ``signal`` (kill only, default SIGKILL),
``grace`` (stop/restart, seconds, default 10).

Heal: pause → unpause; kill/stop → start; disconnect → connect with the saved aliases; restart →
nothing. A container that no longer exists, or is already back in the healed state, counts as healed.
Each call opens a Docker client (``context.docker_client_factory`` or from the environment) and
closes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from chaos.container import (
    ContainerFaultError,
    ContainerFaults,
    ContainerNotFound,
    ContainerStateError,
    ContainerStatus,
)
from chaos.nemesis.base import FaultSpecError, Handle, HealError, InjectError, NemesisContext, new_fault_id
from chaos.nemesis.params import check_keys, require_choice, require_int, require_str

__all__ = ["ContainerNemesis"]

ACTIONS = ("kill", "pause", "stop", "restart", "disconnect")
_KEYS = ("action", "container", "network", "signal", "grace")
_SIGNAL_RE = re.compile(r"^(SIG)?[A-Z0-9]{2,8}$|^[0-9]{1,2}$")


class ContainerNemesis:
    """Docker container faults."""

    kind = "container"

    def __init__(self, context: NemesisContext) -> None:
        self._context = context

    def _faults(self) -> ContainerFaults:
        factory = self._context.docker_client_factory
        return ContainerFaults(factory() if factory else None, timeout=self._context.timeout)

    def validate(self, params: Mapping[str, Any]) -> None:
        check_keys(params, _KEYS)
        action = require_choice(params, "action", ACTIONS)
        require_str(params, "container")
        if action == "disconnect":
            require_str(params, "network")
        elif "network" in params:
            raise FaultSpecError("network", "only used with action 'disconnect'")
        if "signal" in params:
            if action != "kill":
                raise FaultSpecError("signal", "only used with action 'kill'")
            signal = params["signal"]
            if not isinstance(signal, str) or not _SIGNAL_RE.match(signal):
                raise FaultSpecError("signal", f"must be a signal name like SIGKILL; got {signal!r}")
        if "grace" in params:
            if action not in ("stop", "restart"):
                raise FaultSpecError("grace", "only used with actions 'stop' and 'restart'")
            require_int(params, "grace", minimum=0)

    def inject(self, params: Mapping[str, Any]) -> Handle:
        self.validate(params)
        action, ref = params["action"], params["container"]
        data: dict[str, Any] = {"action": action, "container": ref}
        try:
            with self._faults() as faults:
                if action == "kill":
                    faults.kill(ref, params.get("signal", "SIGKILL"))
                elif action == "pause":
                    faults.pause(ref)
                elif action == "stop":
                    faults.stop(ref, grace=params.get("grace", 10))
                elif action == "restart":
                    faults.restart(ref, grace=params.get("grace", 10))
                else:
                    attachment = faults.disconnect(ref, params["network"])
                    data.update(network=attachment.network, aliases=list(attachment.aliases))
        except ContainerFaultError as exc:
            raise InjectError(f"{action} container {ref}: {exc}") from None
        return Handle(self.kind, new_fault_id(self.kind), data, f"{action} container {ref}")

    def heal(self, handle: Handle) -> None:
        action, ref = handle.data.get("action"), handle.data.get("container")
        if not isinstance(ref, str) or action not in ACTIONS:
            raise HealError(f"{handle.id}: handle lacks action/container")
        try:
            with self._faults() as faults:
                if action == "pause":
                    if faults.status(ref) is ContainerStatus.PAUSED:
                        faults.unpause(ref)
                elif action in ("kill", "stop"):
                    if faults.status(ref) is not ContainerStatus.RUNNING:
                        faults.start(ref)
                elif action == "disconnect":
                    network = str(handle.data.get("network"))
                    if network not in faults.networks_of(ref):
                        faults.connect(ref, network, tuple(handle.data.get("aliases") or ()))
        except (ContainerNotFound, ContainerStateError):
            return  # gone, or already in the healed state
        except ContainerFaultError as exc:
            raise HealError(f"{handle.id}: {exc}") from None
