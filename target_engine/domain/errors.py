"""Stable reject codes and the domain's exception hierarchy.

Business rejects never raise out of ``Engine.apply``: they become ``OrderRejected`` events carrying a
``RejectCode``. ``DomainError`` is raised by the parsing helpers at the edge (``units.parse_*``) and by
the config parser; ``ProgrammerError`` marks misuse of the API (a bug in the caller).
"""

from __future__ import annotations

from enum import StrEnum


class RejectCode(StrEnum):
    INSUFFICIENT_MARGIN = "INSUFFICIENT_MARGIN"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    PRICE_OUT_OF_BAND = "PRICE_OUT_OF_BAND"
    INVALID_TICK_SIZE = "INVALID_TICK_SIZE"
    INVALID_STEP_SIZE = "INVALID_STEP_SIZE"
    INVALID_PRICE = "INVALID_PRICE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_LEVERAGE = "INVALID_LEVERAGE"
    INVALID_ORDER = "INVALID_ORDER"
    INVALID_COMMAND = "INVALID_COMMAND"
    QTY_BELOW_MIN = "QTY_BELOW_MIN"
    QTY_ABOVE_MAX = "QTY_ABOVE_MAX"
    NOTIONAL_BELOW_MIN = "NOTIONAL_BELOW_MIN"
    POST_ONLY_WOULD_TAKE = "POST_ONLY_WOULD_TAKE"
    REDUCE_ONLY_WOULD_INCREASE = "REDUCE_ONLY_WOULD_INCREASE"
    LEVERAGE_EXCEEDS_BRACKET = "LEVERAGE_EXCEEDS_BRACKET"
    TRADING_MODE_RESTRICTED = "TRADING_MODE_RESTRICTED"
    UNKNOWN_SYMBOL = "UNKNOWN_SYMBOL"
    UNKNOWN_ASSET = "UNKNOWN_ASSET"
    UNKNOWN_ACCOUNT = "UNKNOWN_ACCOUNT"
    UNKNOWN_ORDER = "UNKNOWN_ORDER"
    ORDER_NOT_OPEN = "ORDER_NOT_OPEN"
    DUPLICATE_CLIENT_ORDER_ID = "DUPLICATE_CLIENT_ORDER_ID"
    FOK_NOT_FILLED = "FOK_NOT_FILLED"
    NO_INDEX_PRICE = "NO_INDEX_PRICE"
    NO_POSITION = "NO_POSITION"
    POSITION_OR_ORDERS_OPEN = "POSITION_OR_ORDERS_OPEN"
    ACCOUNT_IN_LIQUIDATION = "ACCOUNT_IN_LIQUIDATION"


class DomainError(Exception):
    """Bad input detected by the domain (parsing helpers, config); carries a stable code."""

    def __init__(self, code: RejectCode | str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = str(code)
        self.message = message


class ConfigError(DomainError):
    """The instrument/engine configuration is invalid."""

    def __init__(self, message: str) -> None:
        super().__init__("INVALID_CONFIG", message)


class ProgrammerError(Exception):
    """The API was misused (wrong command type, corrupt snapshot): a bug in the caller."""
