"""Crash and failover with real processes sharing one SQLite journal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.integration.engine.engine_proc import require_domain, start_engine, wait_for


def _place(c: httpx.Client, i: int) -> int:
    body = {"account": f"a{i % 5}", "symbol": "BTCUSDT", "side": "BUY" if i % 2 else "SELL", "type": "LIMIT",
            "qty": "0.001", "price": "60000" if i % 2 else "60010", "client_order_id": f"o{i}"}
    try:
        return c.post("/v1/orders", json=body).status_code
    except httpx.HTTPError:
        return -1


def test_sigkill_leader_every_acknowledged_order_survives(tmp_path: Path) -> None:
    require_domain()
    journal = tmp_path / "j.sqlite"
    e = start_engine(journal)
    acked: list[int] = []
    with e.client() as c:
        for i in range(5):
            dep = c.post(f"/v1/accounts/a{i}/deposits", json={"asset": "USDT", "amount": "100000"})
            assert dep.status_code == 200
        for i in range(200):
            if _place(c, i) in (200, 400):
                acked.append(i)
            if i == 150:
                e.kill()
    e2 = start_engine(journal)
    with e2.client() as c:
        for i in acked:
            assert c.get(f"/v1/orders/o{i}", params={"account": f"a{i % 5}"}).status_code in (200, 404)
        state = c.get("/v1/state").json()
    e2.terminate()
    out = subprocess.run([sys.executable, "-m", "target_engine.service", "replay", str(journal)],
                         capture_output=True, text=True, check=True)
    assert f'"state_hash": "{state["state_hash"]}"' in out.stdout
    verify = subprocess.run([sys.executable, "-m", "target_engine.service", "verify", str(journal)],
                            capture_output=True, text=True, check=False)
    assert verify.returncode == 0, verify.stdout


def test_standby_takes_over_and_old_leader_comes_back_fenced(tmp_path: Path) -> None:
    require_domain()
    journal = tmp_path / "j.sqlite"
    blue = start_engine(journal, "blue", "leader")
    green = start_engine(journal, "green", "standby")
    with blue.client() as c:
        assert c.post("/v1/accounts/f1/deposits", json={"asset": "USDT", "amount": "1000"}).status_code == 200
    blue.kill()
    with green.client() as g:
        assert wait_for(lambda: g.get("/v1/state").json()["role"] == "leader", timeout=10)
        assert g.post("/v1/accounts/f1/deposits", json={"asset": "USDT", "amount": "1"}).status_code == 200
        blue2 = start_engine(journal, "blue", "leader")
        with blue2.client() as b:
            r = b.post("/v1/accounts/f1/deposits", json={"asset": "USDT", "amount": "1"})
            assert r.status_code == 409 and r.json()["leader_color"] == "green"
        blue2.terminate()
    green.terminate()
