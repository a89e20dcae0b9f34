"""Fixtures: two real upstream servers and the gateway as a subprocess (LISTENING + /healthz)."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.integration.engine.engine_proc import shared_tls

from .upstream_server import UpstreamServer


class GatewayProcess:
    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 20.0) -> GatewayProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness.deploy.gateway", *self.args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not line or not line[0].startswith("LISTENING "):
            self.proc.kill()
            raise RuntimeError(f"gateway did not start: {line!r} {self.proc.communicate(timeout=5)[1]}")
        self.url = line[0].split()[1]
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1, verify=shared_tls()) as http:  # one client: ~20-50 ms each
            while time.monotonic() < deadline:
                try:
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return self
                except httpx.HTTPError:
                    time.sleep(0.01)
        raise RuntimeError("gateway /healthz never answered")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


def free_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def blue():
    with UpstreamServer("blue") as server:
        yield server


@pytest.fixture
def green():
    with UpstreamServer("green") as server:
        yield server


@pytest.fixture
def gateway(blue, green):
    gw = GatewayProcess(["--upstream", f"blue={blue.url}", "--upstream", f"green={green.url}",
                         "--active", "blue", "--upstream-timeout", "1"]).start()
    yield gw
    gw.stop()


@pytest.fixture
def client(gateway):
    with httpx.Client(base_url=gateway.url, timeout=10, verify=shared_tls()) as c:
        yield c
