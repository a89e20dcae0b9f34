"""Process faults on local processes: kill (SIGKILL), terminate, pause/resume, restart.

Targets are a pid or a :class:`ProcessHandle`; errors are :class:`ProcessFaultError` subclasses
with a stable ``code`` and a one-line message.
"""

from __future__ import annotations

from chaos.process import signals as _signals
from chaos.process.errors import (
    InvalidTarget,
    NotRestartable,
    ProcessFaultError,
    ProcessNotFound,
    SignalDenied,
)
from chaos.process.launch import LaunchSpec, ProcessHandle, Target, launch, restart, stop, target_pid
from chaos.process.signals import ProcessState, is_alive, process_state, wait_gone

__all__ = [
    "InvalidTarget",
    "LaunchSpec",
    "NotRestartable",
    "ProcessFaultError",
    "ProcessHandle",
    "ProcessNotFound",
    "ProcessState",
    "SignalDenied",
    "Target",
    "is_alive",
    "kill",
    "launch",
    "pause",
    "process_state",
    "restart",
    "resume",
    "stop",
    "terminate",
    "wait_gone",
]


def kill(target: Target) -> None:
    """SIGKILL the target."""
    _signals.kill(target_pid(target))


def terminate(target: Target) -> None:
    """SIGTERM the target."""
    _signals.terminate(target_pid(target))


def pause(target: Target) -> None:
    """SIGSTOP the target."""
    _signals.pause(target_pid(target))


def resume(target: Target) -> None:
    """SIGCONT the target."""
    _signals.resume(target_pid(target))
