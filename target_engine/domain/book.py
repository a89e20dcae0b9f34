"""Price-time priority order book of one symbol (a dict of price levels and a sorted list of their
prices; levels are insertion-ordered dicts).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator

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
    """Price levels of one symbol: ``bids``/``asks`` map price -> level (order id -> order, in time
    priority); ``bid_ranks``/``ask_ranks`` hold the level prices sorted so that the best level is the
    last item (rank = price for bids, -price for asks), so the best level is read and dropped in O(1).
    """

    __slots__ = ("ask_ranks", "asks", "bid_ranks", "bids", "symbol")

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.bids: dict[int, Level] = {}
        self.asks: dict[int, Level] = {}
        self.bid_ranks: list[int] = []  # ascending prices: best bid last
        self.ask_ranks: list[int] = []  # ascending -prices: best ask last

    def add(self, order: Order) -> None:
        price = order.price
        assert price is not None
        if order.side is Side.BUY:
            levels, ranks, rank = self.bids, self.bid_ranks, price
        else:
            levels, ranks, rank = self.asks, self.ask_ranks, -price
        level = levels.get(price)
        if level is None:
            levels[price] = {order.order_id: order}
            if not ranks or rank > ranks[-1]:
                ranks.append(rank)
            else:
                insort(ranks, rank)
        else:
            level[order.order_id] = order

    def remove(self, order: Order) -> None:
        price = order.price
        assert price is not None
        if order.side is Side.BUY:
            levels, ranks, rank = self.bids, self.bid_ranks, price
        else:
            levels, ranks, rank = self.asks, self.ask_ranks, -price
        level = levels.get(price)
        if level is not None and level.pop(order.order_id, None) is not None and not level:
            del levels[price]
            if ranks[-1] == rank:
                ranks.pop()
            else:
                del ranks[bisect_left(ranks, rank)]

    def best_bid(self) -> int | None:
        return self.bid_ranks[-1] if self.bid_ranks else None

    def best_ask(self) -> int | None:
        return -self.ask_ranks[-1] if self.ask_ranks else None

    def crosses(self, side: Side, limit: int) -> bool:
        """Would an order on ``side`` at ``limit`` take liquidity?"""
        if side is Side.BUY:
            return bool(self.ask_ranks) and -self.ask_ranks[-1] <= limit
        return bool(self.bid_ranks) and self.bid_ranks[-1] >= limit

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
        """Levels a taker on ``side`` meets, best first, at prices no worse than ``limit``."""
        if side is Side.BUY:
            for rank in reversed(self.ask_ranks):
                if limit is not None and -rank > limit:
                    break
                yield -rank, self.asks[-rank]
        else:
            for rank in reversed(self.bid_ranks):
                if limit is not None and rank < limit:
                    break
                yield rank, self.bids[rank]

    def depth(self, side: Side, limit: int = 10) -> list[tuple[int, int]]:
        if side is Side.BUY:
            levels, prices = self.bids, self.bid_ranks[::-1][:limit]
        else:
            levels, prices = self.asks, [-rank for rank in self.ask_ranks[::-1][:limit]]
        return [(price, sum(o.remaining for o in levels[price].values())) for price in prices]
