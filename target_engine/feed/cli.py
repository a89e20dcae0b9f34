"""`margin-engine feed`: run the index price feed (seeded random walk or CSV replay) over TCP."""

from __future__ import annotations

import argparse
import asyncio
from decimal import Decimal, InvalidOperation
from pathlib import Path

from chaos import failpoints
from target_engine.feed.server import TickServer
from target_engine.feed.sources import FeedSourceError, RandomWalk, WalkParams, csv_replay, read_csv


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("feed", help="serve index price ticks over TCP (line-delimited JSON)")
    p.add_argument("--symbols", default="BTCUSDT,ETHUSDT", help="comma-separated symbols")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--volatility", type=float, default=0.0005, help="relative stddev per tick")
    p.add_argument("--jump-prob", type=float, default=0.0, help="probability of a jump per tick")
    p.add_argument("--jump-size", type=float, default=0.05, help="relative size of a jump")
    p.add_argument("--drift", type=float, default=0.0, help="relative drift per tick")
    p.add_argument("--start", action="append", default=[], metavar="SYMBOL=PRICE")
    p.add_argument("--csv", type=Path, help="replay step,symbol,price rows instead of a random walk")
    p.add_argument("--interval-ms", type=int, default=250, help="time between steps")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.set_defaults(func=run)


def _starts(items: list[str]) -> dict[str, Decimal]:
    out = {}
    for item in items:
        sym, _, price = item.partition("=")
        try:
            value = Decimal(price)
        except InvalidOperation as exc:
            raise FeedSourceError(f"--start {item!r}: expected SYMBOL=PRICE") from exc
        if not sym or not value.is_finite() or value <= 0:
            raise FeedSourceError(f"--start {item!r}: expected SYMBOL=PRICE with a positive price")
        out[sym] = value
    return out


def run(args: argparse.Namespace) -> int:
    symbols = [s.strip() for s in args.symbols.split(",") if s.strip()]
    try:
        if args.interval_ms <= 0:
            raise FeedSourceError("--interval-ms must be positive")
        failpoints.configure_from_env()
        if args.csv:
            steps = csv_replay(read_csv(args.csv, symbols))
            next_step = steps.__next__
        else:
            walk = RandomWalk(symbols, args.seed, WalkParams(args.volatility, args.jump_prob, args.jump_size,
                                                             args.drift), _starts(args.start))
            next_step = walk.step
    except (FeedSourceError, failpoints.FailpointSpecError) as exc:
        print(f"margin-engine feed: error: {exc}")
        return 2
    asyncio.run(TickServer(next_step, args.interval_ms).serve(args.host, args.port))
    return 0
