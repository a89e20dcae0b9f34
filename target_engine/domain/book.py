"""Price-time priority order book of one symbol (SortedDict of price levels, insertion-ordered levels).

Bids are keyed by ``-price`` so that the best level is always the first key on both sides.
"""

from __future__ import annotations

from collections.abc import Iterator

from sortedcontainers import SortedDict

from .enums import Side


class Order:
    """A live or finished order (mutable engine state; not a value object)."""

    __slots__ = (
        "account",
        "client_order_id",
        "filled_cost",
        "filled_qty",
        "order_id",
        "order_type",
        "post_only",
        "price",
        "qty",
        "reduce_only",
        "remaining",
        "side",
        "status",
        "symbol",
        "time_in_force",
        "ts_ms",
    )

    def __init__(
        self,
        order_id: int,
        account: str,
        client_order_id: str,
        symbol: str,
        side: Side,
        order_type: str,
        price: int | None,
        qty: int,
        time_in_force: str,
        post_only: bool,
        reduce_only: bool,
        ts_ms: int,
    ) -> None:
        self.order_id = order_id
        self.account = account
        self.client_order_id = client_order_id
        self.symbol = symbol
        self.side = side
        self.order_type = order_type
        self.price = price
        self.qty = qty
        self.remaining = qty
        self.time_in_force = time_in_force
        self.post_only = post_only
        self.reduce_only = reduce_only
        self.ts_ms = ts_ms
        self.status = "NEW"
        self.filled_qty = 0
        self.filled_cost = 0


Level = dict[int, Order]


class OrderBook:
    __slots__ = ("asks", "bids", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids: SortedDict = SortedDict()  # -price -> {order_id: Order}
        self.asks: SortedDict = SortedDict()  # price -> {order_id: Order}

    def side_levels(self, side: Side) -> SortedDict:
        return self.bids if side is Side.BUY else self.asks

    def add(self, order: Order) -> None:
        assert order.price is not None
        if order.side is Side.BUY:
            levels, key = self.bids, -order.price
        else:
            levels, key = self.asks, order.price
        level = levels.get(key)
        if level is None:
            levels[key] = {order.order_id: order}
        else:
            level[order.order_id] = order

    def remove(self, order: Order) -> None:
        assert order.price is not None
        if order.side is Side.BUY:
            levels, key = self.bids, -order.price
        else:
            levels, key = self.asks, order.price
        level = levels.get(key)
        if level is not None and level.pop(order.order_id, None) is not None and not level:
            del levels[key]

    def best_bid(self) -> int | None:
        return -int(self.bids.keys()[0]) if self.bids else None

    def best_ask(self) -> int | None:
        return int(self.asks.keys()[0]) if self.asks else None

    def crosses(self, side: Side, limit: int) -> bool:
        """Would an order on ``side`` at ``limit`` take liquidity?"""
        if side is Side.BUY:
            return bool(self.asks) and int(self.asks.keys()[0]) <= limit
        return bool(self.bids) and -int(self.bids.keys()[0]) >= limit

    def fillable(self, side: Side, limit: int, qty: int, exclude_account: str | None = None) -> int:
        """Quantity an order on ``side`` could take at prices no worse than ``limit`` (up to ``qty``)."""
        total = 0
        for price, level in self._opposite(side, limit):
            del price
            for order in level.values():
                if order.account != exclude_account:
                    total += order.remaining
                    if total >= qty:
                        return qty
        return total

    def simulate_take(self, side: Side, limit: int, qty: int) -> list[tuple[int, int]]:
        """(price, qty) slices a taker on ``side`` would fill at prices no worse than ``limit``."""
        out: list[tuple[int, int]] = []
        left = qty
        for price, level in self._opposite(side, limit):
            size = sum(o.remaining for o in level.values())
            take = min(size, left)
            out.append((price, take))
            left -= take
            if not left:
                break
        return out

    def impact_price(self, side: Side, notional: int) -> int | None:
        """Average price to take ``notional`` (money) from the side a taker on ``side`` hits; None if thin."""
        filled_qty = 0
        filled_notional = 0
        for price, level in self._opposite(side, None):
            size = sum(o.remaining for o in level.values())
            room = notional - filled_notional
            if size * price >= room:
                filled_qty += room // price
                filled_notional += (room // price) * price
                return filled_notional // filled_qty if filled_qty else price
            filled_qty += size
            filled_notional += size * price
        return None

    def _opposite(self, side: Side, limit: int | None) -> Iterator[tuple[int, Level]]:
        if side is Side.BUY:
            for key, level in self.asks.items():
                if limit is not None and key > limit:
                    break
                yield int(key), level
        else:
            for key, level in self.bids.items():
                if limit is not None and -key < limit:
                    break
                yield -int(key), level

    def depth(self, side: Side, limit: int = 10) -> list[tuple[int, int]]:
        levels = self.bids if side is Side.BUY else self.asks
        out: list[tuple[int, int]] = []
        for key, level in levels.items()[:limit]:
            out.append((abs(int(key)), sum(o.remaining for o in level.values())))
        return out
