"""The Toxiproxy API contract runs against chaos-proxy always, and a real toxiproxy-server if present."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from chaos.toxiproxy.launcher import ChaosProxyProcess


@dataclass(frozen=True)
class Server:
    kind: str
    url: str


def _real_binary() -> str | None:
    return os.environ.get("TOXIPROXY_BIN") or shutil.which("toxiproxy-server")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session", params=["chaos-proxy", "toxiproxy-server"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "chaos-proxy":
        with ChaosProxyProcess(seed=99) as proc:
            yield Server("chaos-proxy", proc.url)
        return
    binary = _real_binary()
    if binary is None:
        reason = "no real toxiproxy-server: not on PATH and TOXIPROXY_BIN unset"
        print(f"SKIP toxiproxy-server contract run: {reason}")
        pytest.skip(reason)
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "-host", "127.0.0.1", "-port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/version", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("toxiproxy-server did not answer /version")
    try:
        yield Server("toxiproxy-server", url)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5, headers={"User-Agent": "contract-test"}) as client:
        yield client
    with httpx.Client(base_url=server.url, timeout=5) as client:
        client.post("/reset")
        for name in client.get("/proxies").json():
            client.delete(f"/proxies/{name}")


@pytest.fixture
def upstream() -> Iterator[str]:
    """A listening socket nobody reads (enough for API tests)."""
    sock = socket.create_server(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
