"""Read-only views for the HTTP API: JSON-safe dicts with decimals as strings (None when unknown)."""

from __future__ import annotations

from typing import Any

from mypy_extensions import trait

from .book import Order
from .enums import MarginType, Side
from .events import event_to_dict
from .funding import funding_rate
from .margin import bankruptcy_price, liquidation_price
from .markets import MarketsMixin
from .state import Account, Position
from .units import PRICE_SCALE, RATE_SCALE, format_money, format_price, format_qty, format_rate, round_div


def _price(value: int | None) -> str | None:
    return None if value is None else format_price(value)


def _ratio(mm: int, balance: int) -> str | None:
    if balance <= 0:
        return None
    return format_rate(round_div(mm * RATE_SCALE, balance))


def order_view(order: Order) -> dict[str, Any]:
    avg = order.filled_cost // order.filled_qty if order.filled_qty else None
    return {
        "account": order.account,
        "client_order_id": order.client_order_id,
        "order_id": order.order_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.order_type,
        "price": _price(order.price),
        "qty": format_qty(order.qty),
        "filled_qty": format_qty(order.filled_qty),
        "remaining_qty": format_qty(order.remaining),
        "avg_price": _price(avg),
        "status": order.status,
        "time_in_force": order.time_in_force,
        "post_only": order.post_only,
        "reduce_only": order.reduce_only,
        "ts_ms": order.ts_ms,
    }


