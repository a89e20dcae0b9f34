"""The margin-recalculation queue: FIFO of accounts, coalescing per account when asked.

Without coalescing (policy ``halt``) every enqueue appends, so a burst of fills grows the queue
as in the incident; with coalescing (``shed``) an account waits at most once. A hard cap
(``10 * limit``) bounds memory; accounts over the cap are dropped and counted. ``on_grow``
callbacks run synchronously after every ``put_many`` (the worker checks the depth limit there, so
the order whose fill pushed the queue past its limit is the last one admitted — no polling race).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable


class MarginQueue:
    def __init__(self, limit: int, coalesce: bool) -> None:
        self.limit = limit
        self.coalesce = coalesce
        self.hard_cap = max(10 * limit, 1000)
        self._items: deque[str] = deque()
        self._members: set[str] = set()
        self._ready = asyncio.Event()
        self.dropped = 0
        self.on_grow: list[Callable[[], None]] = []

    def __len__(self) -> int:
        return len(self._items)

    def put_many(self, accounts: Iterable[str]) -> None:
        for acct in accounts:
            if self.coalesce and acct in self._members:
                continue
            if len(self._items) >= self.hard_cap:
                self.dropped += 1
                continue
            self._items.append(acct)
            if self.coalesce:
                self._members.add(acct)
        if self._items:
            self._ready.set()
        for callback in self.on_grow:
            callback()

    async def get(self) -> str:
        while not self._items:
            self._ready.clear()
            await self._ready.wait()
        acct = self._items.popleft()
        if self.coalesce:
            self._members.discard(acct)
        return acct

    def clear(self) -> None:
        self._items.clear()
        self._members.clear()
