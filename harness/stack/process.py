"""One supervised child process: argv (no shell), own process group, logs, LISTENING line, readiness.

Resources: ``start`` opens ``<log_dir>/<name>.out.log`` (stdout, copied line by line by a daemon
reader thread that also catches the ``LISTENING <url>`` line) and ``<name>.err.log`` (stderr), and
starts the child with ``start_new_session=True`` so the whole group can be signalled. ``stop``
sends SIGTERM to the group, waits up to ``spec.stop_timeout``, then SIGKILLs the group, joins the
reader and closes the logs; it is idempotent. Errors: :class:`StartError` (cannot exec, exited
early, no LISTENING line in time — with the log tail), :class:`NotReadyError` (readiness budget).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO

from harness.stack.errors import StartError
from harness.stack.readiness import parse_listening, wait_ready
from harness.stack.state import StateEntry, proc_start_ticks


@dataclass(frozen=True)
class ProcessSpec:
    """How to run one component.

    ``ready_path`` is appended to the LISTENING URL (http only) and polled until 2xx;
    ``ready_url`` overrides it (for processes that print no LISTENING line); both None ⇒ the
    LISTENING line alone means ready. ``env`` is added to the supervisor's environment.
    """

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    expect_listening: bool = True
    listening_timeout: float = 20.0
    ready_path: str | None = "/healthz"
    ready_url: str | None = None
    ready_timeout: float = 20.0
    stop_timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or not self.argv:
            raise ValueError(f"process spec {self.name!r}: a name without '/' and a non-empty argv required")


class ProcessState(StrEnum):
    NEW = "new"
    STARTING = "starting"
    READY = "ready"
    STOPPED = "stopped"
    EXITED = "exited"


class ManagedProcess:
    def __init__(self, spec: ProcessSpec, log_dir: Path) -> None:
        self.spec = spec
        self.log_dir = log_dir
        self.state = ProcessState.NEW
        self.url: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._listening = threading.Event()
        self._reader: threading.Thread | None = None
        self._out: IO[bytes] | None = None
        self._err: IO[bytes] | None = None
        self._start_ticks: int | None = None

    @property
    def out_log(self) -> Path:
        return self.log_dir / f"{self.spec.name}.out.log"

    @property
    def err_log(self) -> Path:
        return self.log_dir / f"{self.spec.name}.err.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def state_entry(self) -> StateEntry | None:
        if self._proc is None:
            return None
        return StateEntry(self.spec.name, self._proc.pid, self._proc.pid, self._start_ticks, self.url,
                          self.spec.argv, str(self.out_log))

    def start(self) -> None:
        """Exec the child; returns at once (see :meth:`wait_started`)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._out = self.out_log.open("ab")
        self._err = self.err_log.open("ab")
        env = dict(os.environ, PYTHONUNBUFFERED="1", **dict(self.spec.env))
        try:
            self._proc = subprocess.Popen(
                list(self.spec.argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err,
                env=env, cwd=self.spec.cwd, start_new_session=True,
            )
        except OSError as exc:
            self._close_logs()
            raise StartError(f"{self.spec.name}: cannot start {self.spec.argv[0]!r}: {exc}") from None
        self._start_ticks = proc_start_ticks(self._proc.pid)
        self.state = ProcessState.STARTING
        self._reader = threading.Thread(
            target=self._read_stdout, name=f"stdout-{self.spec.name}", daemon=True
        )
        self._reader.start()

    def _read_stdout(self) -> None:
        proc, out = self._proc, self._out
        assert proc is not None and proc.stdout is not None and out is not None
        for line in iter(proc.stdout.readline, b""):
            try:
                out.write(line)
                out.flush()
            except ValueError:  # log closed during stop
                break
            if not self._listening.is_set():
                url = parse_listening(line.decode("utf-8", "replace"))
                if url:
                    self.url = url
                    self._listening.set()
        proc.stdout.close()

    def wait_started(self) -> str | None:
        """Wait (bounded) for the LISTENING line, then readiness; returns the URL."""
        if self.spec.expect_listening:
            deadline = time.monotonic() + self.spec.listening_timeout
            while not self._listening.wait(0.05):
                if not self.alive():
                    self._listening.wait(0.2)  # the reader may still be copying the last lines
                    if self._listening.is_set():
                        break
                    raise StartError(f"{self.spec.name}: exited with {self.returncode} before LISTENING; "
                                     f"{self.log_tail()}")
                if time.monotonic() > deadline:
                    raise StartError(f"{self.spec.name}: no LISTENING line within "
                                     f"{self.spec.listening_timeout:g}s; {self.log_tail()}")
        ready = self.readiness_url()
        if ready:
            wait_ready(ready, self.spec.ready_timeout, alive=self.alive)
        self.state = ProcessState.READY
        return self.url

    def readiness_url(self) -> str | None:
        if self.spec.ready_url:
            return self.spec.ready_url
        if self.spec.ready_path and self.url and self.url.startswith("http"):
            return self.url.rstrip("/") + self.spec.ready_path
        return None

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM the group, SIGKILL after the timeout; close logs. Returns the exit code."""
        proc = self._proc
        if proc is None:
            return None
        wait = self.spec.stop_timeout if timeout is None else timeout
        if proc.poll() is None:
            _killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                _killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        _killpg(proc.pid, signal.SIGKILL)  # anything it forked into its group
        if self._reader is not None:
            self._reader.join(timeout=5)
        self._close_logs()
        self.state = ProcessState.STOPPED
        return proc.returncode

    def _close_logs(self) -> None:
        for fh in (self._out, self._err):
            if fh is not None:
                fh.close()

    def log_tail(self, chars: int = 800) -> str:
        parts = []
        for path in (self.out_log, self.err_log):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")[-chars:]
            except OSError:
                continue
            if text.strip():
                parts.append(f"{path.name}: {text.strip()}")
        return " | ".join(parts) or "(no output)"


def _killpg(pgid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
