"""Supervisor: start, track, restart and stop the stack's processes; clean up on every exit.

Resources and failure handling: every process is a :class:`ManagedProcess` (own process group,
logs under ``<run_dir>/logs``). The state file ``<run_dir>/stack.json`` is rewritten after every
start/stop so ``stop_from_state_file`` can clean up when this process is SIGKILLed. While any process
runs, an ``atexit`` hook and SIGINT/SIGTERM handlers (main thread only; the previous handlers are
restored by :meth:`close`) stop everything in reverse start order; after stopping, SIGINT raises
KeyboardInterrupt and SIGTERM exits with 143. A process that fails to start is stopped before the
error propagates.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from harness.stack.errors import UnknownProcessError
from harness.stack.process import ManagedProcess, ProcessSpec
from harness.stack.state import STATE_FILE, StateEntry, is_same_process, proc_start_ticks, write_state

_HANDLED = (signal.SIGINT, signal.SIGTERM)


class Supervisor:
    """``with Supervisor(run_dir) as sup: sup.start(ProcessSpec(...))`` — all stopped on exit."""

    def __init__(self, run_dir: str | Path, *, install_handlers: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.log_dir = self.run_dir / "logs"
        self.state_file = self.run_dir / STATE_FILE
        self._procs: dict[str, ManagedProcess] = {}
        self._adopted: dict[str, StateEntry] = {}
        self.info: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._install = install_handlers
        self._previous: dict[int, Any] = {}
        self._atexit = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, spec: ProcessSpec) -> ManagedProcess:
        """Start ``spec`` and wait (bounded) for LISTENING and readiness; returns the process."""
        with self._lock:
            if spec.name in self._procs and self._procs[spec.name].alive():
                raise ValueError(f"process {spec.name!r} is already running")
            self._arm()
            proc = ManagedProcess(spec, self.log_dir)
            self._procs[spec.name] = proc
            proc.start()
            self._write_state()
        try:
            proc.wait_started()
        except BaseException:
            proc.stop(timeout=2)
            self._write_state()
            raise
        self._write_state()
        return proc

    def stop(self, name: str, timeout: float | None = None) -> int | None:
        proc = self.get(name)
        code = proc.stop(timeout)
        self._write_state()
        return code

    def restart(self, name: str) -> ManagedProcess:
        """Stop ``name`` (if running) and start it again with the same spec (its URL may change)."""
        spec = self.get(name).spec
        self.stop(name)
        return self.start(spec)

    def stop_all(self, timeout: float | None = None) -> None:
        """Stop every process, newest first. Safe to call repeatedly and from handlers."""
        with self._lock:
            for proc in reversed(list(self._procs.values())):
                proc.stop(timeout)
            if self._procs:
                self._write_state()

    def close(self) -> None:
        self.stop_all()
        self._disarm()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries -----------------------------------------------------------------------------
    def get(self, name: str) -> ManagedProcess:
        try:
            return self._procs[name]
        except KeyError:
            raise UnknownProcessError(f"no process named {name!r}") from None

    def names(self) -> list[str]:
        return list(self._procs)

    def urls(self) -> dict[str, str]:
        return {n: p.url for n, p in self._procs.items() if p.url and p.alive()}

    # -- internals ---------------------------------------------------------------------------
    def adopt(self, name: str, pid: int, url: str | None, argv: tuple[str, ...] = ()) -> None:
        """Record a process someone else started and stops (e.g. Prometheus) in the state file, so
        ``stop_from_state_file`` can clean it up after a killed run. It is not stopped by this object."""
        ticks = proc_start_ticks(pid)
        pgid = os.getpgid(pid) if ticks is not None else pid
        self._adopted[name] = StateEntry(name, pid, pgid, ticks, url, argv)
        self._write_state()

    def set_info(self, **info: Any) -> None:
        """Store extra facts (URLs) in the state file's ``info`` object."""
        self.info.update(info)
        self._write_state()

    def _write_state(self) -> None:
        entries = [e for p in self._procs.values() if p.alive() and (e := p.state_entry())]
        entries += [e for e in self._adopted.values() if is_same_process(e)]
        write_state(self.state_file, entries, info=self.info)

    def _arm(self) -> None:
        if not self._atexit:
            atexit.register(self.stop_all)
            self._atexit = True
        if self._install and not self._previous and threading.current_thread() is threading.main_thread():
            for sig in _HANDLED:
                self._previous[sig] = signal.signal(sig, self._on_signal)

    def _disarm(self) -> None:
        if self._atexit:
            atexit.unregister(self.stop_all)
            self._atexit = False
        if self._previous and threading.current_thread() is threading.main_thread():
            for sig, handler in self._previous.items():
                signal.signal(sig, handler)
            self._previous.clear()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_all(timeout=5)
        self._disarm()
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)
