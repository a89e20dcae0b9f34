"""Events: what a command did (frozen values with primitive fields only: str, int, bool, None).

Prices, quantities and money are scaled ints (see ``units``); enum-valued fields hold the enum's string.
Every event about one account has an ``account`` field; ``Fill`` names both ``taker_account`` and
``maker_account``. ``EVENT_TYPES`` is the one registry (``"type"`` field of ``event_to_dict``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .errors import DomainError, RejectCode


@dataclass(frozen=True, slots=True)
class AccountCreated:
    account: str


@dataclass(frozen=True, slots=True)
class OrderAccepted:
    account: str
    client_order_id: str
    order_id: int
    symbol: str
    side: str
    order_type: str
    price: int | None
    qty: int
    time_in_force: str
    post_only: bool
    reduce_only: bool


@dataclass(frozen=True, slots=True)
class OrderRejected:
    """Any business reject of any command (``command`` names its type)."""

    command: str
    account: str | None
    client_order_id: str | None
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Fill:
    trade_id: int
    symbol: str
    price: int
    qty: int
    taker_side: str
    taker_account: str
    taker_client_order_id: str
    maker_account: str
    maker_client_order_id: str
    taker_fee: int
    maker_fee: int
    liquidation: bool = False
    adl: bool = False


@dataclass(frozen=True, slots=True)
class OrderCanceled:
    account: str
    client_order_id: str
    symbol: str
    remaining_qty: int
    reason: str  # USER | LIQUIDATION | SELF_TRADE_PREVENTION | REDUCE_ONLY


@dataclass(frozen=True, slots=True)
class OrderExpired:
    """The unfilled rest of an IOC or market order."""

    account: str
    client_order_id: str
    symbol: str
    remaining_qty: int


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """The order has no quantity left."""

    account: str
    client_order_id: str
    symbol: str


@dataclass(frozen=True, slots=True)
class PositionChanged:
    account: str
    symbol: str
    qty: int  # signed: > 0 long, < 0 short
    cost: int  # signed exact cost basis (Σ price * qty), same sign as qty
    realized_pnl: int  # of this change
    margin_type: str
    isolated_margin: int


@dataclass(frozen=True, slots=True)
class WalletChanged:
    account: str
    asset: str
    delta: int
    balance: int
    # DEPOSIT | WITHDRAW | TRADE (realized PnL - fee) | FUNDING | ISOLATED_MARGIN | CLEARANCE | BANKRUPTCY
    # | SOCIALIZED_LOSS
    reason: str


@dataclass(frozen=True, slots=True)
class LeverageChanged:
    account: str
    symbol: str
    leverage: int


@dataclass(frozen=True, slots=True)
class MarginTypeChanged:
    account: str
    symbol: str
    margin_type: str


@dataclass(frozen=True, slots=True)
class MarkPriceChanged:
    symbol: str
    index_price: int
    mark_price: int
    ts_ms: int


@dataclass(frozen=True, slots=True)
class FundingPaid:
    """amount > 0: the account received; < 0: it paid."""

    account: str
    symbol: str
    funding_time: int
    amount: int


@dataclass(frozen=True, slots=True)
class FundingSettled:
    symbol: str
    interval_start: int
    funding_time: int
    rate: int
    mark_price: int
    total_paid: int  # Σ of the (negative) payments, as a positive number; received total is equal
    capped: bool


@dataclass(frozen=True, slots=True)
class LiquidationStarted:
    account: str
    symbol: str
    mark_price: int
    margin_balance: int
    maintenance_margin: int


@dataclass(frozen=True, slots=True)
class LiquidationStep:
    """Partial liquidation: the position was reduced from tier ``tier_from`` to ``tier_to``."""

    account: str
    symbol: str
    qty: int
    tier_from: int
    tier_to: int


@dataclass(frozen=True, slots=True)
class LiquidationFinished:
    account: str
    symbol: str
    closed_qty: int
    bankruptcy_price: int
    clearance_fee: int
    deficit: int


@dataclass(frozen=True, slots=True)
class LiquidationSkipped:
    account: str
    reason: str


@dataclass(frozen=True, slots=True)
class InsuranceFundChanged:
    asset: str
    delta: int
    balance: int
    reason: str  # CLEARANCE_FEE | BANKRUPTCY | INJECTION


@dataclass(frozen=True, slots=True)
class ADLExecuted:
    symbol: str
    account: str  # the deleveraged winner
    bankrupt_account: str
    qty: int
    price: int


@dataclass(frozen=True, slots=True)
class SocializedLoss:
    asset: str
    account: str
    amount: int
    rate: int


@dataclass(frozen=True, slots=True)
class BadDebt:
    """A loss nobody could cover (recorded so conservation stays exact)."""

    asset: str
    account: str
    amount: int


@dataclass(frozen=True, slots=True)
class TradingModeChanged:
    mode: str
    previous: str
    reason: str


Event = (
    AccountCreated
    | OrderAccepted
    | OrderRejected
    | Fill
    | OrderCanceled
    | OrderExpired
    | OrderFilled
    | PositionChanged
    | WalletChanged
    | LeverageChanged
    | MarginTypeChanged
    | MarkPriceChanged
    | FundingPaid
    | FundingSettled
    | LiquidationStarted
    | LiquidationStep
    | LiquidationFinished
    | LiquidationSkipped
    | InsuranceFundChanged
    | ADLExecuted
    | SocializedLoss
    | BadDebt
    | TradingModeChanged
)

EVENT_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        AccountCreated,
        OrderAccepted,
        OrderRejected,
        Fill,
        OrderCanceled,
        OrderExpired,
        OrderFilled,
        PositionChanged,
        WalletChanged,
        LeverageChanged,
        MarginTypeChanged,
        MarkPriceChanged,
        FundingPaid,
        FundingSettled,
        LiquidationStarted,
        LiquidationStep,
        LiquidationFinished,
        LiquidationSkipped,
        InsuranceFundChanged,
        ADLExecuted,
        SocializedLoss,
        BadDebt,
        TradingModeChanged,
    )
}


# Field names per event class, in declaration order (``dataclasses.fields`` is slow per call).
_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in EVENT_TYPES.values()
}


def event_to_dict(event: Event) -> dict[str, Any]:
    cls = type(event)
    out: dict[str, Any] = {"type": cls.__name__}
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(event))
    for name in names:
        out[name] = getattr(event, name)
    return out


def event_from_dict(data: dict[str, Any]) -> Event:
    cls = EVENT_TYPES.get(str(data.get("type"))) if isinstance(data, dict) else None
    if cls is None:
        raise DomainError(RejectCode.INVALID_COMMAND, f"unknown event {data!r:.80}")
    fields = {k: v for k, v in data.items() if k != "type"}
    try:
        event: Event = cls(**fields)
    except TypeError as exc:
        raise DomainError(RejectCode.INVALID_COMMAND, f"{cls.__name__}: {exc}") from None
    return event


def accounts_touched(events: list[Event]) -> set[str]:
    """Accounts whose margin may have changed (the margin worker's recalculation queue)."""
    touched: set[str] = set()
    for ev in events:
        if isinstance(ev, Fill):
            touched.add(ev.taker_account)
            touched.add(ev.maker_account)
        else:
            account = getattr(ev, "account", None)
            if isinstance(account, str):
                touched.add(account)
    return touched
