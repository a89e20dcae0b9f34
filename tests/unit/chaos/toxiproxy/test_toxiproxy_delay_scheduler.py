"""DelayScheduler (real event loop): slots in order, shared slots, never before the slot's time."""

from __future__ import annotations

import asyncio

from chaos.toxiproxy.delay_scheduler import DelayScheduler, slot_of


class Recorder:
    def __init__(self, name: str, log: list[tuple[str, int, float]]) -> None:
        self.name = name
        self.log = log

    def release_due(self, slot: int) -> None:
        self.log.append((self.name, slot, asyncio.get_running_loop().time()))


def test_slots_round_up_to_whole_milliseconds():
    assert slot_of(1.0) == 1000
    assert slot_of(1.0001) == 1001
    assert slot_of(0.0) == 0


def test_links_are_woken_per_slot_in_order_and_never_early():
    async def scenario() -> list[tuple[str, int, float]]:
        loop = asyncio.get_running_loop()
        scheduler = DelayScheduler()
        log: list[tuple[str, int, float]] = []
        base = slot_of(loop.time())
        a, b, c = Recorder("a", log), Recorder("b", log), Recorder("c", log)
        scheduler.wake_at(base + 30, c)
        scheduler.wake_at(base + 10, a)
        scheduler.wake_at(base + 10, b)  # same slot: shares a's timer, woken right after a
        for _ in range(200):
            if len(log) == 3:
                break
            await asyncio.sleep(0.005)
        return log

    log = asyncio.run(scenario())
    assert [(name, slot) for name, slot, _ in log] == [
        ("a", log[0][1]),
        ("b", log[0][1]),
        ("c", log[0][1] + 20),
    ]
    for _, slot, woke_at in log:
        assert woke_at >= slot / 1000.0 - 1e-6  # the event loop's clock: a timer never fires early
