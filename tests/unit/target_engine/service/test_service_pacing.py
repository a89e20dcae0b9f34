"""The commit interval follows the event loop thread's CPU share (target_engine/service/pacing.py),
with injected clocks (steps exact in binary): base up to 50 % busy, busy from 80 %, linear between,
re-read once a window."""

from __future__ import annotations

import pytest

from target_engine.service.pacing import CommitPacing


class Clocks:
    """A wall clock and a CPU clock the test moves by hand; counts CPU clock reads."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 5.0
        self.cpu_reads = 0

    def read_cpu(self) -> float:
        self.cpu_reads += 1
        return self.cpu

    def spend(self, seconds: float, share: float) -> None:
        self.wall += seconds
        self.cpu += seconds * share


def pacing(clocks: Clocks, base: float = 0.002, busy: float = 0.008) -> CommitPacing:
    return CommitPacing(base, busy, window_s=0.125, cpu_clock=clocks.read_cpu, wall_clock=lambda: clocks.wall)


@pytest.mark.parametrize(("share", "expected"), [(0.1, 0.002), (0.5, 0.002), (0.65, 0.005), (0.8, 0.008),
                                                 (0.97, 0.008)])
def test_the_interval_follows_the_loop_threads_cpu_share(share: float, expected: float) -> None:
    clocks = Clocks()
    pace = pacing(clocks)
    clocks.spend(0.125, share)
    assert pace.interval() == pytest.approx(expected)
    assert pace.loop_share == pytest.approx(share)


def test_a_fresh_pacing_starts_at_the_base_and_reads_the_cpu_clock_once_a_window() -> None:
    clocks = Clocks()
    pace = pacing(clocks)
    reads = clocks.cpu_reads
    assert pace.interval() == 0.002  # no complete window yet
    clocks.spend(0.0625, 1.0)
    assert pace.interval() == 0.002  # still inside the first window: not re-read
    assert clocks.cpu_reads == reads
    clocks.spend(0.0625, 1.0)
    assert pace.interval() == pytest.approx(0.008)
    assert clocks.cpu_reads == reads + 1


def test_the_interval_comes_back_down_when_the_load_goes() -> None:
    clocks = Clocks()
    pace = pacing(clocks)
    clocks.spend(0.125, 0.95)
    assert pace.interval() == pytest.approx(0.008)
    clocks.spend(0.125, 0.2)
    assert pace.interval() == pytest.approx(0.002)


def test_a_long_quiet_gap_counts_as_idle_and_the_share_is_clamped() -> None:
    clocks = Clocks()
    pace = pacing(clocks)
    clocks.spend(30.0, 0.0)
    assert pace.interval() == 0.002 and pace.loop_share == 0.0
    clocks.spend(0.125, 1.5)  # a CPU clock that ran ahead of the wall clock reads as fully busy
    assert pace.interval() == pytest.approx(0.008)
    assert pace.loop_share == 1.0


def test_zero_intervals_turn_pacing_off_whatever_the_load() -> None:
    clocks = Clocks()
    pace = pacing(clocks, 0.0, 0.0)
    clocks.spend(0.125, 1.0)
    assert pace.interval() == 0.0


def test_a_busy_interval_below_the_base_is_refused() -> None:
    with pytest.raises(ValueError, match="0 <= base <= busy"):
        CommitPacing(0.008, 0.002)
