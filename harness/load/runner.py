"""Run Locust as a bounded subprocess and collect what it produced (never imports locust).

Resources: every Locust process is started with ``start_new_session=True`` (its own process group)
and its stdout/stderr go to ``<out_dir>/locust-<role>.log``. :meth:`LoadRun.wait` is bounded by the
run time plus a grace period; past it the groups get SIGTERM (Locust writes its summary), then
SIGKILL after ``stop_timeout``. :meth:`LoadRun.stop` (also called by ``__exit__``) always reaps the
children. Errors: a Locust exit code other than 0 (clean) or 1 (some request failed) raises
:class:`LoadRunError` (code ``LOAD_RUN``) with the log tail; a missing JSON summary gives zero totals
and ``summary_missing=True`` rather than an exception.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from harness.history import HISTORY_FILE
from harness.load.config import CONFIG_ENV, WORKER_ENV, LoadConfig

LOCUSTFILE = Path(__file__).with_name("locustfiles") / "engine_load.py"
CONFIG_FILE = "load-config.json"
JSON_PREFIX = "locust"
OK_EXIT_CODES = (0, 1)


class LoadRunError(RuntimeError):
    """Locust could not run (bad arguments, crash); code LOAD_RUN."""

    code = "LOAD_RUN"


@dataclass(frozen=True)
class LoadOptions:
    """How to run the load. ``config.steps`` (a stepped shape) overrides users/spawn_rate/run_time.

    ``processes`` > 1 uses Locust's ``--processes N`` (forked workers, Locust assigns the worker
    index); ``workers`` > 0 starts a master plus N worker processes (worker index = 0..N-1 from
    ``GAMEDAY_LOAD_WORKER``). Not both.
    """

    host: str
    config: LoadConfig
    users: int = 10
    spawn_rate: float = 10.0
    run_time: float = 10.0
    processes: int = 1
    workers: int = 0
    locustfile: Path = LOCUSTFILE
    grace_seconds: float = 20.0
    stop_timeout: float = 10.0
    python: str = sys.executable

    def __post_init__(self) -> None:
        if self.processes < 1 or self.workers < 0 or (self.processes > 1 and self.workers > 0):
            raise LoadRunError("processes ≥ 1, workers ≥ 0, and not both processes > 1 and workers > 0")
        if self.users < 0 or self.spawn_rate <= 0 or self.run_time <= 0:
            raise LoadRunError("users ≥ 0, spawn_rate > 0 and run_time > 0 required")

    @property
    def duration(self) -> float:
        return self.config.shape_seconds if self.config.steps else self.run_time

    @property
    def out_dir(self) -> Path:
        return Path(self.config.out_dir)


@dataclass(frozen=True)
class LoadTotals:
    requests: int = 0
    failures: int = 0
    by_name: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadResult:
    exit_code: int | None
    timed_out: bool
    totals: LoadTotals
    history_path: Path | None
    history_records: int
    exporter_urls: tuple[str, ...]
    elapsed_seconds: float
    summary_missing: bool = False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Command = tuple[str, list[str], int | None]


def build_commands(options: LoadOptions, master_port: int | None = None) -> list[Command]:
    """The Locust command lines: ``(role, argv, worker index or None)``; the first one is the main one."""
    base = [options.python, "-m", "locust", "-f", str(options.locustfile)]
    prefix = str(options.out_dir / JSON_PREFIX)
    main = [*base, "--headless", "--host", options.host, "--json-file", prefix, "--csv", prefix,
            "--only-summary", "--loglevel", "WARNING"]
    if options.config.steps:
        main += ["-t", f"{int(options.duration + 5)}s"]
    else:
        run_time = f"{max(1, round(options.run_time))}s"
        main += ["-u", str(options.users), "-r", f"{options.spawn_rate:g}", "-t", run_time]
    if options.processes > 1:
        main += ["--processes", str(options.processes)]
    commands: list[Command] = []
    if options.workers > 0:
        port = master_port or _free_port()
        main += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                 "--expect-workers", str(options.workers), "--expect-workers-max-wait", "30"]
        commands.append(("master", main, None))
        for i in range(options.workers):
            worker = [*base, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port),
                      "--loglevel", "WARNING"]
            commands.append((f"worker-{i}", worker, i))
    else:
        commands.append(("main", main, None))
    return commands


def read_totals(json_path: Path) -> LoadTotals | None:
    """Totals from Locust's ``--json-file`` output (a list of stats entries), or None if absent/bad."""
    try:
        entries: Any = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entries, list):
        return None
    by_name: dict[str, tuple[int, int]] = {}
    for e in entries:
        if isinstance(e, dict):
            name = str(e.get("name"))
            req, fail = by_name.get(name, (0, 0))
            by_name[name] = (req + int(e.get("num_requests", 0)), fail + int(e.get("num_failures", 0)))
    return LoadTotals(sum(r for r, _ in by_name.values()), sum(f for _, f in by_name.values()), by_name)


