"""Fork-mode snapshots with real engine processes and one SQLite journal: the row verifies and
recovery uses it, the engine keeps answering while a (slowed) snapshot child runs, a failing child
is an error for the admin caller only, and a SIGKILLed leader's snapshot child holds nothing the
standby needs (it promotes without waiting for the 60 s time lease, and the child dies too)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from target_engine.config.loader import load_config_dict
from target_engine.domain import Engine
from target_engine.journal.records import decode_snapshot_payload, snapshot_crc
from target_engine.service.recovery import service_config
from target_engine.service.snapshotter import FAILPOINT
from tests.integration.engine.engine_proc import EngineProc, start_engine, wait_for


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _state(e: EngineProc) -> dict[str, Any]:
    with e.client() as c:
        state: dict[str, Any] = c.get("/v1/state").json()
        return state


def _deposit(e: EngineProc, account: str = "f1", timeout: float = 10.0) -> int:
    with e.client(timeout) as c:
        return c.post(f"/v1/accounts/{account}/deposits", json={"asset": "USDT", "amount": "1"}).status_code


def _trade(e: EngineProc) -> None:
    e.set_index({"BTCUSDT": "60000"})
    with e.client() as c:
        for acct in ("a", "b"):
            dep = c.post(f"/v1/accounts/{acct}/deposits", json={"asset": "USDT", "amount": "100000"})
            assert dep.status_code == 200
        for i in range(5):
            for acct, side in (("a", "SELL"), ("b", "BUY")):
                order = {"account": acct, "symbol": "BTCUSDT", "side": side, "type": "LIMIT", "qty": "0.01",
                         "price": "60000", "client_order_id": f"{acct}{i}"}
                r = c.post("/v1/orders", json=order)
                assert r.status_code == 200, r.text


def _set_failpoint(e: EngineProc, spec: str) -> None:
    with e.client() as c:
        assert c.put(f"/admin/failpoints/{FAILPOINT}", json={"spec": spec}).status_code == 200


def _clear_failpoint(e: EngineProc) -> None:
    with e.client() as c:
        assert c.delete(f"/admin/failpoints/{FAILPOINT}").status_code == 200


def _snapshot(e: EngineProc, timeout: float = 60.0) -> httpx.Response:
    with e.client(timeout) as c:
        return c.post("/admin/snapshot")


def _snapshot_quietly(e: EngineProc) -> None:
    """An admin snapshot whose engine is about to be killed (no answer expected)."""
    try:
        _snapshot(e, 5)
    except httpx.HTTPError:
        pass


def _cli(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "target_engine.service", *args], capture_output=True,
                         text=True, check=True, timeout=120)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("mode", ["fork", "inline"])
def test_snapshot_row_verifies_and_recovery_uses_it(tmp_path: Path, mode: str) -> None:
    journal = tmp_path / "j.sqlite"
    e = start_engine(journal, "blue", "leader", "--snapshot-mode", mode)
    try:
        _trade(e)
        r = _snapshot(e)
        assert r.status_code == 200, r.text
        snap = r.json()
        state = _state(e)
        assert snap["seq"] == state["seq"] and snap["state_hash"] == state["state_hash"]
    finally:
        assert e.terminate() == 0
    with sqlite3.connect(journal) as db:
        seq, epoch, _ts, state_hash, payload, crc = db.execute(
            "SELECT seq, epoch, ts_ms, state_hash, payload, crc FROM snapshots").fetchone()
    assert (seq, state_hash) == (snap["seq"], snap["state_hash"]) and len(payload) == snap["bytes"]
    assert snapshot_crc(seq, epoch, state_hash, payload) == crc
    assert payload[:1] != b"{"  # stored compressed (SCHEMA.md: a zlib stream of the JSON bytes)
    dump = json.loads(decode_snapshot_payload(payload))
    restored = Engine.restore(service_config(load_config_dict(None)), dump)
    assert restored.state_hash() == state_hash
    replay = _cli("replay", str(journal))
    assert replay["snapshot_seq"] == seq and replay["seq"] >= seq


def test_engine_answers_while_the_child_runs_and_a_failed_child_is_only_an_error(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    e = start_engine(journal, "blue", "leader")  # fork is the default mode
    try:
        _trade(e)
        _set_failpoint(e, "delay(60000)")
        answers: list[httpx.Response] = []
        admin = threading.Thread(target=lambda: answers.append(_snapshot(e, 120)))
        admin.start()
        assert wait_for(lambda: len(_children(e.proc.pid)) == 1, timeout=20)
        child = _children(e.proc.pid)[0]
        for i in range(20):  # served while the child sleeps in its failpoint
            assert _deposit(e, f"w{i}") == 200
        assert _state(e)["role"] == "leader"
        assert _alive(child) and admin.is_alive()  # the snapshot is still being taken
        os.kill(child, 9)  # a child that dies: the admin caller gets an error, nothing else
        admin.join(60)
        assert answers and answers[0].status_code == 503
        assert answers[0].json()["code"] == "JOURNAL_UNAVAILABLE"
        _set_failpoint(e, "error(IO)")  # a child that fails
        r = _snapshot(e)
        assert r.status_code == 503 and "IO" in r.json()["message"]
        with e.client() as c:
            assert c.get("/healthz").status_code == 200
        assert _deposit(e) == 200
        _clear_failpoint(e)
        r = _snapshot(e)  # the next one works
        assert r.status_code == 200, r.text
        assert r.json()["state_hash"] == _state(e)["state_hash"]
    finally:
        assert e.terminate() == 0


def test_sigkill_leader_during_snapshot_child_standby_promotes_and_child_dies(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    extra = ("--lease-ms", "60000")
    blue = start_engine(journal, "blue", "leader", *extra)
    green = start_engine(journal, "green", "standby", *extra)
    try:
        assert _deposit(blue) == 200
        assert wait_for(lambda: _state(green)["seq"] == _state(blue)["seq"], timeout=30)
        _set_failpoint(blue, "delay(120000)")
        admin = threading.Thread(target=_snapshot_quietly, args=(blue,), daemon=True)
        admin.start()
        assert wait_for(lambda: len(_children(blue.proc.pid)) == 1, timeout=20)
        child = _children(blue.proc.pid)[0]
        blue.kill()
        # only the leader lock explains a takeover before the 60 s time lease: the child must not hold it
        assert wait_for(lambda: _state(green)["role"] == "leader", timeout=30)
        assert _deposit(green) == 200
        assert wait_for(lambda: not _alive(child), timeout=20)  # it died with its parent
    finally:
        blue.kill()
        assert green.terminate() == 0


def test_admin_requests_join_a_covering_child_else_wait_for_the_next_one(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    e = start_engine(journal, "blue", "leader", "--clock-tick-ms", "3600000")  # no clock commands
    try:
        _trade(e)
        _set_failpoint(e, "delay(1500)")
        answers: dict[str, httpx.Response] = {}

        def admin(name: str) -> threading.Thread:
            t = threading.Thread(target=lambda: answers.__setitem__(name, _snapshot(e, 120)))
            t.start()
            return t

        first = admin("first")
        assert wait_for(lambda: len(_children(e.proc.pid)) == 1, timeout=20)
        answers["joined"] = _snapshot(e)  # nothing acknowledged since the fork: the child covers it
        first.join(120)
        assert answers["joined"].json()["seq"] == answers["first"].json()["seq"]
        second = admin("second")
        assert wait_for(lambda: len(_children(e.proc.pid)) == 1, timeout=20)
        assert _deposit(e) == 200
        later = admin("later")  # must not be answered with the running child's older seq
        assert len(_children(e.proc.pid)) <= 1  # never two children at a time
        for t in (second, later):
            t.join(120)
        assert {k: r.status_code for k, r in answers.items()} == dict.fromkeys(answers, 200)
        assert answers["second"].json()["seq"] == answers["first"].json()["seq"]
        assert answers["later"].json()["seq"] > answers["second"].json()["seq"]
    finally:
        assert e.terminate() == 0


def test_periodic_snapshot_in_fork_mode(tmp_path: Path) -> None:
    journal = tmp_path / "j.sqlite"
    e = start_engine(journal, "blue", "leader", "--snapshot-every", "10")
    try:
        _trade(e)  # 13 commands

        def rows() -> list[tuple[int, str]]:
            with sqlite3.connect(journal) as db:
                return [(int(s), str(h)) for s, h in db.execute("SELECT seq, state_hash FROM snapshots")]

        assert wait_for(lambda: any(seq >= 10 for seq, _ in rows()), timeout=30)
    finally:
        assert e.terminate() == 0
    assert _cli("verify", str(journal))["ok"] is True
