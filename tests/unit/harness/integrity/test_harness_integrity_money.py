"""Conservation with the domain's real vocabulary, the journal checker, funding crossings, vacuous passes."""

from harness.integrity.registry import run_checkers
from harness.integrity.rundata import load_run
from harness.integrity.verdict import Verdict

from .conftest import M, P, Q

CONFIG = {
    "engine": {"insurance_fund": {"USDT": "1000", "USDC": "0"}},
    "instruments": {"BTCUSDT": {"asset": "USDT", "funding_interval_hours": 1}},
}
HOUR = 3_600_000


def check(run_dir, name):
    return {r.name: r for r in run_checkers(load_run(run_dir), [name])}[name]


def wallet(account, delta, balance, reason="TRADE", asset="USDT"):
    return (
        "WalletChanged",
        {"account": account, "asset": asset, "delta": delta * M, "balance": balance * M, "reason": reason},
    )


def fund(delta, balance, reason):
    body = {"asset": "USDT", "delta": delta * M, "balance": balance * M, "reason": reason}
    return ("InsuranceFundChanged", body)


# ---- conservation -------------------------------------------------------------------------------
def test_bad_debt_is_subtracted(run_dir, journal):
    journal.deposit("a", 100)
    journal.deposit("b", 100)
    journal.command(
        "Liquidate",
        [
            wallet("a", -150, -50),
            wallet("b", 150, 250),
            ("BadDebt", {"asset": "USDT", "account": "a", "amount": 50 * M}),
            wallet("a", 50, 0, reason="BANKRUPTCY"),
        ],
        account="a",
    )
    res = check(run_dir, "conservation")
    assert res.verdict is Verdict.PASS, res.evidence
    assert res.details["USDT"]["bad_debt"] == "50"


def test_initial_fund_from_config_clearance_injection_and_draw(run_dir, journal):
    journal.set_config(CONFIG)
    journal.deposit("a", 100)
    journal.command("Liquidate", [wallet("a", -10, 90, reason="CLEARANCE"), fund(10, 1010, "CLEARANCE_FEE")])
    journal.command("FundInsurance", [fund(500, 1510, "INJECTION")], asset="USDT", amount=500 * M)
    journal.command("Liquidate", [fund(-20, 1490, "BANKRUPTCY"), wallet("a", 20, 110, reason="BANKRUPTCY")])
    res = check(run_dir, "conservation")
    assert res.verdict is Verdict.PASS, res.evidence
    assert res.details["USDT"]["net_deposits"] == "1600" and res.details["USDT"]["insurance"] == "1490"


def test_initial_fund_counts_even_without_fund_events(run_dir, journal):
    journal.set_config(CONFIG)
    journal.deposit("a", 100)
    res = check(run_dir, "conservation")
    assert res.verdict is Verdict.PASS and res.details["USDT"]["insurance"] == "1000"


def test_trade_reason_with_fee_and_open_positions(run_dir, journal):
    """One TRADE wallet event per fill side (realized PnL minus fee), cost basis while open."""
    journal.deposit("a", 1000)
    journal.deposit("b", 1000)
    fill = {
        "symbol": "BTCUSDT",
        "price": 100 * P,
        "qty": Q,
        "taker_side": "BUY",
        "taker_account": "a",
        "maker_account": "b",
        "taker_fee": 2 * M,
        "maker_fee": 1 * M,
    }
    journal.command(
        "PlaceOrder",
        [
            ("Fill", fill),
            ("PositionChanged", {"account": "a", "symbol": "BTCUSDT", "qty": Q, "cost": 100 * M}),
            wallet("a", -2, 998),
            ("PositionChanged", {"account": "b", "symbol": "BTCUSDT", "qty": -Q, "cost": -100 * M}),
            wallet("b", -1, 999),
        ],
    )
    assert check(run_dir, "conservation").verdict is Verdict.PASS


def test_one_unit_off_fails_and_names_the_command(run_dir, journal):
    """No dust tolerance: the domain is exact. The evidence names the seq that broke the identity,
    even when a later event hides the difference again."""
    journal.deposit("a", 100)
    journal.deposit("b", 100)
    broken = journal.command(
        "PlaceOrder",
        [("WalletChanged", dict(wallet("a", 0, 100)[1], delta=1, balance=100 * M + 1))],
    )
    res = check(run_dir, "conservation")
    assert res.verdict is Verdict.FAIL
    assert any(e.startswith(f"seq {broken} (PlaceOrder): USDT conservation off by") for e in res.evidence)
    healed = journal.command(
        "PlaceOrder",
        [("WalletChanged", dict(wallet("a", 0, 100)[1], delta=-1))],
    )
    res = check(run_dir, "conservation")
    assert res.verdict is Verdict.FAIL and res.counts["assets_broken"] == 0
    assert any(e.startswith(f"seq {healed} ") for e in res.evidence)


