"""pytest plugin (entry point ``pytest11: gameday``) for writing your own resilience gates.

Fixtures:

* ``chaos_proxy`` — a fresh ``chaos-proxy`` (the Toxiproxy-compatible server) on 127.0.0.1, port 0;
  yields :class:`ChaosProxy` with ``url`` and a typed ``client`` (``chaos.toxiproxy.client``).
* ``margin_engine`` — a ``margin-engine serve`` leader with a journal in the test's tmp dir; yields
  :class:`MarginEngine` (``url``, ``journal``, ``color``). Indirect parametrization passes options:
  ``@pytest.mark.parametrize("margin_engine", [{"overflow_policy": "shed"}], indirect=True)``.
* ``gameday_run`` — a callable running ``gameday run SCENARIO [ARGS...]`` in the test's tmp dir and
  returning :class:`GamedayResult` (exit code, ``report.json``, verdict, MTTD per alert, checkers).
  Called without a scenario it uses the test's ``@pytest.mark.gameday(scenario=..., args=[...],
  timeout=...)`` marker.

Marker ``gameday``: marks a resilience gate (select with ``-m gameday``).

Processes: started with their console scripts when on PATH (else ``python -m ...``), supervised
by :mod:`harness.stack.process` (own process group, logs in the tmp dir, readiness polled on
``/version`` or ``/healthz``), stopped (SIGTERM, then SIGKILL) at fixture teardown whatever the
test's outcome. A component that cannot start fails the test with its log tail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: the plugin loads in every pytest session of an install
    from chaos.toxiproxy.client import ToxiproxyClient
    from harness.stack.process import ManagedProcess, ProcessSpec

MARKER_HELP = ("gameday(scenario=None, args=(), timeout=600): a resilience gate; gameday_run() without "
               "arguments runs this scenario")
DEFAULT_RUN_TIMEOUT = 600.0


def _command(script: str, module: str) -> list[str]:
    """The console script when installed on PATH, else ``python -m module``."""
    found = shutil.which(script)
    return [found] if found else [sys.executable, "-m", module]


@dataclass(frozen=True)
class ChaosProxy:
    url: str
    client: ToxiproxyClient


@dataclass(frozen=True)
class MarginEngine:
    url: str
    journal: Path
    color: str
    log_dir: Path


@dataclass(frozen=True)
class GamedayResult:
    """What one ``gameday run`` produced. ``report`` is ``report.json`` (empty if none was written)."""

    exit_code: int
    run_dir: Path | None
    report: dict[str, Any] = field(default_factory=dict)
    stdout: str = ""
    stderr: str = ""

    @property
    def verdict(self) -> str:
        return str(self.report.get("verdict", "unknown"))

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and self.verdict == "pass"

    def mttd(self, alert: str) -> float | None:
        """Seconds from fault start to ``alert`` firing (None if it never fired or is not expected)."""
        for d in self.report.get("detection", []):
            if d.get("alert") == alert:
                value = d.get("mttd_seconds")
                return None if value is None else float(value)
        return None

    def checker(self, name: str) -> dict[str, Any]:
        """A checker's entry (``verdict``, ``counts`` ...); KeyError names the available ones."""
        checkers = self.report.get("checkers", {})
        if name not in checkers:
            raise KeyError(f"no checker {name!r}; have {sorted(checkers)}")
        return dict(checkers[name])

    def explain(self) -> str:
        """A short text for assertion messages."""
        tail = (self.stderr or self.stdout)[-1500:]
        return f"gameday exit {self.exit_code}, verdict {self.verdict}, run {self.run_dir}\n{tail}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def _start(spec: ProcessSpec, log_dir: Path) -> ManagedProcess:
    from harness.stack.process import ManagedProcess

    proc = ManagedProcess(spec, log_dir)
    proc.start()
    try:
        proc.wait_started()
    except Exception as exc:
        proc.stop()
        pytest.fail(f"{spec.name} did not start: {exc}", pytrace=False)
    return proc


@pytest.fixture
def chaos_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosProxy]:
    """A running chaos-proxy; every proxy and toxic dies with it at teardown."""
    from chaos.toxiproxy.client import ToxiproxyClient
    from harness.stack.process import ProcessSpec

    log_dir = tmp_path_factory.mktemp("chaos-proxy")
    argv = [*_command("chaos-proxy", "chaos.toxiproxy.cli"), "serve", "--host", "127.0.0.1", "--port", "0",
            "--seed", os.environ.get("GAMEDAY_SEED", "1")]
    proc = _start(ProcessSpec("chaos-proxy", tuple(argv), ready_path="/version"), log_dir)
    assert proc.url is not None
    client = ToxiproxyClient(proc.url)
    try:
        yield ChaosProxy(proc.url, client)
    finally:
        client.close()
        proc.stop()


@pytest.fixture
def margin_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MarginEngine]:
    """A margin engine leader; options by indirect parametrization (color, overflow_policy, args)."""
    from harness.stack.process import ProcessSpec

    options: dict[str, Any] = dict(getattr(request, "param", None) or {})
    unknown = set(options) - {"color", "overflow_policy", "args", "role"}
    if unknown:
        pytest.fail(f"margin_engine: unknown options {sorted(unknown)}", pytrace=False)
    color = str(options.get("color", "blue"))
    work = tmp_path_factory.mktemp(f"engine-{color}")
    journal = work / "journal.sqlite"
    argv = [*_command("margin-engine", "target_engine.service"), "serve", "--journal", str(journal),
            "--color", color, "--role", str(options.get("role", "leader")),
            "--overflow-policy", str(options.get("overflow_policy", "halt")),
            "--host", "127.0.0.1", "--port", "0", *map(str, options.get("args", ()))]
    proc = _start(ProcessSpec(f"engine-{color}", tuple(argv), ready_path="/healthz"), work)
    assert proc.url is not None
    try:
        yield MarginEngine(proc.url, journal, color, work)
    finally:
        proc.stop()


def _newest_run(runs: Path) -> Path | None:
    folders = [p for p in runs.iterdir() if p.is_dir()] if runs.is_dir() else []
    return max(folders, key=lambda p: p.stat().st_mtime) if folders else None


@pytest.fixture
def gameday_run(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., GamedayResult]:
    """``gameday_run(scenario=None, *args, timeout=None) -> GamedayResult`` (runs in tmp_path)."""
    marker = request.node.get_closest_marker("gameday")

    def run(scenario: str | None = None, *args: str, timeout: float | None = None) -> GamedayResult:
        name = scenario or (marker.kwargs.get("scenario") if marker else None)
        if not name:
            pytest.fail("gameday_run: no scenario (pass one or use @pytest.mark.gameday(scenario=...))",
                        pytrace=False)
        extra = list(args) or [str(a) for a in (marker.kwargs.get("args", ()) if marker else ())]
        limit = timeout or (marker.kwargs.get("timeout") if marker else None) or DEFAULT_RUN_TIMEOUT
        path = Path(str(name))
        target = str(path.resolve()) if path.exists() else str(name)
        argv = [*_command("gameday", "harness.cli"), "run", target, *extra]
        try:
            done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=float(limit),
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"gameday run {name} exceeded {limit}s: {exc.stderr!r}"[-2000:], pytrace=False)
        run_dir = _newest_run(tmp_path / "runs")
        report: dict[str, Any] = {}
        if run_dir is not None and (run_dir / "report.json").is_file():
            report = json.loads((run_dir / "report.json").read_text())
        return GamedayResult(done.returncode, run_dir, report, done.stdout, done.stderr)

    return run
