"""Errors of chaos.process; each has a stable ``code`` and a one-line message (no tracebacks)."""

from __future__ import annotations

__all__ = ["InvalidTarget", "NotRestartable", "ProcessFaultError", "ProcessNotFound", "SignalDenied"]


class ProcessFaultError(Exception):
    """Base of every chaos.process error."""

    code = "PROCESS_FAULT_ERROR"

    def __init__(self, message: str, pid: int | None = None) -> None:
        super().__init__(message)
        self.pid = pid


class ProcessNotFound(ProcessFaultError):
    """No process with that pid exists (it already exited, or never did)."""

    code = "PROCESS_NOT_FOUND"


class SignalDenied(ProcessFaultError):
    """The OS refused the signal (the process belongs to another user)."""

    code = "PROCESS_SIGNAL_DENIED"


class InvalidTarget(ProcessFaultError):
    """The pid is not one we may signal: <= 1, or the calling process itself."""

    code = "PROCESS_INVALID_TARGET"


class NotRestartable(ProcessFaultError):
    """Restart was asked for a process whose launch spec is unknown."""

    code = "PROCESS_NOT_RESTARTABLE"
