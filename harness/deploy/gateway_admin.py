"""Admin API of the gateway: validate a request and apply it to the app's state.

``handle_admin(app, method, path, raw_body)`` returns an :class:`AdminOutcome`; nothing changes
unless the whole request is valid. ``PUT /admin/route`` takes an optional ``"follow_leader": bool``
(default true) next to ``active``/``weights``: see :mod:`harness.deploy.leader_follow`. Errors
carry stable codes: INVALID_JSON, INVALID_ROUTE,
INVALID_COLOR, UNKNOWN_COLOR, INVALID_WEIGHTS, INVALID_FRACTION, INVALID_UPSTREAM, NOT_FOUND,
METHOD_NOT_ALLOWED. No I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.deploy.admission import AdmissionError, parse_fraction
from harness.deploy.routing import RouteError, RouteMode, parse_route, parse_upstreams

if TYPE_CHECKING:
    from harness.deploy.gateway_app import GatewayApp

__all__ = ["AdminOutcome", "handle_admin"]

_ROUTES = {"/admin/state": ("GET",), "/admin/route": ("PUT",), "/admin/admission": ("PUT",),
           "/admin/upstreams": ("PUT",)}


@dataclass(frozen=True)
class AdminOutcome:
    status: int
    changed: bool = False
    error: tuple[str, str] | None = None


def _fail(status: int, code: str, message: str) -> AdminOutcome:
    return AdminOutcome(status, False, (code, message))


def _parse_json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RouteError("INVALID_JSON", f"body is not valid JSON: {exc}") from None


def handle_admin(app: GatewayApp, method: str, path: str, raw: bytes) -> AdminOutcome:
    allowed = _ROUTES.get(path.rstrip("/") or path)
    if allowed is None:
        return _fail(404, "NOT_FOUND", f"no admin route {path}")
    if method not in allowed:
        return _fail(405, "METHOD_NOT_ALLOWED", f"{path} accepts {', '.join(allowed)}")
    path = path.rstrip("/")
    if path == "/admin/state":
        return AdminOutcome(200)
    try:
        body = _parse_json(raw)
        if path == "/admin/route":
            follow = _pop_follow_leader(body)
            app.router.set_route(parse_route(body, set(app.upstreams)))
            app.leader_follow.admin_set(follow)
        elif path == "/admin/admission":
            if not isinstance(body, Mapping) or set(body) != {"fraction"}:
                raise AdmissionError('expected {"fraction": NUMBER between 0 and 1}')
            app.admitter.set_fraction(body["fraction"])
        else:
            _update_upstreams(app, body)
    except RouteError as exc:
        return _fail(400, exc.code, exc.message)
    except AdmissionError as exc:
        return _fail(400, exc.code, str(exc))
    return AdminOutcome(200, changed=True)


def _pop_follow_leader(body: object) -> bool:
    """``follow_leader`` (optional bool, default true) removed from a route body in place."""
    if not isinstance(body, dict) or "follow_leader" not in body:
        return True
    follow = body.pop("follow_leader")
    if not isinstance(follow, bool):
        raise RouteError("INVALID_ROUTE", f"follow_leader must be true or false, got {follow!r}")
    return follow


def _update_upstreams(app: GatewayApp, body: object) -> None:
    """Merge new URLs; a color in use by the route can be re-pointed, never removed."""
    if isinstance(body, Mapping) and "upstreams" in body and len(body) == 1:
        body = body["upstreams"]
    updates = parse_upstreams(body)
    merged = {**app.upstreams, **updates}
    route = app.router.route
    used = {route.active} if route.mode is RouteMode.ACTIVE else set(route.weights)
    missing = {c for c in used if c is not None} - set(merged)
    if missing:
        raise RouteError("UNKNOWN_COLOR", f"route uses colors without upstreams: {sorted(missing)}")
    app.upstreams = merged


# parse_fraction is re-exported for callers validating CLI input the same way.
__all__ += ["parse_fraction"]
