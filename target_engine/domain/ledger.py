"""Money movements: position updates with exact cost basis, fees, isolated margin, bankrupt remainders.

Every movement emits its event into the list the caller passes (unless ``emit_events`` is off: a
replay, whose events nobody reads), and marks the account dirty (its liquidation-index entry and
margin are re-evaluated after the command).
"""

from __future__ import annotations

from mypy_extensions import trait

from .enums import DeficitPolicy, MarginType
from .events import BadDebt, Event, InsuranceFundChanged, PositionChanged, SocializedLoss, WalletChanged
from .fastinit import fast_constructor
from .margin import initial_margin
from .state import Account, EngineState, Position
from .units import RATE_SCALE

_position_changed = fast_constructor(PositionChanged)
_wallet_changed = fast_constructor(WalletChanged)


@trait
class LedgerMixin(EngineState):
    def position(self, account: Account, symbol: str) -> Position:
        pos = account.positions.get(symbol)
        if pos is None:
            pos = Position(account.account_id, symbol, self.instruments[symbol].default_leverage)
            account.positions[symbol] = pos
        return pos

    def credit(
        self, account: Account, pos: Position | None, asset: str, delta: int, reason: str, out: list[Event]
    ) -> None:
        """Move ``delta`` into the wallet that carries ``pos`` (isolated margin) or the cross wallet."""
        if not delta:
            return
        if pos is not None and pos.margin_type is MarginType.ISOLATED:
            pos.isolated_margin += delta
            if self.emit_events:
                out.append(
                    _position_changed(
                        account.account_id,
                        pos.symbol,
                        pos.qty,
                        pos.cost,
                        0,
                        pos.margin_type,
                        pos.isolated_margin,
                    )
                )
        else:
            balance = account.wallets[asset] + delta
            account.wallets[asset] = balance
            if self.emit_events:
                out.append(_wallet_changed(account.account_id, asset, delta, balance, reason))
        self.dirty.add(account.account_id)

    def trade(
        self,
        account: Account,
        symbol: str,
        sign: int,
        qty: int,
        price: int,
        fee: int,
        out: list[Event],
        *,
        settle: bool = True,
    ) -> int:
        """Apply a fill of ``qty`` at ``price`` on side ``sign`` (+1 buy) and its fee; returns realized PnL.

        ``settle=False`` (the liquidated side of a liquidation) leaves isolated-margin release and the
        bankrupt-remainder settlement to the liquidation procedure.
        """
        asset = self.instruments[symbol].asset
        pos = account.positions.get(symbol) or self.position(account, symbol)
        before = pos.qty
        realized = 0
        if before == 0 or (before > 0) == (sign > 0):
            opened = qty
            closed = 0
        else:
            closed = min(qty, abs(before))
            opened = qty - closed
            removed = (pos.cost * closed) // abs(before)
            realized = -sign * closed * price - removed
            pos.qty += sign * closed
            pos.cost -= removed
        if opened:
            pos.qty += sign * opened
            pos.cost += sign * opened * price
        holders = self.holders[symbol]
        if pos.qty:
            holders[account.account_id] = pos
        else:
            holders.pop(account.account_id, None)
        if self.emit_events:
            out.append(
                _position_changed(
                    account.account_id,
                    symbol,
                    pos.qty,
                    pos.cost,
                    realized,
                    pos.margin_type,
                    pos.isolated_margin,
                )
            )
        self.dirty.add(account.account_id)
        isolated = pos.margin_type is MarginType.ISOLATED
        if isolated and opened:
            transfer = initial_margin(opened * price, pos.leverage)
            self.credit(account, None, asset, -transfer, "ISOLATED_MARGIN", out)
            self.credit(account, pos, asset, transfer, "ISOLATED_MARGIN", out)
        if fee:
            self.fees[asset] += fee
        delta = realized - fee  # realized PnL minus the fee
        if isolated:
            self.credit(account, pos, asset, delta, "TRADE", out)
        elif delta:  # credit() to the cross wallet, inline (the account is already marked dirty)
            balance = account.wallets[asset] + delta
            account.wallets[asset] = balance
            if self.emit_events:
                out.append(_wallet_changed(account.account_id, asset, delta, balance, "TRADE"))
        if settle and closed and not opened:
            self.finish_close(account, pos, asset, closed, before, out)
        return realized

    def finish_close(
        self, account: Account, pos: Position, asset: str, closed: int, before: int, out: list[Event]
    ) -> None:
        """Release isolated margin of the closed part; absorb a bankrupt remainder of a flat position."""
        if pos.margin_type is MarginType.ISOLATED:
            if pos.qty == 0:
                release = pos.isolated_margin
            else:
                release = max(0, pos.isolated_margin * closed // abs(before))
            if release > 0:
                self.credit(account, pos, asset, -release, "ISOLATED_MARGIN", out)
                self.credit(account, None, asset, release, "ISOLATED_MARGIN", out)
        if pos.qty == 0:
            self.settle_flat(account, asset, pos, out)

    def fee_of(self, notional: int, rate: int) -> int:
        return notional * rate // RATE_SCALE

    def settle_flat(self, account: Account, asset: str, pos: Position | None, out: list[Event]) -> None:
        """A flat isolated position or cross pool below zero: the fund (then socialization) absorbs it."""
        if pos is not None and pos.margin_type is MarginType.ISOLATED and pos.qty == 0:
            if pos.isolated_margin < 0:
                self.absorb(account, pos, asset, -pos.isolated_margin, out)
            return
        if account.wallets[asset] < 0 and not self.cross_positions(account, asset):
            self.absorb(account, None, asset, -account.wallets[asset], out)

    def cover_deficit(
        self, account: Account, pos: Position | None, asset: str, deficit: int, out: list[Event]
    ) -> int:
        """Absorb ``deficit`` of a bankrupt account: the insurance fund first, up to its balance; under
        ``socialized_loss`` the rest is clawed back from winners. Returns what is still uncovered (under
        ``adl`` it stays on the account, so the bankruptcy price at which ADL closes carries only it)."""
        if deficit <= 0:
            return 0
        fund = self.insurance[asset]
        covered = min(fund, deficit)
        if covered:
            self.insurance[asset] = fund - covered
            out.append(InsuranceFundChanged(asset, -covered, self.insurance[asset], "BANKRUPTCY"))
            self.credit(account, pos, asset, covered, "BANKRUPTCY", out)
        rest = deficit - covered
        if rest and self.config.deficit_policy is DeficitPolicy.SOCIALIZED_LOSS:
            rest -= self.socialize(account, pos, asset, rest, out)
        return rest

    def absorb(
        self, account: Account, pos: Position | None, asset: str, deficit: int, out: list[Event]
    ) -> None:
        """A flat bankrupt wallet: fund, then socialized loss, then what is left is recorded as bad debt."""
        rest = self.cover_deficit(account, pos, asset, deficit, out)
        if rest:
            self.bad_debt[asset] += rest
            out.append(BadDebt(asset, account.account_id, rest))
            self.credit(account, pos, asset, rest, "BANKRUPTCY", out)

    def socialize(
        self, bankrupt: Account, pos: Position | None, asset: str, loss: int, out: list[Event]
    ) -> int:
        """OKEx 2018 clawback: winners (positive uPnL) give up profit * rate; returns the amount taken."""
        profits: list[tuple[str, int]] = []
        for account_id in sorted(self.accounts):
            if account_id == bankrupt.account_id:
                continue
            acct = self.accounts[account_id]
            profit = sum(
                max(0, self.upnl(p))
                for p in acct.positions.values()
                if p.qty and self.instruments[p.symbol].asset == asset
            )
            profit = min(profit, max(0, acct.wallets[asset]))
            if profit > 0:
                profits.append((account_id, profit))
        total = sum(p for _, p in profits)
        if total <= 0:
            return 0
        target = min(loss, total)
        rate = target * RATE_SCALE // total
        # pro rata, floor-rounded, the leftover units by largest remainder (then account id), so the
        # clawback is exactly ``target``; no share exceeds its profit because target <= total
        shares = {a: p * target // total for a, p in profits}
        leftover = target - sum(shares.values())
        by_remainder = sorted(profits, key=lambda item: (-(item[1] * target % total), item[0]))
        for account_id, _ in by_remainder[:leftover]:
            shares[account_id] += 1
        taken = 0
        for account_id, _ in profits:
            share = shares[account_id]
            if share:
                acct = self.accounts[account_id]
                self.credit(acct, None, asset, -share, "SOCIALIZED_LOSS", out)
                out.append(SocializedLoss(asset, account_id, share, rate))
                taken += share
        if taken:
            self.credit(bankrupt, pos, asset, taken, "SOCIALIZED_LOSS", out)
        return taken
