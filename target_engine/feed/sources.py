"""Price sources for the feed: a seeded random walk with jumps, and a CSV replay.

Pure apart from the seeded ``random.Random`` they own; prices are decimal strings rounded to the
symbol's tick so the engine's validation accepts them.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

DEFAULT_START = {"BTCUSDT": Decimal("60000"), "ETHUSDT": Decimal("3000"), "BTCUSDC": Decimal("60000")}
DEFAULT_TICK = {"BTCUSDT": Decimal("0.1"), "ETHUSDT": Decimal("0.01"), "BTCUSDC": Decimal("0.1")}


class FeedSourceError(ValueError):
    """Bad feed parameters or an unreadable CSV."""


@dataclass(frozen=True)
class Tick:
    symbol: str
    price: str


@dataclass(frozen=True)
class WalkParams:
    volatility: float = 0.0005  # stddev of the relative step per tick
    jump_prob: float = 0.0  # chance per tick of a jump
    jump_size: float = 0.05  # relative size of a jump (sign random)
    drift: float = 0.0  # relative drift per tick

    def validate(self) -> None:
        if not (0 <= self.volatility < 0.5):
            raise FeedSourceError("volatility must be in [0, 0.5)")
        if not (0 <= self.jump_prob <= 1):
            raise FeedSourceError("jump-prob must be in [0, 1]")
        if not (0 <= self.jump_size < 1):
            raise FeedSourceError("jump-size must be in [0, 1)")
        if not (-0.5 < self.drift < 0.5):
            raise FeedSourceError("drift must be in (-0.5, 0.5)")


def _round(price: float, tick: Decimal) -> str:
    value = Decimal(repr(max(price, float(tick))))
    return str((value / tick).to_integral_value(ROUND_HALF_EVEN) * tick)


class RandomWalk:
    """Geometric random walk per symbol; the same seed gives the same sequence of ticks."""

    def __init__(self, symbols: Sequence[str], seed: int, params: WalkParams,
                 start: dict[str, Decimal] | None = None) -> None:
        params.validate()
        if not symbols:
            raise FeedSourceError("at least one symbol")
        starts = {**DEFAULT_START, **(start or {})}
        unknown = [s for s in symbols if s not in starts]
        if unknown:
            raise FeedSourceError(f"no start price for {', '.join(unknown)} (use --start SYMBOL=PRICE)")
        self.symbols = list(symbols)
        self.params = params
        self.rng = random.Random(seed)
        self.prices = {s: float(starts[s]) for s in symbols}

    def step(self) -> list[Tick]:
        out = []
        p = self.params
        for sym in self.symbols:
            move = p.drift + self.rng.gauss(0.0, p.volatility)
            if p.jump_prob and self.rng.random() < p.jump_prob:
                move += p.jump_size if self.rng.random() < 0.5 else -p.jump_size
            self.prices[sym] *= math.exp(move)
            out.append(Tick(sym, _round(self.prices[sym], DEFAULT_TICK.get(sym, Decimal("0.01")))))
        return out


def read_csv(path: Path, symbols: Sequence[str]) -> list[list[Tick]]:
    """Rows ``step,symbol,price`` (header required); ticks with the same step are sent together.

    Only the requested symbols are kept. Raises FeedSourceError on a malformed file.
    """
    steps: dict[int, list[Tick]] = {}
    try:
        with path.open(newline="") as fh:
            for lineno, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    step = int(row["step"])
                    symbol = row["symbol"].strip()
                    price = Decimal(row["price"].strip())
                except (KeyError, ValueError, ArithmeticError, AttributeError) as exc:
                    raise FeedSourceError(f"{path}:{lineno}: expected step,symbol,price ({exc})") from exc
                if not price.is_finite() or price <= 0:
                    raise FeedSourceError(f"{path}:{lineno}: price must be positive")
                if symbol in symbols:
                    steps.setdefault(step, []).append(Tick(symbol, str(price)))
    except OSError as exc:
        raise FeedSourceError(f"cannot read {path}: {exc}") from exc
    if not steps:
        raise FeedSourceError(f"{path}: no ticks for {', '.join(symbols)}")
    return [steps[k] for k in sorted(steps)]


def csv_replay(rows: list[list[Tick]]) -> Iterator[list[Tick]]:
    """The CSV's steps in order, then the last known price of each symbol forever."""
    last: dict[str, Tick] = {}
    for step in rows:
        for t in step:
            last[t.symbol] = t
        yield step
    while True:
        yield list(last.values())
