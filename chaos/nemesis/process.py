"""Fault kind ``process``: signals to a local process.

Params: ``action`` (kill | terminate | pause | restart), ``pid`` (int > 1, not this process),
``launch`` (optional ``{"argv": [...], "cwd", "env", "log_path"}``, required for ``restart`` and for
``restart_on_heal``), ``restart_on_heal`` (bool, default false: after kill/terminate, heal starts the
process again from ``launch`` if it is not running), ``grace`` (seconds before SIGKILL on restart).

Heal: pause → SIGCONT (a process that has exited counts as healed); kill/terminate → relaunch when
``restart_on_heal``; restart → nothing to undo (the new pid is in the handle as ``restarted_pid``).
:meth:`ProcessNemesis.heal_process` returns the pid of a relaunched process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chaos import process
from chaos.nemesis.base import FaultSpecError, Handle, HealError, InjectError, NemesisContext, new_fault_id
from chaos.nemesis.params import check_keys, require_choice, require_int, require_number

__all__ = ["ProcessNemesis"]

ACTIONS = ("kill", "terminate", "pause", "restart")
_KEYS = ("action", "pid", "launch", "restart_on_heal", "grace")


def _launch_spec(params: Mapping[str, Any]) -> process.LaunchSpec | None:
    raw = params.get("launch")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise FaultSpecError("launch", "must be an object with argv")
    try:
        return process.LaunchSpec.from_dict(raw)
    except process.ProcessFaultError as exc:
        raise FaultSpecError("launch", str(exc)) from None


class ProcessNemesis:
    """Local process faults."""

    kind = "process"

    def __init__(self, context: NemesisContext) -> None:
        self._context = context

    def validate(self, params: Mapping[str, Any]) -> None:
        check_keys(params, _KEYS)
        action = require_choice(params, "action", ACTIONS)
        pid = require_int(params, "pid")
        try:
            process.signals.check_pid(pid)
        except process.InvalidTarget as exc:
            raise FaultSpecError("pid", str(exc)) from None
        spec = _launch_spec(params)
        restart_on_heal = params.get("restart_on_heal", False)
        if not isinstance(restart_on_heal, bool):
            raise FaultSpecError("restart_on_heal", "must be true or false")
        if (action == "restart" or restart_on_heal) and spec is None:
            raise FaultSpecError("launch", f"is required for action {action!r} / restart_on_heal")
        if restart_on_heal and action == "pause":
            raise FaultSpecError("restart_on_heal", "does not apply to pause (heal resumes it)")
        require_number(params, "grace", 0.0, 600.0, default=5.0)

    def inject(self, params: Mapping[str, Any]) -> Handle:
        self.validate(params)
        action, pid = params["action"], params["pid"]
        spec = _launch_spec(params)
        data: dict[str, Any] = {
            "action": action,
            "pid": pid,
            "launch": spec.to_dict() if spec else None,
            "restart_on_heal": bool(params.get("restart_on_heal", False)),
        }
        try:
            if action == "restart":
                assert spec is not None
                grace = float(params.get("grace", 5.0))
                data["restarted_pid"] = process.restart(process.ProcessHandle(pid, spec), grace=grace).pid
            else:
                {"kill": process.kill, "terminate": process.terminate, "pause": process.pause}[action](pid)
        except process.ProcessFaultError as exc:
            raise InjectError(f"{action} pid {pid}: {exc}") from None
        return Handle(self.kind, new_fault_id(self.kind), data, f"{action} pid {pid}")

    def heal(self, handle: Handle) -> None:
        self.heal_process(handle)

    def heal_process(self, handle: Handle) -> int | None:
        """Heal and return the pid of a relaunched process (None when nothing was started)."""
        action, pid = handle.data.get("action"), handle.data.get("pid")
        if not isinstance(pid, int) or action not in ACTIONS:
            raise HealError(f"{handle.id}: handle lacks action/pid")
        try:
            if action == "pause":
                try:
                    process.resume(pid)
                except process.ProcessNotFound:
                    pass  # exited while paused: nothing left to resume
                return None
            if action in ("kill", "terminate") and handle.data.get("restart_on_heal"):
                raw = handle.data.get("launch")
                if not isinstance(raw, Mapping):
                    raise HealError(f"{handle.id}: restart_on_heal without a launch spec")
                if process.is_alive(pid) and not process.wait_gone(pid, 10.0):
                    raise HealError(f"{handle.id}: pid {pid} is still running; not starting a second copy")
                return process.launch(process.LaunchSpec.from_dict(raw)).pid
        except process.ProcessFaultError as exc:
            raise HealError(f"{handle.id}: {exc}") from None
        return None
