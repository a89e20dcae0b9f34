"""Order validation (every reject code), placement with the pre-trade margin check, cancellation."""

from __future__ import annotations

from mypy_extensions import trait

from .book import Order
from .commands import CancelOrder, PlaceOrder
from .enums import OrderType, Side, TimeInForce, TradingMode
from .errors import RejectCode
from .events import (
    Event,
    OrderAccepted,
    OrderExpired,
    OrderRejected,
)
from .fastinit import fast_constructor
from .instruments import Instrument
from .margin import tier_for
from .matching import MatchingMixin
from .state import Account, Position
from .units import RATE_SCALE

_order_accepted = fast_constructor(OrderAccepted)
_order_expired = fast_constructor(OrderExpired)
_order_rejected = fast_constructor(OrderRejected)


def accepted_event(order: Order) -> OrderAccepted:
    return _order_accepted(
        order.account,
        order.client_order_id,
        order.order_id,
        order.symbol,
        order.side,
        order.order_type,
        order.price,
        order.qty,
        order.time_in_force,
        order.post_only,
        order.reduce_only,
    )


def reject(cmd: PlaceOrder | CancelOrder, code: RejectCode, reason: str) -> list[Event]:
    return [_order_rejected(type(cmd).__name__, cmd.account, cmd.client_order_id, code.value, reason)]


