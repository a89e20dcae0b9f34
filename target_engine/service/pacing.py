"""How long the sequencer lets a following group commit gather commands: longer when the engine is busy.

Every commit cycle has a fixed cost: about 65 us of SQLite transaction in the writer thread, the
hand-off to it and back, and the loop's per-cycle work (answers, metrics, margin queue, index
re-file), about 200-290 us of CPU in all on this project's machines. A closed loop, or any load
past saturation, fills each commit by itself (about 127 commands). An open loop below saturation
does not: it commits a few commands at a time (4-18 at 3,000-8,000 orders/s with a 2 ms interval),
and the fixed cost then takes 10-20 % of the core. That is the CPU an engine near its maximum has
least of. Measured at 3,000 orders/s: an 8 ms interval instead of 2 ms cut CPU per order by 16 %
(257 to 215 us, both threads) for a p50 of 8.8 instead of 2.9 ms. At 80 % of the closed-loop
maximum it brought the open loop's CPU per order from about 1.2x the closed loop's to about 1.09x.

So the interval follows the event loop thread's own CPU share over the last ``window`` (its
``thread_time``; the loop thread is what saturates first): ``base`` up to ``idle_share`` busy,
``busy`` from ``busy_share`` on, linear in between. A lightly loaded engine (every game day's
load) keeps the short interval and its latency; one near saturation buys back CPU with a few
milliseconds. The share is re-read at most once per window, so the clock calls cost nothing per
commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

IDLE_SHARE = 0.5  # at or below this loop-thread CPU share: the base interval
BUSY_SHARE = 0.8  # at or above it: the busy interval


class CommitPacing:
    def __init__(self, base_s: float, busy_s: float, window_s: float = 0.1,
                 cpu_clock: Callable[[], float] = time.thread_time,
                 wall_clock: Callable[[], float] = time.monotonic) -> None:
        """Call ``interval`` from the event loop thread only: ``cpu_clock`` (default
        ``time.thread_time``) measures the thread that calls it."""
        if not 0 <= base_s <= busy_s:
            raise ValueError(f"commit intervals must satisfy 0 <= base <= busy, got {base_s} and {busy_s}")
        self.base_s = base_s
        self.busy_s = busy_s
        self.window_s = window_s
        self._cpu_clock = cpu_clock
        self._wall_clock = wall_clock
        self._since_wall = wall_clock()
        self._since_cpu = cpu_clock()
        self.loop_share = 0.0  # the loop thread's CPU share over the last complete window
        self.current_s = base_s

    def interval(self) -> float:
        """The interval to use now (seconds)."""
        now = self._wall_clock()
        elapsed = now - self._since_wall
        if elapsed >= self.window_s and elapsed > 0:
            cpu = self._cpu_clock()
            self.loop_share = max(0.0, min(1.0, (cpu - self._since_cpu) / elapsed))
            self._since_wall, self._since_cpu = now, cpu
            busy = (self.loop_share - IDLE_SHARE) / (BUSY_SHARE - IDLE_SHARE)
            self.current_s = self.base_s + (self.busy_s - self.base_s) * max(0.0, min(1.0, busy))
        return self.current_s
