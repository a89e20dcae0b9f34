"""ManagedPrometheus: run the real ``prometheus`` binary for one game day, or use PROMETHEUS_URL.

Resources: one child process (stdout+stderr to ``<workdir>/prometheus.log``), a generated
``<workdir>/prometheus.yml`` and a TSDB in ``<workdir>/data``. A temporary workdir is created
when none is given and removed by :meth:`stop`. :meth:`stop` terminates (SIGTERM, then SIGKILL
after 5 s) and is idempotent; the context manager and an ``atexit`` hook both call it, and the
pid is written to ``<workdir>/prometheus.pid`` for clean-up after a killed run.

Errors (ObservabilityError): PROMETHEUS_NOT_FOUND, PROMETHEUS_START_FAILED (log tail in the
message; a port collision is retried on a fresh port up to 5 times), PROMETHEUS_RELOAD_FAILED.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from harness.observability.config import ScrapeTarget, render_config
from harness.observability.errors import ObservabilityError
from harness.observability.waits import wait_ready

PROMETHEUS_URL_ENV = "PROMETHEUS_URL"
PROMETHEUS_BIN_ENV = "PROMETHEUS_BIN"
_START_ATTEMPTS = 5


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS just handed out for ``host`` (closed again: the caller races other binders)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class ManagedPrometheus:
    """A Prometheus server scraping ``targets`` and evaluating ``rule_files``.

    With ``PROMETHEUS_URL`` set (or ``external_url`` given) nothing is started: ``url`` is that
    server and :meth:`set_targets` only records the targets (the external server's own config
    decides what it scrapes).
    """

    def __init__(
        self,
        targets: Iterable[ScrapeTarget],
        rule_files: Sequence[Path | str],
        scrape_interval: str = "250ms",
        eval_interval: str = "250ms",
        *,
        workdir: Path | str | None = None,
        external_url: str | None = None,
        binary: str | None = None,
        ready_timeout: float = 15.0,
    ) -> None:
        self._targets = list(targets)
        self._rule_files = [Path(f) for f in rule_files]
        for f in self._rule_files:
            if not f.is_file():
                raise ObservabilityError("RULES_NOT_FOUND", f"rule file {f} does not exist")
        self._scrape_interval = scrape_interval
        self._eval_interval = eval_interval
        # Validate the whole configuration before anything starts.
        render_config(self._targets, self._rule_files, scrape_interval, eval_interval)
        self._external = external_url or os.environ.get(PROMETHEUS_URL_ENV) or None
        self._binary = binary or os.environ.get(PROMETHEUS_BIN_ENV) or "prometheus"
        self._given_workdir = Path(workdir) if workdir is not None else None
        self._workdir: Path | None = None
        self._ready_timeout = ready_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._url: str | None = self._external.rstrip("/") if self._external else None

    # -- properties ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._url is None:
            raise ObservabilityError("PROMETHEUS_START_FAILED", "not started")
        return self._url

    @property
    def external(self) -> bool:
        return self._external is not None

    @property
    def targets(self) -> list[ScrapeTarget]:
        return list(self._targets)

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def config_path(self) -> Path:
        return self._dir() / "prometheus.yml"

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> ManagedPrometheus:
        """Start the server (no-op when external or already running) and wait until /-/ready."""
        if self._external is not None:
            wait_ready(self.url, timeout=self._ready_timeout)
            return self
        if self._proc is not None:
            return self
        exe = shutil.which(self._binary)
        if exe is None:
            raise ObservabilityError("PROMETHEUS_NOT_FOUND",
                                     f"{self._binary!r} not on PATH (apt install prometheus)")
        self._write_config()
        atexit.register(self.stop)
        last_error = ""
        for _ in range(_START_ATTEMPTS):
            port = free_port()
            try:
                self._launch(exe, port)
                return self
            except ObservabilityError as exc:
                last_error = exc.message
                if "address already in use" not in last_error:
                    raise
        raise ObservabilityError("PROMETHEUS_START_FAILED",
                                 f"no free port after {_START_ATTEMPTS} tries: {last_error}")

    def _launch(self, exe: str, port: int) -> None:
        workdir = self._dir()
        log_path = workdir / "prometheus.log"
        args = [
            exe,
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=1d",
        ]
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._proc = proc
        self._url = f"http://127.0.0.1:{port}"
        (workdir / "prometheus.pid").write_text(f"{proc.pid}\n")
        try:
            wait_ready(self._url, timeout=self._ready_timeout, alive=lambda: proc.poll() is None)
        except ObservabilityError as exc:
            self._kill()
            tail = log_path.read_text(errors="replace")[-800:]
            raise ObservabilityError("PROMETHEUS_START_FAILED", f"{exc.message}; log tail: {tail}") from None

    def set_targets(self, targets: Iterable[ScrapeTarget]) -> None:
        """Replace the scrape targets: rewrite prometheus.yml atomically and POST /-/reload."""
        new = list(targets)
        render_config(new, self._rule_files, self._scrape_interval, self._eval_interval)
        self._targets = new
        if self._external is not None or self._proc is None:
            return
        self._write_config()
        self.reload()

    def reload(self) -> None:
        """POST /-/reload; PROMETHEUS_RELOAD_FAILED when Prometheus rejects the config."""
        try:
            resp = httpx.post(f"{self.url}/-/reload", timeout=10.0)
        except httpx.HTTPError as exc:
            raise ObservabilityError("PROMETHEUS_RELOAD_FAILED", f"{self.url}/-/reload: {exc}") from None
        if resp.status_code != 200:
            raise ObservabilityError("PROMETHEUS_RELOAD_FAILED",
                                     f"HTTP {resp.status_code}: {resp.text.strip()}")

    def stop(self) -> None:
        """Stop the server and remove a temporary workdir. Idempotent; never raises."""
        self._kill()
        if self._given_workdir is None and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> ManagedPrometheus:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- helpers ------------------------------------------------------------------------------
    def _dir(self) -> Path:
        if self._workdir is None:
            if self._given_workdir is not None:
                self._given_workdir.mkdir(parents=True, exist_ok=True)
                self._workdir = self._given_workdir
            else:
                self._workdir = Path(tempfile.mkdtemp(prefix="gameday-prometheus-"))
        return self._workdir

    def _write_config(self) -> None:
        text = render_config(self._targets, self._rule_files, self._scrape_interval, self._eval_interval)
        tmp = self.config_path.with_suffix(".yml.tmp")
        tmp.write_text(text)
        os.replace(tmp, self.config_path)
