"""Commands: the sequenced inputs of the engine (frozen, keyword-only, JSON-safe via ``command_to_dict``).

Every command carries ``seq`` and ``ts_ms`` assigned by the sequencer (``with_sequence``); the domain
never reads a clock. Amounts, prices and quantities are scaled ints (see ``units``). ``COMMAND_TYPES``
is the one registry of command kinds (``"type"`` field in the dict form).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from operator import attrgetter
from typing import Any

from .enums import MarginType, OrderType, Side, TimeInForce, TradingMode
from .errors import DomainError, RejectCode
from .fastinit import new_instance


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaceOrder:
    account: str
    symbol: str
    side: Side
    order_type: OrderType
    qty: int
    price: int | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    post_only: bool = False
    reduce_only: bool = False
    client_order_id: str
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOrder:
    account: str
    client_order_id: str
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Deposit:
    """Credit ``amount`` of ``asset``; creates the account on first use."""

    account: str
    asset: str
    amount: int
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Withdraw:
    account: str
    asset: str
    amount: int
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SetLeverage:
    account: str
    symbol: str
    leverage: int
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SetMarginType:
    account: str
    symbol: str
    margin_type: MarginType
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class AdjustIsolatedMargin:
    """Add (amount > 0) or remove (amount < 0) margin of an isolated position."""

    account: str
    symbol: str
    amount: int
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexTick:
    symbol: str
    price: int
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SetTradingMode:
    mode: TradingMode
    reason: str = ""
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Liquidate:
    """Submitted by the service's margin worker; a no-op (LiquidationSkipped) if not needed any more."""

    account: str
    symbol: str | None = None
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FundInsurance:
    """Inject money into the insurance fund (OKEx 2018's risk-reserve injection)."""

    asset: str
    amount: int
    seq: int = 0
    ts_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockTick:
    """Advance the engine clock only: settles funding intervals crossed, samples premiums."""

    seq: int = 0
    ts_ms: int = 0


Command = (
    PlaceOrder
    | CancelOrder
    | Deposit
    | Withdraw
    | SetLeverage
    | SetMarginType
    | AdjustIsolatedMargin
    | IndexTick
    | SetTradingMode
    | Liquidate
    | FundInsurance
    | ClockTick
)

COMMAND_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        PlaceOrder,
        CancelOrder,
        Deposit,
        Withdraw,
        SetLeverage,
        SetMarginType,
        AdjustIsolatedMargin,
        IndexTick,
        SetTradingMode,
        Liquidate,
        FundInsurance,
        ClockTick,
    )
}

_ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "side": Side,
    "order_type": OrderType,
    "time_in_force": TimeInForce,
    "margin_type": MarginType,
    "mode": TradingMode,
}


# Field names per command class, in declaration order (``dataclasses.fields`` is slow per call).
_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in COMMAND_TYPES.values()
}


# Per command class: a getter of all fields and each field's slot setter (declaration order; seq
# and ts_ms are the last two fields of every command). ``with_sequence`` copies through them: the
# same object ``cls(**fields)`` builds, without the keyword dict and the generated ``__init__``.
_COPIERS: dict[type[Any], tuple[Any, tuple[Any, ...], Any, Any, Any]] = {}


def _copier(cls: type[Any]) -> tuple[Any, tuple[Any, ...], Any, Any, Any] | None:
    names = _FIELD_NAMES.get(cls)
    if names is None or len(names) < 3 or names[-2:] != ("seq", "ts_ms"):
        return None
    if not all(hasattr(cls.__dict__.get(name), "__set__") for name in names):
        return None
    head = names[:-2]
    getter = attrgetter(*head) if len(head) > 1 else (lambda obj: (getattr(obj, head[0]),))
    found = _COPIERS[cls] = (getter, tuple(cls.__dict__[name].__set__ for name in head),
                             cls.__dict__["seq"].__set__, cls.__dict__["ts_ms"].__set__, new_instance(cls))
    return found


