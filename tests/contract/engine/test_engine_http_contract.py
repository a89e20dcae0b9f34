"""HTTP contract of one real engine process (routes, status codes and bodies pinned in INTERFACES.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.engine.engine_proc import EngineProc, start_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProc]:
    e = start_engine(Path(tmp_path_factory.mktemp("eng")) / "j.sqlite")
    e.set_index({"BTCUSDT": "60000", "ETHUSDT": "3000"})
    yield e
    assert e.terminate() == 0  # SIGTERM drains and exits cleanly


def _order(account: str, coid: str, side: str = "BUY", price: str | None = "59000", qty: str = "0.01",
           **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"account": account, "symbol": "BTCUSDT", "side": side,
                               "type": "LIMIT" if price else "MARKET", "qty": qty, "client_order_id": coid}
    if price:
        body["price"] = price
    body.update(extra)
    return body


def _fund(c: httpx.Client, account: str, amount: str = "10000") -> None:
    r = c.post(f"/v1/accounts/{account}/deposits", json={"asset": "USDT", "amount": amount})
    assert r.status_code == 200, r.text


def test_state_health_openapi_metrics(engine: EngineProc) -> None:
    with engine.client() as c:
        st = c.get("/v1/state").json()
        assert st["role"] == "leader" and st["color"] == "blue" and st["epoch"] >= 1
        assert {"seq", "trading_mode", "state_hash"} <= set(st) and len(st["state_hash"]) == 64
        assert c.get("/healthz").json()["status"] == "ok"
        assert c.get("/readyz").status_code == 200
        paths = c.get("/openapi.json").json()["paths"]
        assert {"/v1/orders", "/v1/openOrders", "/v1/state", "/admin/index-price"} <= set(paths)
        text = c.get("/metrics").text
        for name in ("engine_is_leader", "engine_epoch", "engine_applied_seq", "engine_margin_queue_limit",
                     "engine_trading_mode", "engine_index_price"):
            assert name in text


def _hash_count(c: httpx.Client) -> float:
    for line in c.get("/metrics").text.splitlines():
        if line.startswith("engine_state_hash_duration_seconds_count"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("engine_state_hash_duration_seconds is not exported")


def test_state_without_hash_skips_hashing_and_bad_flag_is_refused(engine: EngineProc) -> None:
    with engine.client() as c:
        full = c.get("/v1/state").json()
        before = _hash_count(c)
        cheap = c.get("/v1/state", params={"hash": "false"}).json()
        assert cheap["state_hash"] is None and cheap["seq"] == full["seq"] and cheap["role"] == full["role"]
        assert _hash_count(c) == before  # nothing hashed
        again = c.get("/v1/state", params={"hash": "true"}).json()
        assert (again["seq"], again["state_hash"]) == (full["seq"], full["state_hash"])
        assert _hash_count(c) == before  # same seq: the hash already computed, nothing hashed again
        _fund(c, "hash1")
        later = c.get("/v1/state").json()
        assert later["seq"] > full["seq"] and later["state_hash"] != full["state_hash"]
        assert _hash_count(c) == before + 1
        for query in ("hash=no", "hash=", "hash=false&hash=true"):
            r = c.get(f"/v1/state?{query}")
            assert r.status_code == 400 and r.json()["code"] == "INVALID_FIELD", (query, r.text)
        param = next(p for p in c.get("/openapi.json").json()["paths"]["/v1/state"]["get"]["parameters"]
                     if p["name"] == "hash")
        assert param["in"] == "query" and param["schema"]["enum"] == ["true", "false"]


def test_place_get_idempotent_open_orders_cancel(engine: EngineProc) -> None:
    with engine.client() as c:
        _fund(c, "ct1")
        first = c.post("/v1/orders", json=_order("ct1", "o1"))
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "NEW" and first.json()["price"] == "59000"
        again = c.post("/v1/orders", json=_order("ct1", "o1"))
        assert again.status_code == 200 and again.json()["order_id"] == first.json()["order_id"]
        got = c.get("/v1/orders/o1", params={"account": "ct1"}).json()
        assert got["order_id"] == first.json()["order_id"]
        opened = c.get("/v1/openOrders", params={"account": "ct1"}).json()["orders"]
        assert [o["client_order_id"] for o in opened] == ["o1"]
        canceled = c.delete("/v1/orders/o1", params={"account": "ct1"})
        assert canceled.status_code == 200 and canceled.json()["status"] == "CANCELED"
        assert c.get("/v1/openOrders", params={"account": "ct1"}).json()["orders"] == []
        missing = c.get("/v1/orders/nope", params={"account": "ct1"})
        assert missing.status_code == 404 and missing.json()["code"] == "UNKNOWN_ORDER"


def test_trade_fills_positions_market_view(engine: EngineProc) -> None:
    with engine.client() as c:
        _fund(c, "mk")
        _fund(c, "tk")
        assert c.post("/v1/orders", json=_order("mk", "m1", "SELL", "60000", "0.01")).status_code == 200
        taken = c.post("/v1/orders", json=_order("tk", "t1", "BUY", None, "0.004"))
        assert taken.status_code == 200 and taken.json()["status"] == "FILLED"
        fills = c.get("/v1/fills", params={"account": "tk"}).json()["fills"]
        assert len(fills) == 1 and fills[0]["qty"] == "0.004" and fills[0]["price"] == "60000"
        acct = c.get("/v1/accounts/tk").json()
        assert [p["qty"] for p in acct["positions"] if p["symbol"] == "BTCUSDT"] == ["0.004"]
        market = c.get("/v1/markets/BTCUSDT").json()
        assert market["best_ask"] == "60000" and market["index_price"] == "60000"
        assert {"mark_price", "funding_rate", "next_funding_time"} <= set(market)
        assert c.get("/v1/markets/BTCUSDT/funding").status_code == 200


def test_domain_rejects_are_400_with_the_reject_code(engine: EngineProc) -> None:
    with engine.client() as c:
        _fund(c, "rj", "100")
        cases = [
            (_order("rj", "r1", price="59000.05"), "INVALID_TICK_SIZE"),
            (_order("rj", "r2", price="90000"), "PRICE_OUT_OF_BAND"),
            (_order("rj", "r3", qty="0.0001"), "INVALID_STEP_SIZE"),
            (_order("rj", "r6", qty="0.001"), "NOTIONAL_BELOW_MIN"),
            (_order("rj", "r4", qty="1"), "INSUFFICIENT_MARGIN"),
            (_order("ghost", "r5"), "UNKNOWN_ACCOUNT"),
        ]
        for body, code in cases:
            r = c.post("/v1/orders", json=body)
            assert r.status_code in (400, 404) and r.json()["code"] == code, (code, r.text)
        w = c.post("/v1/accounts/rj/withdrawals", json={"asset": "USDT", "amount": "1000"})
        assert w.status_code == 400 and w.json()["code"] == "INSUFFICIENT_BALANCE"


def test_admin_trading_mode_and_failpoints(engine: EngineProc) -> None:
    with engine.client() as c:
        _fund(c, "ad")
        assert c.put("/admin/trading-mode", json={"mode": "cancel_only", "reason": "test"}).status_code == 200
        assert c.get("/v1/state").json()["trading_mode"] == "cancel_only"
        r = c.post("/v1/orders", json=_order("ad", "x1"))
        assert r.status_code == 400 and r.json()["code"] == "TRADING_MODE_RESTRICTED"
        assert c.put("/admin/trading-mode", json={"mode": "normal"}).status_code == 200
        assert c.post("/v1/orders", json=_order("ad", "x2")).status_code == 200
        assert c.put("/admin/failpoints/journal.fsync", json={"spec": "delay(1)"}).status_code == 200
        assert c.get("/admin/failpoints").json()["failpoints"] == {"journal.fsync": "delay(1)"}
        bad = c.put("/admin/failpoints/x", json={"spec": "explode("})
        assert bad.status_code == 400 and bad.json()["code"] == "INVALID_FAILPOINT"
        assert c.delete("/admin/failpoints").json()["failpoints"] == {}
        snap = c.post("/admin/snapshot")
        assert snap.status_code == 200
        assert snap.json()["state_hash"] == c.get("/v1/state").json()["state_hash"]
        assert c.put("/admin/index-price", json={"symbol": "BTCUSDT", "price": "-1"}).status_code == 400


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1/orders", b"{not json", 400),
        ("POST", "/v1/orders", b"[1,2]", 400),
        ("POST", "/v1/orders", b'{"account": 5}', 400),
        ("POST", "/v1/orders", b'{"account": "a", "bogus": 1}', 400),
        ("POST", "/v1/orders", b"x" * 70_000, 413),
        ("GET", "/v1/orders/%20bad", None, 400),
        ("GET", "/v1/nothing", None, 404),
        ("PATCH", "/v1/state", None, 405),
        ("GET", "/v1/markets/NOPE", None, 404),
        ("GET", "/v1/fills", None, 400),
        ("POST", "/v1/accounts/a/deposits", b'{"asset": "DOGE", "amount": "1"}', 400),
        ("POST", "/v1/accounts/a/deposits", b'{"asset": "USDT", "amount": "1e400"}', 400),
        ("PUT", "/admin/trading-mode", b'{"mode": "party"}', 400),
    ],
)
def test_bad_input_is_4xx_with_code(engine: EngineProc, method: str, path: str, body: bytes | None,
                                    status: int) -> None:
    with engine.client() as c:
        params = {"account": "ct1"} if "orders/" in path else None
        r = c.request(method, path, content=body, params=params)
        assert r.status_code == status, r.text
        assert set(r.json()) >= {"code", "message"}


def _gauge(text: str, name: str, **labels: str) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name + "{"):
            head, value = line.rsplit(" ", 1)
            if ",".join(sorted(head[len(name) + 1:-1].split(","))) == want:
                return float(value)
    return None


def test_admin_insurance_fund_injection_is_journaled_and_exported(engine: EngineProc) -> None:
    with engine.client() as c:
        metrics = c.get("/metrics").text
        # exported from start-up for every settlement asset (before any change), liquidation counters too
        assert _gauge(metrics, "engine_insurance_fund_balance", asset="USDC", color="blue") == 0.0
        assert _gauge(metrics, "engine_liquidations_total", symbol="BTCUSDT", color="blue") == 0.0
        before = _gauge(metrics, "engine_insurance_fund_balance", asset="USDT", color="blue")
        assert before is not None
        seq = c.get("/v1/state").json()["seq"]
        r = c.post("/admin/insurance-fund", json={"asset": "USDT", "amount": "2500.5"})
        assert r.status_code == 200, r.text
        # > not ==: the idle engine journals a clock tick every second, which can take a seq in between
        assert float(r.json()["balance"]) == before + 2500.5 and r.json()["seq"] > seq
        after = _gauge(c.get("/metrics").text, "engine_insurance_fund_balance", asset="USDT", color="blue")
        assert after == before + 2500.5
        for body, code in (({"asset": "XXX", "amount": "1"}, "UNKNOWN_ASSET"),
                           ({"asset": "USDT", "amount": "-5"}, "INVALID_AMOUNT"),
                           ({"asset": "USDT", "amount": "0"}, "INVALID_AMOUNT"),
                           ({"asset": "USDT"}, "INVALID_FIELD")):
            bad = c.post("/admin/insurance-fund", json=body)
            assert bad.status_code == 400 and bad.json()["code"] == code, (body, bad.text)
        # refused injections change nothing (the balance; seq may move by clock ticks only)
        text = c.get("/metrics").text
        assert _gauge(text, "engine_insurance_fund_balance", asset="USDT", color="blue") == after
