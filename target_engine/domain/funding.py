"""Funding: rate from time-weighted premium samples, settlement exactly once per (symbol, interval).

Settlement happens when a command's timestamp crosses the symbol's next funding time; after a gap every
missed interval is settled in order, once. While trading is halted settlement waits (the intervals are
settled, in order, by the first command after the halt). Payments are exactly zero-sum: the paying side's
rounded-down payments are distributed to the receiving side by largest remainder.
"""

from __future__ import annotations

from collections.abc import Mapping

from mypy_extensions import trait

from .enums import TradingMode
from .events import Event, FundingPaid, FundingSettled
from .instruments import Instrument
from .ledger import LedgerMixin
from .state import MarketState
from .units import RATE_SCALE

EIGHT_HOURS_MS = 8 * 3_600_000


def funding_rate(inst: Instrument, samples: list[int]) -> tuple[int, bool]:
    """(rate, capped): F = P + clamp(I - P, +-clamp), scaled to the interval, capped at +-cap."""
    if samples:
        weights = range(1, len(samples) + 1)
        premium = sum(w * p for w, p in zip(weights, samples, strict=True)) // sum(weights)
    else:
        premium = 0
    interest = inst.interest_rate
    clamp = inst.premium_clamp
    rate = premium + max(-clamp, min(clamp, interest - premium))
    rate = rate * inst.funding_interval_ms // EIGHT_HOURS_MS
    cap = inst.funding_cap
    capped = not -cap <= rate <= cap
    return max(-cap, min(cap, rate)), capped


@trait
class FundingMixin(LedgerMixin):
    def init_funding(self, ts_ms: int) -> None:
        for symbol, market in self.markets.items():
            if market.next_funding_ts is None:
                interval = self.instruments[symbol].funding_interval_ms
                market.next_funding_ts = (ts_ms // interval + 1) * interval

    def settle_due_funding(self, out: list[Event]) -> None:
        if self.mode is TradingMode.HALTED:
            return
        due = self.funding_due
        if due is None:
            due = self.funding_due = min(
                (m.next_funding_ts for m in self.markets.values() if m.next_funding_ts is not None),
                default=None,
            )
        if due is None or self.now < due:
            return
        for symbol in sorted(self.markets):
            market = self.markets[symbol]
            while market.next_funding_ts is not None and self.now >= market.next_funding_ts:
                self.settle_interval(symbol, market, market.next_funding_ts, out)
        self.funding_due = None

    def settle_interval(self, symbol: str, market: MarketState, funding_time: int, out: list[Event]) -> None:
        inst = self.instruments[symbol]
        start = funding_time - inst.funding_interval_ms
        samples = [p for ts, p in market.premium_samples if start <= ts < funding_time]
        market.premium_samples = [(ts, p) for ts, p in market.premium_samples if ts >= funding_time]
        rate, capped = funding_rate(inst, samples)
        mark = self.mark_of(symbol)
        holders = self.holders[symbol]
        total = 0
        if rate and mark and holders:
            total = self.pay_funding(symbol, holders, rate, mark, funding_time, out)
        market.last_funding_rate = rate
        market.next_funding_ts = funding_time + inst.funding_interval_ms
        settled = FundingSettled(symbol, start, funding_time, rate, mark, total, capped)
        market.funding_history.append(
            {
                "symbol": symbol,
                "interval_start": start,
                "funding_time": funding_time,
                "rate": rate,
                "mark_price": mark,
                "total_paid": total,
                "capped": capped,
            }
        )
        out.append(settled)

    def pay_funding(
        self,
        symbol: str,
        holders: Mapping[str, object],
        rate: int,
        mark: int,
        funding_time: int,
        out: list[Event],
    ) -> int:
        asset = self.instruments[symbol].asset
        longs_pay = rate > 0
        magnitude = abs(rate)
        payers: list[tuple[str, int]] = []
        receivers: list[tuple[str, int]] = []
        for account_id in sorted(holders):
            qty = self.accounts[account_id].positions[symbol].qty
            if (qty > 0) == longs_pay:
                payers.append((account_id, abs(qty)))
            else:
                receivers.append((account_id, abs(qty)))
        total = 0
        for account_id, qty in payers:
            amount = qty * mark * magnitude // RATE_SCALE
            if amount:
                total += amount
                self.pay(account_id, symbol, asset, -amount, funding_time, out)
        receiver_qty = sum(q for _, q in receivers)
        if not total or not receiver_qty:
            return total
        shares = [
            (account_id, total * q // receiver_qty, total * q % receiver_qty) for account_id, q in receivers
        ]
        leftover = total - sum(s for _, s, _ in shares)
        bonus = {a for a, _, _ in sorted(shares, key=lambda s: (-s[2], s[0]))[:leftover]}
        for account_id, share, _ in shares:
            amount = share + (1 if account_id in bonus else 0)
            if amount:
                self.pay(account_id, symbol, asset, amount, funding_time, out)
        return total

    def pay(
        self, account_id: str, symbol: str, asset: str, amount: int, funding_time: int, out: list[Event]
    ) -> None:
        account = self.accounts[account_id]
        pos = account.positions[symbol]
        out.append(FundingPaid(account_id, symbol, funding_time, amount))
        self.credit(account, pos, asset, amount, "FUNDING", out)
