"""Every integrity checker on literal histories and literal journals."""

import json
import sqlite3

import pytest

from harness.integrity.journal_reader import JournalReadError, read_journal
from harness.integrity.registry import CHECKER_NAMES, run_checkers
from harness.integrity.rundata import load_run
from harness.integrity.verdict import Verdict

from .conftest import M, P, Q


def place_ops(w, account, coid, outcome):
    w.op("invoke", "place", account=account, client_order_id=coid, symbol="BTCUSDT")
    if outcome is not None:
        status = {"ok": 200, "fail": 503, "info": None}[outcome]
        w.op(outcome, "place", account=account, client_order_id=coid, http_status=status)


def check(run_dir, name):
    return {r.name: r for r in run_checkers(load_run(run_dir), [name])}[name]


def write_answers(run_dir, name, seq, accounts):
    (run_dir / "snapshots").mkdir(exist_ok=True)
    (run_dir / "snapshots" / f"{name}.json").write_text(
        json.dumps({"t": 1.0, "seq": seq, "accounts": accounts})
    )


# ---- orders (Jepsen set) ------------------------------------------------------------------------
def test_lost_order_fails(run_dir, journal, history):
    journal.place("a1", "c1")
    place_ops(history, "a1", "c1", "ok")
    place_ops(history, "a1", "c2", "ok")  # acknowledged, never journaled
    res = check(run_dir, "orders")
    assert res.verdict is Verdict.FAIL
    assert res.counts["lost"] == 1 and res.counts["acknowledged"] == 2
    assert any("a1/c2" in e and "missing from the journal" in e for e in res.evidence)


def test_unknown_outcomes_present_are_recovered_not_failed(run_dir, journal, history):
    journal.place("a1", "c1")
    journal.place("a1", "c2", accepted=False)
    place_ops(history, "a1", "c1", "info")  # timeout, but it happened
    place_ops(history, "a1", "c2", None)  # no completion at all, it happened (rejected)
    place_ops(history, "a1", "c3", "info")  # timeout, never happened
    place_ops(history, "a1", "c4", "fail")
    res = check(run_dir, "orders")
    assert res.verdict is Verdict.PASS, res.evidence
    assert res.counts["recovered"] == 2 and res.counts["unknown_absent"] == 1 and res.counts["lost"] == 0
    assert res.counts["failed"] == 1


def test_unexpected_and_failed_but_present_fail(run_dir, journal, history):
    journal.place("a1", "c1")
    journal.place("a1", "ghost")
    place_ops(history, "a1", "c1", "fail")
    res = check(run_dir, "orders")
    assert res.verdict is Verdict.FAIL
    assert res.counts["unexpected"] == 1 and res.counts["failed_but_present"] == 1


def test_orders_unknown_without_data(run_dir, history):
    place_ops(history, "a1", "c1", "ok")
    res = check(run_dir, "orders")
    assert res.verdict is Verdict.UNKNOWN and "no journal" in res.summary


def test_orders_nothing_to_check_without_place_ops(run_dir, journal, history):
    journal.deposit("a1", 10)
    history.op("invoke", "query", account="a1")
    res = check(run_dir, "orders")
    assert res.verdict is Verdict.PASS and res.evidence[0].startswith("nothing to check")
    journal.place("a1", "c1")  # journaled, never sent by any client
    res = check(run_dir, "orders")
    assert res.verdict is Verdict.FAIL and res.counts["unexpected"] == 1


def test_orders_unknown_with_an_empty_history(run_dir, journal):
    journal.place("a1", "c1")
    res = check(run_dir, "orders")
    assert res.verdict is Verdict.UNKNOWN and "history" in res.summary


# ---- positions, snapshots, conservation, open interest ----------------------------------------
def trading_journal(journal):
    journal.deposit("a", 1000)
    journal.deposit("b", 1000)
    s = journal.trade(
        "a", "b", qty=2, price=100, buyer_pos=2, seller_pos=-2, buyer_cost=200, seller_cost=-200
    )
    journal.command("Noop")
    return s


def test_positions_pass_and_fail(run_dir, journal, history):
    s = trading_journal(journal)
    accounts = {
        "a": {"wallets": {"USDT": {"balance": "1000"}}, "positions": [{"symbol": "BTCUSDT", "qty": "2"}]},
        "b": {"wallets": {"USDT": "1000"}, "positions": {"BTCUSDT": {"qty": "-2"}}},
    }
    write_answers(run_dir, "final", s, accounts)
    res = check(run_dir, "positions")
    assert res.verdict is Verdict.PASS, res.evidence
    assert res.counts["answers_checked"] == 2
    accounts["b"]["positions"] = {"BTCUSDT": {"qty": "-1"}}
    write_answers(run_dir, "final", s, accounts)
    res = check(run_dir, "positions")
    assert res.verdict is Verdict.FAIL and any(
        "b BTCUSDT position -1 != recomputed -2" in e for e in res.evidence
    )


