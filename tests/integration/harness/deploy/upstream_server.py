"""A real HTTP/1.1 upstream for gateway tests (stdlib server in a thread on 127.0.0.1:0).

Paths: ``/echo...`` answers JSON describing the request; ``/status/N`` answers N with Retry-After 7;
``/drop`` closes the connection without answering; ``/hang`` waits (bounded) until released.
When ``not_leader`` is a dict, every request is answered like a standby engine does:
409 ``{"code": "NOT_LEADER", "message": ..., **not_leader}`` (e.g. ``{"leader_color": "green"}``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class UpstreamServer:
    def __init__(self, name: str) -> None:
        self.name = name
        self.requests: list[dict] = []
        self.connections = 0
        self.release = threading.Event()
        self.not_leader: dict | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                with lock:
                    outer.connections += 1

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                record = {
                    "upstream": outer.name,
                    "method": self.command,
                    "path": parts.path,
                    "query": parts.query,
                    "body": body.decode("latin-1"),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                }
                with lock:
                    outer.requests.append(record)
                if parts.path == "/drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if parts.path == "/hang":
                    outer.release.wait(10)
                status, extra, answer = 200, {}, record
                if parts.path.startswith("/status/"):
                    status, extra = int(parts.path.rsplit("/", 1)[1]), {"Retry-After": "7"}
                if outer.not_leader is not None:
                    status = 409
                    answer = {"code": "NOT_LEADER", "message": "this engine is not the leader",
                              **outer.not_leader}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Upstream", outer.name)
                for key, value in extra.items():
                    self.send_header(key, value)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the gateway gave up first (a /hang past its timeout): the peer is gone by design

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> UpstreamServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
