"""Orders: validation codes, matching priority, fees, TIFs, post-only, reduce-only, idempotency, modes."""

from __future__ import annotations

import pytest

from target_engine.domain import (
    CancelOrder,
    OrderType,
    PlaceOrder,
    SetTradingMode,
    Side,
    TimeInForce,
    TradingMode,
    Withdraw,
)
from target_engine.domain.events import Fill, OrderAccepted, OrderCanceled, OrderExpired, OrderRejected

from .domain_helpers import Run, codes, conservation_gap, m, of, px, q


@pytest.fixture
def run() -> Run:
    r = Run()
    r.index("BTCUSDT", "60000")
    for name in ("mk", "mk2", "tk"):
        r.deposit(name, "100000")
    return r


def test_price_time_priority_and_fees(run: Run) -> None:
    run.limit("mk", "SELL", "0.1", "60010", "a1")
    run.limit("mk2", "SELL", "0.1", "60000", "b1")
    run.limit("mk", "SELL", "0.1", "60000", "a2")
    events = run.market("tk", "BUY", "0.25", "t1")
    fills = of(events, Fill)
    assert [(f.maker_client_order_id, f.price, f.qty) for f in fills] == [
        ("b1", px("60000"), q("0.1")),
        ("a2", px("60000"), q("0.1")),
        ("a1", px("60010"), q("0.05")),
    ]
    first = fills[0]
    assert first.taker_fee == m("3")  # 6,000 * 0.05 %
    assert first.maker_fee == m("1.2")  # 6,000 * 0.02 %
    assert run.engine.order("mk", "a1")["remaining_qty"] == "0.05"
    assert run.engine.order("tk", "t1")["status"] == "FILLED"
    assert conservation_gap(run.engine) == {"USDC": 0, "USDT": 0}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"price": px("60000.05")}, "INVALID_TICK_SIZE"),
        ({"qty": q("0.0005")}, "INVALID_STEP_SIZE"),
        ({"qty": q("0.001"), "price": px("60000")}, "NOTIONAL_BELOW_MIN"),
        ({"qty": q("1001")}, "QTY_ABOVE_MAX"),
        ({"price": px("70000")}, "PRICE_OUT_OF_BAND"),
        ({"price": px("50000")}, "PRICE_OUT_OF_BAND"),
        ({"symbol": "DOGEUSDT"}, "UNKNOWN_SYMBOL"),
        ({"account": "nobody"}, "UNKNOWN_ACCOUNT"),
        ({"qty": q("100")}, "INSUFFICIENT_MARGIN"),
        ({"reduce_only": True}, "REDUCE_ONLY_WOULD_INCREASE"),
        ({"qty": 0}, "INVALID_QUANTITY"),
    ],
)
def test_reject_codes(run: Run, kwargs: dict, code: str) -> None:
    base = {
        "account": "tk",
        "symbol": "BTCUSDT",
        "side": Side.BUY,
        "order_type": OrderType.LIMIT,
        "qty": q("0.1"),
        "price": px("59000"),
        "client_order_id": "x",
    }
    base.update(kwargs)
    assert codes(run.do(PlaceOrder(**base))) == [code]
    assert run.engine.order("tk", "x") is None


def test_min_qty_and_market_max(run: Run) -> None:
    assert codes(run.market("tk", "BUY", "121", "big")) == ["QTY_ABOVE_MAX"]


def test_no_index_price_rejects() -> None:
    r = Run()
    r.deposit("a", "1000")
    assert codes(r.limit("a", "BUY", "0.01", "60000", "x")) == ["NO_INDEX_PRICE"]


def test_leverage_bracket_reject(run: Run) -> None:
    run.deposit("whale", "10000000")
    # 100x is allowed only up to 600k notional; 20 BTC = 1.2M notional needs tier 3 (max 75x)
    from target_engine.domain import SetLeverage

    run.do(SetLeverage(account="whale", symbol="BTCUSDT", leverage=100))
    assert codes(run.limit("whale", "BUY", "20", "59000", "w1")) == ["LEVERAGE_EXCEEDS_BRACKET"]
    assert codes(run.do(SetLeverage(account="whale", symbol="BTCUSDT", leverage=126))) == [
        "LEVERAGE_EXCEEDS_BRACKET"
    ]