def merge_histories(sources: Sequence[Path], target: Path) -> int:
    """Append every record of ``sources`` to ``target`` sorted by ``t`` (stable); returns the count.

    Lines that are not JSON objects with a numeric ``t`` are kept, placed after the valid ones, so
    the history reader can report them as malformed.
    """
    keyed: list[tuple[float, int, str]] = []
    bad: list[str] = []
    for src in sources:
        for line in src.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                t = json.loads(line)["t"]
                keyed.append((float(t), len(keyed), line))
            except (ValueError, KeyError, TypeError):
                bad.append(line)
    keyed.sort()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as out:
        for _, _, line in keyed:
            out.write(line + "\n")
        for line in bad:
            out.write(line + "\n")
    return len(keyed) + len(bad)


def exporter_urls(out_dir: Path) -> tuple[str, ...]:
    folder = out_dir / "exporters"
    if not folder.is_dir():
        return ()
    urls = (p.read_text(encoding="utf-8").strip() for p in sorted(folder.glob("*.url")))
    return tuple(u for u in urls if u)


class LoadRun:
    """One Locust run as subprocesses. Use as a context manager so children are always reaped."""

    def __init__(self, options: LoadOptions) -> None:
        self.options = options
        self._procs: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = []
        self._started = 0.0

    @property
    def expected_exporters(self) -> int:
        return self.options.workers or (self.options.processes if self.options.processes > 1 else 1)

    @property
    def pids(self) -> list[int]:
        return [p.pid for _, p, _ in self._procs]

    def start(self) -> LoadRun:
        out = self.options.out_dir
        out.mkdir(parents=True, exist_ok=True)
        for stale in (out / "exporters").glob("*.url") if (out / "exporters").is_dir() else ():
            stale.unlink()
        config_path = self.options.config.write(out / CONFIG_FILE)
        self._started = time.monotonic()
        try:
            for role, argv, worker in build_commands(self.options):
                env = dict(os.environ, **{CONFIG_ENV: str(config_path), "PYTHONUNBUFFERED": "1"})
                if worker is not None:
                    env[WORKER_ENV] = str(worker)
                log = (out / f"locust-{role}.log").open("ab")
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        env=env, start_new_session=True)
                self._procs.append((role, proc, log))
        except OSError as exc:
            self.stop()
            raise LoadRunError(f"cannot start locust: {exc}") from None
        return self

    def wait_exporters(self, timeout: float = 15.0) -> tuple[str, ...]:
        """The exporter URLs once every Locust process has published one (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            urls = exporter_urls(self.options.out_dir)
            if len(urls) >= self.expected_exporters or not self._alive():
                return urls
            time.sleep(0.05)
        return exporter_urls(self.options.out_dir)

    def _alive(self) -> bool:
        return any(p.poll() is None for _, p, _ in self._procs)

    def wait(self, history_target: Path | None = None) -> LoadResult:
        """Wait (bounded) for Locust to finish, stop leftovers, merge histories, read totals."""
        if not self._procs:
            raise LoadRunError("LoadRun.wait() before start()")
        deadline = self._started + self.options.duration + self.options.grace_seconds
        main = self._procs[0][1]
        timed_out = False
        try:
            main.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            timed_out = True
        urls = exporter_urls(self.options.out_dir)
        self.stop()
        code = main.returncode
        if code not in OK_EXIT_CODES and not timed_out:
            raise LoadRunError(f"locust exited with {code}: {self._log_tail()}")
        out = self.options.out_dir
        totals = read_totals(out / f"{JSON_PREFIX}.json")
        sources = sorted(out.glob("history-*.jsonl"))
        target = history_target or out / HISTORY_FILE
        merged = merge_histories(sources, target) if sources else 0
        return LoadResult(
            exit_code=code, timed_out=timed_out, totals=totals or LoadTotals(),
            history_path=target if sources else None, history_records=merged, exporter_urls=urls,
            elapsed_seconds=time.monotonic() - self._started, summary_missing=totals is None,
        )

    def stop(self) -> None:
        """SIGTERM every Locust process group, SIGKILL what is left after ``stop_timeout``; close logs."""
        for _, proc, _ in self._procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + self.options.stop_timeout
        for _, proc, _ in self._procs:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        for _, proc, _ in self._procs:
            _signal_group(proc, signal.SIGKILL)  # forked --processes children share the group
        for _, _, log in self._procs:
            log.close()

    def _log_tail(self, chars: int = 2000) -> str:
        path = self.options.out_dir / f"locust-{self._procs[0][0]}.log"
        try:
            return path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> LoadRun:
        return self.start() if not self._procs else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def run_load(options: LoadOptions, history_target: Path | None = None) -> LoadResult:
    """Start Locust, wait for it (bounded), and return the result; children are always stopped."""
    run = LoadRun(options)
    with run:
        return run.wait(history_target)
