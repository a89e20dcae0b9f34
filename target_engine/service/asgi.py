"""The request core: routing by path template, bounded JSON bodies, JSON answers, metrics; ASGI on top.

Any exception from a handler that is not an ``ApiError`` is logged and answered 500 ``INTERNAL``
(a bug); the server keeps running. Bodies over ``MAX_BODY`` are refused with 413 without reading
them to the end.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

from target_engine.service.errors import ApiError
from target_engine.service.metrics import EngineMetrics

log = logging.getLogger("target_engine.service")
MAX_BODY = 64 * 1024
_EXACT = frozenset({str, int, bool, type(None)})


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    client_host: str

    def json(self) -> dict[str, Any]:
        """The body as a JSON object; MALFORMED_JSON on anything else."""
        if not self.body:
            raise ApiError("MALFORMED_JSON", "request body must be a JSON object")
        try:  # orjson is 5x faster; it agrees with the stdlib on flat objects of these types
            data = orjson.loads(self.body)
            exact = isinstance(data, dict) and all(type(v) in _EXACT for v in data.values())
        except orjson.JSONDecodeError:
            exact = False
        if not exact:  # anything else (floats: orjson turns big integers into floats) as the stdlib reads it
            try:
                data = json.loads(self.body)
            except (ValueError, RecursionError) as exc:
                raise ApiError("MALFORMED_JSON", f"invalid JSON: {str(exc)[:100]}") from None
        if not isinstance(data, dict):
            raise ApiError("MALFORMED_JSON", "request body must be a JSON object")
        return data

    def query_one(self, name: str, required: bool = True) -> str | None:
        values = self.query.get(name)
        if not values:
            if required:
                raise ApiError("MISSING_FIELD", f"query parameter {name!r} is required")
            return None
        if len(values) > 1:
            raise ApiError("INVALID_FIELD", f"query parameter {name!r} given more than once")
        return values[0]


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"


Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    parts: tuple[str, ...] = ()


class Router:
    """Exact segment matching; ``{name}`` segments capture one path segment."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        self.routes.append(Route(method, template, handler, tuple(template.strip("/").split("/"))))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        parts = path.strip("/").split("/")
        allowed = False
        for route in self.routes:
            if len(route.parts) != len(parts):
                continue
            params: dict[str, str] = {}
            for want, got in zip(route.parts, parts, strict=True):
                if want.startswith("{"):
                    if not got:
                        break
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                if route.method == method:
                    return route, params
                allowed = True
        if allowed:
            raise ApiError("METHOD_NOT_ALLOWED", f"{method} not allowed on {path}")
        raise ApiError("NOT_FOUND", f"no route {path}")


_JSON_TYPE = b"application/json"
_INTERNAL = b'{"code":"INTERNAL","message":"internal error"}'


def _json_bytes(obj: Any) -> bytes:
    """Compact JSON; orjson unless it refuses the value (integers beyond 64 bits)."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj, separators=(",", ":")).encode()


def _encode(resp: Response) -> tuple[bytes, bytes]:
    """(body, content-type) of a response."""
    body = resp.raw if resp.raw is not None else _json_bytes(resp.body)
    ctype = _JSON_TYPE if resp.content_type == "application/json" else resp.content_type.encode()
    return body, ctype


# (status, content-type, body, extra headers): what ``App.dispatch`` answers; every server writes
# ``content-type``, ``content-length`` and then the extra headers (names lower-cased), in that order.
Reply = tuple[int, bytes, bytes, dict[str, str]]


def reply_headers(reply: Reply) -> list[tuple[bytes, bytes]]:
    """The response headers of a reply, as the ASGI path sends them."""
    _status, ctype, body, extra = reply
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend((k.lower().encode(), v.encode()) for k, v in extra.items())
    return headers


def _query(raw_query: bytes) -> dict[str, list[str]]:
    if not raw_query:
        return {}
    try:
        return parse_qs(raw_query.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                        max_num_fields=20)
    except (ValueError, UnicodeDecodeError):
        raise ApiError("INVALID_FIELD", "malformed query string") from None


class App:
    """The request core (``dispatch``) shared by every HTTP server, and the ASGI callable around it."""

    def __init__(self, router: Router, metrics: EngineMetrics) -> None:
        self.router = router
        self.metrics = metrics

    async def dispatch(self, method: str, path: str, raw_query: bytes, headers: dict[str, str],
                       body: bytes | None, *, client_host: str) -> Reply:
        """Route, parse the query, run the handler; errors become JSON answers, never exceptions.

        ``headers`` have lower-case names; ``body`` None means it was over ``MAX_BODY`` (413 once
        the route matched, so an unknown route still answers 404). An ``ApiError`` is its JSON error;
        anything else is logged and answered 500 ``INTERNAL``. The request is counted in the metrics.
        """
        started = time.perf_counter()
        template = "unmatched"
        try:
            route, params = self.router.match(method, path)
            template = route.template
            if body is None:
                raise ApiError("BODY_TOO_LARGE", f"body larger than {MAX_BODY} bytes")
            req = Request(method, path, params, _query(raw_query), headers, body, client_host)
            resp = await route.handler(req)
        except ApiError as err:
            resp = Response(err.status, err.body(), err.headers)
        except Exception:
            log.exception("unhandled error on %s %s", method, path)
            resp = Response(500, {"code": "INTERNAL", "message": "internal error"})
        status, extra = resp.status, resp.headers
        try:
            body_bytes, ctype = _encode(resp)
        except Exception:
            log.exception("unencodable answer on %s %s", method, path)
            status, extra, body_bytes, ctype = 500, {}, _INTERNAL, _JSON_TYPE
        self.metrics.observe_request(template, status, time.perf_counter() - started)
        return status, ctype, body_bytes, extra

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        body = await self._read_body(receive, headers)
        client = scope.get("client") or ("", 0)
        reply = await self.dispatch(scope["method"], scope["path"], scope.get("query_string", b""), headers,
                                    body, client_host=client[0])
        await send({"type": "http.response.start", "status": reply[0], "headers": reply_headers(reply)})
        await send({"type": "http.response.body", "body": reply[2]})

    @staticmethod
    async def _read_body(receive: Callable[[], Awaitable[dict[str, Any]]],
                         headers: dict[str, str]) -> bytes | None:
        """The request body, or None once it is known to be over ``MAX_BODY`` (the rest is not read)."""
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                break
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                return None
            chunks.append(chunk)
            if not msg.get("more_body"):
                break
        return b"".join(chunks)
