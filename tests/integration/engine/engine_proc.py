"""Start real engine processes for tests: parse LISTENING, poll /healthz, stop by pid."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from target_engine.config.loader import load_config_dict
from target_engine.domain import Engine
from target_engine.service.recovery import service_config


def require_domain() -> None:
    try:
        Engine(service_config(load_config_dict()))
    except NotImplementedError:
        pytest.skip("target_engine.domain.Engine is still a stub")


@dataclass
class EngineProc:
    proc: subprocess.Popen[str]
    url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self) -> int:
        self.proc.terminate()
        return self.proc.wait(15)


def start_engine(journal: Path, color: str = "blue", role: str = "auto", *extra: str,
                 env: dict[str, str] | None = None, timeout: float = 20.0) -> EngineProc:
    cmd = [sys.executable, "-m", "target_engine.service", "serve", "--journal", str(journal),
           "--color", color, "--role", role, "--port", "0", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = proc.stdout.readline()
    if not line.startswith("LISTENING "):
        proc.kill()
        raise AssertionError(f"engine did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    url = line.split()[1]
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                return EngineProc(proc, url)
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("engine not healthy in time")


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
