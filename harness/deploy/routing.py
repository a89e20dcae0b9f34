"""Routing table of the gateway: upstream URLs per color, and either one active color or weights.

Pure values plus one chooser. ``Route`` is either ``active`` (every request to that color: the
leader) or ``weights`` (smooth weighted round-robin as in nginx: deterministic, evenly interleaved;
for stateless targets). Every invalid input raises :class:`RouteError` with a stable ``code``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["Route", "RouteError", "RouteMode", "Router", "parse_upstreams", "validate_color"]

_COLOR_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_MAX_WEIGHT = 1_000_000


class RouteError(ValueError):
    """Invalid routing input; ``code`` is stable (INVALID_ROUTE, UNKNOWN_COLOR, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class RouteMode(enum.Enum):
    ACTIVE = "active"
    WEIGHTS = "weights"


def validate_color(color: object) -> str:
    if not isinstance(color, str) or not _COLOR_RE.match(color):
        raise RouteError("INVALID_COLOR", f"color must match {_COLOR_RE.pattern}, got {color!r}")
    return color


def validate_url(color: str, url: object) -> str:
    """An http URL with host and port and no path/query; returned without a trailing slash."""
    if not isinstance(url, str):
        raise RouteError("INVALID_UPSTREAM", f"upstream {color}: URL must be a string")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or not parts.hostname or port is None or parts.path not in ("", "/") \
            or parts.query or parts.fragment:
        raise RouteError("INVALID_UPSTREAM", f"upstream {color}: expected http://HOST:PORT, got {url!r}")
    return url.rstrip("/")


def parse_upstreams(raw: object) -> dict[str, str]:
    """``{"blue": "http://127.0.0.1:1"}`` validated; RouteError otherwise."""
    if not isinstance(raw, Mapping) or not raw:
        raise RouteError("INVALID_UPSTREAM", "upstreams must be a non-empty object color -> URL")
    return {validate_color(color): validate_url(color, url) for color, url in raw.items()}


@dataclass(frozen=True)
class Route:
    """Where traffic goes: ``active`` color, or ``weights`` per color (ints, sum > 0)."""

    mode: RouteMode
    active: str | None = None
    weights: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def to_active(cls, color: str) -> Route:
        return cls(RouteMode.ACTIVE, active=color, weights={color: 100})

    def weight_of(self, color: str) -> int:
        return int(self.weights.get(color, 0))

    def as_json(self) -> dict[str, object]:
        return {"mode": self.mode.value, "active": self.active, "weights": dict(self.weights)}


def parse_route(body: object, colors: set[str]) -> Route:
    """``{"active": "blue"}`` or ``{"weights": {"blue": 90, "green": 10}}`` (exactly one of them)."""
    if not isinstance(body, Mapping) or set(body) - {"active", "weights"} or len(body) != 1:
        raise RouteError("INVALID_ROUTE", 'expected {"active": COLOR} or {"weights": {COLOR: INT}}')
    if "active" in body:
        color = validate_color(body["active"])
        if color not in colors:
            raise RouteError("UNKNOWN_COLOR", f"no upstream for color {color!r} (known: {sorted(colors)})")
        return Route.to_active(color)
    raw = body["weights"]
    if not isinstance(raw, Mapping) or not raw:
        raise RouteError("INVALID_WEIGHTS", "weights must be a non-empty object color -> integer")
    weights: dict[str, int] = {}
    for color, weight in raw.items():
        validate_color(color)
        if color not in colors:
            raise RouteError("UNKNOWN_COLOR", f"no upstream for color {color!r} (known: {sorted(colors)})")
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= _MAX_WEIGHT:
            raise RouteError("INVALID_WEIGHTS", f"weight of {color} must be an integer 0..{_MAX_WEIGHT}")
        weights[color] = weight
    if sum(weights.values()) <= 0:
        raise RouteError("INVALID_WEIGHTS", "at least one weight must be positive")
    return Route(RouteMode.WEIGHTS, None, weights)


class Router:
    """Chooses the color of each request for a route (smooth weighted round-robin for weights)."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self._current: dict[str, int] = {}

    def set_route(self, route: Route) -> None:
        self.route = route
        self._current = {}

    def switch_active(self, expected: Route, color: str) -> bool:
        """Route everything to ``color`` if the route is still ``expected`` (identity); else no-op."""
        if self.route is not expected or expected.active == color:
            return False
        self.set_route(Route.to_active(color))
        return True

    def choose(self) -> str:
        route = self.route
        if route.mode is RouteMode.ACTIVE:
            assert route.active is not None
            return route.active
        total = 0
        best: str | None = None
        for color, weight in route.weights.items():
            if weight <= 0:
                continue
            total += weight
            self._current[color] = self._current.get(color, 0) + weight
            if best is None or self._current[color] > self._current[best]:
                best = color
        assert best is not None
        self._current[best] -= total
        return best