def test_positions_unknown_without_answers(run_dir, journal):
    trading_journal(journal)
    assert check(run_dir, "positions").verdict is Verdict.UNKNOWN


def test_positions_journal_inconsistency_fails_even_without_answers(run_dir, journal):
    journal.trade("a", "b", qty=1, buyer_pos=5, seller_pos=-1, buyer_cost=100, seller_cost=-100)
    res = check(run_dir, "positions")
    assert res.verdict is Verdict.FAIL and "PositionChanged" in res.evidence[0]


def test_snapshot_plus_fills_equals_final(run_dir, journal, history):
    pre_seq = journal.deposit("a", 1000)
    journal.deposit("b", 1000)
    s = journal.trade("a", "b", qty=1, buyer_pos=1, seller_pos=-1, buyer_cost=100, seller_cost=-100)
    write_answers(run_dir, "pre_fault", pre_seq, {"a": {"wallets": {"USDT": "1000"}, "positions": []}})
    write_answers(
        run_dir,
        "final",
        s,
        {"a": {"wallets": {"USDT": "1000"}, "positions": [{"symbol": "BTCUSDT", "qty": "1"}]}},
    )
    res = check(run_dir, "snapshot_positions")
    assert res.verdict is Verdict.PASS and res.counts["accounts_checked"] == 1
    write_answers(run_dir, "final", s, {"a": {"wallets": {"USDT": "1000"}, "positions": []}})
    assert check(run_dir, "snapshot_positions").verdict is Verdict.FAIL
    (run_dir / "snapshots" / "pre_fault.json").unlink()
    res = check(run_dir, "snapshot_positions")  # no fault, no pre-fault snapshot: nothing to compare
    assert res.verdict is Verdict.PASS and "no fault" in res.summary
    history.event("fault", id="f", action="inject")
    assert check(run_dir, "snapshot_positions").verdict is Verdict.UNKNOWN  # the snapshot is missing


def test_conservation_with_fees_and_open_positions(run_dir, journal):
    journal.deposit("a", 1000)
    journal.deposit("b", 1000)
    journal.command(
        "PlaceOrder",
        [
            (
                "Fill",
                {
                    "symbol": "BTCUSDT",
                    "price": 100 * P,
                    "qty": 1 * Q,
                    "taker_side": "BUY",
                    "taker_account": "a",
                    "maker_account": "b",
                    "taker_fee": 1 * M,
                    "maker_fee": 0,
                },
            ),
            (
                "WalletChanged",
                {"account": "a", "asset": "USDT", "delta": -1 * M, "balance": 999 * M, "reason": "TRADE"},
            ),
            (
                "PositionChanged",
                {"account": "a", "symbol": "BTCUSDT", "qty": Q, "cost": 100 * M, "isolated_margin": 0},
            ),
            (
                "PositionChanged",
                {"account": "b", "symbol": "BTCUSDT", "qty": -Q, "cost": -100 * M, "isolated_margin": 0},
            ),
        ],
    )
    # b closes against c at 110: b realizes -10, c opens short at 110
    journal.command(
        "PlaceOrder",
        [
            (
                "Fill",
                {
                    "symbol": "BTCUSDT",
                    "price": 110 * P,
                    "qty": 1 * Q,
                    "taker_side": "BUY",
                    "taker_account": "b",
                    "maker_account": "c",
                    "taker_fee": 0,
                    "maker_fee": 0,
                },
            ),
            (
                "WalletChanged",
                {
                    "account": "b",
                    "asset": "USDT",
                    "delta": -10 * M,
                    "balance": 990 * M,
                    "reason": "TRADE",
                },
            ),
            (
                "PositionChanged",
                {"account": "b", "symbol": "BTCUSDT", "qty": 0, "cost": 0, "isolated_margin": 0},
            ),
            (
                "PositionChanged",
                {"account": "c", "symbol": "BTCUSDT", "qty": -Q, "cost": -110 * M, "isolated_margin": 0},
            ),
        ],
    )
    res = check(run_dir, "conservation")
    assert res.verdict is Verdict.PASS, (res.evidence, res.details)
    assert check(run_dir, "open_interest").verdict is Verdict.PASS
    # money from nowhere
    journal.command(
        "Oops",
        [
            (
                "WalletChanged",
                {"account": "c", "asset": "USDT", "delta": 5 * M, "balance": 5 * M, "reason": "TRADE"},
            )
        ],
    )
    res = check(run_dir, "conservation")
    assert res.verdict is Verdict.FAIL and "USDT" in res.evidence[0]


def test_open_interest_imbalance_fails(run_dir, journal):
    journal.trade("a", "b", qty=1, buyer_pos=1, seller_pos=-1, buyer_cost=100, seller_cost=-100)
    journal.command("Bad", [("PositionChanged", {"account": "z", "symbol": "BTCUSDT", "qty": Q, "cost": 0})])
    res = check(run_dir, "open_interest")
    assert res.verdict is Verdict.FAIL and "long 2 != short 1" in res.evidence[0]