def test_conservation_nothing_to_check_without_money(run_dir, journal):
    journal.command("IndexTick", [], symbol="BTCUSDT", price=100 * P)
    res = check(run_dir, "conservation")
    assert res.verdict is Verdict.PASS and res.evidence[0].startswith("nothing to check")


def test_open_interest_nothing_to_check_without_positions(run_dir, journal):
    journal.deposit("a", 1)
    res = check(run_dir, "open_interest")
    assert res.verdict is Verdict.PASS and res.evidence[0].startswith("nothing to check")


# ---- positions: running wallet balances ---------------------------------------------------------
def test_wallet_discontinuity_names_the_event(run_dir, journal):
    journal.deposit("a", 100)
    seq = journal.command("PlaceOrder", [wallet("a", -1, 98)])
    res = check(run_dir, "positions")
    assert res.verdict is Verdict.FAIL
    want = f"events seq {seq} idx 0: a USDT WalletChanged balance 98 != previous 100 + delta -1"
    assert want in res.evidence


# ---- journal checker ----------------------------------------------------------------------------
def test_journal_checker_passes_a_clean_journal_and_always_runs(run_dir, journal):
    journal.place("a", "c1")
    results = run_checkers(load_run(run_dir), ["funding"])
    assert [r.name for r in results] == ["journal", "funding"]
    assert results[0].verdict is Verdict.PASS and results[0].counts["commands"] == 1


def test_journal_checker_fails_on_corruption_naming_the_record(run_dir, journal):
    journal.deposit("a", 100)
    journal.place("a", "c1")
    journal.conn.execute("UPDATE events SET payload = replace(payload, '1000000', '2000000') WHERE seq = 2")
    journal.conn.commit()
    res = check(run_dir, "journal")
    assert res.verdict is Verdict.FAIL
    assert res.evidence[0] == "corrupt: events: CRC mismatch at seq 2 idx 0"


def test_journal_checker_fails_on_epoch_regression_and_unanswered_order(run_dir, journal):
    journal.conn.execute("INSERT INTO epochs VALUES (2, 'green', 5, 2)")
    journal.place("a", "c1")
    journal.command("PlaceOrder", [], account="a", client_order_id="c2")  # no outcome event
    journal.conn.execute("UPDATE commands SET epoch = 2 WHERE seq = 2")  # CRC covers epoch: fix it too
    body = journal.conn.execute("SELECT payload, ts_ms FROM commands WHERE seq = 2").fetchone()
    from .conftest import crc

    journal.conn.execute(
        "UPDATE commands SET crc = ? WHERE seq = 2", (crc(f"2|2|{body[1]}|PlaceOrder|{body[0]}"),)
    )
    journal.command("WeirdCommand", [("MysteryEvent", {})])  # epoch 1 after epoch 2
    res = check(run_dir, "journal")
    assert res.verdict is Verdict.FAIL
    ev = "\n".join(res.evidence)
    assert "commands seq 3: epoch 1 after epoch 2" in ev
    assert "commands seq 2: PlaceOrder a/c2 has no OrderAccepted/OrderRejected event" in ev
    assert "kind 'WeirdCommand' not in the journal vocabulary" in ev
    assert "events seq 3 idx 0: kind 'MysteryEvent'" in ev


def test_journal_checker_fails_on_an_unknown_wallet_reason(run_dir, journal):
    journal.command("Deposit", [wallet("a", 5, 5, reason="GIFT")])
    res = check(run_dir, "journal")
    assert res.verdict is Verdict.FAIL and "reason 'GIFT' not in the vocabulary" in res.evidence[0]


# ---- funding crossings --------------------------------------------------------------------------
def settle_evs(start):
    return [
        (
            "FundingSettled",
            {"symbol": "BTCUSDT", "interval_start": start, "funding_time": start + HOUR, "rate": 1},
        )
    ]


