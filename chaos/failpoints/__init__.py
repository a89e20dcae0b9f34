"""Failpoints: named points in code where faults can be switched on at run time (stdlib only).

Usage (pinned in docs/dev/INTERFACES.md)::

    from chaos import failpoints
    failpoints.configure_from_env()             # GAMEDAY_FAILPOINTS="a=delay(200);b=50%3*error(IO)"
    failpoints.set("margin.worker.delay", "delay(200,50)")
    failpoints.hit("margin.worker.delay")        # sync
    await failpoints.ahit("margin.worker.delay") # asyncio, never blocks the loop
    failpoints.clear("margin.worker.delay"); failpoints.clear()
    failpoints.snapshot()                        # {"margin.worker.delay": "delay(200,50)"}

Spec grammar ``[P%][N*]action``; actions ``off | delay(ms[,jitter_ms]) | error(CODE) | pause |
crash``. ``delay`` sleeps ms ± jitter_ms (uniform, never below 0); ``error`` raises
``FailpointError(code)``; ``pause`` blocks until the point is cleared or set again; ``crash`` calls
``os._exit(70)``. Probability rolls and jitter use one seeded RNG (``GAMEDAY_FAILPOINTS_SEED`` or
:func:`seed`). All functions are thread-safe.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from chaos.failpoints.registry import CRASH_EXIT_CODE, FailpointError, Registry
from chaos.failpoints.spec import Action, FailpointSpec, FailpointSpecError, parse_assignments, parse_spec

__all__ = [
    "CRASH_EXIT_CODE",
    "ENV_SEED",
    "ENV_SPECS",
    "Action",
    "FailpointError",
    "FailpointSpec",
    "FailpointSpecError",
    "Registry",
    "ahit",
    "clear",
    "configure_from_env",
    "hit",
    "hits",
    "parse_spec",
    "seed",
    "set",
    "snapshot",
]

ENV_SPECS = "GAMEDAY_FAILPOINTS"
ENV_SEED = "GAMEDAY_FAILPOINTS_SEED"

_registry = Registry()


def configure_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Apply ``GAMEDAY_FAILPOINTS`` (``name=spec;...``) and ``GAMEDAY_FAILPOINTS_SEED``.

    All entries are validated first; on any error FailpointSpecError is raised and nothing
    changes. Returns the resulting snapshot.
    """
    env = os.environ if environ is None else environ
    raw_seed = env.get(ENV_SEED, "").strip()
    seed_value: int | None = None
    if raw_seed:
        try:
            seed_value = int(raw_seed)
        except ValueError:
            raise FailpointSpecError(f"{ENV_SEED} must be an integer, got {raw_seed!r}") from None
    specs = parse_assignments(env.get(ENV_SPECS, ""))
    if raw_seed:
        _registry.seed(seed_value)
    _registry.set_parsed(specs)
    return _registry.snapshot()


def seed(value: int | None) -> None:
    """Reseed probability rolls and jitter."""
    _registry.seed(value)


def set(name: str, spec: str) -> None:
    """Configure one point; FailpointSpecError on a bad name or spec (nothing changes then)."""
    _registry.set(name, spec)


def clear(name: str | None = None) -> None:
    """Clear one point, or all of them; paused callers are released."""
    _registry.clear(name)


def snapshot() -> dict[str, str]:
    """name -> canonical spec."""
    return _registry.snapshot()


def hits() -> dict[str, int]:
    """name -> times fired since set."""
    return _registry.hits()


def hit(name: str) -> None:
    """Evaluate a point synchronously (see the module docstring for what each action does)."""
    _registry.hit(name)


async def ahit(name: str) -> None:
    """Evaluate a point from asyncio code; delays and pauses do not block the event loop."""
    await _registry.ahit(name)
