"""Index ticks, mark price (Binance median or OKX EMA), basis and premium sampling, index staleness."""

from __future__ import annotations

from mypy_extensions import trait

from .commands import IndexTick
from .enums import MarkMethod, Side
from .errors import RejectCode
from .events import Event, MarkPriceChanged, OrderRejected
from .state import EngineState, MarketState
from .units import RATE_SCALE


def median3(a: int, b: int, c: int) -> int:
    return sorted((a, b, c))[1]


@trait
class MarketsMixin(EngineState):
    def index_tick(self, cmd: IndexTick) -> list[Event]:
        market = self.markets.get(cmd.symbol)
        if market is None:
            return [
                OrderRejected(
                    "IndexTick", None, None, RejectCode.UNKNOWN_SYMBOL.value, f"unknown symbol {cmd.symbol!r}"
                )
            ]
        if cmd.price <= 0:
            return [
                OrderRejected(
                    "IndexTick", None, None, RejectCode.INVALID_PRICE.value, "index must be positive"
                )
            ]
        market.index_price = cmd.price
        market.index_ts = self.now
        self.sample_basis(cmd.symbol, market)
        self.sample_premium(cmd.symbol, market)
        market.mark_price = self.compute_mark(cmd.symbol, market)
        return [MarkPriceChanged(cmd.symbol, cmd.price, market.mark_price, self.now)]

    def mid(self, symbol: str) -> int | None:
        book = self.books[symbol]
        bid, ask = book.best_bid(), book.best_ask()
        if bid is None or ask is None:
            return None
        return (bid + ask) // 2

    def sample_basis(self, symbol: str, market: MarketState) -> None:
        cfg = self.config
        if market.last_basis_ts is not None and self.now - market.last_basis_ts < cfg.basis_sample_ms:
            return
        mid = self.mid(symbol)
        if mid is None or market.index_price is None:
            return
        basis = mid - market.index_price
        market.last_basis_ts = self.now
        samples = market.basis_samples
        samples.append((self.now, basis))
        while samples and samples[0][0] <= self.now - cfg.basis_window_ms:
            samples.popleft()
        if market.ema_basis is None:
            market.ema_basis = basis
        else:
            market.ema_basis += (basis - market.ema_basis) * 2 // (cfg.ema_periods + 1)

    def sample_premium(self, symbol: str, market: MarketState) -> None:
        inst = self.instruments[symbol]
        if market.last_premium_ts is not None and self.now - market.last_premium_ts < inst.premium_sample_ms:
            return
        index = market.index_price
        if index is None:
            return
        book = self.books[symbol]
        impact_bid = book.impact_price(Side.SELL, inst.impact_notional)
        impact_ask = book.impact_price(Side.BUY, inst.impact_notional)
        up = max(0, impact_bid - index) if impact_bid is not None else 0
        down = max(0, index - impact_ask) if impact_ask is not None else 0
        market.premium_samples.append((self.now, (up - down) * RATE_SCALE // index))
        market.last_premium_ts = self.now

    def compute_mark(self, symbol: str, market: MarketState) -> int:
        index = market.index_price
        assert index is not None
        if self.config.mark_method is MarkMethod.OKX_EMA:
            return max(1, index + (market.ema_basis or 0))
        samples = market.basis_samples
        average = sum(b for _, b in samples) // len(samples) if samples else 0
        p2 = index + average
        inst = self.instruments[symbol]
        p1 = index
        if market.next_funding_ts is not None:
            to_next = max(0, market.next_funding_ts - self.now)
            p1 = index + index * market.last_funding_rate * to_next // (RATE_SCALE * inst.funding_interval_ms)
        last = market.last_price if market.last_price is not None else index
        return max(1, median3(p1, p2, last))

    def index_age_ms(self, symbol: str) -> int | None:
        market = self.markets[symbol]
        return None if market.index_ts is None else self.now - market.index_ts

    def index_stale(self, symbol: str) -> bool:
        age = self.index_age_ms(symbol)
        return age is None or age > self.config.index_stale_ms
