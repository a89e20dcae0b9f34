"""chaos-proxy's HTTP API: Toxiproxy 2.x routes as a raw ASGI app, served by uvicorn.

``serve()`` binds the API socket itself (port 0 allowed), runs uvicorn on it in the current event
loop, prints ``LISTENING http://host:port`` once accepting, and on SIGTERM/SIGINT stops accepting,
closes every proxy listener and connection, and returns. Request bodies are capped at
``MAX_BODY`` bytes; any bad input gets a Toxiproxy error body with a 4xx; an unexpected exception
is logged and answered 500 without stopping the server.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
import signal
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

import uvicorn

from chaos.toxiproxy import errors as E
from chaos.toxiproxy.collection import ProxyCollection
from chaos.toxiproxy.errors import ToxiproxyError
from chaos.toxiproxy.metrics import CONTENT_TYPE, make_registry, render

VERSION = "2.12.0"
MAX_BODY = 1024 * 1024
log = logging.getLogger("chaos.toxiproxy.server")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Response = tuple[int, Any]  # (status, JSON payload or None)


class _BodyTooLarge(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid number {name}")


def parse_json(raw: bytes) -> Any:
    """Decode a request body like Go's json.Decoder would accept it; ToxiproxyError 400 otherwise."""
    if not raw.strip():
        raise E.bad_body("EOF")
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise E.bad_body(f"invalid JSON: {str(exc).splitlines()[0][:200]}") from None


class ToxiproxyApp:
    """ASGI application; ``proxies`` is the shared ProxyCollection."""

    def __init__(self, proxies: ProxyCollection) -> None:
        self.proxies = proxies
        self.registry = make_registry(proxies)
        p = r"(?P<proxy>[^/]+)"
        t = r"(?P<toxic>[^/]+)"
        self.routes: list[tuple[re.Pattern[str], dict[str, Callable[..., Awaitable[Response]]]]] = [
            (re.compile(r"^/reset$"), {"POST": self.reset}),
            (re.compile(r"^/proxies$"), {"GET": self.proxy_index, "POST": self.proxy_create}),
            (re.compile(r"^/populate$"), {"POST": self.populate}),
            (
                re.compile(rf"^/proxies/{p}$"),
                {
                    "GET": self.proxy_show,
                    "POST": self.proxy_update,
                    "PATCH": self.proxy_update,
                    "DELETE": self.proxy_delete,
                },
            ),
            (re.compile(rf"^/proxies/{p}/toxics$"), {"GET": self.toxic_index, "POST": self.toxic_create}),
            (
                re.compile(rf"^/proxies/{p}/toxics/{t}$"),
                {
                    "GET": self.toxic_show,
                    "POST": self.toxic_update,
                    "PATCH": self.toxic_update,
                    "DELETE": self.toxic_delete,
                },
            ),
            (re.compile(r"^/version$"), {"GET": self.version}),
            (re.compile(r"^/metrics$"), {"GET": self.metrics}),
        ]

    # -- ASGI --------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers: list[tuple[bytes, bytes]] = [(b"x-toxiproxy-request-id", uuid.uuid4().hex[:20].encode())]
        user_agent = _header(scope, b"user-agent")
        if user_agent.startswith("Mozilla/"):
            await _send_text(send, 403, "User agent not allowed\n", headers)
            return
        path: str = scope["path"]
        handlers = None
        params: dict[str, str] = {}
        for pattern, table in self.routes:
            match = pattern.match(path)
            if match:
                handlers, params = table, match.groupdict()
                break
        if handlers is None:
            await _send_text(send, 404, "404 page not found\n", headers)
            return
        handler = handlers.get(scope["method"])
        if handler is None:
            await _send_raw(send, 405, b"", headers)
            return
        if handler == self.metrics:
            await _send_raw(
                send, 200, render(self.registry), [*headers, (b"content-type", CONTENT_TYPE.encode())]
            )
            return
        try:
            body = await _read_body(receive)
            status, payload = await handler(body, **params)
        except _BodyTooLarge:
            status, payload = 400, E.bad_body(f"request body larger than {MAX_BODY} bytes").as_body()
            await _send_error(send, status, payload, headers)
            return
        except ToxiproxyError as exc:
            if handler == self.populate:
                payload = {**exc.as_body(), "proxies": None}
                await _send_json(send, exc.status, payload, headers)
            else:
                await _send_error(send, exc.status, exc.as_body(), headers)
            return
        except Exception as exc:  # never let one request take the server down
            log.exception("unexpected error on %s %s", scope["method"], path)
            await _send_error(send, 500, {"error": f"internal error: {exc}", "status": 500}, headers)
            return
        if payload is None:
            await _send_raw(send, status, b"", headers)
        elif handler == self.version:
            text = json.dumps(payload) + "\n"
            await _send_raw(
                send, status, text.encode(), [*headers, (b"content-type", b"application/json;charset=utf-8")]
            )
        else:
            await _send_json(send, status, payload, headers)

    # -- handlers ----------------------------------------------------------------------------
    async def reset(self, body: bytes) -> Response:
        await self.proxies.reset()
        return 204, None

    async def proxy_index(self, body: bytes) -> Response:
        return 200, {name: p.to_json() for name, p in self.proxies.proxies.items()}

    async def proxy_create(self, body: bytes) -> Response:
        proxy = await self.proxies.create(parse_json(body))
        return 201, proxy.to_json()

    async def populate(self, body: bytes) -> Response:
        proxies = await self.proxies.populate(parse_json(body))
        return 201, {"proxies": [p.to_json() for p in proxies]}

    async def proxy_show(self, body: bytes, proxy: str) -> Response:
        return 200, self.proxies.get(proxy).to_json()

    async def proxy_update(self, body: bytes, proxy: str) -> Response:
        self.proxies.get(proxy)
        updated = await self.proxies.update(proxy, parse_json(body))
        return 200, updated.to_json()

    async def proxy_delete(self, body: bytes, proxy: str) -> Response:
        await self.proxies.delete(proxy)
        return 204, None

    async def toxic_index(self, body: bytes, proxy: str) -> Response:
        return 200, self.proxies.get(proxy).to_json()["toxics"]

    async def toxic_create(self, body: bytes, proxy: str) -> Response:
        self.proxies.get(proxy)
        return 200, self.proxies.add_toxic(proxy, parse_json(body)).to_json()

    async def toxic_show(self, body: bytes, proxy: str, toxic: str) -> Response:
        return 200, self.proxies.toxic(proxy, toxic).to_json()

    async def toxic_update(self, body: bytes, proxy: str, toxic: str) -> Response:
        self.proxies.toxic(proxy, toxic)
        return 200, self.proxies.update_toxic(proxy, toxic, parse_json(body)).to_json()

    async def toxic_delete(self, body: bytes, proxy: str, toxic: str) -> Response:
        self.proxies.remove_toxic(proxy, toxic)
        return 204, None

    async def version(self, body: bytes) -> Response:
        return 200, {"version": VERSION}

    async def metrics(self, body: bytes) -> Response:  # served directly in __call__
        return 200, None


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def _read_body(receive: Receive) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise _BodyTooLarge
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


