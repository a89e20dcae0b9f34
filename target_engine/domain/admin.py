"""Account and venue administration commands: deposits, withdrawals, leverage, margin type, isolated
margin, trading mode, insurance-fund injection."""

from __future__ import annotations

from mypy_extensions import trait

from .commands import (
    AdjustIsolatedMargin,
    Deposit,
    FundInsurance,
    SetLeverage,
    SetMarginType,
    SetTradingMode,
    Withdraw,
)
from .enums import MarginType, TradingMode
from .errors import RejectCode
from .events import (
    AccountCreated,
    Event,
    InsuranceFundChanged,
    LeverageChanged,
    MarginTypeChanged,
    OrderRejected,
    TradingModeChanged,
)
from .ledger import LedgerMixin
from .margin import initial_margin, tier_for
from .state import Account

MAX_ACCOUNT_ID = 64


def rejected(cmd: object, account: str | None, code: RejectCode, reason: str) -> list[Event]:
    return [OrderRejected(type(cmd).__name__, account, None, code.value, reason)]


@trait
class AdminMixin(LedgerMixin):
    def deposit(self, cmd: Deposit) -> list[Event]:
        if cmd.asset not in self.net_deposits:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_ASSET, f"unknown asset {cmd.asset!r}")
        if cmd.amount <= 0:
            return rejected(cmd, cmd.account, RejectCode.INVALID_AMOUNT, "amount must be positive")
        if not cmd.account or len(cmd.account) > MAX_ACCOUNT_ID:
            return rejected(
                cmd, cmd.account, RejectCode.INVALID_COMMAND, "account id must have 1 to 64 characters"
            )
        out: list[Event] = []
        account = self.accounts.get(cmd.account)
        if account is None:
            account = Account(cmd.account, self.config.assets, self.config.fills_history)
            self.accounts[cmd.account] = account
            out.append(AccountCreated(cmd.account))
        self.net_deposits[cmd.asset] += cmd.amount
        self.credit(account, None, cmd.asset, cmd.amount, "DEPOSIT", out)
        return out

    def withdraw(self, cmd: Withdraw) -> list[Event]:
        account = self.accounts.get(cmd.account)
        if account is None:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_ACCOUNT, f"unknown account {cmd.account!r}")
        if cmd.asset not in self.net_deposits:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_ASSET, f"unknown asset {cmd.asset!r}")
        if cmd.amount <= 0:
            return rejected(cmd, cmd.account, RejectCode.INVALID_AMOUNT, "amount must be positive")
        if cmd.amount > self.available(account, cmd.asset, for_withdrawal=True):
            return rejected(
                cmd, cmd.account, RejectCode.INSUFFICIENT_BALANCE, "amount above the available balance"
            )
        out: list[Event] = []
        self.net_deposits[cmd.asset] -= cmd.amount
        self.credit(account, None, cmd.asset, -cmd.amount, "WITHDRAW", out)
        return out

    def set_leverage(self, cmd: SetLeverage) -> list[Event]:
        account = self.accounts.get(cmd.account)
        if account is None:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_ACCOUNT, f"unknown account {cmd.account!r}")
        inst = self.instruments.get(cmd.symbol)
        if inst is None:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_SYMBOL, f"unknown symbol {cmd.symbol!r}")
        if cmd.leverage < 1:
            return rejected(cmd, cmd.account, RejectCode.INVALID_LEVERAGE, "leverage must be at least 1")
        pos = self.position(account, cmd.symbol)
        exposure = abs(pos.qty) * self.mark_of(cmd.symbol) + max(pos.open_buy, pos.open_sell)
        if cmd.leverage > tier_for(inst, exposure).max_leverage:
            return rejected(
                cmd,
                cmd.account,
                RejectCode.LEVERAGE_EXCEEDS_BRACKET,
                "leverage above the bracket's maximum for the current position",
            )
        old = pos.leverage
        pos.leverage = cmd.leverage
        if cmd.leverage < old and self.available(account, inst.asset) < 0:
            pos.leverage = old
            return rejected(
                cmd, cmd.account, RejectCode.INSUFFICIENT_MARGIN, "not enough margin for that leverage"
            )
        self.dirty.add(cmd.account)
        return [LeverageChanged(cmd.account, cmd.symbol, cmd.leverage)]

    def set_margin_type(self, cmd: SetMarginType) -> list[Event]:
        account = self.accounts.get(cmd.account)
        if account is None:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_ACCOUNT, f"unknown account {cmd.account!r}")
        if cmd.symbol not in self.instruments:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_SYMBOL, f"unknown symbol {cmd.symbol!r}")
        pos = self.position(account, cmd.symbol)
        if pos.margin_type is cmd.margin_type:
            return [MarginTypeChanged(cmd.account, cmd.symbol, cmd.margin_type.value)]
        if pos.qty or pos.open_buy or pos.open_sell:
            return rejected(
                cmd,
                cmd.account,
                RejectCode.POSITION_OR_ORDERS_OPEN,
                "close the position and cancel its orders before changing the margin type",
            )
        out: list[Event] = []
        if pos.isolated_margin:
            asset = self.instruments[cmd.symbol].asset
            amount = pos.isolated_margin
            self.credit(account, pos, asset, -amount, "ISOLATED_MARGIN", out)
            self.credit(account, None, asset, amount, "ISOLATED_MARGIN", out)
        pos.margin_type = cmd.margin_type
        self.dirty.add(cmd.account)
        out.append(MarginTypeChanged(cmd.account, cmd.symbol, cmd.margin_type.value))
        return out

    def adjust_isolated_margin(self, cmd: AdjustIsolatedMargin) -> list[Event]:
        account = self.accounts.get(cmd.account)
        if account is None:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_ACCOUNT, f"unknown account {cmd.account!r}")
        inst = self.instruments.get(cmd.symbol)
        if inst is None:
            return rejected(cmd, cmd.account, RejectCode.UNKNOWN_SYMBOL, f"unknown symbol {cmd.symbol!r}")
        pos = account.positions.get(cmd.symbol)
        if pos is None or not pos.qty or pos.margin_type is not MarginType.ISOLATED:
            return rejected(cmd, cmd.account, RejectCode.NO_POSITION, "no isolated position in this symbol")
        if cmd.amount == 0:
            return rejected(cmd, cmd.account, RejectCode.INVALID_AMOUNT, "amount must be non-zero")
        asset = inst.asset
        if cmd.amount > 0 and cmd.amount > self.available(account, asset, for_withdrawal=True):
            return rejected(cmd, cmd.account, RejectCode.INSUFFICIENT_BALANCE, "not enough available balance")
        if cmd.amount < 0:
            keep = initial_margin(abs(pos.qty) * self.mark_of(cmd.symbol), pos.leverage)
            if pos.isolated_margin + min(0, self.upnl(pos)) + cmd.amount < keep:
                return rejected(
                    cmd,
                    cmd.account,
                    RejectCode.INSUFFICIENT_MARGIN,
                    "removing that much would leave less than the initial margin",
                )
        out: list[Event] = []
        self.credit(account, None, asset, -cmd.amount, "ISOLATED_MARGIN", out)
        self.credit(account, pos, asset, cmd.amount, "ISOLATED_MARGIN", out)
        return out

    def set_trading_mode(self, cmd: SetTradingMode) -> list[Event]:
        previous = self.mode
        self.mode = cmd.mode
        return [TradingModeChanged(cmd.mode.value, previous.value, cmd.reason)]

    def fund_insurance(self, cmd: FundInsurance) -> list[Event]:
        if cmd.asset not in self.insurance:
            return rejected(cmd, None, RejectCode.UNKNOWN_ASSET, f"unknown asset {cmd.asset!r}")
        if cmd.amount <= 0:
            return rejected(cmd, None, RejectCode.INVALID_AMOUNT, "amount must be positive")
        self.insurance[cmd.asset] += cmd.amount
        self.net_deposits[cmd.asset] += cmd.amount
        return [InsuranceFundChanged(cmd.asset, cmd.amount, self.insurance[cmd.asset], "INJECTION")]


__all__ = ["AdminMixin", "TradingMode"]
