"""A real HTTP server implementing the engine's failpoint admin routes (for nemesis tests)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

from chaos.failpoints import FailpointSpecError, Registry


class AdminServer:
    """Serves PUT/DELETE /admin/failpoints/{name} on 127.0.0.1:0 with an optional bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.registry = Registry()
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self):
                if token and self.headers.get("Authorization") != f"Bearer {token}":
                    self._answer(401, {"code": "UNAUTHORIZED", "message": "token"})
                    return False
                return True

            def _name(self):
                prefix = "/admin/failpoints/"
                return unquote(self.path[len(prefix):]) if self.path.startswith(prefix) else None

            def do_PUT(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append(("PUT", self.path))
                if not self._authorised():
                    return
                try:
                    outer.registry.set(self._name(), body.get("spec"))
                except FailpointSpecError as exc:
                    self._answer(400, {"code": "INVALID_FAILPOINT", "message": str(exc)})
                    return
                self._answer(200, {"failpoints": outer.registry.snapshot()})

            def do_DELETE(self):
                outer.requests.append(("DELETE", self.path))
                if not self._authorised():
                    return
                name = self._name()
                if name not in outer.registry.snapshot():
                    self._answer(404, {"code": "NOT_FOUND", "message": name})
                    return
                outer.registry.clear(name)
                self._answer(200, {"failpoints": outer.registry.snapshot()})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> AdminServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
