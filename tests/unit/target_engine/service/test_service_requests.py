"""Request validation, routing and the margin queue (pure parts of the service)."""

from __future__ import annotations

import asyncio

import pytest

from target_engine.config.loader import load_config_dict
from target_engine.domain import OrderType, Side
from target_engine.service import requests as rq
from target_engine.service.asgi import Response, Router
from target_engine.service.errors import ApiError
from target_engine.service.margin_queue import MarginQueue
from target_engine.service.recovery import service_config

CONFIG = service_config(load_config_dict())
GOOD = {"account": "a1", "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "qty": "0.010",
        "price": "60000.1", "client_order_id": "c-1"}


def test_valid_order_parses_to_scaled_ints() -> None:
    cmd = rq.place_order(CONFIG, dict(GOOD))
    assert cmd.side is Side.BUY and cmd.order_type is OrderType.LIMIT
    assert cmd.qty == 10_000 and cmd.price == 600_001_000
    assert CONFIG.auto_liquidate is False


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"extra": 1}, "UNKNOWN_FIELD"),
        ({"qty": 0.01}, "INVALID_QUANTITY"),
        ({"qty": "abc"}, "INVALID_QUANTITY"),
        ({"price": "60000.123"}, "INVALID_TICK_SIZE"),
        ({"side": "HOLD"}, "INVALID_FIELD"),
        ({"symbol": "NOPE"}, "UNKNOWN_SYMBOL"),
        ({"account": "bad id with spaces"}, "INVALID_ID"),
        ({"client_order_id": "x" * 65}, "INVALID_ID"),
        ({"post_only": "yes"}, "INVALID_FIELD"),
        ({"price": None}, "MISSING_FIELD"),
    ],
)
def test_bad_orders_get_stable_4xx_codes(change: dict[str, object], code: str) -> None:
    body = {**GOOD, **change}
    with pytest.raises(ApiError) as info:
        rq.place_order(CONFIG, body)
    assert info.value.code == code
    assert 400 <= info.value.status < 500


def test_router_matches_templates_and_reports_405_404() -> None:
    async def h(_req: object) -> Response:
        return Response(200, {})

    r = Router()
    r.add("GET", "/v1/orders/{client_order_id}", h)
    route, params = r.match("GET", "/v1/orders/abc")
    assert route.template == "/v1/orders/{client_order_id}" and params == {"client_order_id": "abc"}
    with pytest.raises(ApiError) as info:
        r.match("POST", "/v1/orders/abc")
    assert info.value.status == 405
    with pytest.raises(ApiError) as info:
        r.match("GET", "/v1/orders/abc/def")
    assert info.value.status == 404


def test_margin_queue_coalesces_only_under_shed() -> None:
    async def scenario() -> tuple[int, int, str]:
        halt = MarginQueue(limit=10, coalesce=False)
        shed = MarginQueue(limit=10, coalesce=True)
        for q in (halt, shed):
            q.put_many(["a", "b", "a", "a"])
        first = await shed.get()
        return len(halt), len(shed), first

    assert asyncio.run(scenario()) == (4, 1, "a")
