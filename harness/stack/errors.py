"""Errors of harness.stack, each with a stable code."""

from __future__ import annotations


class StackError(RuntimeError):
    """Base error; ``code`` is stable."""

    code = "STACK"


class StartError(StackError):
    """A process could not be started, exited early, or never printed its LISTENING line."""

    code = "STACK_START"


class NotReadyError(StackError):
    """A process did not answer its readiness URL within the budget."""

    code = "STACK_NOT_READY"


class UnknownProcessError(StackError, KeyError):
    code = "STACK_UNKNOWN_PROCESS"
