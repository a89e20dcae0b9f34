"""The gateway's raw ASGI application: reverse proxy to the engine colors plus its own admin API.

Own routes: ``/healthz``, ``/metrics``, ``/admin/state`` (GET), ``/admin/route``,
``/admin/admission``, ``/admin/upstreams`` (PUT). Everything else is forwarded: admission first
(refused: 503 ADMISSION_REFUSED + Retry-After, never sent upstream), then the router picks a color
and the request (method, raw path, query, body, end-to-end headers as received) goes to it through
one :class:`UpstreamPool` (keep-alive connections per upstream, created at lifespan startup, closed
at shutdown). Upstream status, body and headers (Retry-After included) come back unchanged, with
``x-gateway-color`` added. Connect failures answer 503 UPSTREAM_CONNECT_FAILED (not executed);
failures after the request was sent answer 502 UPSTREAM_FAILED (outcome unknown). A 409
NOT_LEADER naming another configured color is retried once there and may move the active route:
see :mod:`harness.deploy.leader_follow`.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.deploy.admission import Admitter
from harness.deploy.gateway_admin import handle_admin
from harness.deploy.gateway_metrics import GatewayMetrics
from harness.deploy.leader_follow import LeaderFollow, not_leader_color
from harness.deploy.routing import Route, Router, parse_route, parse_upstreams
from harness.deploy.upstream_client import UpstreamError, UpstreamPool

__all__ = ["GatewayApp", "GatewayConfig"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HOP_BY_HOP = frozenset({
    b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
    b"trailers", b"transfer-encoding", b"upgrade", b"host", b"content-length", b"expect",
})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
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
    follow_leader: bool = True

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


@dataclass(frozen=True, slots=True)
class _Origin:
    host: str
    port: int
    host_line: bytes  # b"host: HOST:PORT\r\n"


def _origin(url: str) -> _Origin:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None  # parse_upstreams checked it
    return _Origin(parts.hostname, parts.port, f"host: {parts.netloc}\r\n".encode("latin-1"))


class GatewayApp:
    """ASGI callable. One instance per gateway process; all state lives on its event loop."""

    def __init__(self, config: GatewayConfig, metrics: GatewayMetrics | None = None) -> None:
        self.config = config
        self.upstreams = dict(config.upstreams)
        self.router = Router(parse_route({"active": config.active}, set(self.upstreams)))
        self.admitter = Admitter(config.admission)
        self.metrics = metrics or GatewayMetrics()
        self.leader_follow = LeaderFollow(config.follow_leader)
        self.generation = 0
        self.pool: UpstreamPool | None = None
        self._origins: dict[str, _Origin] = {}
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
        """Create the upstream pool (needs the running loop)."""
        if self.pool is None:
            self.pool = UpstreamPool(max_connections=self.config.pool_size,
                                     connect_timeout=self.config.connect_timeout,
                                     keepalive_timeout=self.config.keepalive_timeout)

    async def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

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
            "leader_follow": self.leader_follow.as_json(self.router.route),
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
        route = self.router.route
        color = self.router.choose()
        method: str = scope["method"]
        head, tail = _request_parts(scope, method, body)
        answer, _ = await self._attempt(color, method, head, tail, body)
        if not self.leader_follow.retries:
            return answer
        leader = not_leader_color(answer[0], answer[2])
        if leader is None or leader == color or leader not in self.upstreams:
            return answer
        self.metrics.leader_retries.labels(color, leader).inc()
        retried, reached = await self._attempt(leader, method, head, tail, body)
        if reached and not_leader_color(retried[0], retried[2]) is None:
            self._follow(route, color, leader)
        return retried

    def _follow(self, route: Route, tried: str, leader: str) -> None:
        """Move the active route to ``leader`` when the policy allows (see leader_follow)."""
        if self.leader_follow.may_switch(route) and self.router.switch_active(route, leader):
            self.leader_follow.record(tried, leader)
            self.metrics.leader_switches.labels(tried, leader).inc()
            self.generation += 1
            self._publish_gauges()

    async def _attempt(
        self, color: str, method: str, head: bytes, tail: bytes, body: bytes
    ) -> tuple[Response, bool]:
        """One upstream exchange with ``color``, counted and timed per color whatever its outcome;
        also whether the upstream itself answered (False: the gateway's own 502/503)."""
        started = time.perf_counter()
        answer, reached = await self._send_upstream(color, method, head, tail, body)
        self.metrics.answered(color, answer[0], time.perf_counter() - started)
        return answer, reached

    async def _send_upstream(
        self, color: str, method: str, head: bytes, tail: bytes, body: bytes
    ) -> tuple[Response, bool]:
        assert self.pool is not None, "GatewayApp.start() was not called"
        color_header = (b"x-gateway-color", color.encode())
        url = self.upstreams[color]
        origin = self._origins.get(url)
        if origin is None:
            origin = self._origins[url] = _origin(url)
        try:
            answer = await self.pool.request(origin.host, origin.port, head + origin.host_line + tail + body,
                                             timeout=self.config.upstream_timeout,
                                             head_only=method == "HEAD")
        except UpstreamError as exc:
            self.metrics.upstream_errors.labels(color, exc.kind).inc()
            if exc.kind == "connect":
                return _error(503, "UPSTREAM_CONNECT_FAILED", f"{color}: {exc}", [color_header]), False
            return _error(502, "UPSTREAM_FAILED", f"{color}: {exc}", [color_header]), False
        out = [(k, v) for k, v in answer.headers if k not in _HOP_BY_HOP]
        out.append((b"content-length", str(len(answer.body)).encode()))
        out.append(color_header)
        return (answer.status, out, answer.body), True


def _request_parts(scope: Scope, method: str, body: bytes) -> tuple[bytes, bytes]:
    """The upstream request without its Host line: ``(request line, rest of the head)``."""
    target = scope.get("raw_path") or scope["path"].encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    head = b"%s %s HTTP/1.1\r\n" % (method.encode("latin-1"), target)
    lines = [k + b": " + v + b"\r\n" for k, v in scope["headers"] if k not in _HOP_BY_HOP]
    client = scope.get("client")
    if client:
        lines.append(b"x-forwarded-for: %s\r\n" % str(client[0]).encode("latin-1"))
    if body or method in _BODY_METHODS:
        lines.append(b"content-length: %d\r\n" % len(body))
    lines.append(b"\r\n")
    return head, b"".join(lines)
