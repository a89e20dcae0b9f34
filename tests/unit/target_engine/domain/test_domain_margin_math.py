"""Brackets, maintenance margin and the worked liquidation-price examples of margin-rules.md."""

from __future__ import annotations

import pytest

from target_engine.domain.liqindex import liquidation_key
from target_engine.domain.margin import bankruptcy_price, liquidation_price, maintenance_margin, tier_for
from target_engine.domain.units import format_price

from .domain_helpers import config, m, px, q

BTC = config().instruments["BTCUSDT"]


def lp_text(qty: str, entry: str, wallet: str) -> str:
    signed = q(qty)
    result = liquidation_price(BTC, signed, signed * px(entry), m(wallet))
    assert result is not None
    return format_price(round(result), 2)


@pytest.mark.parametrize(
    ("qty", "entry", "wallet", "expected"),
    [
        ("0.1", "60000", "1000", "50200.80"),
        ("-0.1", "60000", "1000", "69721.12"),
        ("500", "60000", "2000000", "56874.59"),
    ],
)
def test_worked_examples_reproduce(qty: str, entry: str, wallet: str, expected: str) -> None:
    assert lp_text(qty, entry, wallet) == expected


def test_bankruptcy_price_is_where_margin_is_zero() -> None:
    bp = bankruptcy_price(q("0.1"), q("0.1") * px("60000"), m("1000"))
    assert bp == px("50000")


def test_cum_column_matches_the_table_and_mm_is_continuous_at_edges() -> None:
    cums = [t.cum for t in BTC.tiers]
    assert cums[:5] == [m("0"), m("50"), m("950"), m("11450"), m("131450")]
    assert cums[-1] == m("421481450")
    for lower, upper in zip(BTC.tiers, BTC.tiers[1:], strict=False):
        edge = upper.floor
        below = (edge * lower.mmr) // 10**8 - lower.cum
        above = (edge * upper.mmr) // 10**8 - upper.cum
        assert abs(below - above) <= 1


def test_tier_lookup_and_maintenance_margin() -> None:
    assert tier_for(BTC, m("49999")).number == 1
    assert tier_for(BTC, m("50000")).number == 2
    assert tier_for(BTC, m("30000000")).number == 5
    # 0.1 BTC at 60,000: 6,000 * 0.4 % = 24
    assert maintenance_margin(BTC, q("0.1") * px("60000")) == m("24")
    # 500 BTC at 60,000 = 30M (tier 5): 30M * 2 % - 131,450 = 468,550
    assert maintenance_margin(BTC, q("500") * px("60000")) == m("468550")


@pytest.mark.parametrize("qty", ["0.1", "-0.1", "500", "-500", "3", "-80"])
def test_fast_index_key_agrees_with_exact_price(qty: str) -> None:
    signed = q(qty)
    cost = signed * px("60000")
    wallet = m("2000000") if abs(signed) >= q("80") else m("1000")
    exact = liquidation_price(BTC, signed, cost, wallet)
    assert exact is not None
    key = liquidation_key(BTC, signed, cost, wallet, abs(signed) * px("60000"))
    assert abs(key - exact) <= 1
