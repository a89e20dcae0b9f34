"""Units parsing/formatting, config errors, and the JSON forms of commands and events."""

from __future__ import annotations

import json

import pytest

from target_engine.domain import (
    COMMAND_TYPES,
    CancelOrder,
    DomainError,
    OrderType,
    PlaceOrder,
    Side,
    command_from_dict,
    command_to_dict,
    engine_config_from_dict,
)
from target_engine.domain.errors import ConfigError
from target_engine.domain.events import Fill, accounts_touched, event_from_dict, event_to_dict
from target_engine.domain.units import format_decimal, parse_amount, parse_decimal, parse_price, parse_qty

from .domain_helpers import RAW_CONFIG, config

BTC = config().instruments["BTCUSDT"]


@pytest.mark.parametrize(
    ("text", "value"), [("60000.1", 600_001_000), ("0.001", 10), ("5", 50_000), ("-1.5", -15_000)]
)
def test_parse_decimal(text: str, value: int) -> None:
    assert parse_decimal(text, 4) == value


@pytest.mark.parametrize("text", ["", "abc", "1e5", "1.2.3", ".", "--1", "١٢", "1" * 50, None, 1.5, True])
def test_parse_decimal_rejects(text: object) -> None:
    with pytest.raises(DomainError) as err:
        parse_decimal(text, 4, "INVALID_AMOUNT")
    assert err.value.code == "INVALID_AMOUNT"


def test_parse_price_and_qty_codes() -> None:
    assert parse_price(BTC, "60000.1") == 600_001_000
    with pytest.raises(DomainError, match="INVALID_TICK_SIZE"):
        parse_price(BTC, "60000.15")
    with pytest.raises(DomainError, match="INVALID_TICK_SIZE"):
        parse_price(BTC, "60000.123456")
    with pytest.raises(DomainError, match="INVALID_PRICE"):
        parse_price(BTC, "-1")
    with pytest.raises(DomainError, match="INVALID_STEP_SIZE"):
        parse_qty(BTC, "0.0015")
    with pytest.raises(DomainError, match="INVALID_QUANTITY"):
        parse_qty(BTC, "0")
    with pytest.raises(DomainError, match="INVALID_AMOUNT"):
        parse_amount("0")


def test_format_decimal_rounds_half_away_from_zero() -> None:
    assert format_decimal(502_008_032, 4, 2) == "50200.80"
    assert format_decimal(697_211_155, 4, 2) == "69721.12"
    assert format_decimal(-15_000, 4) == "-1.5"
    assert format_decimal(0, 4, 2) == "0.00"


def test_config_errors_name_the_field() -> None:
    bad = json.loads(json.dumps(RAW_CONFIG))
    bad["instruments"]["BTCUSDT"]["brackets"][1]["cum"] = "51"
    with pytest.raises(ConfigError, match=r"brackets\[2\]\.cum"):
        engine_config_from_dict(bad)
    bad = json.loads(json.dumps(RAW_CONFIG))
    bad["instruments"]["ETHUSDT"]["tick_size"] = "zero"
    with pytest.raises(ConfigError, match="ETHUSDT.tick_size"):
        engine_config_from_dict(bad)


def test_command_round_trip_and_validation() -> None:
    cmd = PlaceOrder(
        account="a",
        symbol="BTCUSDT",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        qty=1000,
        price=600_000_000,
        client_order_id="x",
        seq=7,
        ts_ms=9,
    )
    data = command_to_dict(cmd)
    assert data["type"] == "PlaceOrder" and data["side"] == "BUY"
    assert command_from_dict(json.loads(json.dumps(data))) == cmd
    assert set(COMMAND_TYPES) >= {"PlaceOrder", "CancelOrder", "Liquidate", "IndexTick", "ClockTick"}
    for broken in (
        {"type": "Nope"},
        {"type": "CancelOrder", "account": "a"},
        {"type": "CancelOrder", "account": "a", "client_order_id": 5},
        {"type": "CancelOrder", "account": "a", "client_order_id": "x", "extra": 1},
        {**data, "side": "UP"},
        {**data, "qty": "1"},
        {**data, "post_only": 1},
    ):
        with pytest.raises(DomainError) as err:
            command_from_dict(broken)
        assert err.value.code == "INVALID_COMMAND"
    assert command_from_dict({"type": "CancelOrder", "account": "a", "client_order_id": "x"}) == CancelOrder(
        account="a", client_order_id="x"
    )


def test_event_round_trip_and_accounts_touched() -> None:
    fill = Fill(1, "BTCUSDT", 1, 2, "BUY", "t", "c1", "m", "c2", 0, 0)
    assert event_from_dict(json.loads(json.dumps(event_to_dict(fill)))) == fill
    assert accounts_touched([fill]) == {"t", "m"}