@trait
class TradingMixin(MatchingMixin):
    def band(self, inst: Instrument) -> tuple[int, int] | None:
        """(low, high) allowed prices around the mark, on the tick; None before the first index tick."""
        mark = self.markets[inst.symbol].mark_price
        if mark is None:
            return None
        cached = self.band_cache.get(inst.symbol)
        if cached is not None and cached[0] == mark:
            return cached[1]
        low = -((-mark * (RATE_SCALE - inst.price_band)) // RATE_SCALE)
        high = mark * (RATE_SCALE + inst.price_band) // RATE_SCALE
        tick = inst.tick_size
        band = (-((-low) // tick) * tick, high // tick * tick)
        self.band_cache[inst.symbol] = (mark, band)
        return band

    def place_order(self, cmd: PlaceOrder) -> list[Event]:
        account = self.accounts.get(cmd.account)
        if account is None:
            return reject(cmd, RejectCode.UNKNOWN_ACCOUNT, f"unknown account {cmd.account!r}")
        cid = cmd.client_order_id
        previous = account.orders.get(cid)
        if previous is not None:
            same = (
                previous.symbol == cmd.symbol
                and previous.side is cmd.side
                and previous.qty == cmd.qty
                and previous.order_type == cmd.order_type
                and previous.price == cmd.price
                and previous.time_in_force == cmd.time_in_force
                and previous.post_only == cmd.post_only
                and previous.reduce_only == cmd.reduce_only
            )
            if same:
                return [accepted_event(previous)]  # the original outcome: accepted, same order id
            return reject(cmd, RejectCode.DUPLICATE_CLIENT_ORDER_ID, f"client_order_id {cid!r} already used")
        vetted = self.vet_order(account, cmd)
        if isinstance(vetted, tuple):
            return reject(cmd, *vetted)
        limit = vetted
        side = cmd.side
        book = self.books[cmd.symbol]
        if cmd.post_only and book.crosses(side, limit):
            return reject(cmd, RejectCode.POST_ONLY_WOULD_TAKE, "post-only order would take liquidity")
        time_in_force = cmd.time_in_force
        if time_in_force is TimeInForce.FOK and book.fillable(side, limit, cmd.qty, cmd.account) < cmd.qty:
            return reject(cmd, RejectCode.FOK_NOT_FILLED, "fill-or-kill order cannot be filled in full")
        order_id = self.next_order_id
        self.next_order_id = order_id + 1
        order = Order(
            order_id,
            cmd.account,
            cid,
            cmd.symbol,
            side,
            cmd.order_type,
            cmd.price,
            cmd.qty,
            time_in_force,
            cmd.post_only,
            cmd.reduce_only,
            cmd.ts_ms,
        )
        account.orders[cid] = order
        out: list[Event] = [accepted_event(order)] if self.emit_events else []
        # match() does nothing for an order that crosses no level: the common resting order skips it
        if side is Side.BUY:
            if book.ask_ranks and -book.ask_ranks[-1] <= limit:
                self.match(account, order, limit, out, liquidation=False)
        elif book.bid_ranks and book.bid_ranks[-1] >= limit:
            self.match(account, order, limit, out, liquidation=False)
        if order.remaining:
            if cmd.order_type is OrderType.LIMIT and time_in_force is TimeInForce.GTC:
                self.rest(account, order)
            else:
                order.status = "EXPIRED"
                if self.emit_events:
                    out.append(_order_expired(cmd.account, cid, cmd.symbol, order.remaining))
        return out

    def validate_order(self, account: Account, cmd: PlaceOrder) -> tuple[RejectCode, str] | None:
        """The first reject (code, reason) of ``cmd``, or None."""
        vetted = self.vet_order(account, cmd)
        return vetted if isinstance(vetted, tuple) else None

    def vet_order(self, account: Account, cmd: PlaceOrder) -> tuple[RejectCode, str] | int:
        """The first reject (code, reason) of ``cmd``, or its limit price: the order's price, or for a
        market order the band edge on its side. Files an empty position for the symbol if none yet."""
        inst = self.instruments.get(cmd.symbol)
        if inst is None:
            return RejectCode.UNKNOWN_SYMBOL, f"unknown symbol {cmd.symbol!r}"
        cid = cmd.client_order_id
        if not cid or len(cid) > 64:
            return RejectCode.INVALID_ORDER, "client_order_id must have 1 to 64 characters"
        cmd_price = cmd.price
        post_only = cmd.post_only
        market = cmd.order_type is OrderType.MARKET
        if not market:
            if cmd_price is None or cmd_price <= 0:
                return RejectCode.INVALID_PRICE, "a limit order needs a positive price"
            if cmd_price % inst.tick_size:
                return RejectCode.INVALID_TICK_SIZE, "price is not a multiple of the tick size"
        elif cmd_price is not None or post_only:
            return RejectCode.INVALID_ORDER, "a market order takes no price and cannot be post-only"
        if post_only and cmd.time_in_force is not TimeInForce.GTC:
            return RejectCode.INVALID_ORDER, "post-only orders are GTC"
        qty = cmd.qty
        if qty <= 0:
            return RejectCode.INVALID_QUANTITY, "quantity must be positive"
        if qty % inst.step_size:
            return RejectCode.INVALID_STEP_SIZE, "quantity is not a multiple of the step size"
        if qty < inst.min_qty:
            return RejectCode.QTY_BELOW_MIN, "quantity below the minimum"
        if qty > (inst.market_max_qty if market else inst.max_qty):
            return RejectCode.QTY_ABOVE_MAX, "quantity above the maximum"
        cached = self.band_cache.get(cmd.symbol)  # band(), inline when the mark has not moved
        if cached is not None and cached[0] == self.markets[cmd.symbol].mark_price:
            band: tuple[int, int] | None = cached[1]
        else:
            band = self.band(inst)
        if band is None:
            return RejectCode.NO_INDEX_PRICE, "no index price yet for this symbol"
        buy = cmd.side is Side.BUY
        if cmd_price is None:
            price = band[1] if buy else band[0]
        else:
            price = cmd_price
            if not band[0] <= price <= band[1]:
                return RejectCode.PRICE_OUT_OF_BAND, "price outside the band around the mark price"
        pos = account.positions.get(cmd.symbol) or self.position(account, cmd.symbol)
        held = pos.qty
        reducing = held != 0 and (held > 0) != buy and qty <= abs(held)
        if cmd.reduce_only and not reducing:
            return (
                RejectCode.REDUCE_ONLY_WOULD_INCREASE,
                "reduce-only order would open or increase a position",
            )
        if not reducing and price * qty < inst.min_notional:
            return RejectCode.NOTIONAL_BELOW_MIN, "notional below the minimum"
        mode = self.mode
        if mode is not TradingMode.NORMAL:
            allowed = (mode is TradingMode.POST_ONLY and post_only) or (
                mode is TradingMode.REDUCE_ONLY and reducing
            )
            if not allowed:
                return RejectCode.TRADING_MODE_RESTRICTED, f"trading mode is {mode.value}"
        if reducing:
            return price
        problem = self.check_margin(account, pos, inst, cmd.side, price, qty)
        return price if problem is None else problem

    def check_margin(
        self, account: Account, pos: Position, inst: Instrument, side: Side, price: int, qty: int
    ) -> tuple[RejectCode, str] | None:
        notional = price * qty
        open_buy = pos.open_buy
        open_sell = pos.open_sell
        leverage = pos.leverage
        if side is Side.BUY:
            exposure = abs(pos.qty) * price + open_buy + notional
            resulting = max(open_buy + notional, open_sell)
        else:
            exposure = abs(pos.qty) * price + open_sell + notional
            resulting = max(open_buy, open_sell + notional)
        if tier_for(inst, exposure).max_leverage < leverage:
            return RejectCode.LEVERAGE_EXCEEDS_BRACKET, "leverage too high for the resulting position size"
        # initial margin of the open orders after minus before (initial_margin: ceil(notional / leverage))
        required = (
            -((-resulting) // leverage)
            + ((-max(open_buy, open_sell)) // leverage)
            + notional * inst.taker_fee // RATE_SCALE
        )
        if required > self.available(account, inst.asset):
            return RejectCode.INSUFFICIENT_MARGIN, "not enough available margin"
        return None

    def cancel_order(self, cmd: CancelOrder) -> list[Event]:
        account = self.accounts.get(cmd.account)
        if account is None:
            return reject(cmd, RejectCode.UNKNOWN_ACCOUNT, f"unknown account {cmd.account!r}")
        order = account.orders.get(cmd.client_order_id)
        if order is None:
            return reject(cmd, RejectCode.UNKNOWN_ORDER, f"no order {cmd.client_order_id!r}")
        if cmd.client_order_id not in account.open_orders:
            return reject(cmd, RejectCode.ORDER_NOT_OPEN, f"order {cmd.client_order_id!r} is {order.status}")
        out: list[Event] = []
        self.cancel(account, order, "USER", out)
        return out
