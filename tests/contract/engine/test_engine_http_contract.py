"""HTTP contract of one real engine process (status codes and bodies pinned in INTERFACES.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.engine.engine_proc import EngineProc, require_domain, start_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProc]:
    require_domain()
    e = start_engine(Path(tmp_path_factory.mktemp("eng")) / "j.sqlite")
    yield e
    assert e.terminate() == 0


def test_state_health_openapi(engine: EngineProc) -> None:
    with engine.client() as c:
        st = c.get("/v1/state").json()
        assert st["role"] == "leader" and st["color"] == "blue" and st["epoch"] >= 1
        assert c.get("/readyz").status_code == 200
        assert "/v1/orders" in c.get("/openapi.json").json()["paths"]
        assert b"engine_is_leader" in c.get("/metrics").content


def test_deposit_place_get_cancel(engine: EngineProc) -> None:
    with engine.client() as c:
        dep = c.post("/v1/accounts/ct1/deposits", json={"asset": "USDT", "amount": "10000"})
        assert dep.status_code == 200
        order = {"account": "ct1", "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "qty": "0.01",
                 "price": "50000", "client_order_id": "o1"}
        r = c.post("/v1/orders", json=order)
        assert r.status_code == 200, r.text
        assert c.get("/v1/orders/o1", params={"account": "ct1"}).status_code == 200
        again = c.post("/v1/orders", json=order)
        assert again.status_code in (200, 400)
        assert c.delete("/v1/orders/o1", params={"account": "ct1"}).status_code == 200
        assert c.get("/v1/orders/nope", params={"account": "ct1"}).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1/orders", b"{not json", 400),
        ("POST", "/v1/orders", b"[1,2]", 400),
        ("POST", "/v1/orders", b'{"account": 5}', 400),
        ("POST", "/v1/orders", b"x" * 70_000, 413),
        ("GET", "/v1/orders/%20bad", None, 400),
        ("GET", "/v1/nothing", None, 404),
        ("PATCH", "/v1/state", None, 405),
        ("GET", "/v1/markets/NOPE", None, 404),
    ],
)
def test_bad_input_is_4xx_with_code(engine: EngineProc, method: str, path: str, body: bytes | None,
                                    status: int) -> None:
    with engine.client() as c:
        r = c.request(method, path, content=body, params={"account": "ct1"} if "orders/" in path else None)
        assert r.status_code == status
        assert set(r.json()) >= {"code", "message"}
