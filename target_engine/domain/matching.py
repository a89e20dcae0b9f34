"""Resting, cancelling and matching orders (price-time priority, self-trade prevention, maker/taker fees)."""

from __future__ import annotations

from mypy_extensions import trait

from .book import Level, Order, OrderBook
from .enums import Side
from .events import Event, Fill, OrderCanceled, OrderFilled
from .fastinit import fast_constructor
from .ledger import LedgerMixin
from .state import Account, MarketState
from .units import RATE_SCALE

_new_fill = fast_constructor(Fill)
_order_filled = fast_constructor(OrderFilled)
_order_canceled = fast_constructor(OrderCanceled)


@trait
class MatchingMixin(LedgerMixin):
    def rest(self, account: Account, order: Order) -> None:
        assert order.price is not None
        self.books[order.symbol].add(order)
        account.open_orders[order.client_order_id] = order
        pos = account.positions.get(order.symbol) or self.position(account, order.symbol)
        if order.side is Side.BUY:
            pos.open_buy += order.price * order.remaining
        else:
            pos.open_sell += order.price * order.remaining

    def unrest(self, account: Account, order: Order) -> None:
        assert order.price is not None
        self.books[order.symbol].remove(order)
        account.open_orders.pop(order.client_order_id, None)
        pos = account.positions[order.symbol]
        if order.side is Side.BUY:
            pos.open_buy -= order.price * order.remaining
        else:
            pos.open_sell -= order.price * order.remaining

    def cancel(self, account: Account, order: Order, reason: str, out: list[Event]) -> None:
        self.unrest(account, order)
        order.status = "CANCELED"
        if self.emit_events:
            cid, remaining = order.client_order_id, order.remaining
            out.append(_order_canceled(account.account_id, cid, order.symbol, remaining, reason))

    def match(self, taker: Account, order: Order, limit: int, out: list[Event], *, liquidation: bool) -> None:
        """Fill ``order`` against the book at prices no worse than ``limit`` (price-time priority)."""
        book = self.books[order.symbol]
        buying = order.side is Side.BUY
        if buying:
            levels, ranks = book.asks, book.ask_ranks
        else:
            levels, ranks = book.bids, book.bid_ranks
        if ranks and order.remaining and ((-ranks[-1] <= limit) if buying else (ranks[-1] >= limit)):
            self._take(taker, order, limit, levels, ranks, buying, liquidation, out)
        if order.remaining == 0:
            order.status = "FILLED"
            if self.emit_events:
                out.append(_order_filled(order.account, order.client_order_id, order.symbol))
        elif order.filled_qty:
            order.status = "PARTIALLY_FILLED"

    def _take(
        self,
        taker: Account,
        order: Order,
        limit: int,
        levels: dict[int, Level],
        ranks: list[int],
        buying: bool,
        liquidation: bool,
        out: list[Event],
    ) -> None:
        """The crossing part of ``match``: walk the best levels while they cross ``limit``."""
        sign = 1 if buying else -1
        inst = self.instruments[order.symbol]
        taker_rate = 0 if liquidation else inst.taker_fee
        maker_rate = inst.maker_fee
        book = self.books[order.symbol]
        market = self.markets[order.symbol]
        accounts = self.accounts
        while order.remaining and ranks:
            rank = ranks[-1]
            price = -rank if buying else rank
            if (price > limit) if buying else (price < limit):
                break
            level = levels[price]
            for maker in list(level.values()):
                if not order.remaining:
                    break
                maker_account = accounts[maker.account]
                if maker.account == order.account:
                    self.cancel(maker_account, maker, "SELF_TRADE_PREVENTION", out)
                    continue
                qty = min(order.remaining, maker.remaining)
                if maker.reduce_only:
                    held = maker_account.positions[maker.symbol].qty
                    qty = min(qty, max(0, -held if maker.side is Side.BUY else held))
                    if qty == 0:
                        self.cancel(maker_account, maker, "REDUCE_ONLY", out)
                        continue
                self.execute(
                    taker, order, maker_account, maker, price, qty, sign, taker_rate, maker_rate, liquidation,
                    book, market, out,
                )
            if not level and levels.get(price) is level:  # emptied without going through book.remove
                del levels[price]
                ranks.remove(rank)

    def execute(
        self,
        taker: Account,
        order: Order,
        maker_account: Account,
        maker: Order,
        price: int,
        qty: int,
        sign: int,
        taker_rate: int,
        maker_rate: int,
        liquidation: bool,
        book: OrderBook,
        market: MarketState,
        out: list[Event],
    ) -> None:
        """One fill of ``qty`` at ``price`` between the taker ``order`` and the resting ``maker`` (the
        book and market state of the order's symbol passed in)."""
        notional = price * qty
        taker_fee = notional * taker_rate // RATE_SCALE
        maker_fee = notional * maker_rate // RATE_SCALE
        trade_id = self.next_trade_id
        self.next_trade_id = trade_id + 1
        fill = _new_fill(
            trade_id,
            order.symbol,
            price,
            qty,
            order.side,
            taker.account_id,
            order.client_order_id,
            maker_account.account_id,
            maker.client_order_id,
            taker_fee,
            maker_fee,
            liquidation,
        )
        out.append(fill)
        taker.fills.append(fill)
        maker_account.fills.append(fill)
        # maker leaves the book (by qty) first so its open-order margin shrinks consistently
        pos = maker_account.positions[maker.symbol]
        if maker.side is Side.BUY:
            pos.open_buy -= price * qty
        else:
            pos.open_sell -= price * qty
        maker.remaining -= qty
        maker.filled_qty += qty
        maker.filled_cost += notional
        if maker.remaining == 0:
            book.remove(maker)
            maker_account.open_orders.pop(maker.client_order_id, None)
            maker.status = "FILLED"
            if self.emit_events:
                out.append(_order_filled(maker.account, maker.client_order_id, maker.symbol))
        else:
            maker.status = "PARTIALLY_FILLED"
        order.remaining -= qty
        order.filled_qty += qty
        order.filled_cost += notional
        market.last_price = price
        self.trade(taker, order.symbol, sign, qty, price, taker_fee, out, settle=not liquidation)
        self.trade(maker_account, maker.symbol, -sign, qty, price, maker_fee, out)
