"""Funding (rate, cap, exactly once, missed intervals in order, halted) and mark price / index staleness."""

from __future__ import annotations

from target_engine.domain import ClockTick, SetTradingMode, TradingMode
from target_engine.domain.events import FundingPaid, FundingSettled, MarkPriceChanged
from target_engine.domain.funding import funding_rate

from .domain_helpers import Run, config, conservation_gap, m, of, px

H8 = 8 * 3_600_000
BTC = config().instruments["BTCUSDT"]


def with_positions() -> Run:
    r = Run()
    r.index("BTCUSDT", "60000")
    r.deposit("long", "100000")
    r.deposit("short", "100000")
    r.limit("short", "SELL", "1", "60000", "s")
    r.market("long", "BUY", "1", "l")
    return r


def test_rate_formula_clamp_and_cap() -> None:
    assert funding_rate(BTC, []) == (10_000, False)  # no premium: the 0.01 % interest
    assert funding_rate(BTC, [20_000, 20_000]) == (10_000, False)  # |I - P| within the clamp: F = I
    assert funding_rate(BTC, [100_000]) == (100_000 - 50_000, False)  # clamp pulls toward I by 0.05 %
    rate, capped = funding_rate(BTC, [10_000_000])
    assert (rate, capped) == (300_000, True)  # cap 0.75 * 0.4 % = 0.3 %
    # linear time weights 1..n: later samples count more
    assert funding_rate(BTC, [0, 300_000])[0] == 200_000 - 50_000  # (1*0 + 2*300k) / 3, then clamp


def test_settles_once_and_zero_sum() -> None:
    r = with_positions()
    events = r.do(ClockTick(), ts=H8)
    settled = of(events, FundingSettled)
    assert [(s.symbol, s.interval_start) for s in settled] == [("BTCUSDC", 0), ("BTCUSDT", 0), ("ETHUSDT", 0)]
    paid = {p.account: p.amount for p in of(events, FundingPaid)}
    assert paid == {"long": -m("6"), "short": m("6")}  # 60,000 * 1 * 0.01 %
    assert of(r.do(ClockTick(), ts=H8 + 1), FundingSettled) == []
    assert conservation_gap(r.engine) == {"USDC": 0, "USDT": 0}
    assert r.engine.funding_history("BTCUSDT")[0]["rate"] == "0.0001"


def test_missed_intervals_settle_in_order_each_once() -> None:
    r = with_positions()
    events = r.do(ClockTick(), ts=3 * H8 + 5)
    btc = [s.interval_start for s in of(events, FundingSettled) if s.symbol == "BTCUSDT"]
    assert btc == [0, H8, 2 * H8]
    assert sum(p.amount for p in of(events, FundingPaid)) == 0


def test_halt_defers_funding_until_trading_resumes() -> None:
    r = with_positions()
    r.do(SetTradingMode(mode=TradingMode.HALTED, reason="incident"))
    assert of(r.do(ClockTick(), ts=2 * H8 + 1), FundingSettled) == []
    events = r.do(SetTradingMode(mode=TradingMode.CANCEL_ONLY, reason="recovery"))
    assert [s.interval_start for s in of(events, FundingSettled) if s.symbol == "BTCUSDT"] == [0, H8]


def test_premium_from_the_book_hits_the_cap() -> None:
    r = Run()
    r.index("BTCUSDT", "60000")
    r.deposit("mm", "1000000")
    r.limit("mm", "BUY", "1", "62000", "b")
    r.index("BTCUSDT", "60000", ts=7_000)  # next 5 s sample sees the rich bid
    events = r.do(ClockTick(), ts=H8)
    settled = next(s for s in of(events, FundingSettled) if s.symbol == "BTCUSDT")
    assert settled.capped and settled.rate == 300_000


def test_binance_mark_is_median_of_p1_p2_last() -> None:
    r = Run()
    r.index("BTCUSDT", "60000")
    r.deposit("mm", "1000000")
    r.limit("mm", "BUY", "0.5", "59990", "b")
    r.limit("mm", "SELL", "0.5", "60010", "a")
    events = r.index("BTCUSDT", "59000", ts=3_000)
    mark = of(events, MarkPriceChanged)[0].mark_price
    # P1 = index (no funding rate yet), P2 = index + (mid - index) = 60000, last = index: median 59000
    assert mark == px("59000")
    r.deposit("t", "100000")
    r.market("t", "BUY", "0.1", "x")  # last trade 60010
    mark = of(r.index("BTCUSDT", "59000", ts=5_000), MarkPriceChanged)[0].mark_price
    assert mark == px("60000")  # median(59000, ~60000, 60010)


def test_okx_mark_is_index_plus_ema_of_basis() -> None:
    r = Run(mark_method="okx_ema")
    r.index("BTCUSDT", "60000")
    r.deposit("mm", "1000000")
    r.limit("mm", "BUY", "0.5", "59990", "b")
    r.limit("mm", "SELL", "0.5", "60010", "a")
    first = of(r.index("BTCUSDT", "59000", ts=3_000), MarkPriceChanged)[0].mark_price
    assert first == px("60000")  # first basis sample seeds the EMA: 1,000
    second = of(r.index("BTCUSDT", "58000", ts=5_000), MarkPriceChanged)[0].mark_price
    # basis 2,000; EMA moves 2/31 of the way: 1000 + 1000 * 2 // 31 = 1064.5 -> slow to follow
    assert px("59000") < second < px("59100")


def test_index_staleness_is_tracked() -> None:
    r = Run()
    r.index("BTCUSDT", "60000", ts=1_000)
    assert r.engine.market_view("BTCUSDT")["index_stale"] is False
    r.do(ClockTick(), ts=20_000)
    view = r.engine.market_view("BTCUSDT")
    assert view["index_stale"] is True and view["index_age_ms"] == 19_000
    assert r.engine.market_view("ETHUSDT")["index_price"] is None