# ---- funding ------------------------------------------------------------------------------------
def settle(journal, start, payments, times=1):
    for _ in range(times):
        evs = [
            (
                "FundingSettled",
                {
                    "symbol": "BTCUSDT",
                    "interval_start": start,
                    "funding_time": start + 8000,
                    "rate": 100,
                    "capped": False,
                },
            )
        ]
        evs += [
            ("FundingPaid", {"account": a, "symbol": "BTCUSDT", "funding_time": start + 8000, "amount": amt})
            for a, amt in payments
        ]
        journal.command("ClockTick", evs)


def test_funding_once_per_interval_and_zero_sum(run_dir, journal):
    for start in (0, 8000, 16000):
        settle(journal, start, [("a", -5), ("b", 5)])
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.PASS and res.counts["intervals"] == 3


def test_funding_not_zero_sum_or_skipped_fails(run_dir, journal):
    settle(journal, 0, [("a", -5), ("b", 4)])
    settle(journal, 8000, [])
    settle(journal, 24000, [])  # 16000 skipped
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.FAIL
    assert any("sum to -1" in e for e in res.evidence) and any("skipped" in e for e in res.evidence)


def test_funding_vacuous_pass_without_intervals(run_dir, journal):
    journal.deposit("a", 1)
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.PASS and res.counts["intervals"] == 0


# ---- statement ----------------------------------------------------------------------------------
def test_statement_at_interruption_point(run_dir, journal, history):
    journal.place("a1", "c1", ts_ms=1000)  # seq 1 at t=1
    journal.place("a1", "c2", accepted=False)  # seq 2 at t=2
    journal.command(
        "CancelOrder", [("OrderCanceled", {"account": "a1", "client_order_id": "c1"})], ts_ms=9000
    )
    history.op("invoke", "place", account="a1", client_order_id="c1", t=0.5)
    history.op("ok", "place", account="a1", client_order_id="c1", t=1.1, http_status=200)
    history.event("fault", id="f", action="inject", t=3.0)
    res = check(run_dir, "statement")
    assert res.verdict is Verdict.PASS, res.evidence
    stmt = res.details["accounts"]["a1"]
    assert stmt["c1"]["status"] == "open" and stmt["c1"]["client"] == "ok"  # canceled only after the fault
    assert stmt["c2"]["status"] == "rejected" and stmt["c2"]["client"] == "not_sent"
    assert res.details["seq"] == 2


def test_statement_missing_acknowledged_order_fails(run_dir, journal, history):
    journal.place("a1", "c1", ts_ms=1000)
    history.op("ok", "place", account="a1", client_order_id="zz", t=1.0, http_status=200)
    history.event("fault", id="f", action="inject", t=2.0)
    assert check(run_dir, "statement").verdict is Verdict.FAIL


def test_statement_nothing_to_check_without_fault(run_dir, journal, history):
    journal.place("a1", "c1")
    res = check(run_dir, "statement")
    assert res.verdict is Verdict.PASS and res.evidence == (
        "nothing to check: no fault was injected, so there is no interruption point",
    )


# ---- journal reader and registry ----------------------------------------------------------------
def test_reader_detects_crc_corruption_and_drops_the_tail(run_dir, journal):
    journal.place("a1", "c1")
    journal.place("a1", "c2")
    journal.place("a1", "c3")
    journal.conn.execute("UPDATE commands SET payload = replace(payload, 'c2', 'cX') WHERE seq = 2")
    journal.conn.commit()
    data = read_journal(run_dir / "journal.sqlite")
    assert [c.seq for c in data.commands] == [1] and data.corruption == ("commands: CRC mismatch at seq 2",)
    assert all(e.seq < 2 for e in data.events)


def test_reader_refuses_non_journals(tmp_path):
    with pytest.raises(JournalReadError):
        read_journal(tmp_path / "missing.sqlite")
    sqlite3.connect(tmp_path / "other.sqlite").execute("CREATE TABLE meta(key, value)").connection.commit()
    with pytest.raises(JournalReadError, match="schema_version"):
        read_journal(tmp_path / "other.sqlite")


def test_registry_runs_everything_and_survives_bad_records(run_dir, journal):
    journal.command("PlaceOrder", [("Fill", {"qty": "not-a-number", "symbol": "BTCUSDT"})])
    results = run_checkers(load_run(run_dir))
    assert [r.name for r in results] == list(CHECKER_NAMES)
    crashed = [r for r in results if "crashed" in r.summary]
    assert crashed and all(r.verdict is Verdict.UNKNOWN for r in crashed)
    assert run_checkers(load_run(run_dir), ["nope"])[-1].verdict is Verdict.UNKNOWN