def test_post_only_fok_ioc(run: Run) -> None:
    run.limit("mk", "SELL", "0.1", "60000", "a1")
    assert codes(run.limit("tk", "BUY", "0.1", "60000", "p1", post_only=True)) == ["POST_ONLY_WOULD_TAKE"]
    assert of(run.limit("tk", "BUY", "0.1", "59990", "p2", post_only=True), OrderAccepted)
    assert codes(run.limit("tk", "BUY", "0.2", "60000", "f1", time_in_force=TimeInForce.FOK)) == [
        "FOK_NOT_FILLED"
    ]
    events = run.limit("tk", "BUY", "0.3", "60000", "i1", time_in_force=TimeInForce.IOC)
    assert sum(f.qty for f in of(events, Fill)) == q("0.1")
    assert of(events, OrderExpired)[0].remaining_qty == q("0.2")
    assert run.engine.order("tk", "i1")["status"] == "EXPIRED"


def test_idempotent_client_order_id(run: Run) -> None:
    first = run.limit("tk", "BUY", "0.1", "59000", "same")
    again = run.limit("tk", "BUY", "0.1", "59000", "same")
    assert again == first
    assert len(run.engine.open_orders("tk")) == 1
    assert codes(run.limit("tk", "BUY", "0.2", "59000", "same")) == ["DUPLICATE_CLIENT_ORDER_ID"]


def test_cancel_and_unknown(run: Run) -> None:
    run.limit("tk", "BUY", "0.1", "59000", "c1")
    events = run.do(CancelOrder(account="tk", client_order_id="c1"))
    assert of(events, OrderCanceled)[0].reason == "USER"
    assert codes(run.do(CancelOrder(account="tk", client_order_id="c1"))) == ["ORDER_NOT_OPEN"]
    assert codes(run.do(CancelOrder(account="tk", client_order_id="zz"))) == ["UNKNOWN_ORDER"]
    assert run.engine.open_orders("tk") == []
    assert run.engine.market_view("BTCUSDT")["best_bid"] is None


def test_self_trade_prevention_cancels_the_resting_order(run: Run) -> None:
    run.limit("tk", "SELL", "0.1", "60000", "s1")
    run.limit("mk", "SELL", "0.1", "60010", "m1")
    events = run.market("tk", "BUY", "0.1", "b1")
    assert of(events, OrderCanceled)[0].reason == "SELF_TRADE_PREVENTION"
    assert of(events, Fill)[0].maker_account == "mk"


def test_reduce_only_accepts_a_reducing_order(run: Run) -> None:
    run.limit("mk", "SELL", "0.1", "60000", "a1")
    run.market("tk", "BUY", "0.1", "t1")
    assert of(run.limit("tk", "SELL", "0.1", "60100", "r1", reduce_only=True), OrderAccepted)
    assert codes(run.limit("tk", "SELL", "0.2", "60100", "r2", reduce_only=True)) == [
        "REDUCE_ONLY_WOULD_INCREASE"
    ]


@pytest.mark.parametrize(
    ("mode", "post_only", "expected"),
    [
        ("cancel_only", True, ["TRADING_MODE_RESTRICTED"]),
        ("post_only", False, ["TRADING_MODE_RESTRICTED"]),
        ("post_only", True, []),
        ("halted", True, ["TRADING_MODE_RESTRICTED"]),
        ("reduce_only", False, ["TRADING_MODE_RESTRICTED"]),
    ],
)
def test_trading_modes(run: Run, mode: str, post_only: bool, expected: list[str]) -> None:
    run.limit("tk", "BUY", "0.1", "59000", "before")
    run.do(SetTradingMode(mode=TradingMode(mode), reason="test"))
    assert codes(run.limit("tk", "BUY", "0.1", "59000", "o", post_only=post_only)) == expected
    cancel = run.do(CancelOrder(account="tk", client_order_id="before"))
    assert (codes(cancel) == ["TRADING_MODE_RESTRICTED"]) == (mode == "halted")
    assert run.engine.trading_mode is TradingMode(mode)


def test_withdraw_limited_to_available(run: Run) -> None:
    run.limit("tk", "BUY", "1", "59000", "o1")  # locks 59,000 / 20 = 2,950
    assert codes(run.do(Withdraw(account="tk", asset="USDT", amount=m("97500")))) == ["INSUFFICIENT_BALANCE"]
    assert not codes(run.do(Withdraw(account="tk", asset="USDT", amount=m("97000"))))
    assert run.engine.account_view("tk")["wallets"]["USDT"]["wallet_balance"] == "3000"


def test_rejects_are_events_never_exceptions(run: Run) -> None:
    events = run.do(
        PlaceOrder(
            account="tk",
            symbol="BTCUSDT",
            side=Side.BUY,
            order_type=OrderType.MARKET,
            qty=q("0.1"),
            price=px("60000"),
            client_order_id="m",
        )
    )
    assert isinstance(events[0], OrderRejected) and events[0].code == "INVALID_ORDER"
