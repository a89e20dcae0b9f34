"""Signals to local processes by pid: kill, terminate, pause (SIGSTOP), resume (SIGCONT).

Every function validates the pid first (refusing 0, 1, negatives and the caller's own pid, which
``os.kill`` would turn into group-wide or self-inflicted signals), then sends one signal. A process
that does not exist raises :class:`ProcessNotFound`; one we may not signal raises
:class:`SignalDenied`. Process state is read from ``/proc/<pid>/stat`` (Linux); exit waits poll
with a bounded timeout and reap the process when it is our child.
"""

from __future__ import annotations

import enum
import os
import signal
import time

from chaos.process.errors import InvalidTarget, ProcessNotFound, SignalDenied

__all__ = [
    "ProcessState",
    "check_pid",
    "is_alive",
    "kill",
    "pause",
    "process_state",
    "resume",
    "send_signal",
    "terminate",
    "wait_gone",
]


class ProcessState(enum.Enum):
    """Scheduler state of a pid as the kernel reports it."""

    RUNNING = "running"  # R, S, D, I: alive and schedulable
    STOPPED = "stopped"  # T, t: stopped by SIGSTOP or a tracer
    ZOMBIE = "zombie"  # exited, not yet reaped
    GONE = "gone"  # no such pid


def check_pid(pid: object) -> int:
    """Return pid if it may be signalled, else raise InvalidTarget."""
    if isinstance(pid, bool) or not isinstance(pid, int):
        raise InvalidTarget(f"pid must be an integer, got {pid!r}")
    if pid <= 1:
        raise InvalidTarget(f"refusing to signal pid {pid} (0, 1 and negative pids are never targets)", pid)
    if pid == os.getpid():
        raise InvalidTarget(f"refusing to signal pid {pid}: that is this process", pid)
    return pid


def process_state(pid: int) -> ProcessState:
    """Read the state of ``pid`` from /proc; GONE when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return ProcessState.GONE
    except OSError:
        return ProcessState.GONE
    # Format: pid (comm) state ...; comm may contain spaces and parentheses.
    state = stat.rpartition(")")[2].split()[:1]
    letter = state[0] if state else "?"
    if letter in {"Z", "X"}:
        return ProcessState.ZOMBIE
    if letter in ("T", "t"):
        return ProcessState.STOPPED
    return ProcessState.RUNNING


def _reap(pid: int) -> None:
    """Reap ``pid`` if it is our exited child; ignore it when it is not our child."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def is_alive(pid: int) -> bool:
    """True while ``pid`` exists and has not exited (zombies count as exited)."""
    _reap(pid)
    return process_state(pid) in (ProcessState.RUNNING, ProcessState.STOPPED)


def send_signal(pid: int, signum: signal.Signals) -> None:
    """Send ``signum`` to ``pid``; ProcessNotFound / SignalDenied / InvalidTarget on failure."""
    check_pid(pid)
    if process_state(pid) is ProcessState.ZOMBIE:
        raise ProcessNotFound(f"process {pid} has already exited", pid)
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        raise ProcessNotFound(f"no process with pid {pid}", pid) from None
    except PermissionError:
        raise SignalDenied(f"not permitted to send {signum.name} to pid {pid}", pid) from None


def kill(pid: int) -> None:
    """SIGKILL: the process ends at once, with no chance to clean up."""
    send_signal(pid, signal.SIGKILL)


def terminate(pid: int) -> None:
    """SIGTERM: ask the process to drain and exit."""
    send_signal(pid, signal.SIGTERM)


def pause(pid: int) -> None:
    """SIGSTOP: freeze the process (it keeps its sockets; peers see it hang)."""
    send_signal(pid, signal.SIGSTOP)


def resume(pid: int) -> None:
    """SIGCONT: let a paused process run again."""
    send_signal(pid, signal.SIGCONT)


def wait_gone(pid: int, timeout: float) -> bool:
    """Poll until ``pid`` has exited (reaping our children); False when ``timeout`` s pass first."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        if not is_alive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)
