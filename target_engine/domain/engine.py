"""The engine facade: ``Engine(config).apply(cmd) -> list[Event]`` plus read-only queries.

Interface (stable; the service builds on it):

* ``apply(cmd)`` never raises for business rejects (returns ``OrderRejected`` with a stable code);
  it raises ``ProgrammerError`` only for misuse (an object that is not a command).
* ``state_hash()`` sha256 hex of the canonical snapshot; ``snapshot()`` JSON-safe dict;
  ``Engine.restore(config, snapshot)``.
* Queries (JSON-safe dicts, decimals as strings, ``None`` when unknown): ``order``, ``open_orders``,
  ``fills``, ``account_view``, ``market_view``, ``funding_history``, ``insurance_fund``,
  ``trading_mode``, ``seq``, ``now_ms``.
* Margin worker: ``needs_liquidation(account)``, ``accounts_to_liquidate(symbol=None)``,
  ``accounts_touched(events)``; submit ``Liquidate`` commands when ``config.auto_liquidate`` is False.

Order of work inside ``apply``: advance the clock; settle every funding interval the new timestamp
crossed (not while halted); run the command; refresh the liquidation index of touched accounts; when
``auto_liquidate`` liquidate every account the command (fills, mark move, funding) put under water.
With ``auto_liquidate`` off nothing reads the index inside ``apply``: touched accounts are only
remembered and re-filed in one pass before the next lookup (``accounts_to_liquidate``), so a
burst of orders (or a replay) pays for each account once, not once per command. The index is a
pure function of the state, so when it is refreshed never changes an answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any

from . import snapshot as snap
from .admin import AdminMixin
from .book import OrderBook
from .commands import (
    AdjustIsolatedMargin,
    CancelOrder,
    ClockTick,
    Command,
    Deposit,
    FundInsurance,
    IndexTick,
    Liquidate,
    PlaceOrder,
    SetLeverage,
    SetMarginType,
    SetTradingMode,
    Withdraw,
)
from .enums import TradingMode
from .errors import ProgrammerError, RejectCode
from .events import Event, OrderRejected
from .events import accounts_touched as _accounts_touched
from .funding import FundingMixin
from .instruments import EngineConfig
from .liqindex import LiquidationIndex
from .liquidation import LiquidationMixin
from .queries import QueryMixin
from .state import MarketState

MAX_LIQUIDATION_ROUNDS = 16

# Commands allowed per trading mode besides orders (orders are filtered inside place_order).
_HALTED_ALLOWED = (SetTradingMode, IndexTick, ClockTick, FundInsurance)
_CANCEL_ONLY_BLOCKED = (SetLeverage, SetMarginType, AdjustIsolatedMargin)


class Engine(QueryMixin, LiquidationMixin, FundingMixin, AdminMixin):
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.instruments = dict(config.instruments)
        self.accounts = {}
        self.books = {s: OrderBook(s) for s in sorted(self.instruments)}
        self.markets = {s: MarketState() for s in sorted(self.instruments)}
        self.holders = {s: {} for s in sorted(self.instruments)}
        self.insurance = {a: int(config.insurance_fund.get(a, 0)) for a in config.assets}
        self.fees = dict.fromkeys(config.assets, 0)
        self.bad_debt = dict.fromkeys(config.assets, 0)
        self.net_deposits = dict(self.insurance)
        self.mode = TradingMode.NORMAL
        self.last_seq = 0
        self.now = 0
        self.started = False
        self.next_order_id = 1
        self.next_trade_id = 1
        self.dirty = set()
        self.index_pending = set()
        self.band_cache = {}
        self.emit_events = True
        self.funding_due = None
        self.liq_index = LiquidationIndex(sorted(self.instruments), config.assets)
        self._hash: str | None = None
        self._handlers: dict[type, Callable[[Any], list[Event]]] = {
            PlaceOrder: self.place_order,
            CancelOrder: self.cancel_order,
            Deposit: self.deposit,
            Withdraw: self.withdraw,
            SetLeverage: self.set_leverage,
            SetMarginType: self.set_margin_type,
            AdjustIsolatedMargin: self.adjust_isolated_margin,
            IndexTick: self.index_tick,
            SetTradingMode: self.set_trading_mode,
            Liquidate: self.liquidate_command,
            FundInsurance: self.fund_insurance,
            ClockTick: lambda cmd: [],
        }

    # ---- commands -----------------------------------------------------------------------------
    def apply(self, cmd: Command) -> list[Event]:
        handler = self._handlers.get(type(cmd))
        if handler is None:
            raise ProgrammerError(f"not a command: {cmd!r}")
        self._hash = None
        self.last_seq = cmd.seq
        if not self.started:
            self.started = True
            self.now = cmd.ts_ms
            self.init_funding(cmd.ts_ms)
        elif cmd.ts_ms > self.now:
            self.now = cmd.ts_ms
        out: list[Event] = []
        due = self.funding_due
        if due is None or self.now >= due:  # settle_due_funding's own test, without the call
            self.settle_due_funding(out)
        blocked = None if self.mode is TradingMode.NORMAL else self._mode_blocks(cmd)
        if blocked is not None:
            out.append(blocked)
        else:
            out.extend(handler(cmd))
            if type(cmd) is SetTradingMode:
                self.settle_due_funding(out)  # intervals missed while halted settle right away, in order
        if not self.config.auto_liquidate:
            if self.dirty:  # nothing is liquidated inside apply: re-file lazily, before the next lookup
                self.index_pending |= self.dirty
                self.dirty.clear()
        elif self.dirty or type(cmd) is IndexTick or type(cmd) is SetTradingMode:
            self._after(cmd, out)
        return out

    def replay(self, cmds: Iterable[Command]) -> None:
        """``apply`` each command, discarding the events: the same state as ``apply`` (same state hash),
        faster, because the frequent per-order events are not built (recovery and the standby replay
        journaled commands whose events were stored when they first ran)."""
        apply = self.apply
        self.emit_events = False
        try:
            for cmd in cmds:
                apply(cmd)
        finally:
            self.emit_events = True

    def _mode_blocks(self, cmd: Command) -> OrderRejected | None:
        mode = self.mode
        if mode is TradingMode.NORMAL:
            return None
        if mode is TradingMode.HALTED:
            if isinstance(cmd, _HALTED_ALLOWED):
                return None
        elif not isinstance(cmd, _CANCEL_ONLY_BLOCKED):
            return None
        account = getattr(cmd, "account", None)
        cid = getattr(cmd, "client_order_id", None)
        return OrderRejected(
            type(cmd).__name__,
            account,
            cid,
            RejectCode.TRADING_MODE_RESTRICTED.value,
            f"trading mode is {mode.value}",
        )

    def _after(self, cmd: Command, out: list[Event]) -> None:
        """Refresh the liquidation index of touched accounts; with auto_liquidate, liquidate who must go
        (touched accounts, index candidates of a ticked symbol, everyone after a mode change such as
        the end of a halt, during which liquidations were paused)."""
        tick_symbol = cmd.symbol if isinstance(cmd, IndexTick) else None
        all_symbols = isinstance(cmd, SetTradingMode)
        for _ in range(MAX_LIQUIDATION_ROUNDS):
            dirty = list(self.dirty)  # index refresh is order-insensitive; liquidations below run sorted
            self.dirty.clear()
            check = {account_id for account_id in dirty if self.refresh_index(account_id)}
            if not self.config.auto_liquidate or self.mode is TradingMode.HALTED:
                return
            if tick_symbol is not None:
                inst = self.instruments.get(tick_symbol)
                if inst is not None:
                    check |= self.liq_index.candidates(tick_symbol, inst.asset, self.mark_of(tick_symbol))
                tick_symbol = None
            if all_symbols:
                for symbol, inst in self.instruments.items():
                    check |= self.liq_index.candidates(symbol, inst.asset, self.mark_of(symbol))
                all_symbols = False
            for account_id in sorted(check):
                account = self.accounts.get(account_id)
                if account is not None and self.liquidation_units(account):
                    self.liquidate(account, out)
            if not self.dirty:
                return

    @staticmethod
    def accounts_touched(events: list[Event]) -> set[str]:
        return _accounts_touched(events)

    # ---- state ----------------------------------------------------------------------------------
    def state_hash(self) -> str:
        """sha256 of the canonical JSON of the snapshot without the fill history (cached until next apply)."""
        if self._hash is None:
            blob = json.dumps(
                snap.dump(self, with_history=False), separators=(",", ":")
            )  # dicts built sorted
            self._hash = hashlib.sha256(blob.encode()).hexdigest()
        return self._hash

    def snapshot(self) -> dict[str, Any]:
        """The whole state, JSON-safe (``Engine.restore(config, snapshot)`` rebuilds it)."""
        return snap.dump(self)

    @classmethod
    def restore(cls, config: EngineConfig, snapshot: dict[str, Any]) -> Engine:
        engine = cls(config)
        snap.load(engine, snapshot)
        for account_id in sorted(engine.accounts):
            engine.refresh_index(account_id)
        engine.dirty.clear()
        engine.index_pending.clear()
        return engine


    @property
    def trading_mode(self) -> TradingMode:
        return self.mode

    @property
    def seq(self) -> int:
        return self.last_seq

    @property
    def now_ms(self) -> int:
        return self.now
