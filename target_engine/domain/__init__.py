"""target_engine.domain: the pure, deterministic margin engine core (no I/O, no clock, no floats for money).

Entry points: ``Engine`` (engine.py), commands (commands.py), events (events.py), reject codes
(errors.py), units and decimal parsing (units.py), configuration values (instruments.py).
See README.md in this folder for the reject-code table and the invariants.
"""

from .commands import (
    COMMAND_TYPES,
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
    command_from_dict,
    command_to_dict,
    with_sequence,
)
from .engine import Engine
from .enums import (
    DeficitPolicy,
    MarginType,
    MarkMethod,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    TradingMode,
)
from .errors import ConfigError, DomainError, ProgrammerError, RejectCode
from .events import EVENT_TYPES, Event, OrderRejected, accounts_touched, event_from_dict, event_to_dict
from .instruments import EngineConfig, Instrument, Tier, engine_config_from_dict

__all__ = [
    "COMMAND_TYPES",
    "EVENT_TYPES",
    "AdjustIsolatedMargin",
    "CancelOrder",
    "ClockTick",
    "Command",
    "ConfigError",
    "DeficitPolicy",
    "Deposit",
    "DomainError",
    "Engine",
    "EngineConfig",
    "Event",
    "FundInsurance",
    "IndexTick",
    "Instrument",
    "Liquidate",
    "MarginType",
    "MarkMethod",
    "OrderRejected",
    "OrderStatus",
    "OrderType",
    "PlaceOrder",
    "ProgrammerError",
    "RejectCode",
    "SetLeverage",
    "SetMarginType",
    "SetTradingMode",
    "Side",
    "Tier",
    "TimeInForce",
    "TradingMode",
    "Withdraw",
    "accounts_touched",
    "command_from_dict",
    "command_to_dict",
    "engine_config_from_dict",
    "event_from_dict",
    "event_to_dict",
    "with_sequence",
]
