"""Launching, handles and restarts of local processes.

A :class:`LaunchSpec` says how a process was started (argv, cwd, env, log file), which is what a
restart needs; it is a frozen, JSON-friendly value. :class:`ProcessHandle` pairs a pid with its
spec (and the ``Popen`` object when this process started it, so it can be reaped). ``restart``
stops the old process (SIGTERM, then SIGKILL after ``grace`` seconds), waits until it is gone and
starts the spec again; the log file is opened in append mode and closed in the parent right after
the child inherits it.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chaos.process.errors import NotRestartable, ProcessFaultError, ProcessNotFound
from chaos.process.signals import check_pid, is_alive, send_signal, wait_gone

__all__ = ["LaunchSpec", "ProcessHandle", "Target", "launch", "restart", "stop", "target_pid"]


@dataclass(frozen=True)
class LaunchSpec:
    """How to start a process. ``env`` None inherits this process's environment."""

    argv: tuple[str, ...]
    cwd: str | None = None
    env: tuple[tuple[str, str], ...] | None = None
    log_path: str | None = None

    def __post_init__(self) -> None:
        if not self.argv or not all(isinstance(a, str) and a for a in self.argv):
            raise ProcessFaultError("launch spec needs a non-empty argv of non-empty strings")

    @classmethod
    def of(
        cls,
        argv: list[str] | tuple[str, ...],
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        log_path: str | None = None,
    ) -> LaunchSpec:
        """Build a spec from ordinary lists and dicts."""
        env_pairs = tuple(sorted(env.items())) if env is not None else None
        return cls(tuple(argv), cwd, env_pairs, log_path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "argv": list(self.argv),
            "cwd": self.cwd,
            "env": dict(self.env) if self.env is not None else None,
            "log_path": self.log_path,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LaunchSpec:
        argv = data.get("argv")
        if not isinstance(argv, list):
            raise ProcessFaultError("launch spec 'argv' must be a list of strings")
        env = data.get("env")
        if env is not None and not isinstance(env, dict):
            raise ProcessFaultError("launch spec 'env' must be an object or null")
        return cls.of(argv, data.get("cwd"), env, data.get("log_path"))


@dataclass(frozen=True)
class ProcessHandle:
    """A process we may act on: its pid, and how to start it again when known."""

    pid: int
    launch: LaunchSpec | None = None
    popen: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)

    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return is_alive(self.pid)


Target = int | ProcessHandle
"""Functions accept a bare pid or a handle."""


def target_pid(target: Target) -> int:
    """The pid of a target, validated."""
    return check_pid(target.pid if isinstance(target, ProcessHandle) else target)


def launch(spec: LaunchSpec) -> ProcessHandle:
    """Start ``spec`` in a new session; ProcessFaultError if the program cannot be started."""
    log = open(spec.log_path, "ab") if spec.log_path else None  # noqa: SIM115 - closed below
    try:
        popen = subprocess.Popen(
            list(spec.argv),
            cwd=spec.cwd,
            env=dict(spec.env) if spec.env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log if log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProcessFaultError(f"cannot start {spec.argv[0]!r}: {exc.strerror or exc}") from None
    finally:
        if log is not None:
            log.close()
    return ProcessHandle(popen.pid, spec, popen)


def stop(target: Target, grace: float = 5.0) -> None:
    """SIGCONT + SIGTERM, then SIGKILL after ``grace`` s; returns once the process is gone.

    A process that is already gone is not an error here (stopping is idempotent).
    """
    pid = target_pid(target)
    popen = target.popen if isinstance(target, ProcessHandle) else None
    for signum in (signal.SIGCONT, signal.SIGTERM):  # a stopped process cannot handle SIGTERM
        try:
            send_signal(pid, signum)
        except ProcessNotFound:
            break
    if popen is not None:
        try:
            popen.wait(grace)
            return
        except subprocess.TimeoutExpired:
            pass
    elif wait_gone(pid, grace):
        return
    try:
        send_signal(pid, signal.SIGKILL)
    except ProcessNotFound:
        return
    if popen is not None:
        popen.wait(grace)
    elif not wait_gone(pid, grace):
        raise ProcessFaultError(f"process {pid} did not exit after SIGKILL", pid)


def restart(
    target: Target,
    spec: LaunchSpec | None = None,
    starter: Callable[[], ProcessHandle] | None = None,
    grace: float = 5.0,
) -> ProcessHandle:
    """Stop the target (if still running) and start it again; returns the new handle.

    The new process comes from ``starter()`` if given, else ``spec``, else the handle's own
    launch spec; with none of them NotRestartable is raised before anything is signalled.
    """
    launch_spec = spec or (target.launch if isinstance(target, ProcessHandle) else None)
    pid = target_pid(target)
    if starter is None and launch_spec is None:
        raise NotRestartable(f"process {pid}: no launch spec or starter to restart it with", pid)
    stop(target, grace)
    if starter is not None:
        return starter()
    assert launch_spec is not None
    return launch(launch_spec)

