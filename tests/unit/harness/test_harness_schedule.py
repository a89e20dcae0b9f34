"""The pure fault timeline."""

import pytest

from harness.scenario.model import FaultSpec
from harness.schedule import Action, build_schedule


def fault(fid, at, duration=None, kind="toxic"):
    return FaultSpec(id=fid, kind=kind, at=at, duration=duration, params={})


def test_inject_and_heal_ordered_with_heals_first_at_same_instant():
    faults = [fault("a", 5.0, 10.0), fault("b", 15.0, 5.0), fault("c", 2.0)]
    s = build_schedule(faults, run_end=30.0)
    assert [(a.at, a.action, a.fault.id) for a in s.actions] == [
        (2.0, Action.INJECT, "c"),
        (5.0, Action.INJECT, "a"),
        (15.0, Action.HEAL, "a"),
        (15.0, Action.INJECT, "b"),
        (20.0, Action.HEAL, "b"),
        (30.0, Action.HEAL, "c"),  # no duration: healed at the end of the run
    ]
    assert s.first_start() == 2.0
    assert s.window("a").start == 5.0 and s.window("a").end == 15.0


def test_due_and_active():
    s = build_schedule([fault("a", 5.0, 10.0)], run_end=20.0)
    assert [a.action for a in s.due(-1.0, 5.0)] == [Action.INJECT]
    assert s.due(5.0, 14.9) == []
    assert [a.action for a in s.due(14.9, 15.0)] == [Action.HEAL]
    assert s.active_at(4.9) == [] and s.active_at(5.0) == ["a"] and s.active_at(15.0) == []


def test_clamped_to_run_end_and_late_faults_skipped():
    s = build_schedule([fault("a", 5.0, 100.0), fault("late", 20.0, 1.0)], run_end=20.0)
    assert s.window("a").end == 20.0
    assert s.window("late") is None and all(a.fault.id != "late" for a in s.actions)
    with pytest.raises(ValueError):
        build_schedule([], run_end=-1)