@trait
class QueryMixin(MarketsMixin):
    def order(self, account: str, client_order_id: str) -> dict[str, Any] | None:
        acct = self.accounts.get(account)
        order = acct.orders.get(client_order_id) if acct is not None else None
        return None if order is None else order_view(order)

    def open_orders(self, account: str) -> list[dict[str, Any]]:
        acct = self.accounts.get(account)
        if acct is None:
            return []
        return [order_view(o) for o in sorted(acct.open_orders.values(), key=lambda o: o.order_id)]

    def fills(self, account: str, limit: int = 100) -> list[dict[str, Any]]:
        """Most recent first; money and prices as decimal strings."""
        acct = self.accounts.get(account)
        if acct is None or limit <= 0:
            return []
        out = []
        for fill in list(acct.fills)[-limit:][::-1]:
            d = event_to_dict(fill)
            d.pop("type")
            d["price"] = format_price(fill.price)
            d["qty"] = format_qty(fill.qty)
            d["taker_fee"] = format_money(fill.taker_fee)
            d["maker_fee"] = format_money(fill.maker_fee)
            out.append(d)
        return out

    def position_view(self, acct: Account, pos: Position) -> dict[str, Any]:
        inst = self.instruments[pos.symbol]
        mark = self.mark_of(pos.symbol)
        upnl = self.upnl(pos)
        mm = self.position_mm(pos)
        if pos.margin_type is MarginType.ISOLATED:
            wallet, others = pos.isolated_margin, 0
            ratio = _ratio(mm, pos.isolated_margin + upnl)
        else:
            wallet = acct.wallets[inst.asset]
            rest = [p for p in self.cross_positions(acct, inst.asset) if p is not pos]
            others = sum(self.upnl(p) - self.position_mm(p) for p in rest)
            balance, total_mm = self.cross_figures(acct, inst.asset)
            ratio = _ratio(total_mm, balance)
        lp = liquidation_price(inst, pos.qty, pos.cost, wallet, others) if pos.qty else None
        bp_others = (
            others + sum(self.position_mm(p) for p in self.cross_positions(acct, inst.asset) if p is not pos)
            if pos.margin_type is MarginType.CROSS
            else 0
        )
        bp = bankruptcy_price(pos.qty, pos.cost, wallet, bp_others) if pos.qty else None
        return {
            "symbol": pos.symbol,
            "qty": format_qty(pos.qty),
            "entry_price": _price(round_div(pos.cost, pos.qty) if pos.qty else None),
            "mark_price": _price(mark or None),
            "notional": format_money(abs(pos.qty) * mark),
            "unrealized_pnl": format_money(upnl),
            "leverage": pos.leverage,
            "margin_type": pos.margin_type.value,
            "isolated_margin": format_money(pos.isolated_margin),
            "maintenance_margin": format_money(mm),
            "margin_ratio": ratio,
            "liquidation_price": None if lp is None or lp <= 0 else format_price(round(lp)),
            "bankruptcy_price": None if bp is None or bp <= 0 else format_price(round(bp)),
        }

    def account_view(self, account: str) -> dict[str, Any] | None:
        acct = self.accounts.get(account)
        if acct is None:
            return None
        wallets = {}
        for asset in sorted(acct.wallets):
            balance, mm = self.cross_figures(acct, asset)
            wallets[asset] = {
                "wallet_balance": format_money(acct.wallets[asset]),
                "margin_balance": format_money(balance),
                "unrealized_pnl": format_money(balance - acct.wallets[asset]),
                "maintenance_margin": format_money(mm),
                "margin_ratio": _ratio(mm, balance),
                "available_balance": format_money(self.available(acct, asset)),
                "max_withdraw": format_money(max(0, self.available(acct, asset, for_withdrawal=True))),
            }
        positions = [self.position_view(acct, p) for _, p in sorted(acct.positions.items()) if p.qty]
        return {
            "account": account,
            "wallets": wallets,
            "positions": positions,
            "open_orders": len(acct.open_orders),
            "needs_liquidation": self.needs_liquidation(account),
        }

    def market_view(self, symbol: str) -> dict[str, Any] | None:
        inst = self.instruments.get(symbol)
        if inst is None:
            return None
        m = self.markets[symbol]
        book = self.books[symbol]
        start = (m.next_funding_ts or 0) - inst.funding_interval_ms
        estimate, _ = funding_rate(inst, [p for ts, p in m.premium_samples if ts >= start])
        open_interest = sum(p.qty for p in self.holders[symbol].values() if p.qty > 0)
        return {
            "symbol": symbol,
            "asset": inst.asset,
            "tick_size": format_price(inst.tick_size),
            "step_size": format_qty(inst.step_size),
            "best_bid": _price(book.best_bid()),
            "best_ask": _price(book.best_ask()),
            "bids": [[format_price(p), format_qty(q)] for p, q in book.depth(Side.BUY)],
            "asks": [[format_price(p), format_qty(q)] for p, q in book.depth(Side.SELL)],
            "last_price": _price(m.last_price),
            "mark_price": _price(m.mark_price),
            "index_price": _price(m.index_price),
            "index_age_ms": self.index_age_ms(symbol),
            "index_stale": self.index_stale(symbol),
            "funding_rate": format_rate(estimate),
            "last_funding_rate": format_rate(m.last_funding_rate),
            "next_funding_time": m.next_funding_ts,
            "open_interest": format_qty(open_interest),
        }

    def funding_history(self, symbol: str, limit: int = 100) -> list[dict[str, Any]]:
        m = self.markets.get(symbol)
        if m is None or limit <= 0:
            return []
        out = []
        for entry in list(m.funding_history)[-limit:]:
            out.append(
                {
                    **entry,
                    "rate": format_rate(entry["rate"]),
                    "mark_price": format_price(entry["mark_price"]),
                    "total_paid": format_money(entry["total_paid"]),
                }
            )
        return out

    def insurance_fund(self, asset: str) -> int:
        return self.insurance.get(asset, 0)

    def ledger(self) -> dict[str, dict[str, int]]:
        """Per asset the terms of the conservation identity (all ints, money units):
        wallets + isolated - cost_basis + insurance + fees - bad_debt == net_deposits."""
        out: dict[str, dict[str, int]] = {}
        for asset in self.config.assets:
            out[asset] = {
                "wallets": 0,
                "isolated": 0,
                "cost_basis": 0,
                "insurance": self.insurance[asset],
                "fees": self.fees[asset],
                "bad_debt": self.bad_debt[asset],
                "net_deposits": self.net_deposits[asset],
            }
        for acct in self.accounts.values():
            for asset, balance in acct.wallets.items():
                out[asset]["wallets"] += balance
            for pos in acct.positions.values():
                terms = out[self.instruments[pos.symbol].asset]
                terms["isolated"] += pos.isolated_margin
                terms["cost_basis"] += pos.cost
        return out


__all__ = ["PRICE_SCALE", "QueryMixin", "order_view"]
