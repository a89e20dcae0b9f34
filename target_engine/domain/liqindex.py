"""Index of liquidation prices: finds the accounts a mark tick may liquidate without sweeping positions.

Per symbol two sorted lists of ``(key_price, account)``: longs liquidate when mark <= key, shorts when
mark >= key. Keys are the exact liquidation price widened by a couple of price units, so the candidates
are a superset; the engine confirms each with the exact integer check. Cross accounts holding more than
one cross position in an asset (their LP moves with the other marks) are kept in a per-asset set and
always re-checked.
"""

from __future__ import annotations

from sortedcontainers import SortedList

from .instruments import Instrument
from .units import RATE_SCALE

_TOP = "\U0010ffff"
MULTI = -(10**30)  # key of a multi-position cross pool entry (always re-checked)


def long_key(lp: int) -> int:
    """Index key of a long: liquidate when mark <= key (LP widened by 2 price units)."""
    return lp + 2


def short_key(lp: int) -> int:
    return lp - 2


def liquidation_key(inst: Instrument, qty: int, cost: int, wallet: int, mark_notional: int) -> int:
    """Integer LP (price units, floor) solving margin balance = MM at the LP's own tier."""
    tiers = inst.tiers
    index = 0
    for i, tier in enumerate(tiers):
        if mark_notional < tier.cap:
            index = i
            break
    else:
        index = len(tiers) - 1
    absq = abs(qty)
    price = 0
    seen: set[int] = set()
    while index not in seen:
        seen.add(index)
        tier = tiers[index]
        denom = qty * RATE_SCALE - absq * tier.mmr
        price = (cost - wallet - tier.cum) * RATE_SCALE // denom
        notional = absq * max(price, 0)
        if notional < tier.floor and index > 0:
            index -= 1
        elif notional >= tier.cap and index < len(tiers) - 1:
            index += 1
        else:
            return price
    return price


class LiquidationIndex:
    __slots__ = ("entries", "longs", "multi", "shorts")

    def __init__(self, symbols: list[str], assets: tuple[str, ...]) -> None:
        self.longs: dict[str, SortedList] = {s: SortedList() for s in symbols}
        self.shorts: dict[str, SortedList] = {s: SortedList() for s in symbols}
        self.multi: dict[str, set[str]] = {a: set() for a in assets}
        self.entries: dict[str, list[tuple[str, bool, int]]] = {}  # account -> (symbol|asset, long?, key)

    def clear(self, account: str) -> None:
        self._remove(account, self.entries.pop(account, []))

    def _remove(self, account: str, entries: list[tuple[str, bool, int]]) -> None:
        for where, is_long, key in entries:
            if key == MULTI:
                self.multi[where].discard(account)
            elif is_long:
                self.longs[where].discard((key, account))
            else:
                self.shorts[where].discard((key, account))

    def replace(self, account: str, entries: list[tuple[str, bool, int]]) -> None:
        """File the account's entries: (symbol, is_long, key) per position, (asset, True, MULTI) per
        multi-position cross pool. Only the entries that changed touch the sorted lists."""
        old = self.entries.get(account, [])
        if old == entries:
            return
        self._remove(account, [e for e in old if e not in entries])
        for entry in entries:
            if entry in old:
                continue
            where, is_long, key = entry
            if key == MULTI:
                self.multi[where].add(account)
            elif is_long:
                self.longs[where].add((key, account))
            else:
                self.shorts[where].add((key, account))
        if entries:
            self.entries[account] = entries
        else:
            self.entries.pop(account, None)

    def candidates(self, symbol: str, asset: str, mark: int) -> set[str]:
        found = {a for _, a in self.longs[symbol].irange((mark, ""), None)}
        found.update(a for _, a in self.shorts[symbol].irange(None, (mark, _TOP)))
        found.update(self.multi[asset])
        return found

    def size(self) -> int:
        return sum(len(v) for v in self.longs.values()) + sum(len(v) for v in self.shorts.values())