def test_funding_crossed_but_not_settled_fails(run_dir, journal):
    journal.set_config(CONFIG)
    journal.command("ClockTick", ts_ms=10 * HOUR - 5)
    seq = journal.command("ClockTick", ts_ms=10 * HOUR + 5)
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.FAIL
    assert res.evidence == (f"BTCUSDT interval {9 * HOUR}: crossed by the run's commands but never settled",)
    assert seq == 2


def test_funding_crossed_and_settled_passes(run_dir, journal):
    journal.set_config(CONFIG)
    journal.command("ClockTick", ts_ms=10 * HOUR - 5)
    journal.command("ClockTick", settle_evs(9 * HOUR) + settle_evs(10 * HOUR), ts_ms=11 * HOUR + 5)
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.PASS and res.counts["intervals"] == 2


def test_funding_waits_while_halted_and_settles_when_the_halt_ends(run_dir, journal):
    journal.set_config(CONFIG)
    halt = ("TradingModeChanged", {"mode": "halted", "previous": "normal", "reason": "x"})
    resume = ("TradingModeChanged", {"mode": "normal", "previous": "halted", "reason": "x"})
    journal.command("SetTradingMode", [halt], ts_ms=10 * HOUR - 5, mode="halted")
    journal.command("ClockTick", ts_ms=10 * HOUR + 5)  # crossed while halted: nothing due yet
    assert check(run_dir, "funding").verdict is Verdict.PASS
    journal.command("SetTradingMode", [resume, *settle_evs(9 * HOUR)], ts_ms=10 * HOUR + 9, mode="normal")
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.PASS and res.counts["intervals"] == 1


def test_funding_no_crossing_is_nothing_to_check(run_dir, journal):
    journal.set_config(CONFIG)
    journal.command("ClockTick", ts_ms=10 * HOUR + 5)
    journal.command("ClockTick", ts_ms=11 * HOUR - 5)
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.PASS and "crossed no funding time" in res.evidence[0]


def test_other_failures_on_a_corrupt_journal_say_so_first(run_dir, journal, history):
    journal.place("a", "c1")
    journal.place("a", "c2")
    history.op("invoke", "place", account="a", client_order_id="c2")
    history.op("ok", "place", account="a", client_order_id="c2", http_status=200)
    history.op("invoke", "place", account="a", client_order_id="c1")
    history.op("ok", "place", account="a", client_order_id="c1", http_status=200)
    journal.conn.execute("UPDATE commands SET ts_ms = ts_ms + 1 WHERE seq = 2")
    journal.conn.commit()
    res = check(run_dir, "orders")
    assert res.verdict is Verdict.FAIL
    assert res.evidence[0].startswith("note: the journal copy is corrupt (commands: CRC mismatch at seq 2)")
    assert "a/c2" in res.evidence[1]


def test_funding_interval_seconds_replays_ten_second_intervals(run_dir, journal):
    journal.set_config({"instruments": {"BTCUSDT": {"asset": "USDT", "funding_interval_seconds": 10}}})
    journal.command("ClockTick", ts_ms=1_000)
    journal.command("ClockTick", settle_evs(0), ts_ms=10_500)
    journal.command("ClockTick", ts_ms=31_000)  # crossed 20 s and 30 s, settled neither
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.FAIL
    assert res.evidence == (
        "BTCUSDT interval 10000: crossed by the run's commands but never settled",
        "BTCUSDT interval 20000: crossed by the run's commands but never settled",
    )


def test_funding_counts_the_intervals_missed_during_a_halt(run_dir, journal):
    journal.set_config(CONFIG)
    halt = ("TradingModeChanged", {"mode": "halted", "previous": "normal", "reason": "x"})
    resume = ("TradingModeChanged", {"mode": "cancel_only", "previous": "halted", "reason": "x"})
    journal.command("SetTradingMode", [halt], ts_ms=10 * HOUR - 5, mode="halted")
    journal.command("ClockTick", ts_ms=12 * HOUR + 5)
    backlog = [*settle_evs(9 * HOUR), *settle_evs(10 * HOUR), *settle_evs(11 * HOUR)]
    journal.command("SetTradingMode", [resume, *backlog], ts_ms=12 * HOUR + 9, mode="cancel_only")
    journal.command("ClockTick", settle_evs(12 * HOUR), ts_ms=13 * HOUR + 10)  # not a halt's end
    res = check(run_dir, "funding")
    assert res.verdict is Verdict.PASS, res.evidence
    assert res.counts["intervals"] == 4 and res.counts["missed_during_halt"] == 3
    assert "3 missed during a halt, settled in order when trading resumed" in res.summary
