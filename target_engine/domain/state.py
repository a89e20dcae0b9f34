"""Mutable engine state (accounts, positions, markets) and the margin figures derived from it.

``EngineState`` is the base of every engine mixin: it declares the attributes and the read helpers
(margin balance, maintenance margin, available balance) the handlers share.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .book import Order, OrderBook
from .enums import MarginType, TradingMode
from .events import Fill
from .instruments import EngineConfig, Instrument
from .margin import initial_margin, maintenance_margin


class Position:
    """Per (account, symbol): one-way position, its settings and the open-order sums for margin."""

    __slots__ = (
        "account",
        "cost",
        "isolated_margin",
        "leverage",
        "margin_type",
        "open_buy",
        "open_sell",
        "qty",
        "symbol",
    )

    def __init__(self, account: str, symbol: str, leverage: int) -> None:
        self.account = account
        self.symbol = symbol
        self.qty = 0
        self.cost = 0
        self.leverage = leverage
        self.margin_type = MarginType.CROSS
        self.isolated_margin = 0
        self.open_buy = 0  # Σ price * remaining of open buy orders (money)
        self.open_sell = 0

    def order_margin(self) -> int:
        return initial_margin(max(self.open_buy, self.open_sell), self.leverage)

    def is_idle(self) -> bool:
        return (
            self.qty == 0
            and self.open_buy == 0
            and self.open_sell == 0
            and self.margin_type is MarginType.CROSS
            and self.isolated_margin == 0
        )


class Account:
    __slots__ = ("account_id", "fills", "open_orders", "orders", "positions", "wallets")

    def __init__(self, account_id: str, assets: tuple[str, ...], fills_history: int) -> None:
        self.account_id = account_id
        self.wallets: dict[str, int] = dict.fromkeys(assets, 0)
        self.positions: dict[str, Position] = {}
        self.orders: dict[str, Order] = {}  # client_order_id -> order (all, including finished)
        self.open_orders: dict[str, Order] = {}
        self.fills: deque[Fill] = deque(maxlen=fills_history)


class MarketState:
    """Per symbol: prices, basis and premium samples, funding schedule and history."""

    __slots__ = (
        "basis_samples",
        "ema_basis",
        "funding_history",
        "index_price",
        "index_ts",
        "last_basis_ts",
        "last_funding_rate",
        "last_premium_ts",
        "last_price",
        "mark_price",
        "next_funding_ts",
        "premium_samples",
    )

    def __init__(self) -> None:
        self.index_price: int | None = None
        self.index_ts: int | None = None
        self.mark_price: int | None = None
        self.last_price: int | None = None
        self.basis_samples: deque[tuple[int, int]] = deque()  # (ts, basis)
        self.last_basis_ts: int | None = None
        self.ema_basis: int | None = None
        self.premium_samples: list[tuple[int, int]] = []  # (ts, premium rate) of the current interval
        self.last_premium_ts: int | None = None
        self.last_funding_rate = 0
        self.next_funding_ts: int | None = None
        self.funding_history: deque[dict[str, Any]] = deque(maxlen=500)


class EngineState:
    """Attributes shared by the engine mixins, and margin figures computed from them."""

    config: EngineConfig
    instruments: dict[str, Instrument]
    accounts: dict[str, Account]
    books: dict[str, OrderBook]
    markets: dict[str, MarketState]
    holders: dict[str, dict[str, Position]]  # symbol -> account -> position with qty != 0
    insurance: dict[str, int]
    fees: dict[str, int]
    bad_debt: dict[str, int]
    net_deposits: dict[str, int]
    mode: TradingMode
    last_seq: int
    now: int
    next_order_id: int
    next_trade_id: int
    dirty: set[str]  # accounts whose liquidation prices changed in this command
    index_pending: set[str]  # auto_liquidate off: accounts to re-file before the next index lookup
    started: bool
    funding_due: int | None  # cached min(next_funding_ts); None = recompute
    band_cache: dict[str, tuple[int, tuple[int, int]]]
    # False while replaying (``Engine.replay``): the frequent per-order events (accepted, filled,
    # canceled, expired, position and wallet changes) are not built. State never depends on them.
    emit_events: bool

    # ---- margin figures -------------------------------------------------------------------------
    def mark_of(self, symbol: str) -> int:
        market = self.markets[symbol]
        if market.mark_price is not None:
            return market.mark_price
        if market.last_price is not None:
            return market.last_price
        return 0

    def upnl(self, pos: Position) -> int:
        return pos.qty * self.mark_of(pos.symbol) - pos.cost

    def position_mm(self, pos: Position) -> int:
        if pos.qty == 0:
            return 0
        inst = self.instruments[pos.symbol]
        return maintenance_margin(inst, abs(pos.qty) * self.mark_of(pos.symbol))

    def cross_positions(self, account: Account, asset: str) -> list[Position]:
        instruments = self.instruments
        return [
            p
            for p in account.positions.values()
            if p.qty and p.margin_type is MarginType.CROSS and instruments[p.symbol].asset == asset
        ]

    def cross_figures(self, account: Account, asset: str) -> tuple[int, int]:
        """(margin balance, maintenance margin) of the account's cross pool in ``asset``."""
        balance = account.wallets[asset]
        mm = 0
        for pos in self.cross_positions(account, asset):
            balance += self.upnl(pos)
            mm += self.position_mm(pos)
        return balance, mm

    def isolated_figures(self, pos: Position) -> tuple[int, int]:
        return pos.isolated_margin + self.upnl(pos), self.position_mm(pos)

    def available(self, account: Account, asset: str, *, for_withdrawal: bool = False) -> int:
        """Cross margin balance minus initial margin of cross positions and of open orders in ``asset``.

        (``order_margin``, ``upnl``, ``mark_of`` and ``initial_margin`` inline: this runs for every
        order that opens risk.)"""
        wallet = account.wallets[asset]
        upnl = 0
        used = 0
        instruments = self.instruments
        markets = self.markets
        for pos in account.positions.values():
            symbol = pos.symbol
            if instruments[symbol].asset != asset:
                continue
            leverage = pos.leverage
            open_buy = pos.open_buy
            open_sell = pos.open_sell
            if open_buy or open_sell:
                used -= (-(open_buy if open_buy > open_sell else open_sell)) // leverage
            qty = pos.qty
            if qty and pos.margin_type is MarginType.CROSS:
                market = markets[symbol]
                mark = market.mark_price
                if mark is None:
                    mark = market.last_price if market.last_price is not None else 0
                upnl += qty * mark - pos.cost
                used -= (-(abs(qty) * mark)) // leverage
        if for_withdrawal:
            upnl = min(0, upnl)
        return wallet + upnl - used

    def needs_liquidation(self, account_id: str) -> bool:
        """Exact check: some cross pool or isolated position has margin balance <= maintenance margin."""
        account = self.accounts.get(account_id)
        if account is None:
            return False
        return bool(self.liquidation_units(account))

    def liquidation_units(self, account: Account) -> list[tuple[str, str]]:
        """Units to liquidate: ("cross", asset) or ("isolated", symbol), in a stable order."""
        units: list[tuple[str, str]] = []
        assets_seen: set[str] = set()
        for symbol in sorted(account.positions):
            pos = account.positions[symbol]
            if not pos.qty:
                continue
            if pos.margin_type is MarginType.ISOLATED:
                balance, mm = self.isolated_figures(pos)
                if balance <= mm:
                    units.append(("isolated", symbol))
                continue
            asset = self.instruments[symbol].asset
            if asset in assets_seen:
                continue
            assets_seen.add(asset)
            balance, mm = self.cross_figures(account, asset)
            if balance <= mm:
                units.append(("cross", asset))
        return units
