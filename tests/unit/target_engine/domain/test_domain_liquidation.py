"""Liquidation: book close with clearance fee, tiered partial steps, ADL ranking, socialized loss,
isolated positions, and the margin-worker API (auto_liquidate off)."""

from __future__ import annotations

from target_engine.domain import Liquidate, MarginType, SetLeverage, SetMarginType
from target_engine.domain.events import (
    ADLExecuted,
    Fill,
    InsuranceFundChanged,
    LiquidationFinished,
    LiquidationSkipped,
    LiquidationStarted,
    LiquidationStep,
    SocializedLoss,
)

from .domain_helpers import Run, conservation_gap, m, of, px, q


def alice_long(
    r: Run, *, makers: tuple[tuple[str, str], ...] = (("mk", "0.5"),), isolated: bool = False
) -> None:
    """alice: 1,000 USDT, 50x, long 0.5 BTC @ 60,000 (wallet 985 after the taker fee)."""
    r.index("BTCUSDT", "60000")
    r.deposit("alice", "1000")
    r.do(SetLeverage(account="alice", symbol="BTCUSDT", leverage=50))
    if isolated:
        r.do(SetMarginType(account="alice", symbol="BTCUSDT", margin_type=MarginType.ISOLATED))
    for i, (name, qty) in enumerate(makers):
        r.deposit(name, "100000" if name != "s2" else "2000")
        r.limit(name, "SELL", qty, "60000", f"ask{i}")
    r.market("alice", "BUY", "0.5", "a1")


def check_invariants(r: Run) -> None:
    assert conservation_gap(r.engine) == {"USDC": 0, "USDT": 0}
    for symbol, holders in r.engine.holders.items():
        assert sum(p.qty for p in holders.values()) == 0, symbol
    assert all(v >= 0 for v in r.engine.insurance.values())


def test_liquidation_through_the_book_pays_the_clearance_fee() -> None:
    r = Run()
    alice_long(r)
    view = r.engine.account_view("alice")
    assert view["positions"][0]["liquidation_price"] == "58263.0522"
    r.deposit("bid", "100000")
    r.limit("bid", "BUY", "0.5", "58200", "b1")
    assert of(r.index("BTCUSDT", "58300"), LiquidationStarted) == []
    events = r.index("BTCUSDT", "58250")
    assert of(events, LiquidationStarted)[0].account == "alice"
    fill = of(events, Fill)[0]
    assert (fill.price, fill.qty, fill.liquidation, fill.taker_fee) == (px("58200"), q("0.5"), True, 0)
    fund = of(events, InsuranceFundChanged)[0]
    assert (fund.delta, fund.reason) == (m("85"), "CLEARANCE_FEE")  # capped at the remaining 85
    assert of(events, LiquidationFinished)[0].bankruptcy_price == px("58030")
    assert r.engine.account_view("alice")["wallets"]["USDT"]["wallet_balance"] == "0"
    assert r.engine.insurance_fund("USDT") == m("85")
    check_invariants(r)


def test_partial_liquidation_steps_down_a_tier() -> None:
    r = Run()
    r.index("BTCUSDT", "60000")
    r.deposit("whale", "30000")
    r.deposit("mk", "10000000")
    r.do(SetLeverage(account="whale", symbol="BTCUSDT", leverage=50))
    r.limit("mk", "SELL", "20", "60000", "s")
    r.market("whale", "BUY", "20", "w")  # 1.2M notional: tier 3
    r.limit("mk", "BUY", "30", "58800", "b")
    events = r.index("BTCUSDT", "58800")
    steps = of(events, LiquidationStep)
    assert (steps[0].tier_from, steps[0].tier_to, steps[0].qty) == (3, 2, q("9.796"))
    assert r.engine.holders["BTCUSDT"].get("whale") is None  # stepped all the way down, then closed
    check_invariants(r)


def test_partial_liquidation_can_be_switched_off() -> None:
    r = Run(partial_liquidation=False)
    r.index("BTCUSDT", "60000")
    r.deposit("whale", "30000")
    r.deposit("mk", "10000000")
    r.do(SetLeverage(account="whale", symbol="BTCUSDT", leverage=50))
    r.limit("mk", "SELL", "20", "60000", "s")
    r.market("whale", "BUY", "20", "w")
    r.limit("mk", "BUY", "30", "58800", "b")
    events = r.index("BTCUSDT", "58800")
    assert of(events, LiquidationStep) == [] and of(events, LiquidationFinished)[0].closed_qty == q("20")


