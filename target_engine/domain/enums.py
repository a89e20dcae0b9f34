"""Enumerations of the domain: sides, order types, statuses, modes, policies (all str-valued for JSON)."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(StrEnum):
    LIMIT = "LIMIT"
    MARKET = "MARKET"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"
    REJECTED = "REJECTED"


class MarginType(StrEnum):
    CROSS = "cross"
    ISOLATED = "isolated"


class TradingMode(StrEnum):
    NORMAL = "normal"
    CANCEL_ONLY = "cancel_only"
    POST_ONLY = "post_only"
    REDUCE_ONLY = "reduce_only"
    HALTED = "halted"


class MarkMethod(StrEnum):
    """How the mark price is derived from the index and the book."""

    BINANCE_MEDIAN = "binance_median"  # median(P1, P2, last trade)
    OKX_EMA = "okx_ema"  # index + EMA(basis)


class DeficitPolicy(StrEnum):
    """What covers a bankrupt remainder the insurance fund cannot absorb."""

    ADL = "adl"
    SOCIALIZED_LOSS = "socialized_loss"