async def _send_raw(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    all_headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


async def _send_text(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]]) -> None:
    extra = [(b"content-type", b"text/plain; charset=utf-8"), (b"x-content-type-options", b"nosniff")]
    await _send_raw(send, status, text.encode(), [*headers, *extra])


async def _send_error(send: Send, status: int, payload: Any, headers: list[tuple[bytes, bytes]]) -> None:
    """Toxiproxy's errors: JSON text sent as text/plain (Go's http.Error), newline-terminated."""
    await _send_text(send, status, json.dumps(payload, separators=(",", ":")) + "\n", headers)


async def _send_json(send: Send, status: int, payload: Any, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(payload, separators=(",", ":")).encode()
    await _send_raw(send, status, body, [*headers, (b"content-type", b"application/json")])


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen on host:port (port 0 = any free port). Raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


async def serve(host: str, port: int, seed: int, config: list[Any] | None = None) -> None:
    """Run the API and the proxies until SIGTERM/SIGINT. Raises ToxiproxyError for a bad config."""
    proxies = ProxyCollection(seed)
    if config is not None:
        await proxies.populate(config)
    sock = bind_socket(host, port)
    app = ToxiproxyApp(proxies)
    uv_config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        loop="none",
        http="httptools",
        timeout_keep_alive=60,
    )
    server = uvicorn.Server(uv_config)
    server.capture_signals = nullcontext  # type: ignore[method-assign,assignment]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    task = loop.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        # Startup objects (modules, app, uvicorn) live as long as the process: freeze them out of
        # the collector so a full collection (≈20 ms over them on this machine) cannot stall traffic.
        gc.collect()
        gc.freeze()
        bound = sock.getsockname()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        print(f"LISTENING http://{shown}:{bound[1]}", flush=True)
        sys.stdout.flush()
    try:
        await task
    finally:
        await proxies.stop_all()
        sock.close()