def test_adl_ranks_winners_by_profit_and_leverage() -> None:
    r = Run()
    alice_long(r, makers=(("s1", "0.3"), ("s2", "0.2")))
    events = r.index("BTCUSDT", "58250")  # no bids at all: the book cannot take the position
    adl = of(events, ADLExecuted)
    assert [(a.account, a.qty, a.price) for a in adl] == [
        ("s2", q("0.2"), px("58030")),
        ("s1", q("0.3"), px("58030")),
    ]
    assert all(f.adl and f.taker_fee == 0 and f.maker_fee == 0 for f in of(events, Fill))
    assert r.engine.holders["BTCUSDT"] == {}
    check_invariants(r)


def test_insurance_fund_absorbs_a_fill_beyond_bankruptcy() -> None:
    from target_engine.domain import FundInsurance

    r = Run()
    alice_long(r)
    r.do(FundInsurance(asset="USDT", amount=m("1000")))
    r.deposit("bid", "100000")
    r.limit("bid", "BUY", "0.5", "57500", "b1")  # below bankruptcy 58,030: a 265 loss beyond the margin
    events = r.index("BTCUSDT", "58250")
    assert [(e.delta, e.reason) for e in of(events, InsuranceFundChanged)] == [(-m("265"), "BANKRUPTCY")]
    assert r.engine.account_view("alice")["wallets"]["USDT"]["wallet_balance"] == "0"
    check_invariants(r)


def test_socialized_loss_when_the_fund_is_empty() -> None:
    r = Run(deficit_policy="socialized_loss")
    alice_long(r, makers=(("s1", "0.5"),))
    r.deposit("bid", "100000")
    r.limit("bid", "BUY", "0.5", "57500", "b1")
    events = r.index("BTCUSDT", "58250")
    losses = {e.account: e.amount for e in of(events, SocializedLoss)}
    assert set(losses) == {"s1", "bid"} and sum(losses.values()) == m("265")
    assert losses["s1"] > losses["bid"]  # 875 vs 375 of profit
    assert r.engine.bad_debt["USDT"] == 0
    check_invariants(r)


def test_isolated_liquidation_leaves_the_cross_wallet_alone() -> None:
    r = Run()
    alice_long(r, isolated=True)
    view = r.engine.account_view("alice")
    assert view["wallets"]["USDT"]["wallet_balance"] == "400"
    assert view["positions"][0]["isolated_margin"] == "585"
    r.deposit("bid", "100000")
    r.limit("bid", "BUY", "0.5", "59000", "b1")
    events = r.index("BTCUSDT", "59000")
    assert of(events, LiquidationStarted)
    after = r.engine.account_view("alice")
    assert after["positions"] == [] and after["wallets"]["USDT"]["wallet_balance"] == "400"
    check_invariants(r)


def test_margin_worker_api_when_auto_liquidation_is_off() -> None:
    r = Run(auto_liquidate=False)
    alice_long(r)
    r.deposit("bid", "100000")
    r.limit("bid", "BUY", "0.5", "58200", "b1")
    events = r.index("BTCUSDT", "58250")
    assert of(events, LiquidationStarted) == []
    assert r.engine.needs_liquidation("alice")
    assert r.engine.accounts_to_liquidate("BTCUSDT") == ["alice"] == r.engine.accounts_to_liquidate()
    assert of(r.do(Liquidate(account="alice", symbol="BTCUSDC")), LiquidationSkipped)  # other pool
    assert r.do(Liquidate(account="alice", symbol="NOPE"))[0].code == "UNKNOWN_SYMBOL"
    assert r.do(Liquidate(account="ghost"))[0].code == "UNKNOWN_ACCOUNT"
    done = r.do(Liquidate(account="alice", symbol="BTCUSDT"))
    assert of(done, LiquidationFinished) and "alice" in r.engine.accounts_touched(done)
    assert of(r.do(Liquidate(account="alice")), LiquidationSkipped)
    assert not r.engine.needs_liquidation("alice")
    check_invariants(r)


def test_liquidations_paused_while_halted_run_when_trading_resumes() -> None:
    from target_engine.domain import SetTradingMode, TradingMode

    r = Run()
    alice_long(r)
    r.deposit("bid", "100000")
    r.limit("bid", "BUY", "0.5", "58200", "b1")
    r.do(SetTradingMode(mode=TradingMode.HALTED, reason="incident"))
    assert of(r.index("BTCUSDT", "58250"), LiquidationStarted) == []
    assert r.engine.needs_liquidation("alice")
    events = r.do(SetTradingMode(mode=TradingMode.CANCEL_ONLY, reason="recovery"))
    assert of(events, LiquidationStarted)[0].account == "alice"
    assert not r.engine.needs_liquidation("alice")
    check_invariants(r)
