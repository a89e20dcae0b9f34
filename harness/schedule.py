"""The fault timeline of a run: when each fault is injected and healed (pure; times from load start).

A fault with a ``duration`` is healed at ``at + duration``; one without is healed at the end of the
run (the final heal-all). Heals past the run's end are clamped to it; a fault starting at or after
the end is never injected. Actions at the same instant
are ordered heals first (so a back-to-back fault on the same target is never doubled up), then by
fault order in the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from harness.scenario.model import FaultSpec


class Action(StrEnum):
    INJECT = "inject"
    HEAL = "heal"


@dataclass(frozen=True)
class ScheduledAction:
    at: float
    action: Action
    fault: FaultSpec


@dataclass(frozen=True)
class FaultWindow:
    fault_id: str
    kind: str
    start: float
    end: float

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Schedule:
    actions: tuple[ScheduledAction, ...]
    windows: tuple[FaultWindow, ...]
    run_end: float

    def due(self, after: float, upto: float) -> list[ScheduledAction]:
        """Actions with ``after < at <= upto`` (a driver calls this each tick; the first call uses -1)."""
        return [a for a in self.actions if after < a.at <= upto]

    def active_at(self, t: float) -> list[str]:
        return [w.fault_id for w in self.windows if w.contains(t)]

    def window(self, fault_id: str) -> FaultWindow | None:
        return next((w for w in self.windows if w.fault_id == fault_id), None)

    def first_start(self) -> float | None:
        return min((w.start for w in self.windows), default=None)


def build_schedule(faults: tuple[FaultSpec, ...] | list[FaultSpec], run_end: float) -> Schedule:
    """The timeline for ``faults`` in a run of ``run_end`` seconds (ValueError if run_end < 0)."""
    if run_end < 0:
        raise ValueError("run_end must not be negative")
    order = {f.id: i for i, f in enumerate(faults)}
    actions: list[ScheduledAction] = []
    windows: list[FaultWindow] = []
    for f in faults:
        if f.at >= run_end:
            continue
        start = f.at
        end = run_end if f.end is None else min(f.end, run_end)
        actions.append(ScheduledAction(start, Action.INJECT, f))
        actions.append(ScheduledAction(end, Action.HEAL, f))
        windows.append(FaultWindow(f.id, f.kind, start, end))
    actions.sort(key=lambda a: (a.at, 0 if a.action is Action.HEAL else 1, order[a.fault.id]))
    windows.sort(key=lambda w: (w.start, order[w.fault_id]))
    return Schedule(tuple(actions), tuple(windows), run_end)
