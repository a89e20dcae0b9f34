"""The gateway's raw ASGI application: reverse proxy to the engine colors plus its own admin API.

Own routes: ``/healthz``, ``/metrics``, ``/admin/state`` (GET), ``/admin/route``,
``/admin/admission``, ``/admin/upstreams`` (PUT). Everything else is forwarded: admission first
(refused: 503 ADMISSION_REFUSED + Retry-After, never sent upstream), then the router picks a color
and the request (method, raw path, query, body, end-to-end headers) goes to it through one shared
``aiohttp.ClientSession`` (keep-alive pool per upstream, created at lifespan startup, closed at
shutdown). Upstream status, body and headers (Retry-After included) come back unchanged, with
``x-gateway-color`` added. Connect failures answer 503 UPSTREAM_CONNECT_FAILED (not executed);
failures after the request was sent answer 502 UPSTREAM_FAILED (outcome unknown).
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from harness.deploy.admission import Admitter
from harness.deploy.gateway_admin import handle_admin
from harness.deploy.gateway_metrics import GatewayMetrics
from harness.deploy.routing import Router, parse_route, parse_upstreams

__all__ = ["GatewayApp", "GatewayConfig"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
    b"trailers", b"transfer-encoding", b"upgrade", b"host", b"content-length",
})
_SKIP_AUTO = ("Accept-Encoding", "User-Agent", "Content-Type")
MAX_BODY = 8 * 1024 * 1024
ADMIN_MAX_BODY = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class GatewayConfig:
    """Start-up settings; ``upstreams`` and ``active`` are validated on construction (RouteError)."""

    upstreams: Mapping[str, str]
    active: str
    admission: float = 1.0
    admin_token: str | None = None
    connect_timeout: float = 2.0
    upstream_timeout: float = 30.0
    pool_size: int = 256
    retry_after: int = 1
    keepalive_timeout: float = 3.0  # below the upstream's idle timeout (uvicorn: 5 s) to avoid stale reuse

    def __post_init__(self) -> None:
        object.__setattr__(self, "upstreams", parse_upstreams(self.upstreams))
        parse_route({"active": self.active}, set(self.upstreams))
        Admitter(self.admission)  # raises AdmissionError when out of range


Headers = list[tuple[bytes, bytes]]
Response = tuple[int, Headers, bytes]


def _json(status: int, body: object, extra: Headers | None = None) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    return status, headers + (extra or []), data


def _error(status: int, code: str, message: str, extra: Headers | None = None) -> Response:
    return _json(status, {"code": code, "message": message}, extra)


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionResetError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class GatewayApp:
    """ASGI callable. One instance per gateway process; all state lives on its event loop."""

    def __init__(self, config: GatewayConfig, metrics: GatewayMetrics | None = None) -> None:
        self.config = config
        self.upstreams = dict(config.upstreams)
        self.router = Router(parse_route({"active": config.active}, set(self.upstreams)))
        self.admitter = Admitter(config.admission)
        self.metrics = metrics or GatewayMetrics()
        self.generation = 0
        self.session: aiohttp.ClientSession | None = None
        self._publish_gauges()

    # -- ASGI entry ----------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        try:
            if path == "/healthz":
                result = _json(200, {"status": "ok"})
            elif path == "/metrics":
                body = self.metrics.render()
                result = (200, [(b"content-type", b"text/plain; version=0.0.4; charset=utf-8"),
                                (b"content-length", str(len(body)).encode())], body)
            elif path == "/admin" or path.startswith("/admin/"):
                result = await self._admin(scope, receive)
            else:
                result = await self._forward(scope, receive)
        except ConnectionResetError:
            return  # the client disconnected before sending its body
        status, headers, body = result
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def start(self) -> None:
        """Create the upstream client session (needs the running loop)."""
        if self.session is None:
            connector = aiohttp.TCPConnector(
                limit=self.config.pool_size,
                limit_per_host=self.config.pool_size,
                keepalive_timeout=self.config.keepalive_timeout,
            )
            timeout = aiohttp.ClientTimeout(
                total=self.config.upstream_timeout, sock_connect=self.config.connect_timeout
            )
            self.session = aiohttp.ClientSession(
                connector=connector, timeout=timeout, auto_decompress=False, skip_auto_headers=_SKIP_AUTO,
                trust_env=False,
            )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()
            self.session = None

    # -- admin -------------------------------------------------------------------------------
    def _authorised(self, scope: Scope) -> bool:
        token = self.config.admin_token
        if not token:
            return True
        expected = f"Bearer {token}".encode()
        return any(k == b"authorization" and hmac.compare_digest(v, expected) for k, v in scope["headers"])

    async def _admin(self, scope: Scope, receive: Receive) -> Response:
        if not self._authorised(scope):
            return _error(401, "UNAUTHORIZED", "admin API needs Authorization: Bearer <token>")
        try:
            raw = await _read_body(receive, ADMIN_MAX_BODY)
        except _BodyTooLarge:
            return _error(413, "REQUEST_TOO_LARGE", f"admin body over {ADMIN_MAX_BODY} bytes")
        outcome = handle_admin(self, scope["method"], scope["path"], raw)
        if outcome.error is not None:
            code, message = outcome.error
            return _error(outcome.status, code, message)
        if outcome.changed:
            self.generation += 1
            self._publish_gauges()
        return _json(outcome.status, self.state())

    def state(self) -> dict[str, object]:
        """The body of GET /admin/state."""
        stats = self.admitter.stats()
        return {
            "generation": self.generation,
            "upstreams": dict(self.upstreams),
            "route": self.router.route.as_json(),
            "active": self.router.route.active,
            "admission": {"fraction": stats.fraction, "admitted": stats.admitted, "refused": stats.refused},
        }

    def _publish_gauges(self) -> None:
        self.metrics.admission_fraction.set(self.admitter.fraction)
        for color in self.upstreams:
            self.metrics.route_weight.labels(color).set(self.router.route.weight_of(color))

    # -- forwarding ----------------------------------------------------------------------------
    async def _forward(self, scope: Scope, receive: Receive) -> Response:
        if not self.admitter.admit():
            self.metrics.admission_refused.inc()
            retry = str(self.config.retry_after).encode()
            return _error(503, "ADMISSION_REFUSED", "refused by the admission fraction; retry later",
                          [(b"retry-after", retry)])
        try:
            body = await _read_body(receive, MAX_BODY)
        except _BodyTooLarge:
            return _error(413, "REQUEST_TOO_LARGE", f"request body over {MAX_BODY} bytes")
        color = self.router.choose()
        base = self.upstreams[color]
        raw_path = scope.get("raw_path") or scope["path"].encode()
        target = base + raw_path.decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]
                   if k.lower() not in _HOP_BY_HOP]
        client = scope.get("client")
        if client:
            headers.append(("X-Forwarded-For", str(client[0])))
        started = time.perf_counter()
        status, out_headers, out_body = await self._send_upstream(
            color, scope["method"], target, headers, body
        )
        self.metrics.duration.labels(color).observe(time.perf_counter() - started)
        self.metrics.requests.labels(color, str(status)).inc()
        return status, out_headers, out_body

    async def _send_upstream(
        self, color: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> Response:
        assert self.session is not None, "GatewayApp.start() was not called"
        color_header = (b"x-gateway-color", color.encode())
        sent = False
        try:
            async with self.session.request(
                method, URL(target, encoded=True), headers=headers, data=body or None,
                allow_redirects=False,
            ) as response:
                sent = True
                payload = await response.read()
                out = [(k.lower(), v) for k, v in response.raw_headers if k.lower() not in _HOP_BY_HOP]
                out.append((b"content-length", str(len(payload)).encode()))
                out.append(color_header)
                return response.status, out, payload
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            self.metrics.upstream_errors.labels(color, "connect").inc()
            return _error(503, "UPSTREAM_CONNECT_FAILED", f"{color}: cannot connect: {exc}", [color_header])
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            self.metrics.upstream_errors.labels(color, "timeout").inc()
            return _error(502, "UPSTREAM_FAILED", f"{color}: timed out {'reading' if sent else 'waiting'}"
                          f" ({type(exc).__name__})", [color_header])
        except aiohttp.ClientError as exc:
            self.metrics.upstream_errors.labels(color, "failed").inc()
            return _error(502, "UPSTREAM_FAILED", f"{color}: {type(exc).__name__}: {exc}", [color_header])
