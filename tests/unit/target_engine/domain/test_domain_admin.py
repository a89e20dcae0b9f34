"""Account administration: deposits, withdrawals, leverage, margin type, isolated margin, fund injection."""

from __future__ import annotations

from target_engine.domain import (
    AdjustIsolatedMargin,
    Deposit,
    FundInsurance,
    MarginType,
    SetLeverage,
    SetMarginType,
    Withdraw,
)
from target_engine.domain.events import AccountCreated, InsuranceFundChanged, WalletChanged

from .domain_helpers import Run, codes, conservation_gap, m, of


def setup() -> Run:
    r = Run()
    r.index("BTCUSDT", "60000")
    r.deposit("mk", "100000")
    r.deposit("a", "10000")
    return r


def test_deposit_creates_the_account_once_and_checks_input() -> None:
    r = Run()
    first = r.deposit("n", "5")
    assert of(first, AccountCreated) and of(first, WalletChanged)[0].balance == m("5")
    assert not of(r.deposit("n", "5"), AccountCreated)
    assert codes(r.do(Deposit(account="n", asset="EUR", amount=m("1")))) == ["UNKNOWN_ASSET"]
    assert codes(r.do(Deposit(account="n", asset="USDT", amount=0))) == ["INVALID_AMOUNT"]
    assert codes(r.do(Deposit(account="", asset="USDT", amount=1))) == ["INVALID_COMMAND"]
    assert codes(r.do(Withdraw(account="ghost", asset="USDT", amount=1))) == ["UNKNOWN_ACCOUNT"]
    assert r.engine.account_view("ghost") is None


def test_margin_type_change_needs_a_flat_symbol() -> None:
    r = setup()
    r.limit("a", "BUY", "0.1", "59000", "o1")
    out = r.do(SetMarginType(account="a", symbol="BTCUSDT", margin_type=MarginType.ISOLATED))
    assert codes(out) == ["POSITION_OR_ORDERS_OPEN"]
    assert codes(r.do(SetMarginType(account="a", symbol="XRPUSDT", margin_type=MarginType.ISOLATED))) == [
        "UNKNOWN_SYMBOL"
    ]


def test_isolated_margin_add_and_remove() -> None:
    r = setup()
    r.do(SetMarginType(account="a", symbol="BTCUSDT", margin_type=MarginType.ISOLATED))
    r.do(SetLeverage(account="a", symbol="BTCUSDT", leverage=10))
    assert codes(r.do(AdjustIsolatedMargin(account="a", symbol="BTCUSDT", amount=m("10")))) == ["NO_POSITION"]
    r.limit("mk", "SELL", "0.1", "60000", "s")
    r.market("a", "BUY", "0.1", "b")  # isolated margin 600 - fee 3 = 597
    pos = r.engine.account_view("a")["positions"][0]
    assert pos["isolated_margin"] == "597" and pos["margin_type"] == "isolated"
    assert not codes(r.do(AdjustIsolatedMargin(account="a", symbol="BTCUSDT", amount=m("100"))))
    assert r.engine.account_view("a")["positions"][0]["isolated_margin"] == "697"
    assert codes(r.do(AdjustIsolatedMargin(account="a", symbol="BTCUSDT", amount=-m("200")))) == [
        "INSUFFICIENT_MARGIN"
    ]
    assert not codes(r.do(AdjustIsolatedMargin(account="a", symbol="BTCUSDT", amount=-m("90"))))
    assert codes(r.do(AdjustIsolatedMargin(account="a", symbol="BTCUSDT", amount=m("999999")))) == [
        "INSUFFICIENT_BALANCE"
    ]
    assert conservation_gap(r.engine) == {"USDC": 0, "USDT": 0}


def test_leverage_limits() -> None:
    r = setup()
    assert codes(r.do(SetLeverage(account="a", symbol="BTCUSDT", leverage=0))) == ["INVALID_LEVERAGE"]
    assert not codes(r.do(SetLeverage(account="a", symbol="BTCUSDT", leverage=125)))
    r.limit("mk", "SELL", "1", "60000", "s")
    assert codes(r.market("a", "BUY", "1", "big")) == ["LEVERAGE_EXCEEDS_BRACKET"]  # 60k: tier 2, max 100x
    r.market("a", "BUY", "0.5", "b")  # 30k notional: tier 1 allows 125x
    assert r.engine.account_view("a")["positions"][0]["leverage"] == 125
    assert codes(r.market("a", "BUY", "0.4", "more")) == ["LEVERAGE_EXCEEDS_BRACKET"]
    assert codes(r.do(SetLeverage(account="a", symbol="BTCUSDT", leverage=1))) == ["INSUFFICIENT_MARGIN"]


def test_fund_injection_counts_as_inflow() -> None:
    r = setup()
    out = r.do(FundInsurance(asset="USDT", amount=m("2500")))
    assert of(out, InsuranceFundChanged)[0].balance == m("2500")
    assert r.engine.insurance_fund("USDT") == m("2500")
    assert codes(r.do(FundInsurance(asset="USDT", amount=0))) == ["INVALID_AMOUNT"]
    assert conservation_gap(r.engine) == {"USDC": 0, "USDT": 0}
