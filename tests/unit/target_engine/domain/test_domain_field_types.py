"""``commands.FIELD_TYPES`` (the type check of ``command_from_dict``) matches the annotations in the
source, in either build of the domain, and both builds refuse a wrongly typed field the same way."""

from __future__ import annotations

import pytest

from target_engine.domain import DomainError, RejectCode, command_from_dict, commands
from target_engine.domain.commands import COMMAND_TYPES, FIELD_TYPES
from tests.unit.target_engine.domain.domain_helpers import source_annotations

ENUM_TYPES = {"Side", "OrderType", "TimeInForce", "MarginType", "TradingMode"}


def test_field_types_match_the_annotations() -> None:
    declared = source_annotations(commands)
    for name, cls in COMMAND_TYPES.items():
        plain = {field: ann for field, ann in declared[name].items() if ann not in ENUM_TYPES}
        assert FIELD_TYPES[cls] == plain, name


@pytest.mark.parametrize(("field", "value"), [("qty", True), ("qty", "1"), ("price", 1.5), ("account", 7),
                                              ("post_only", 1), ("seq", None)])
def test_wrong_type_is_invalid_command(field: str, value: object) -> None:
    data = {"type": "PlaceOrder", "account": "a", "symbol": "BTCUSDT", "side": "BUY", "order_type": "LIMIT",
            "qty": 1, "price": 100, "time_in_force": "GTC", "post_only": False, "reduce_only": False,
            "client_order_id": "c1", "seq": 1, "ts_ms": 0, field: value}
    with pytest.raises(DomainError) as caught:
        command_from_dict(data)
    assert caught.value.code == RejectCode.INVALID_COMMAND
    assert str(caught.value).endswith(f"PlaceOrder.{field}: bad type {value!r}")


def test_optional_price_accepts_none() -> None:
    cmd = command_from_dict({"type": "PlaceOrder", "account": "a", "symbol": "BTCUSDT", "side": "BUY",
                             "order_type": "MARKET", "qty": 1, "price": None, "time_in_force": "IOC",
                             "client_order_id": "c1"})
    assert cmd.price is None  # type: ignore[union-attr]
