"""The margin worker re-checks every account when a halt ends: an account the mark pushed under
water while trading was halted (liquidations paused) is liquidated once trading resumes."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.engine.engine_proc import start_engine, wait_for


def _order(account: str, coid: str, side: str) -> dict[str, object]:
    return {"account": account, "symbol": "BTCUSDT", "side": side, "type": "LIMIT", "qty": "0.01",
            "price": "60000", "client_order_id": coid}


def _long_qty(c: httpx.Client) -> str:
    positions = c.get("/v1/accounts/weak").json()["positions"]
    held = [p for p in positions if p["symbol"] == "BTCUSDT"]
    return str(held[0]["qty"]) if held else "0"


def _mode(c: httpx.Client, mode: str) -> None:
    r = c.put("/admin/trading-mode", json={"mode": mode, "reason": "test"})
    assert r.status_code == 200, r.text


def test_account_under_water_during_a_halt_is_liquidated_when_it_ends(tmp_path: Path) -> None:
    e = start_engine(tmp_path / "j.sqlite", "blue", "leader")
    try:
        e.set_index({"BTCUSDT": "60000"})
        with e.client() as c:
            for acct, amount in (("weak", "7"), ("maker", "100000")):
                r = c.post(f"/v1/accounts/{acct}/deposits", json={"asset": "USDT", "amount": amount})
                assert r.status_code == 200, r.text
            r = c.post("/v1/accounts/weak/leverage", json={"symbol": "BTCUSDT", "leverage": 100})
            assert r.status_code == 200, r.text
            assert c.post("/v1/orders", json=_order("maker", "ask", "SELL")).status_code == 200
            r = c.post("/v1/orders", json=_order("weak", "bid", "BUY"))
            assert r.status_code == 200 and r.json()["status"] == "FILLED", r.text
            assert _long_qty(c) == "0.01"
            _mode(c, "halted")
            e.set_index({"BTCUSDT": "59000"})  # -1.7 %: a 100x long is under water, but halted
            assert not wait_for(lambda: _long_qty(c) != "0.01", timeout=1.0), "liquidated during a halt"
            _mode(c, "normal")
            assert wait_for(lambda: _long_qty(c) != "0.01", timeout=10.0), "not liquidated after the halt"
    finally:
        e.terminate()
