"""Order of absorption of a bankrupt remainder (margin-rules.md, Process): the insurance fund first, up to
its balance; only what it cannot cover goes to ADL (through the ADL price) or to socialized loss.

Regression for the okex-2018-liquidation game day: a tiered liquidation whose first step filled on the
book below the bankruptcy price; the next step recomputed the bankruptcy price from the depleted wallet,
so ADL winners paid the earlier loss and the fund was never touched.

Hand-computed setup (clearance fee 0 so the numbers stay round): whale deposits 1,230 USDT, buys 1 BTC at
60,000 (taker fee 30) -> wallet 1,200, bankruptcy price bp0 = 60,000 - 1,200 = 58,800. Index 59,000:
notional 59,000 is tier 2 (MM 245 > balance 200), so step 1 reduces to floor(50,000 / 59,000) = 0.847
BTC by selling 0.153; the only bid is 0.153 @ 58,500, 300 below bp0: loss beyond bankruptcy 0.153 x 300 =
45.9. After it the whale's wallet is 1,200 - 0.153 x 1,500 = 970.5; the rest (0.847) is tier 1 and still
under water (balance 123.5 <= MM 199.892); the book is empty, so it goes to ADL against mk (short 1).
"""

from __future__ import annotations

import copy

from target_engine.domain import FundInsurance, SetLeverage, engine_config_from_dict
from target_engine.domain.events import (
    ADLExecuted,
    BadDebt,
    InsuranceFundChanged,
    LiquidationStep,
    SocializedLoss,
)

from .domain_helpers import RAW_CONFIG, Run, conservation_gap, m, of, px, q


def no_fee_run(**overrides: object) -> Run:
    raw = copy.deepcopy(RAW_CONFIG)
    for symbol in ("BTCUSDT", "ETHUSDT"):
        raw["instruments"][symbol]["clearance_fee"] = "0"
    return Run(engine_config_from_dict(raw, **overrides))


def whale_setup(r: Run, fund: str) -> None:
    r.index("BTCUSDT", "60000")
    if fund != "0":
        r.do(FundInsurance(asset="USDT", amount=m(fund)))
    r.deposit("whale", "1230")
    r.deposit("mk", "100000")
    r.deposit("bid", "100000")
    r.do(SetLeverage(account="whale", symbol="BTCUSDT", leverage=50))
    r.limit("mk", "SELL", "1", "60000", "s")
    r.limit("whale", "BUY", "1", "60000", "w")
    r.limit("bid", "BUY", "0.153", "58500", "b")
    assert r.engine.account_view("whale")["wallets"]["USDT"]["wallet_balance"] == "1200"


def wallet(r: Run, account: str) -> int:
    return r.engine.accounts[account].wallets["USDT"]


def check_invariants(r: Run) -> None:
    assert set(conservation_gap(r.engine).values()) == {0}
    for symbol, holders in r.engine.holders.items():
        assert sum(p.qty for p in holders.values()) == 0, symbol
    assert all(v >= 0 for v in r.engine.insurance.values())
    assert all(w >= 0 for a in r.engine.accounts.values() for w in a.wallets.values())


def crash(r: Run) -> list:
    events = r.index("BTCUSDT", "59000")
    steps = of(events, LiquidationStep)
    assert [(s.qty, s.tier_from, s.tier_to) for s in steps] == [(q("0.153"), 2, 1)]
    assert r.engine.holders["BTCUSDT"].get("whale") is None
    return events


def test_a_large_fund_pays_the_whole_deficit_and_adl_runs_at_the_original_bankruptcy_price() -> None:
    r = no_fee_run()
    whale_setup(r, "1000")
    mk_before = wallet(r, "mk")
    events = crash(r)
    fund = [(e.delta, e.reason) for e in of(events, InsuranceFundChanged)]
    assert fund == [(-m("45.9"), "BANKRUPTCY")]
    assert r.engine.insurance_fund("USDT") == m("954.1")
    # the fund took the loss beyond bp0, so the rest's bankruptcy price is still exactly 58,800
    adl = [(a.account, a.qty, a.price) for a in of(events, ADLExecuted)]
    assert adl == [("mk", q("0.847"), px("58800"))]
    assert wallet(r, "mk") - mk_before == q("0.847") * (px("60000") - px("58800"))  # no extra loss
    assert wallet(r, "whale") == 0
    assert of(events, BadDebt) == [] and of(events, SocializedLoss) == []
    check_invariants(r)


