"""Whole-state snapshot to a canonical JSON-safe dict and back.

Books are rebuilt from open orders (their insertion order equals their order-id order). Orders and
fills are encoded as positional lists to keep snapshots small. The per-account fill history is a query
convenience: it is in the snapshot but not in the state hash (``dump(engine, with_history=False)``).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import TYPE_CHECKING, Any

from .book import Order
from .enums import MarginType, Side, TradingMode
from .errors import ProgrammerError
from .events import Fill
from .state import Account, Position

if TYPE_CHECKING:
    from .engine import Engine

VERSION = 2
ORDER_FIELDS = (
    "order_id",
    "client_order_id",
    "symbol",
    "side",
    "order_type",
    "price",
    "qty",
    "remaining",
    "time_in_force",
    "post_only",
    "reduce_only",
    "ts_ms",
    "status",
    "filled_qty",
    "filled_cost",
)
FILL_FIELDS = tuple(f.name for f in dataclasses.fields(Fill))
_MARKET_SCALARS = (
    "index_price",
    "index_ts",
    "mark_price",
    "last_price",
    "last_basis_ts",
    "ema_basis",
    "last_premium_ts",
    "last_funding_rate",
    "next_funding_ts",
)


def _account(engine: Engine, acct: Account, with_history: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "wallets": dict(sorted(acct.wallets.items())),
        "positions": {
            s: [p.qty, p.cost, p.leverage, str(p.margin_type), p.isolated_margin, p.open_buy, p.open_sell]
            for s, p in sorted(acct.positions.items())
            if not p.is_idle() or p.leverage != engine.instruments[s].default_leverage
        },
        "orders": [
            [*(getattr(o, f) for f in ORDER_FIELDS), o.client_order_id in acct.open_orders]
            for o in sorted(acct.orders.values(), key=lambda o: o.order_id)
        ],
    }
    if with_history:
        out["fills"] = [[getattr(f, name) for name in FILL_FIELDS] for f in acct.fills]
    return out


def dump(engine: Engine, *, with_history: bool = True) -> dict[str, Any]:
    markets: dict[str, Any] = {}
    for symbol in sorted(engine.markets):
        m = engine.markets[symbol]
        entry: dict[str, Any] = {name: getattr(m, name) for name in _MARKET_SCALARS}
        entry["basis_samples"] = [list(x) for x in m.basis_samples]
        entry["premium_samples"] = [list(x) for x in m.premium_samples]
        entry["funding_history"] = [dict(sorted(h.items())) for h in m.funding_history]
        markets[symbol] = entry
    return {
        "version": VERSION,
        "seq": engine.last_seq,
        "now": engine.now,
        "started": engine.started,
        "mode": str(engine.mode),
        "next_order_id": engine.next_order_id,
        "next_trade_id": engine.next_trade_id,
        "insurance": dict(sorted(engine.insurance.items())),
        "fees": dict(sorted(engine.fees.items())),
        "bad_debt": dict(sorted(engine.bad_debt.items())),
        "net_deposits": dict(sorted(engine.net_deposits.items())),
        "markets": markets,
        "accounts": {a: _account(engine, engine.accounts[a], with_history) for a in sorted(engine.accounts)},
    }


def load(engine: Engine, data: dict[str, Any]) -> None:
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ProgrammerError("snapshot: unknown version or not a snapshot")
    try:
        _load(engine, data)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ProgrammerError(f"snapshot: corrupt ({exc!r})") from None


def _load(engine: Engine, data: dict[str, Any]) -> None:
    engine.last_seq = int(data["seq"])
    engine.now = int(data["now"])
    engine.started = bool(data["started"])
    engine.mode = TradingMode(data["mode"])
    engine.next_order_id = int(data["next_order_id"])
    engine.next_trade_id = int(data["next_trade_id"])
    engine.insurance = dict(data["insurance"])
    engine.fees = dict(data["fees"])
    engine.bad_debt = dict(data["bad_debt"])
    engine.net_deposits = dict(data["net_deposits"])
    for symbol, entry in data["markets"].items():
        m = engine.markets[symbol]
        for name in _MARKET_SCALARS:
            setattr(m, name, entry[name])
        m.basis_samples = deque((int(a), int(b)) for a, b in entry["basis_samples"])
        m.premium_samples = [(int(a), int(b)) for a, b in entry["premium_samples"]]
        m.funding_history = deque(entry["funding_history"], maxlen=m.funding_history.maxlen)
    open_orders: list[tuple[Account, Order]] = []
    for account_id, entry in data["accounts"].items():
        acct = Account(account_id, engine.config.assets, engine.config.fills_history)
        acct.wallets = dict(entry["wallets"])
        for symbol, (qty, cost, lev, mtype, iso, ob, osell) in entry["positions"].items():
            pos = Position(account_id, symbol, lev)
            pos.qty, pos.cost, pos.margin_type, pos.isolated_margin = qty, cost, MarginType(mtype), iso
            pos.open_buy, pos.open_sell = ob, osell
            acct.positions[symbol] = pos
            if qty:
                engine.holders[symbol][account_id] = pos
        for row in entry["orders"]:
            o = dict(zip(ORDER_FIELDS, row, strict=False))
            order = Order(
                o["order_id"],
                account_id,
                o["client_order_id"],
                o["symbol"],
                Side(o["side"]),
                o["order_type"],
                o["price"],
                o["qty"],
                o["time_in_force"],
                o["post_only"],
                o["reduce_only"],
                o["ts_ms"],
            )
            order.remaining, order.status = o["remaining"], o["status"]
            order.filled_qty, order.filled_cost = o["filled_qty"], o["filled_cost"]
            acct.orders[order.client_order_id] = order
            if row[len(ORDER_FIELDS)]:
                open_orders.append((acct, order))
        for row in entry.get("fills", ()):
            acct.fills.append(Fill(*row))
        engine.accounts[account_id] = acct
    for acct, order in sorted(open_orders, key=lambda item: item[1].order_id):
        engine.books[order.symbol].add(order)
        acct.open_orders[order.client_order_id] = order
