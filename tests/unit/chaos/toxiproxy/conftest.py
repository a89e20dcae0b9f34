"""Fixtures: a chaos-proxy subprocess (port 0), real upstream servers (echo, HTTP/1.1 keep-alive)."""

from __future__ import annotations

import itertools
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.launcher import ChaosProxyProcess
from chaos.toxiproxy.models import Proxy

_names = itertools.count()


class EchoServer:
    """Threaded TCP echo server on 127.0.0.1:0; ``close_after_reply`` closes after echoing once."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    @staticmethod
    def _echo(conn: socket.socket) -> None:
        try:
            while data := conn.recv(65536):
                conn.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.sock.close()


class CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests_seen = 0
    lock = threading.Lock()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    break
                body += self.rfile.read(size)
                self.rfile.readline()
        else:
            body = self.rfile.read(length) if length else b""
        with CountingHandler.lock:
            type(self).requests_seen += 1
        payload = b"ok:" + self.path.encode() + b":" + body
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def chaos_server() -> Iterator[ChaosProxyProcess]:
    with ChaosProxyProcess(seed=1234) as server:
        yield server


@pytest.fixture
def api(chaos_server: ChaosProxyProcess) -> Iterator[ToxiproxyClient]:
    with ToxiproxyClient(chaos_server.url) as client:
        yield client


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.fixture
def http_upstream() -> Iterator[tuple[int, type[CountingHandler]]]:
    handler = type("Handler", (CountingHandler,), {"requests_seen": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy_to(api: ToxiproxyClient) -> Iterator[object]:
    """``proxy_to(port)`` creates a uniquely named proxy to 127.0.0.1:port; deleted afterwards."""
    created: list[str] = []

    def make(port: int) -> Proxy:
        name = f"p{next(_names)}"
        created.append(name)
        return api.create_proxy(name, f"127.0.0.1:{port}")

    yield make
    for name in created:
        try:
            api.delete_proxy(name)
        except Exception:
            pass


def connect(proxy: Proxy, timeout: float = 5.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.listen_port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        part = sock.recv(size - len(data))
        if not part:
            break
        data += part
    return data
