"""Start a ``chaos-proxy`` server as a subprocess (for tests, benchmarks and the harness).

``ChaosProxyProcess.start()`` runs ``python -m chaos.toxiproxy.cli serve --port 0``, reads the
``LISTENING`` line from its stdout, then polls ``/version`` until it answers (bounded by
``timeout``); on failure the process is killed and ``RuntimeError`` raised with its stderr.
``stop()`` sends SIGTERM, waits, and kills if needed; the object is a context manager.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path


class ChaosProxyProcess:
    def __init__(self, *, seed: int | None = None, config: Path | None = None, timeout: float = 15.0) -> None:
        self.seed = seed
        self.config = config
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> ChaosProxyProcess:
        cmd = [sys.executable, "-m", "chaos.toxiproxy.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed)]
        if self.config is not None:
            cmd += ["--config", str(self.config)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(self.timeout)
        if not line or not line[0].startswith("LISTENING "):
            self._fail(f"no LISTENING line (got {line[:1]!r})")
        self.url = line[0].split(" ", 1)[1].strip()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/version", timeout=1.0) as answer:  # noqa: S310
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.02)
        self._fail("/version never answered")
        return self

    def _fail(self, why: str) -> None:
        err = ""
        if self.process is not None:
            self.process.kill()
            _, err = self.process.communicate(timeout=5)
        raise RuntimeError(f"chaos-proxy did not start: {why}; stderr: {err.strip()[-2000:]}")

    def stop(self) -> int | None:
        """SIGTERM, wait up to 5 s, then SIGKILL. Returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
        return self.process.returncode

    def __enter__(self) -> ChaosProxyProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
