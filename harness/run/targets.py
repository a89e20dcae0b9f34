"""Resolve scenario targets (``blue``, ``green``, ``leader``, ``standby``, ``feed``...) on a live stack.

Reads engine roles with ``GET /v1/state`` (short timeouts, never raises for network errors) and
pids from the supervisor. :class:`TargetError` (code ``UNKNOWN_TARGET``) when nothing matches.
"""

from __future__ import annotations

from harness.run.http import Http
from harness.stack.errors import UnknownProcessError
from harness.stack.stack import Stack

COLORS = ("blue", "green")


class TargetError(RuntimeError):
    code = "UNKNOWN_TARGET"


def engine_roles(stack: Stack, http: Http) -> dict[str, str]:
    """color → role as each live engine reports it (``down`` when it does not answer)."""
    out = {}
    for color, url in stack.urls.engines.items():
        reply = http.get(f"{url}/v1/state?hash=false")
        out[color] = str(reply.body.get("role")) if reply.ok and isinstance(reply.body, dict) else "down"
    return out


def resolve_color(stack: Stack, http: Http, target: str) -> str:
    if target in COLORS:
        if target not in stack.urls.engines:
            raise TargetError(f"no engine {target!r} in this stack")
        return target
    roles = engine_roles(stack, http)
    match = [c for c, r in sorted(roles.items()) if r == target]
    if not match:
        raise TargetError(f"no engine is {target} now (roles: {roles})")
    return match[0]


def process_name(stack: Stack, http: Http, target: str) -> str:
    """Supervisor process name of a scenario process target."""
    if target in (*COLORS, "leader", "standby"):
        return f"engine-{resolve_color(stack, http, target)}"
    return target


def pid_of(stack: Stack, http: Http, target: str) -> int:
    if target == "prometheus":
        pid = stack.prometheus.pid if stack.prometheus is not None else None
        if pid is None:
            raise TargetError("Prometheus is not managed by this run")
        return pid
    name = process_name(stack, http, target)
    try:
        proc = stack.supervisor.get(name)
    except UnknownProcessError:
        raise TargetError(f"no process {name!r} in this stack") from None
    pid = proc.pid
    if pid is None:
        raise TargetError(f"process {name!r} is not running")
    return pid
