"""Strict validation of HTTP bodies into domain commands (bad input -> ApiError 4xx, never 500)."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from target_engine.domain import (
    CancelOrder,
    DomainError,
    EngineConfig,
    MarginType,
    OrderType,
    PlaceOrder,
    Side,
    TimeInForce,
    units,
)
from target_engine.domain.commands import AdjustIsolatedMargin, Deposit, SetLeverage, SetMarginType, Withdraw
from target_engine.service.errors import ApiError

ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
SYMBOL_RE = re.compile(r"^[A-Z0-9]{1,20}$")

ORDER_FIELDS = frozenset({"account", "symbol", "side", "type", "qty", "price", "time_in_force", "post_only",
                          "reduce_only", "client_order_id"})
ORDER_REQUIRED = ("account", "client_order_id", "qty", "side", "symbol", "type")  # sorted: message order
# 19+ digits in a row: a number orjson would turn into a float (beyond 64 bits) or round; json keeps it
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def parse_body(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; MALFORMED_JSON on anything else. Same values and errors as
    ``json.loads``: orjson parses the common case, and anything it refuses (NaN, 1e400, a BOM, lone
    surrogates, deep nesting) or would read differently (integers of 19+ digits) goes to
    ``json.loads``, whose error text the client gets."""
    if not body:
        raise ApiError("MALFORMED_JSON", "request body must be a JSON object")
    data: Any
    if _LONG_DIGITS.search(body) is None:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            data = _json_loads(body)
    else:
        data = _json_loads(body)
    if type(data) is not dict:
        raise ApiError("MALFORMED_JSON", "request body must be a JSON object")
    return data


def _json_loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ApiError("MALFORMED_JSON", f"invalid JSON: {str(exc)[:100]}") from None


def check_id(value: object, name: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ApiError("INVALID_ID", f"{name} must be 1-64 characters of [A-Za-z0-9._:-]")
    return value


def check_symbol(config: EngineConfig, value: object) -> str:
    if not isinstance(value, str) or not SYMBOL_RE.match(value):
        raise ApiError("INVALID_FIELD", "symbol must be 1-20 characters of [A-Z0-9]")
    if value not in config.instruments:
        raise ApiError("UNKNOWN_SYMBOL", f"unknown symbol {value}", status=400)
    return value


def _only(body: dict[str, Any], allowed: set[str] | frozenset[str],
          required: set[str] | tuple[str, ...]) -> None:
    if not body.keys() <= allowed:
        unknown = sorted(set(body) - allowed)
        raise ApiError("UNKNOWN_FIELD", f"unknown field(s): {', '.join(unknown)[:200]}")
    get = body.get
    for k in required:
        if get(k) is None:
            missing = sorted(k for k in required if get(k) is None)
            raise ApiError("MISSING_FIELD", f"missing field(s): {', '.join(missing)}")


_MEMBERS: dict[Any, dict[str, Any]] = {}


def _enum(enum_cls: Any, value: object, name: str) -> Any:
    members = _MEMBERS.get(enum_cls)
    if members is None:
        members = _MEMBERS[enum_cls] = {m.value: m for m in enum_cls}
    found = members.get(value) if type(value) is str else None
    if found is not None:
        return found
    if not isinstance(value, str):
        raise ApiError("INVALID_FIELD", f"{name} must be a string")
    try:
        return enum_cls(value)
    except ValueError:
        allowed = "|".join(m.value for m in enum_cls)
        raise ApiError("INVALID_FIELD", f"{name} must be one of {allowed}") from None


def _bool(value: object, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ApiError("INVALID_FIELD", f"{name} must be true or false")
    return value


def _domain(exc: DomainError) -> ApiError:
    return ApiError(exc.code, exc.message, status=400)


def place_order(config: EngineConfig, body: dict[str, Any]) -> PlaceOrder:
    _only(body, ORDER_FIELDS, ORDER_REQUIRED)
    account = check_id(body["account"], "account")
    coid = check_id(body["client_order_id"], "client_order_id")
    symbol = check_symbol(config, body["symbol"])
    inst = config.instruments[symbol]
    side = _enum(Side, body["side"], "side")
    otype = _enum(OrderType, body["type"], "type")
    tif = _enum(TimeInForce, body.get("time_in_force") or "GTC", "time_in_force")
    try:
        qty = units.parse_qty(inst, body["qty"])
        price = None
        if otype is OrderType.LIMIT:
            if body.get("price") is None:
                raise ApiError("MISSING_FIELD", "price is required for LIMIT orders")
            price = units.parse_price(inst, body["price"])
        elif body.get("price") is not None:
            raise ApiError("INVALID_FIELD", "price must be omitted for MARKET orders")
    except DomainError as exc:
        raise _domain(exc) from None
    return PlaceOrder(account=account, symbol=symbol, side=side, order_type=otype, qty=qty, price=price,
                      time_in_force=tif, post_only=_bool(body.get("post_only"), "post_only"),
                      reduce_only=_bool(body.get("reduce_only"), "reduce_only"), client_order_id=coid)


def cancel_order(account: object, coid: str) -> CancelOrder:
    return CancelOrder(account=check_id(account, "account"),
                       client_order_id=check_id(coid, "client_order_id"))


def transfer(config: EngineConfig, account: str, body: dict[str, Any], withdraw: bool) -> Deposit | Withdraw:
    _only(body, {"asset", "amount"}, {"asset", "amount"})
    acct = check_id(account, "account")
    asset = body["asset"]
    if not isinstance(asset, str) or asset not in config.assets:
        raise ApiError("UNKNOWN_ASSET", f"asset must be one of {'|'.join(config.assets)}", status=400)
    try:
        amount = units.parse_amount(body["amount"])
    except DomainError as exc:
        raise _domain(exc) from None
    cls = Withdraw if withdraw else Deposit
    return cls(account=acct, asset=asset, amount=amount)


def leverage(config: EngineConfig, account: str, body: dict[str, Any]) -> SetLeverage:
    _only(body, {"symbol", "leverage"}, {"symbol", "leverage"})
    lev = body["leverage"]
    if not isinstance(lev, int) or isinstance(lev, bool) or not 1 <= lev <= 1000:
        raise ApiError("INVALID_LEVERAGE", "leverage must be an integer 1..1000", status=400)
    return SetLeverage(account=check_id(account, "account"), symbol=check_symbol(config, body["symbol"]),
                       leverage=lev)


def margin_type(config: EngineConfig, account: str, body: dict[str, Any]) -> SetMarginType:
    _only(body, {"symbol", "margin_type"}, {"symbol", "margin_type"})
    return SetMarginType(account=check_id(account, "account"), symbol=check_symbol(config, body["symbol"]),
                         margin_type=_enum(MarginType, body["margin_type"], "margin_type"))


def isolated_margin(config: EngineConfig, account: str, body: dict[str, Any]) -> AdjustIsolatedMargin:
    _only(body, {"symbol", "amount"}, {"symbol", "amount"})
    try:
        amount = units.parse_amount(body["amount"], allow_negative=True)
    except DomainError as exc:
        raise _domain(exc) from None
    return AdjustIsolatedMargin(account=check_id(account, "account"),
                                symbol=check_symbol(config, body["symbol"]), amount=amount)
