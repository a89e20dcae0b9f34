"""Sub-hour funding intervals (``funding_interval_seconds``): parsing, interest scaling, exactly once
per interval, and intervals missed during a halt settled in order, each once."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from target_engine.config.loader import load_config_dict, merge_patch
from target_engine.domain import ClockTick, SetTradingMode, TradingMode, engine_config_from_dict
from target_engine.domain.errors import ConfigError
from target_engine.domain.events import FundingPaid, FundingSettled
from target_engine.domain.funding import funding_rate

from .domain_helpers import RAW_CONFIG, Run, conservation_gap, of

S10 = 10_000


def raw_with(**btc: Any) -> dict[str, Any]:
    raw = copy.deepcopy(RAW_CONFIG)
    spec = raw["instruments"]["BTCUSDT"]
    spec.pop("funding_interval_hours", None)
    spec.update(btc)
    return raw


def short_run() -> Run:
    """BTCUSDT funds every 10 s; one long and one short of 1 BTC at 60,000."""
    r = Run(engine_config_from_dict(raw_with(funding_interval_seconds=10)))
    r.index("BTCUSDT", "60000")
    r.deposit("long", "100000")
    r.deposit("short", "100000")
    r.limit("short", "SELL", "1", "60000", "s")
    r.market("long", "BUY", "1", "l")
    return r


def btc_starts(events: list[Any]) -> list[int]:
    return [s.interval_start for s in of(events, FundingSettled) if s.symbol == "BTCUSDT"]


def test_seconds_parse_and_hours_still_work() -> None:
    cfg = engine_config_from_dict(raw_with(funding_interval_seconds=10))
    assert cfg.instruments["BTCUSDT"].funding_interval_ms == S10
    assert cfg.instruments["ETHUSDT"].funding_interval_ms == 8 * 3_600_000
    four_hours = engine_config_from_dict(raw_with(funding_interval_hours=4)).instruments["BTCUSDT"]
    assert four_hours.funding_interval_ms == 4 * 3_600_000


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"funding_interval_seconds": 0}, "funding_interval_seconds: expected an integer >= 1"),
        ({"funding_interval_seconds": -10}, "funding_interval_seconds: expected an integer >= 1"),
        ({"funding_interval_seconds": "10"}, "funding_interval_seconds: expected an integer"),
        ({"funding_interval_seconds": 7}, "funding_interval_seconds: must divide a day"),
        ({"funding_interval_hours": 5}, "funding_interval_hours: must divide a day"),
        ({"funding_interval_seconds": 10, "funding_interval_hours": 1}, "not both"),
    ],
)
def test_bad_intervals_are_refused_naming_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        engine_config_from_dict(raw_with(**fields))
    assert "instruments.BTCUSDT" in err.value.message and message in err.value.message


def test_interest_scales_with_the_interval_length() -> None:
    btc = engine_config_from_dict(raw_with(funding_interval_seconds=3600)).instruments["BTCUSDT"]
    assert funding_rate(btc, []) == (10_000 // 8, False)  # 0.01 % per 8 h -> 0.00125 % per hour
    btc10 = engine_config_from_dict(raw_with(funding_interval_seconds=10)).instruments["BTCUSDT"]
    assert funding_rate(btc10, []) == (10_000 * 10 // 28_800, False)


def test_each_ten_second_interval_settles_exactly_once() -> None:
    r = short_run()
    seen: list[int] = []
    for ts in range(2_000, 61_000, 700):  # commands every 0.7 s for a minute
        seen += btc_starts(r.do(ClockTick(), ts=ts))
    assert seen == [0, S10, 2 * S10, 3 * S10, 4 * S10, 5 * S10]
    assert conservation_gap(r.engine) == {"USDC": 0, "USDT": 0}


def test_missed_intervals_after_a_halt_settle_in_order_each_once() -> None:
    r = short_run()
    assert btc_starts(r.do(ClockTick(), ts=10_500)) == [0]
    r.do(SetTradingMode(mode=TradingMode.HALTED, reason="EXCESS_QUEUE_DEPTH"), ts=11_000)
    for ts in (21_000, 35_000, 44_000):
        assert btc_starts(r.do(ClockTick(), ts=ts)) == []  # halted: the backlog waits
    events = r.do(SetTradingMode(mode=TradingMode.CANCEL_ONLY, reason="recovery"), ts=44_500)
    assert btc_starts(events) == [S10, 2 * S10, 3 * S10]
    for settled in of(events, FundingSettled):
        payments = [p.amount for p in of(events, FundingPaid) if p.funding_time == settled.funding_time
                    and p.symbol == settled.symbol]
        assert sum(payments) == 0
    assert btc_starts(r.do(ClockTick(), ts=45_000)) == []  # never twice
    assert btc_starts(r.do(ClockTick(), ts=50_000)) == [4 * S10]


def test_overlay_extends_the_default_config(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump({
        "extends": "default",
        "engine": {"insurance_fund": {"USDT": "250000"}, "deficit_policy": "socialized_loss"},
        "instruments": {"BTCUSDT": {"funding_interval_seconds": 10, "funding_interval_hours": None}},
    }))
    raw = load_config_dict(path)
    assert "extends" not in raw
    assert raw["engine"]["insurance_fund"] == {"USDT": "250000", "USDC": "0"}
    assert raw["engine"]["mark_method"] == RAW_CONFIG["engine"]["mark_method"]
    assert "funding_interval_hours" not in raw["instruments"]["BTCUSDT"]
    assert raw["instruments"]["BTCUSDT"]["brackets"] == RAW_CONFIG["instruments"]["BTCUSDT"]["brackets"]
    assert engine_config_from_dict(raw).instruments["BTCUSDT"].funding_interval_ms == S10


def test_overlay_of_anything_but_default_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text("extends: /etc/passwd\n")
    with pytest.raises(ConfigError, match="extends"):
        load_config_dict(path)


def test_merge_patch_follows_rfc_7386() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": [1, 2]}
    assert merge_patch(base, {"a": {"b": None, "e": 3}, "d": [3]}) == {"a": {"c": 2, "e": 3}, "d": [3]}
    assert base == {"a": {"b": 1, "c": 2}, "d": [1, 2]}  # not modified
