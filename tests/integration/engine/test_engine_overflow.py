"""EXCESS_QUEUE_DEPTH under a stalled margin worker: policy halt (the incident) vs shed (the hotfix).

The worker is stalled with the failpoint ``margin.worker.delay=pause`` set through the admin API;
fills then put accounts on the margin queue until it passes its limit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.engine.engine_proc import EngineProc, start_engine, wait_for

TAKERS = 6


def _limit(account: str, coid: str, side: str, price: str, qty: str, **extra: object) -> dict[str, object]:
    return {
        "account": account,
        "symbol": "BTCUSDT",
        "side": side,
        "type": "LIMIT",
        "qty": qty,
        "price": price,
        "client_order_id": coid,
        **extra,
    }


def _market_buy(account: str, coid: str, qty: str = "0.002") -> dict[str, object]:
    return {
        "account": account,
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "MARKET",
        "qty": qty,
        "client_order_id": coid,
    }


@pytest.fixture
def stalled(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[EngineProc, httpx.Client]]:
    """An engine with the given overflow policy, funded accounts, a resting ask, a stalled worker."""
    policy = request.param
    e = start_engine(
        tmp_path / "j.sqlite",
        "blue",
        "leader",
        "--overflow-policy",
        policy,
        "--margin-queue-limit",
        "4",
        "--margin-low-water",
        "2",
    )
    e.set_index({"BTCUSDT": "60000"})
    with e.client() as c:
        for acct in ["mk", *(f"t{i}" for i in range(TAKERS))]:
            dep = c.post(f"/v1/accounts/{acct}/deposits", json={"asset": "USDT", "amount": "100000"})
            assert dep.status_code == 200
        assert c.post("/v1/orders", json=_limit("mk", "ask", "SELL", "60000", "0.05")).status_code == 200
        assert c.put("/admin/failpoints/margin.worker.delay", json={"spec": "pause"}).status_code == 200
        yield e, c
    assert e.terminate() == 0


def _fill_takers(c: httpx.Client) -> list[str]:
    """Market-buy for each taker until the engine refuses with EXCESS_QUEUE_DEPTH; the takers filled."""
    filled: list[str] = []
    for i in range(TAKERS):
        r = c.post("/v1/orders", json=_market_buy(f"t{i}", f"buy{i}"))
        if r.status_code != 200:
            assert r.status_code == 503 and r.json()["code"] == "EXCESS_QUEUE_DEPTH", r.text
            break
        filled.append(f"t{i}")
    return filled


def _excess_count(c: httpx.Client) -> float:
    for line in c.get("/metrics").text.splitlines():
        if line.startswith("engine_excess_queue_depth_total{"):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.parametrize("stalled", ["halt"], indirect=True)
def test_halt_policy_halts_trading_journaled_and_answers_503(
    stalled: tuple[EngineProc, httpx.Client], tmp_path: Path
) -> None:
    e, c = stalled
    assert c.post("/v1/orders", json=_limit("t0", "rest", "BUY", "59000", "0.002")).status_code == 200
    _fill_takers(c)
    assert wait_for(lambda: c.get("/v1/state").json()["trading_mode"] == "halted", timeout=30)
    state = c.get("/v1/state").json()
    assert state["excess_halted"] is True and state["margin_queue_depth"] > state["margin_queue_limit"]
    order = c.post("/v1/orders", json=_limit("t1", "after", "BUY", "59000", "0.002"))
    assert order.status_code == 503 and order.json()["code"] == "EXCESS_QUEUE_DEPTH"
    assert "retry-after" not in order.headers
    reduce = c.post("/v1/orders", json=_limit("t0", "red", "SELL", "60010", "0.001", reduce_only=True))
    assert reduce.status_code == 503 and reduce.json()["code"] == "EXCESS_QUEUE_DEPTH"
    cancel = c.delete("/v1/orders/rest", params={"account": "t0"})
    assert cancel.status_code == 503 and cancel.json()["code"] == "EXCESS_QUEUE_DEPTH"
    assert _excess_count(c) >= 1

    def journaled_modes() -> list[tuple[str, str]]:
        with sqlite3.connect(f"file:{tmp_path / 'j.sqlite'}?mode=ro", uri=True) as db:
            rows = db.execute("SELECT payload FROM commands WHERE kind='SetTradingMode'").fetchall()
        return [(m["mode"], m["reason"]) for m in (json.loads(p) for (p,) in rows)]

    # /v1/state shows the halt once applied; its commit (an fsync) may still be in flight
    assert wait_for(lambda: journaled_modes() != [], timeout=30)
    assert journaled_modes() == [("halted", "EXCESS_QUEUE_DEPTH")]


@pytest.mark.parametrize("stalled", ["shed"], indirect=True)
def test_shed_policy_rejects_only_risk_increasing_and_resumes(
    stalled: tuple[EngineProc, httpx.Client],
) -> None:
    e, c = stalled
    assert c.post("/v1/orders", json=_limit("t0", "rest", "BUY", "59000", "0.002")).status_code == 200
    # Each fill queues the taker and the maker ``mk``, coalesced per account, and the stalled worker
    # holds at most one: the queue passes its limit of 4 with the fourth taker's fill at the
    # earliest, so at least four takers hold a long position (which ones does not depend on timing).
    longs = _fill_takers(c)
    assert len(longs) >= 4, longs
    assert wait_for(lambda: c.get("/v1/state").json()["shedding"] is True, timeout=30)
    state = c.get("/v1/state").json()
    assert state["trading_mode"] == "normal" and state["excess_halted"] is False
    # opening or adding risk: 503 + Retry-After, not executed
    for body in (
        _limit("t1", "add", "BUY", "59000", "0.002"),
        _limit("t2", "flip", "SELL", "60010", "0.005"),
    ):
        r = c.post("/v1/orders", json=body)
        assert r.status_code == 503 and r.json()["code"] == "EXCESS_QUEUE_DEPTH", r.text
        assert r.headers["retry-after"] == "1"
        assert (
            c.get(f"/v1/orders/{body['client_order_id']}", params={"account": body["account"]}).status_code
            == 404
        )
    # reducing risk is kept: reduce-only, a plain order that only shrinks the position, cancels
    red = c.post("/v1/orders", json=_limit(longs[-1], "red", "SELL", "60010", "0.001", reduce_only=True))
    assert red.status_code == 200, red.text
    shrink = c.post("/v1/orders", json=_limit(longs[-2], "shrink", "SELL", "60010", "0.002"))
    assert shrink.status_code == 200, shrink.text
    assert c.delete("/v1/orders/rest", params={"account": "t0"}).status_code == 200
    assert _excess_count(c) >= 1
    # the worker recovers: the queue drains below the low-water mark and trading resumes on its own
    assert c.delete("/admin/failpoints/margin.worker.delay").status_code == 200
    assert wait_for(lambda: c.get("/v1/state").json()["shedding"] is False, timeout=30)
    assert c.post("/v1/orders", json=_limit("t1", "add2", "BUY", "59000", "0.002")).status_code == 200
