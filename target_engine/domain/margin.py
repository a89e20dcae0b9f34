"""Pure margin arithmetic on leverage brackets: tiers, maintenance margin, liquidation/bankruptcy prices.

All values are scaled ints (``units``). Maintenance margin rounds up (conservative); the liquidation
price solves ``margin balance = MM`` exactly as a rational and is rounded by the caller's choice.
"""

from __future__ import annotations

from fractions import Fraction

from .instruments import Instrument, Tier
from .units import RATE_SCALE


def tier_for(inst: Instrument, notional: int) -> Tier:
    """The bracket whose [floor, cap) holds ``notional`` (money units); the last tier beyond its cap."""
    for tier in inst.tiers:
        if notional < tier.cap:
            return tier
    return inst.tiers[-1]


def maintenance_margin(inst: Instrument, notional: int) -> int:
    """MM = notional * MMR(tier) - cum(tier), rounded up."""
    tier = tier_for(inst, notional)
    return -((-notional * tier.mmr) // RATE_SCALE) - tier.cum


def initial_margin(notional: int, leverage: int) -> int:
    return -((-notional) // leverage)


def _solve(qty: int, cost: int, wallet: int, others: int, mmr: int, cum: int) -> Fraction:
    """Price P (in price units) where wallet + others + qty*P - cost = |qty|*P*mmr - cum."""
    # qty*P - |qty|*P*mmr/R = cost - wallet - others - cum
    denom = Fraction(qty) - Fraction(abs(qty) * mmr, RATE_SCALE)
    return Fraction(cost - wallet - others - cum) / denom


def liquidation_price(inst: Instrument, qty: int, cost: int, wallet: int, others: int = 0) -> Fraction | None:
    """Exact liquidation price of a one-way position (qty signed, cost signed exact cost basis).

    ``wallet`` is WB (cross wallet or isolated margin); ``others`` = UPNL1 - TMM1 of the account's other
    cross positions. Returns None for a flat position. The tier is the one at the LP's own notional:
    every tier's candidate is tried and the one that falls inside its tier wins (MM is continuous, so
    exactly one bracket is consistent, ties at edges give the same price).
    """
    if qty == 0:
        return None
    fallback: Fraction | None = None
    for tier in inst.tiers:
        price = _solve(qty, cost, wallet, others, tier.mmr, tier.cum)
        notional = abs(qty) * price
        if price <= 0:
            if tier.number == 1:
                fallback = price
            continue
        if tier.floor <= notional < tier.cap or (tier is inst.tiers[-1] and notional >= tier.floor):
            return price
    if fallback is not None:
        return fallback
    return _solve(qty, cost, wallet, others, inst.tiers[0].mmr, inst.tiers[0].cum)


def bankruptcy_price(qty: int, cost: int, wallet: int, others: int = 0) -> Fraction | None:
    """Price where the margin balance is exactly zero (MM = 0)."""
    if qty == 0:
        return None
    return Fraction(cost - wallet - others, qty)


def floor_to(value: Fraction | int, step: int) -> int:
    return int(value // step) * step


def ceil_to(value: Fraction | int, step: int) -> int:
    return -int((-value) // step) * step
