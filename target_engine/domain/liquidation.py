"""Liquidation: cancel orders, tiered partial reduction, full close at no worse than bankruptcy, the
insurance fund for losses beyond it, ADL (ranked) or socialized loss when the fund cannot cover.

Also keeps the liquidation-price index up to date for every account a command touched.
"""

from __future__ import annotations

from fractions import Fraction

from mypy_extensions import trait

from .book import Order
from .commands import Liquidate
from .enums import DeficitPolicy, MarginType, Side
from .errors import RejectCode
from .events import (
    ADLExecuted,
    Event,
    Fill,
    InsuranceFundChanged,
    LiquidationFinished,
    LiquidationSkipped,
    LiquidationStarted,
    LiquidationStep,
    OrderRejected,
)
from .liqindex import MULTI, LiquidationIndex, liquidation_key, long_key, short_key
from .margin import bankruptcy_price, ceil_to, floor_to, maintenance_margin, tier_for
from .markets import MarketsMixin
from .state import Account, Position
from .trading import TradingMixin
from .units import RATE_SCALE

CROSS = MarginType.CROSS

MAX_LIQUIDATION_STEPS = 64


@trait
class LiquidationMixin(TradingMixin, MarketsMixin):
    liq_index: LiquidationIndex

    def flush_index(self) -> None:
        """Re-file the accounts touched since the last lookup (auto_liquidate off; see ``Engine.apply``)."""
        pending = self.index_pending
        if pending:
            refresh = self.refresh_index
            for account_id in pending:
                refresh(account_id)
            pending.clear()

    # ---- index ---------------------------------------------------------------------------------
    def refresh_index(self, account_id: str) -> bool:
        """Re-file the account's liquidation prices; True if it may need liquidation at current marks."""
        index = self.liq_index
        account = self.accounts.get(account_id)
        live = [p for p in account.positions.values() if p.qty] if account is not None else []
        if account is None or not live:
            index.clear(account_id)
            return False
        instruments = self.instruments
        cross: dict[str, list[int]] = {}  # asset -> [count, sum uPnL, sum MM]
        entries: list[tuple[str, bool, int]] = []
        suspect = False
        for pos in live:
            if pos.margin_type is CROSS:
                inst = instruments[pos.symbol]
                mark = self.mark_of(pos.symbol)
                acc = cross.get(inst.asset)
                if acc is None:
                    acc = cross[inst.asset] = [0, 0, 0]
                acc[0] += 1
                acc[1] += pos.qty * mark - pos.cost
                acc[2] += maintenance_margin(inst, abs(pos.qty) * mark)
        for asset, (count, upnl, mm) in sorted(cross.items()):
            if count > 1:
                entries.append((asset, True, MULTI))
                if account.wallets[asset] + upnl <= mm:
                    suspect = True
        for pos in live:
            inst = instruments[pos.symbol]
            if pos.margin_type is not CROSS:
                wallet = pos.isolated_margin
            elif cross[inst.asset][0] == 1:
                wallet = account.wallets[inst.asset]
            else:
                continue
            mark = self.mark_of(pos.symbol)
            lp = liquidation_key(inst, pos.qty, pos.cost, wallet, abs(pos.qty) * mark)
            is_long = pos.qty > 0
            key = long_key(lp) if is_long else short_key(lp)
            entries.append((pos.symbol, is_long, key))
            if (mark <= key) if is_long else (mark >= key):
                suspect = True
        index.replace(account_id, entries)
        return suspect

    def accounts_to_liquidate(self, symbol: str | None = None) -> list[str]:
        """Accounts that must be liquidated now (index lookup + exact check), sorted."""
        self.flush_index()
        symbols = [symbol] if symbol is not None else sorted(self.instruments)
        found: set[str] = set()
        for sym in symbols:
            inst = self.instruments.get(sym)
            if inst is None:
                continue
            found |= self.liq_index.candidates(sym, inst.asset, self.mark_of(sym))
        return sorted(a for a in found if self.needs_liquidation(a))

    # ---- command ----------------------------------------------------------------------------------
    def liquidate_command(self, cmd: Liquidate) -> list[Event]:
        account = self.accounts.get(cmd.account)
        if account is None:
            return [
                OrderRejected(
                    "Liquidate",
                    cmd.account,
                    None,
                    RejectCode.UNKNOWN_ACCOUNT.value,
                    f"unknown account {cmd.account!r}",
                )
            ]
        if cmd.symbol is not None and cmd.symbol not in self.instruments:
            reason = f"unknown symbol {cmd.symbol!r}"
            return [OrderRejected("Liquidate", cmd.account, None, RejectCode.UNKNOWN_SYMBOL.value, reason)]
        out: list[Event] = []
        if not self.liquidate(account, out, cmd.symbol):
            out.append(LiquidationSkipped(cmd.account, "margin sufficient"))
        return out

    def liquidate(self, account: Account, out: list[Event], symbol: str | None = None) -> bool:
        """Liquidate every unit under water (only the one holding ``symbol`` when given)."""
        units = self.liquidation_units(account)
        if symbol is not None:
            asset = self.instruments[symbol].asset
            units = [u for u in units if u in (("isolated", symbol), ("cross", asset))]
        for kind, key in units:
            if kind == "isolated":
                asset = self.instruments[key].asset
                symbols = {key}
            else:
                asset = key
                symbols = {
                    s
                    for s, p in account.positions.items()
                    if p.qty and p.margin_type is MarginType.CROSS and self.instruments[s].asset == asset
                }
            for cid in sorted(account.open_orders):
                order = account.open_orders[cid]
                if self.instruments[order.symbol].asset == asset:
                    self.cancel(account, order, "LIQUIDATION", out)
            self.liquidate_unit(account, kind, asset, symbols, out)
        return bool(units)

    def unit_figures(self, account: Account, kind: str, asset: str, symbols: set[str]) -> tuple[int, int]:
        if kind == "isolated":
            return self.isolated_figures(account.positions[next(iter(symbols))])
        return self.cross_figures(account, asset)

    def liquidate_unit(
        self, account: Account, kind: str, asset: str, symbols: set[str], out: list[Event]
    ) -> None:
        started: set[str] = set()
        for _ in range(MAX_LIQUIDATION_STEPS):
            live = [account.positions[s] for s in sorted(symbols) if account.positions[s].qty]
            if not live:
                break
            balance, mm = self.unit_figures(account, kind, asset, symbols)
            if balance > mm:
                break
            pos = max(live, key=lambda p: (self.position_mm(p), p.symbol))
            inst = self.instruments[pos.symbol]
            mark = self.mark_of(pos.symbol)
            if pos.symbol not in started:
                started.add(pos.symbol)
                out.append(LiquidationStarted(account.account_id, pos.symbol, mark, balance, mm))
            tier = tier_for(inst, abs(pos.qty) * mark)
            qty = abs(pos.qty)
            if self.config.partial_liquidation and tier.number > 1 and mark > 0:
                keep = floor_to(Fraction(tier.floor, mark), inst.step_size)
                if 0 < keep < qty:
                    qty -= keep
                    lower = tier_for(inst, keep * mark).number
                    out.append(LiquidationStep(account.account_id, pos.symbol, qty, tier.number, lower))
            self.close_position(account, pos, qty, asset, out)
        for symbol in sorted(symbols):
            pos = account.positions[symbol]
            if pos.margin_type is MarginType.ISOLATED and pos.qty == 0:
                self.finish_close(account, pos, asset, 0, 0, out)
        if kind == "cross":
            self.settle_flat(account, asset, None, out)

    def close_position(self, account: Account, pos: Position, qty: int, asset: str, out: list[Event]) -> None:
        inst = self.instruments[pos.symbol]
        is_long = pos.qty > 0
        side = Side.SELL if is_long else Side.BUY
        others = 0
        if pos.margin_type is MarginType.CROSS:
            others = sum(self.upnl(p) for p in self.cross_positions(account, asset) if p is not pos)
        wallet = pos.isolated_margin if pos.margin_type is MarginType.ISOLATED else account.wallets[asset]
        # A wallet already below zero (not backed by other positions' profit) is a bankrupt remainder:
        # the fund covers it first, so the bankruptcy (and ADL) price carries only what it cannot cover.
        self.cover_deficit(account, pos, asset, min(-wallet, -(wallet + others)), out)
        wallet = pos.isolated_margin if pos.margin_type is MarginType.ISOLATED else account.wallets[asset]
        exact = bankruptcy_price(pos.qty, pos.cost, wallet, others)
        assert exact is not None
        tick = inst.tick_size
        bp = max(tick, ceil_to(exact, tick) if is_long else floor_to(exact, tick))
        order_id = self.next_order_id
        self.next_order_id = order_id + 1
        order = Order(
            order_id,
            account.account_id,
            f"liq-{self.last_seq}-{order_id}",
            pos.symbol,
            side,
            "LIQUIDATION",
            None,
            qty,
            "IOC",
            False,
            True,
            self.now,
        )
        self.match(account, order, bp, out, liquidation=True)
        band = self.band(inst)
        if order.remaining and band is not None:
            limit = band[0] if is_long else band[1]
            if (limit < bp) if is_long else (limit > bp):
                slices = self.books[pos.symbol].simulate_take(side, limit, order.remaining)
                deficit = sum((bp - p) * q if is_long else (p - bp) * q for p, q in slices)
                policy = self.config.deficit_policy
                if deficit <= self.insurance[asset] or policy is DeficitPolicy.SOCIALIZED_LOSS:
                    qty_before, cost_before = order.filled_qty, order.filled_cost
                    self.match(account, order, limit, out, liquidation=True)
                    filled = (order.filled_qty - qty_before) * bp
                    cost = order.filled_cost - cost_before
                    # the loss beyond the bankruptcy price is paid now (fund first), not left in the wallet
                    # where the next step's bankruptcy price would pass it on to ADL winners
                    self.cover_deficit(account, pos, asset, filled - cost if is_long else cost - filled, out)
        if order.remaining:
            self.auto_deleverage(account, pos, order.remaining, bp, out)
        fee = self.charge_clearance(account, pos, asset, order.filled_cost, out)
        balance = self.unit_balance(account, pos, asset)
        out.append(LiquidationFinished(account.account_id, pos.symbol, qty, bp, fee, max(0, -balance)))

    def unit_balance(self, account: Account, pos: Position, asset: str) -> int:
        if pos.margin_type is MarginType.ISOLATED:
            return pos.isolated_margin + self.upnl(pos)
        return self.cross_figures(account, asset)[0]

    def charge_clearance(
        self, account: Account, pos: Position, asset: str, notional: int, out: list[Event]
    ) -> int:
        fee = notional * self.instruments[pos.symbol].clearance_fee // RATE_SCALE
        fee = min(fee, max(0, self.unit_balance(account, pos, asset)))
        if fee <= 0:
            return 0
        self.credit(account, pos, asset, -fee, "CLEARANCE", out)
        self.insurance[asset] += fee
        out.append(InsuranceFundChanged(asset, fee, self.insurance[asset], "CLEARANCE_FEE"))
        return fee

    def adl_score(self, account: Account, pos: Position) -> Fraction:
        asset = self.instruments[pos.symbol].asset
        wallet = pos.isolated_margin if pos.margin_type is MarginType.ISOLATED else account.wallets[asset]
        upnl = self.upnl(pos)
        if wallet + upnl <= 0:
            return Fraction(0)
        return Fraction(max(0, upnl), max(1, wallet)) * Fraction(self.position_mm(pos), wallet + upnl)

    def auto_deleverage(
        self, bankrupt: Account, pos: Position, qty: int, price: int, out: list[Event]
    ) -> None:
        """Close ``qty`` of the bankrupt position against ranked opposite winners at ``price``, no fee."""
        symbol = pos.symbol
        is_long = pos.qty > 0
        ranked = sorted(
            (
                (self.adl_score(self.accounts[a], p), a)
                for a, p in self.holders[symbol].items()
                if (p.qty > 0) != is_long and a != bankrupt.account_id
            ),
            key=lambda item: (-item[0], item[1]),
        )
        sign = -1 if is_long else 1
        for _, winner_id in ranked:
            if not qty:
                break
            winner = self.accounts[winner_id]
            take = min(qty, abs(winner.positions[symbol].qty))
            trade_id = self.next_trade_id
            self.next_trade_id = trade_id + 1
            fill = Fill(
                trade_id,
                symbol,
                price,
                take,
                Side.BUY.value if sign > 0 else Side.SELL.value,
                bankrupt.account_id,
                "",
                winner_id,
                "",
                0,
                0,
                True,
                True,
            )
            out.append(fill)
            out.append(ADLExecuted(symbol, winner_id, bankrupt.account_id, take, price))
            bankrupt.fills.append(fill)
            winner.fills.append(fill)
            self.trade(bankrupt, symbol, sign, take, price, 0, out, settle=False)
            self.trade(winner, symbol, -sign, take, price, 0, out)
            qty -= take
