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
        for where, is_long, key in self.entries.pop(account, ()):
            if key == _MULTI:
                self.multi[where].discard(account)
            elif is_long:
                self.longs[where].discard((key, account))
            else:
                self.shorts[where].discard((key, account))

    def add_position(self, account: str, symbol: str, is_long: bool, lp: int) -> int:
        """File one position; returns its key (long: liquidate at mark <= key; short: mark >= key)."""
        if is_long:
            key = lp + 2
            self.longs[symbol].add((key, account))
        else:
            key = lp - 2
            self.shorts[symbol].add((key, account))
        self.entries.setdefault(account, []).append((symbol, is_long, key))
        return key

    def add_multi(self, account: str, asset: str) -> None:
        self.multi[asset].add(account)
        self.entries.setdefault(account, []).append((asset, True, _MULTI))

    def candidates(self, symbol: str, asset: str, mark: int) -> set[str]:
        found = {a for _, a in self.longs[symbol].irange((mark, ""), None)}
        found.update(a for _, a in self.shorts[symbol].irange(None, (mark, _TOP)))
        found.update(self.multi[asset])
        return found

    def size(self) -> int:
        return sum(len(v) for v in self.longs.values()) + sum(len(v) for v in self.shorts.values())


_MULTI = -(10**30)