def with_sequence(cmd: Command, seq: int, ts_ms: int) -> Command:
    """The same command stamped by the sequencer (a new frozen value; ``cmd`` is unchanged)."""
    cls = type(cmd)
    copier = _COPIERS.get(cls) or _copier(cls)
    if copier is None:
        return dataclasses.replace(cmd, seq=seq, ts_ms=ts_ms)
    getter, setters, set_seq, set_ts, new = copier
    stamped: Command = new(cls)
    for setter, value in zip(setters, getter(cmd), strict=True):
        setter(stamped, value)
    set_seq(stamped, seq)
    set_ts(stamped, ts_ms)
    return stamped


def command_to_dict(cmd: Command) -> dict[str, Any]:
    """JSON-safe dict with a ``"type"`` field; enums become their string values."""
    cls = type(cmd)
    out: dict[str, Any] = {"type": cls.__name__}
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cmd))
    for name in names:
        value = getattr(cmd, name)
        out[name] = value.value if isinstance(value, StrEnum) else value
    return out


def command_from_dict(data: dict[str, Any]) -> Command:
    """Inverse of ``command_to_dict``; raises ``DomainError(INVALID_COMMAND)`` on anything malformed."""
    if not isinstance(data, dict):
        raise DomainError(RejectCode.INVALID_COMMAND, "command must be an object")
    cls = COMMAND_TYPES.get(str(data.get("type")))
    if cls is None:
        raise DomainError(RejectCode.INVALID_COMMAND, f"unknown command type {data.get('type')!r}")
    kwargs: dict[str, Any] = {}
    names = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key == "type":
            continue
        if key not in names:
            raise DomainError(RejectCode.INVALID_COMMAND, f"{cls.__name__}: unknown field {key!r}")
        enum_cls = _ENUM_FIELDS.get(key)
        if enum_cls is not None:
            try:
                kwargs[key] = enum_cls(value)
            except ValueError:
                msg = f"{cls.__name__}.{key}: bad value {value!r}"
                raise DomainError(RejectCode.INVALID_COMMAND, msg) from None
        else:
            kwargs[key] = value
    types = FIELD_TYPES[cls]
    for key, value in kwargs.items():
        annotation = types.get(key)
        if annotation is not None and not _type_ok(annotation, value):
            raise DomainError(RejectCode.INVALID_COMMAND, f"{cls.__name__}.{key}: bad type {value!r}")
    try:
        cmd: Command = cls(**kwargs)
    except TypeError as exc:
        raise DomainError(RejectCode.INVALID_COMMAND, f"{cls.__name__}: {exc}") from None
    return cmd


# Each plain field's type, as annotated above. Spelled out rather than read from the dataclass fields:
# the mypyc-compiled build keeps no annotation text (``int | None`` becomes ``type``), and both
# builds must refuse the same values. Enum fields are converted (and checked) by ``_ENUM_FIELDS``;
# tests/unit/target_engine/domain/test_domain_field_types.py holds this table to the annotations.
_FIELD_TYPE_BY_NAME: dict[str, str] = {
    "account": "str", "amount": "int", "asset": "str", "client_order_id": "str", "leverage": "int",
    "post_only": "bool", "price": "int", "qty": "int", "reason": "str", "reduce_only": "bool",
    "seq": "int", "symbol": "str", "ts_ms": "int",
}
_OPTIONAL_FIELDS: dict[type[Any], frozenset[str]] = {PlaceOrder: frozenset({"price"}),
                                                     Liquidate: frozenset({"symbol"})}
FIELD_TYPES: dict[type[Any], dict[str, str]] = {
    cls: {
        name: _FIELD_TYPE_BY_NAME[name] + (" | None" if name in _OPTIONAL_FIELDS.get(cls, ()) else "")
        for name in names if name not in _ENUM_FIELDS
    }
    for cls, names in _FIELD_NAMES.items()
}


def _type_ok(annotation: str, value: object) -> bool:
    if value is None and annotation.endswith(" | None"):
        return True
    base = annotation.removesuffix(" | None")
    if base == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if base == "str":
        return isinstance(value, str)
    return isinstance(value, bool)
