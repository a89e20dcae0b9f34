"""Start real engine processes for tests: parse LISTENING, poll /healthz, stop by pid.

stderr goes to a log file next to the journal (a pipe nobody reads could fill and block the engine);
the file is quoted in the failure message when the engine does not start.

Clients share one SSL context: httpx builds a fresh one per ``Client`` (20-50 ms of CA loading on this
machine), and tests open a client per request in polling loops and fuzzers. The engines speak plain
HTTP on loopback, so the context is never used for a handshake.
"""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx


@cache
def shared_tls() -> ssl.SSLContext:
    """The one SSL context every test client here passes as ``verify`` (see the module docstring)."""
    return ssl.create_default_context()


@dataclass
class EngineProc:
    proc: subprocess.Popen[str]
    url: str
    log: Path

    def client(self, timeout: float = 10.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout, verify=shared_tls())

    def set_index(self, prices: dict[str, str]) -> None:
        """Journal index ticks through the admin API (orders need an index price)."""
        with self.client() as c:
            for symbol, price in prices.items():
                r = c.put("/admin/index-price", json={"symbol": symbol, "price": price})
                assert r.status_code == 200, r.text

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self) -> int:
        self.proc.terminate()
        return self.proc.wait(15)


def start_process(argv: list[str], log: Path, env: dict[str, str] | None = None,
                  timeout: float = 20.0) -> tuple[subprocess.Popen[str], str]:
    """Start ``argv``; return (process, url) once it printed ``LISTENING <url>``."""
    err = log.open("a")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True,
                            env={**os.environ, **(env or {})})
    err.close()
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("LISTENING "):
        proc.kill()
        proc.wait(10)
        raise AssertionError(f"process did not start: {line!r} {log.read_text()[-2000:]}")
    return proc, line.split()[1]


def start_engine(journal: Path, color: str = "blue", role: str = "auto", *extra: str,
                 env: dict[str, str] | None = None, timeout: float = 20.0) -> EngineProc:
    cmd = [sys.executable, "-m", "target_engine.service", "serve", "--journal", str(journal),
           "--color", color, "--role", role, "--port", "0", *extra]
    log = journal.parent / f"engine-{color}.log"
    proc, url = start_process(cmd, log, env, timeout)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0, verify=shared_tls()) as http:
        while time.monotonic() < deadline:
            try:
                if http.get(url + "/healthz").status_code == 200:
                    return EngineProc(proc, url, log)
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
    proc.kill()
    raise AssertionError("engine not healthy in time")


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
