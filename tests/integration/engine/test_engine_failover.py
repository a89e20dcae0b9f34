"""Crash and failover with real processes sharing one SQLite journal."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tests.integration.engine.engine_proc import EngineProc, start_engine, wait_for

ACCOUNTS = 6
THREADS = 4


def _order(i: int) -> dict[str, object]:
    buy = i % 2 == 0
    return {"account": f"a{i % ACCOUNTS}", "symbol": "BTCUSDT", "side": "BUY" if buy else "SELL",
            "type": "LIMIT", "qty": "0.002", "price": "59990" if buy else "60000", "client_order_id": f"o{i}"}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "target_engine.service", *args], capture_output=True,
                          text=True, check=False, timeout=120)


def _load_until_killed(e: EngineProc, kill_after: int) -> dict[int, int]:
    """THREADS clients place orders concurrently; the leader is SIGKILLed once ``kill_after`` are acked.

    Returns {order index: order_id} for every 200 answer (an acknowledged order)."""
    acked: dict[int, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def client(tid: int) -> None:
        with e.client(timeout=5.0) as c:
            for i in range(tid, 100_000, THREADS):
                if stop.is_set():
                    return
                try:
                    r = c.post("/v1/orders", json=_order(i))
                except httpx.HTTPError:
                    return  # the engine is gone: outcome unknown, not counted
                if r.status_code == 200:
                    with lock:
                        acked[i] = r.json()["order_id"]
                        if len(acked) >= kill_after and not stop.is_set():
                            stop.set()
                            e.kill()

    threads = [threading.Thread(target=client, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert stop.is_set(), "load never reached the kill point"
    return acked


def test_sigkill_under_load_every_acknowledged_order_survives(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    e = start_engine(journal)
    e.set_index({"BTCUSDT": "60000"})
    with e.client() as c:
        for i in range(ACCOUNTS):
            dep = c.post(f"/v1/accounts/a{i}/deposits", json={"asset": "USDT", "amount": "100000"})
            assert dep.status_code == 200
    acked = _load_until_killed(e, kill_after=300)
    e2 = start_engine(journal)
    with e2.client() as c:
        for i, order_id in sorted(acked.items()):
            r = c.get(f"/v1/orders/o{i}", params={"account": f"a{i % ACCOUNTS}"})
            assert r.status_code == 200 and r.json()["order_id"] == order_id, (i, r.text)
        state = c.get("/v1/state").json()
        assert state["epoch"] == 2
    assert e2.terminate() == 0
    replay = _cli("replay", str(journal))
    assert replay.returncode == 0, replay.stderr
    out = json.loads(replay.stdout)
    assert (out["seq"], out["state_hash"]) == (state["seq"], state["state_hash"])
    full = _cli("replay", "--no-snapshot", str(journal))
    assert json.loads(full.stdout)["state_hash"] == state["state_hash"]
    verify = _cli("verify", str(journal))
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"] is True, verify.stdout


def test_standby_takes_over_and_old_leader_comes_back_fenced(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    blue = start_engine(journal, "blue", "leader")
    green = start_engine(journal, "green", "standby")
    with blue.client() as c:
        assert c.post("/v1/accounts/f1/deposits", json={"asset": "USDT", "amount": "1000"}).status_code == 200
        blue_hash = c.get("/v1/state").json()["state_hash"]
    with green.client() as g:
        assert wait_for(lambda: g.get("/v1/state").json()["state_hash"] == blue_hash, timeout=10)
        standby = g.post("/v1/accounts/f1/deposits", json={"asset": "USDT", "amount": "1"})
        assert standby.status_code == 409 and standby.json()["code"] == "NOT_LEADER"
        assert standby.json()["leader_color"] == "blue"
    blue.kill()
    with green.client() as g:
        assert wait_for(lambda: g.get("/v1/state").json()["role"] == "leader", timeout=10)
        assert g.get("/v1/state").json()["epoch"] == 2
        assert g.post("/v1/accounts/f1/deposits", json={"asset": "USDT", "amount": "1"}).status_code == 200
        wallet = g.get("/v1/accounts/f1").json()["wallets"]["USDT"]["wallet_balance"]
        assert wallet == "1001"
        blue2 = start_engine(journal, "blue", "leader")
        with blue2.client() as b:
            r = b.post("/v1/accounts/f1/deposits", json={"asset": "USDT", "amount": "1"})
            assert r.status_code == 409 and r.json()["leader_color"] == "green"
            assert wait_for(lambda: b.get("/v1/state").json()["seq"] == g.get("/v1/state").json()["seq"])
        assert blue2.terminate() == 0
    assert green.terminate() == 0


def test_promoted_standby_fences_the_old_leader(tmp_path: Path) -> None:
    """Admin promotion of the standby bumps the epoch; the still-running old leader steps down."""
    journal = tmp_path / "j.sqlite"
    blue = start_engine(journal, "blue", "leader")
    green = start_engine(journal, "green", "standby", "--no-auto-promote")
    with green.client() as g:
        promoted = g.post("/admin/promote")
        assert promoted.status_code == 200 and promoted.json()["role"] == "leader"
        assert promoted.json()["epoch"] == 2
    with blue.client() as b:
        assert wait_for(lambda: b.get("/v1/state").json()["role"] == "standby", timeout=10)
        r = b.post("/v1/accounts/z/deposits", json={"asset": "USDT", "amount": "5"})
        assert r.status_code == 409 and r.json()["leader_color"] == "green"
    assert blue.terminate() == 0
    assert green.terminate() == 0
