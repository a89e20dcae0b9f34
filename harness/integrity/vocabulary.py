"""The journal's vocabulary as the harness understands it (kinds, reasons) and the engine config it carries.

Written from target_engine/journal/SCHEMA.md and cross-checked against the domain's events (read, never
imported). Where SCHEMA.md lags the domain, the domain wins: fills book realized PnL minus the fee as
one ``TRADE`` wallet change per side (the older ``REALIZED_PNL`` and ``FEE`` are still understood).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from harness.integrity.journal_reader import MONEY_SCALE

COMMAND_KINDS = frozenset(
    {
        "PlaceOrder",
        "CancelOrder",
        "Deposit",
        "Withdraw",
        "SetLeverage",
        "SetMarginType",
        "AdjustIsolatedMargin",
        "IndexTick",
        "SetTradingMode",
        "Liquidate",
        "FundInsurance",
        "ClockTick",
    }
)
EVENT_KINDS = frozenset(
    {
        "AccountCreated",
        "OrderAccepted",
        "OrderRejected",
        "Fill",
        "OrderCanceled",
        "OrderExpired",
        "OrderFilled",
        "PositionChanged",
        "WalletChanged",
        "LeverageChanged",
        "MarginTypeChanged",
        "MarkPriceChanged",
        "FundingPaid",
        "FundingSettled",
        "LiquidationStarted",
        "LiquidationStep",
        "LiquidationFinished",
        "LiquidationSkipped",
        "InsuranceFundChanged",
        "ADLExecuted",
        "SocializedLoss",
        "BadDebt",
        "TradingModeChanged",
    }
)
# WalletChanged.reason: money entering or leaving the system, and moves inside it.
EXTERNAL_WALLET_REASONS = frozenset({"DEPOSIT", "WITHDRAW"})
WALLET_REASONS = EXTERNAL_WALLET_REASONS | {
    "TRADE",  # realized PnL minus the fee of one fill side (the domain merged the two)
    "REALIZED_PNL",  # SCHEMA.md's older split, still accepted
    "FEE",
    "FUNDING",
    "ISOLATED_MARGIN",
    "CLEARANCE",
    "BANKRUPTCY",
    "SOCIALIZED_LOSS",
}
# InsuranceFundChanged.reason: INJECTION is new money (a FundInsurance command); the rest move money.
FUND_INJECTION = "INJECTION"
FUND_REASONS = frozenset({FUND_INJECTION, "CLEARANCE_FEE", "BANKRUPTCY"})
SUFFIX_ASSETS = ("USDT", "USDC", "BUSD", "USD")


def _money(value: Any) -> int | None:
    try:
        scaled = Decimal(str(value)) * MONEY_SCALE
    except (InvalidOperation, ValueError):
        return None
    return int(scaled) if scaled == scaled.to_integral_value() else None


def initial_insurance(config: dict[str, Any]) -> dict[str, int]:
    """The insurance fund per asset before any command (``engine.insurance_fund``; absent = 0).

    Unparseable amounts are left out (treated as 0), like the engine's default.
    """
    engine = config.get("engine")
    fund = engine.get("insurance_fund") if isinstance(engine, dict) else None
    out: dict[str, int] = {}
    if isinstance(fund, dict):
        for asset, amount in fund.items():
            value = _money(amount)
            if value is not None:
                out[str(asset)] = value
    return out


def symbol_assets(config: dict[str, Any]) -> dict[str, str]:
    """Settlement asset per symbol from the config's ``instruments`` (may be empty)."""
    instruments = config.get("instruments")
    out: dict[str, str] = {}
    if isinstance(instruments, dict):
        for symbol, spec in instruments.items():
            if isinstance(spec, dict) and isinstance(spec.get("asset"), str):
                out[str(symbol)] = spec["asset"]
    return out


def settlement_asset(symbol: str, assets: dict[str, str] | None = None) -> str:
    """The config's asset for ``symbol``, else guessed from its suffix (BTCUSDT → USDT)."""
    if assets and symbol in assets:
        return assets[symbol]
    for asset in SUFFIX_ASSETS:
        if symbol.endswith(asset):
            return asset
    return symbol[-4:]