def test_socialized_loss_claws_back_exactly_what_the_small_fund_cannot_cover() -> None:
    r = no_fee_run(deficit_policy="socialized_loss")
    whale_setup(r, "20")
    events = crash(r)
    fund = [(e.delta, e.reason) for e in of(events, InsuranceFundChanged)]
    assert fund == [(-m("20"), "BANKRUPTCY")]
    assert r.engine.insurance_fund("USDT") == 0
    clawed = sum(e.amount for e in of(events, SocializedLoss))
    assert clawed == m("25.9")  # 45.9 - 20, exactly
    adl = [(a.account, a.qty, a.price) for a in of(events, ADLExecuted)]
    assert adl == [("mk", q("0.847"), px("58800"))]
    assert wallet(r, "whale") == 0
    assert r.engine.bad_debt["USDT"] == 0
    check_invariants(r)


def test_adl_price_carries_only_the_part_the_fund_cannot_cover() -> None:
    """A small fund and the ADL policy: the book fill beyond bp0 is refused (the fund cannot pay it), so
    the whole position goes to ADL at bp0 and the fund is untouched; nobody pays more than bp0 implies."""
    r = no_fee_run()
    whale_setup(r, "20")
    events = crash(r)
    assert of(events, InsuranceFundChanged) == []
    adl = [(a.account, a.qty, a.price) for a in of(events, ADLExecuted)]
    assert adl == [("mk", q("0.153"), px("58800")), ("mk", q("0.847"), px("58800"))]
    assert wallet(r, "whale") == 0
    check_invariants(r)


def test_a_negative_wallet_is_covered_by_the_fund_before_the_adl_price_is_set() -> None:
    """ADL policy, fund 1,000: a cross wallet already at -1,569.75 (a loss realized while an ETH short's
    profit backed it) when the ETH profit vanishes. The fund pays 1,000 first; the ETH short (the larger
    MM) is then closed by ADL at the bankruptcy price of wallet -569.75 and BTC uPnL -500:
    (-30,000 + 569.75 + 500) / -10 = 2,893.025 -> 2,893.02 (not 2,793.02, which would make the winner pay
    the fund's share too)."""
    r = no_fee_run()
    r.index("BTCUSDT", "60000")
    r.index("ETHUSDT", "3000")
    r.do(FundInsurance(asset="USDT", amount=m("1000")))
    r.deposit("whale", "3000")
    for name in ("mk", "bid"):
        r.deposit(name, "1000000")
    r.do(SetLeverage(account="whale", symbol="BTCUSDT", leverage=50))
    r.do(SetLeverage(account="whale", symbol="ETHUSDT", leverage=50))
    r.limit("mk", "SELL", "1", "60000", "s1")
    r.limit("whale", "BUY", "1", "60000", "w1")  # fee 30
    r.limit("mk", "BUY", "10", "3000", "b1", symbol="ETHUSDT")
    r.limit("whale", "SELL", "10", "3000", "w2", symbol="ETHUSDT")  # fee 15
    assert wallet(r, "whale") == m("2955")
    r.index("ETHUSDT", "2400")  # ETH short +6,000
    r.index("BTCUSDT", "55000")  # BTC long -5,000
    r.limit("bid", "BUY", "0.9", "55000", "b2")
    r.limit("whale", "SELL", "0.9", "55000", "w3")  # realized -4,500, fee 24.75
    assert wallet(r, "whale") == -m("1569.75")
    events = r.index("ETHUSDT", "3000")
    fund = [(e.delta, e.reason) for e in of(events, InsuranceFundChanged)]
    assert fund[0] == (-m("1000"), "BANKRUPTCY")
    assert r.engine.insurance_fund("USDT") == 0
    adl = {a.symbol: (a.account, a.qty, a.price) for a in of(events, ADLExecuted)}
    assert adl["ETHUSDT"] == ("mk", q("10"), px("2893.02"))
    assert r.engine.accounts["whale"].positions["BTCUSDT"].qty == 0
    assert wallet(r, "whale") >= 0
    check_invariants(r)
