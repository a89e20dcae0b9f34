"""One timer per millisecond slot for every delayed chunk of a proxy (latency toxic fast path).

Links on the timer path (every enabled stage only delays) hand their oldest pending chunk's slot to
``DelayScheduler.wake_at``. Slots are whole milliseconds rounded up, so nothing is released before
its due time; all links due in the same slot share one event-loop timer and one callback, instead
of a timer handle per chunk. When 100 connections answer in step, their responses land in a few
slots and go out in one pass. A woken link writes what is due and asks again for its next slot; a
wake for a slot the link no longer waits for (chain changed, closed) is ignored by the link.
Nothing here owns sockets; dropping the scheduler just lets pending timers fire into no-ops.
"""

from __future__ import annotations

import asyncio
import math
from typing import Protocol


class Wakeable(Protocol):
    def release_due(self, slot: int) -> None: ...


def slot_of(due: float) -> int:
    """The millisecond slot (loop-clock ms, rounded up) in which a chunk due at ``due`` leaves."""
    return math.ceil(due * 1000.0)


class DelayScheduler:
    def __init__(self) -> None:
        self._slots: dict[int, list[Wakeable]] = {}

    def wake_at(self, slot: int, link: Wakeable) -> None:
        links = self._slots.get(slot)
        if links is None:
            self._slots[slot] = [link]
            asyncio.get_running_loop().call_at(slot / 1000.0, self._fire, slot)
        else:
            links.append(link)

    def _fire(self, slot: int) -> None:
        for link in self._slots.pop(slot, ()):
            link.release_due(slot)
