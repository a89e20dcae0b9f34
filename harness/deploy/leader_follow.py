"""Follow-leader policy of the gateway: what to do when an engine answers 409 ``NOT_LEADER``.

An engine that is not the leader answers ``409 {"code": "NOT_LEADER", "leader_color": C}`` and did
not execute the request, so it is safe to send it once more, to ``C``. The rules:

* Retry: when following is enabled (the default; ``--no-follow-leader`` disables it), a 409 whose
  JSON ``code`` is ``NOT_LEADER`` and whose ``leader_color`` is a configured color other than the
  one tried is sent once to that color, whatever the route mode. The retry's answer goes to the
  client, even if it is itself a 409 (at most one retry per request: never a loop). A 409 without
  a usable ``leader_color`` (missing, null, unknown or the same color) is passed through.
* Switch: the active route follows the leader only while the route mode is ``active``, following is
  enabled and not paused by the last ``PUT /admin/route`` (``"follow_leader": false``), the route is
  still the one the request was routed by (a newer admin or follow decision wins), and the retry
  was answered without another ``NOT_LEADER``. Weighted routes never change by themselves.
* ``PUT /admin/route`` is the controller's decision and always stands: it replaces the route and
  sets ``follow_leader`` from its body (default true; only meaningful for ``active``).

Pure: parsing and state, no I/O; the clock is injected.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.deploy.routing import Route, RouteMode

__all__ = ["LeaderFollow", "LeaderSwitch", "not_leader_color"]


def not_leader_color(status: int, body: bytes) -> str | None:
    """``leader_color`` of a 409 NOT_LEADER answer, else None (any other answer or unparsable)."""
    if status != 409 or b"NOT_LEADER" not in body:
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("code") != "NOT_LEADER":
        return None
    color = data.get("leader_color")
    return color if isinstance(color, str) and color else None


@dataclass(frozen=True)
class LeaderSwitch:
    from_color: str
    to_color: str
    at: float  # unix seconds

    def as_json(self) -> dict[str, object]:
        return {"from": self.from_color, "to": self.to_color, "at": self.at}


class LeaderFollow:
    """Follow-leader state: configured on/off, paused by admin, the last switch made."""

    def __init__(self, enabled: bool = True, clock: Callable[[], float] = time.time) -> None:
        self.configured = enabled
        self.paused = False  # PUT /admin/route {"follow_leader": false}
        self.last_switch: LeaderSwitch | None = None
        self.switches = 0
        self._clock = clock

    @property
    def retries(self) -> bool:
        """Whether NOT_LEADER answers are retried on the leader at all."""
        return self.configured

    def may_switch(self, route: Route) -> bool:
        return self.configured and not self.paused and route.mode is RouteMode.ACTIVE

    def admin_set(self, follow: bool) -> None:
        """An admin route change: following is resumed (or paused) as it says."""
        self.paused = not follow

    def record(self, from_color: str, to_color: str) -> LeaderSwitch:
        switch = LeaderSwitch(from_color, to_color, self._clock())
        self.last_switch = switch
        self.switches += 1
        return switch

    def as_json(self, route: Route) -> dict[str, object]:
        return {
            "enabled": self.configured and not self.paused,
            "applies": self.may_switch(route),
            "switches": self.switches,
            "last_switch": self.last_switch.as_json() if self.last_switch else None,
        }
