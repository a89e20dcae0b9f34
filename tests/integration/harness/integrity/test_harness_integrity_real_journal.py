"""The integrity checkers on a journal written by a real engine process: PASS as written, FAIL (naming
the record) on copies corrupted the ways a broken disk or a forger would."""

from __future__ import annotations

import json
import shutil
import sqlite3
import zlib
from pathlib import Path

import pytest
import yaml

from harness.history import HistoryWriter, OpType, classify_status
from harness.integrity.registry import run_checkers
from harness.integrity.rundata import load_run
from harness.integrity.verdict import CheckerResult, Verdict
from tests.integration.engine.engine_proc import start_engine

ENGINE_CONFIG = Path(__file__).resolve().parents[4] / "target_engine" / "config" / "instruments.yaml"


def _crc(text: str) -> int:
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder: a real engine's journal copy, the client history and the final answers."""
    work = tmp_path_factory.mktemp("real")
    raw = yaml.safe_load(ENGINE_CONFIG.read_text())
    raw["engine"]["insurance_fund"] = {"USDT": "1000", "USDC": "0"}  # a non-zero starting fund
    config = work / "engine.yaml"
    config.write_text(yaml.safe_dump(raw))
    engine = start_engine(work / "journal.sqlite", "blue", "auto", "--config", str(config))
    run = work / "run"
    (run / "snapshots").mkdir(parents=True)
    try:
        engine.set_index({"BTCUSDT": "60000"})
        with engine.client() as c, HistoryWriter(run / "history.jsonl", proc="test") as w:

            def call(op: str, path: str, body: dict[str, object], **fields: object) -> None:
                w.op("invoke", op, **fields)
                r = c.post(path, json=body)
                w.op(classify_status(r.status_code, body=r.json()).value, op, http_status=r.status_code,
                     **fields)
                assert r.status_code == 200, r.text

            for account in ("alice", "bob"):
                call("deposit", f"/v1/accounts/{account}/deposits", {"asset": "USDT", "amount": "10000"},
                     account=account)
            trades = [("bob", "SELL", "60000", "0.02"), ("alice", "BUY", "60000", "0.02"),
                      ("bob", "BUY", "60100", "0.01"), ("alice", "SELL", "60100", "0.01")]
            for n, (account, side, price, qty) in enumerate(trades):
                coid = f"o{n}"
                body = {"account": account, "symbol": "BTCUSDT", "side": side, "type": "LIMIT",
                        "price": price, "qty": qty, "client_order_id": coid}
                call("place", "/v1/orders", body, account=account, client_order_id=coid, symbol="BTCUSDT")
            seq = c.get("/v1/state").json()["seq"]
            accounts = {a: c.get(f"/v1/accounts/{a}").json() for a in ("alice", "bob")}
        final = {"t": 0.0, "seq": seq, "accounts": accounts}
        (run / "snapshots" / "final.json").write_text(json.dumps(final))
        src = sqlite3.connect(work / "journal.sqlite")
        dst = sqlite3.connect(run / "journal.sqlite")
        src.backup(dst)  # a consistent copy of the live journal, as the orchestrator takes it
        src.close()
        dst.close()
    finally:
        assert engine.terminate() == 0
    return run


def _results(run: Path) -> dict[str, CheckerResult]:
    return {r.name: r for r in run_checkers(load_run(run))}


def _corrupt_copy(run: Path, tmp_path: Path, sql: str) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    conn = sqlite3.connect(copy / "journal.sqlite")
    conn.execute(sql)
    conn.commit()
    conn.close()
    return copy


def _first_fill(run: Path) -> tuple[int, int]:
    conn = sqlite3.connect(f"file:{run / 'journal.sqlite'}?mode=ro", uri=True)
    row = conn.execute("SELECT seq, idx FROM events WHERE kind = 'Fill' ORDER BY seq, idx").fetchone()
    conn.close()
    return int(row[0]), int(row[1])


def test_a_real_journal_passes_every_checker(run_dir: Path) -> None:
    results = _results(run_dir)
    assert {n: r.verdict for n, r in results.items()} == dict.fromkeys(results, Verdict.PASS), {
        n: r.evidence for n, r in results.items()
    }
    assert results["orders"].counts["acknowledged"] == 4
    assert results["conservation"].details["USDT"]["insurance"] == "1000"
    assert float(results["conservation"].details["USDT"]["fees"]) > 0
    assert results["positions"].counts["answers_checked"] == 2
    assert results["statement"].evidence[0].startswith("nothing to check")  # no fault in this run


def test_dropped_fill_row_fails_naming_the_record(run_dir: Path, tmp_path: Path) -> None:
    seq, idx = _first_fill(run_dir)
    copy = _corrupt_copy(run_dir, tmp_path, f"DELETE FROM events WHERE seq = {seq} AND idx = {idx}")
    res = _results(copy)
    assert res["journal"].verdict is Verdict.FAIL
    assert res["journal"].evidence[0] == f"corrupt: events: idx gap at seq {seq} idx {idx + 1}"
    assert res["orders"].verdict is Verdict.FAIL and res["orders"].evidence[0].startswith("note: the journal")


def _first_wallet_change(run: Path, seq: int) -> tuple[int, dict[str, object]]:
    conn = sqlite3.connect(f"file:{run / 'journal.sqlite'}?mode=ro", uri=True)
    idx, payload = conn.execute(
        "SELECT idx, payload FROM events WHERE kind = 'WalletChanged' AND seq = ? ORDER BY idx LIMIT 1",
        (seq,),
    ).fetchone()
    conn.close()
    return int(idx), json.loads(payload)


def test_wallet_amount_with_stale_crc_fails(run_dir: Path, tmp_path: Path) -> None:
    seq, _ = _first_fill(run_dir)
    idx, _ = _first_wallet_change(run_dir, seq)
    copy = _corrupt_copy(
        run_dir,
        tmp_path,
        "UPDATE events SET payload = replace(payload, '\"balance\":', '\"balance\":1') "
        f"WHERE seq = {seq} AND idx = {idx}",
    )
    res = _results(copy)
    assert res["journal"].verdict is Verdict.FAIL
    assert res["journal"].evidence[0] == f"corrupt: events: CRC mismatch at seq {seq} idx {idx}"


def test_wallet_amount_with_matching_crc_fails_naming_the_event(run_dir: Path, tmp_path: Path) -> None:
    seq, _ = _first_fill(run_dir)
    idx, body = _first_wallet_change(run_dir, seq)
    body["balance"] = int(str(body["balance"])) + 10**10  # one USDT from nowhere
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    copy = _corrupt_copy(
        run_dir,
        tmp_path,
        f"UPDATE events SET payload = '{text}', crc = {_crc(f'{seq}|{idx}|WalletChanged|{text}')} "
        f"WHERE seq = {seq} AND idx = {idx}",
    )
    res = _results(copy)
    assert res["journal"].verdict is Verdict.PASS  # the CRC holds: only the money checks can see it
    assert res["positions"].verdict is Verdict.FAIL
    assert any(e.startswith(f"events seq {seq} idx {idx}: {body['account']} USDT WalletChanged balance")
               for e in res["positions"].evidence)
    assert res["conservation"].verdict is Verdict.FAIL
    want = f"seq {seq} (PlaceOrder): USDT conservation off by 1"
    assert any(e.startswith(want) for e in res["conservation"].evidence)


def test_history_outcomes_use_the_one_classifier() -> None:
    assert classify_status(503, body={"code": "OVERLOADED"}) is OpType.FAIL
    assert classify_status(503, body={"detail": "injected"}) is OpType.INFO
