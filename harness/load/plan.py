"""Deterministic load plan: accounts, client order ids, operations, prices and quantities (pure).

Each simulated user owns a :class:`UserPlan` seeded from ``(seed, worker, user)``; the same seed and
indices give the same sequence of operations, accounts, sides, prices and quantities (the server's
answers only change which orders exist to cancel and the mark the prices follow). No I/O, no clock.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from harness.load.config import OPS, Instrument, LoadConfig

ACCOUNTS_PER_USER = 4
OPEN_ORDERS_KEPT = 256
MARK_KEYS = ("mark_price", "mark", "index_price", "index", "last_price")


def account_name(index: int) -> str:
    """``acct-0001`` … for 1-based indices."""
    return f"acct-{index:04d}"


def all_accounts(count: int) -> list[str]:
    return [account_name(i) for i in range(1, count + 1)]


def client_order_id(run_id: str, worker: int, user: int, n: int) -> str:
    return f"gd-{run_id}-{worker}-{user}-{n}"


def round_to_tick(price: Decimal, tick: Decimal) -> Decimal:
    ticks = (price / tick).to_integral_value(rounding=ROUND_HALF_EVEN)
    return max(ticks, Decimal(1)) * tick


def ceil_to_step(qty: Decimal, step: Decimal) -> Decimal:
    return (qty / step).to_integral_value(rounding=ROUND_CEILING) * step


def parse_mark(body: Any) -> Decimal | None:
    """The mark price in a ``GET /v1/markets/{symbol}`` answer (first usable of MARK_KEYS)."""
    if not isinstance(body, Mapping):
        return None
    for key in MARK_KEYS:
        raw = body.get(key)
        if raw is None:
            continue
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            continue
        if value.is_finite() and value > 0:
            return value
    return None


@dataclass(frozen=True)
class OrderRequest:
    account: str
    symbol: str
    side: str
    qty: Decimal
    price: Decimal
    time_in_force: str
    client_order_id: str

    def body(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "symbol": self.symbol,
            "side": self.side,
            "type": "LIMIT",
            "qty": str(self.qty),
            "price": str(self.price),
            "time_in_force": self.time_in_force,
            "client_order_id": self.client_order_id,
        }


@dataclass(frozen=True)
class OpenOrder:
    account: str
    client_order_id: str
    symbol: str


class UserPlan:
    """The deterministic decisions of one simulated user (worker ``worker``, user ``user``)."""

    def __init__(self, config: LoadConfig, worker: int, user: int) -> None:
        self.config = config
        self.worker = worker
        self.user = user
        self.rng = random.Random(f"gameday/{config.seed}/{worker}/{user}")
        pool = all_accounts(config.accounts)
        self.accounts = self.rng.sample(pool, min(ACCOUNTS_PER_USER, len(pool)))
        self._ops = [op for op in OPS if config.mix.as_dict()[op] > 0]
        self._weights = [config.mix.as_dict()[op] for op in self._ops]
        self._seq = 0
        self._places_per_symbol: dict[str, int] = {}
        self.marks: dict[str, Decimal] = {i.symbol: i.reference_price for i in config.instruments}
        self.open_orders: list[OpenOrder] = []

    @property
    def proc(self) -> str:
        return f"w{self.worker}-u{self.user}"

    def next_op(self) -> str:
        return self.rng.choices(self._ops, weights=self._weights)[0]

    def account(self) -> str:
        return self.rng.choice(self.accounts)

    def instrument(self) -> Instrument:
        return self.rng.choice(self.config.instruments)

    def next_client_order_id(self) -> str:
        self._seq += 1
        return client_order_id(self.config.run_id, self.worker, self.user, self._seq)

    def wants_mark_refresh(self, symbol: str) -> bool:
        """True on the first place of a symbol and every ``mark_refresh_every`` places after."""
        n = self._places_per_symbol.get(symbol, 0)
        self._places_per_symbol[symbol] = n + 1
        every = max(1, self.config.mark_refresh_every)
        return n % every == 0

    def set_mark(self, symbol: str, mark: Decimal | None) -> None:
        if mark is not None:
            self.marks[symbol] = mark

    def new_order(self, inst: Instrument) -> OrderRequest:
        """A valid limit order near the mark: on tick, on step, ≥ min qty and ≥ min notional."""
        mark = self.marks.get(inst.symbol, inst.reference_price)
        bps = self.rng.randint(-self.config.price_offset_bps, self.config.price_offset_bps)
        price = round_to_tick(mark * (Decimal(1) + Decimal(bps) / Decimal(10000)), inst.tick)
        tenths = self.rng.randint(11, max(11, 10 * self.config.max_notional_multiple))
        notional = inst.min_notional * Decimal(tenths) / Decimal(10)
        qty = max(ceil_to_step(notional / price, inst.step), ceil_to_step(inst.min_qty, inst.step))
        side = self.rng.choice(("BUY", "SELL"))
        tif = "IOC" if self.rng.random() < 0.2 else "GTC"
        return OrderRequest(self.account(), inst.symbol, side, qty, price, tif, self.next_client_order_id())

    def remember(self, order: OrderRequest) -> None:
        self.open_orders.append(OpenOrder(order.account, order.client_order_id, order.symbol))
        if len(self.open_orders) > OPEN_ORDERS_KEPT:
            del self.open_orders[0]

    def take_cancel_target(self) -> OpenOrder | None:
        if not self.open_orders:
            return None
        return self.open_orders.pop(self.rng.randrange(len(self.open_orders)))

    def query_target(self) -> OpenOrder | None:
        """An order to look up (half of the time, when any are known), else None ⇒ query an account."""
        if self.open_orders and self.rng.random() < 0.5:
            return self.rng.choice(self.open_orders)
        return None
