"""`margin-engine calc liquidation-price`: the exchange-style risk calculator (pure, no I/O but the config).

Prints the liquidation and bankruptcy prices of a one-way position (rounded to 0.01), the bracket used,
and the maintenance margin at entry. Bad arguments: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from target_engine.config.loader import load_engine_config
from target_engine.domain.errors import DomainError
from target_engine.domain.margin import bankruptcy_price, liquidation_price, maintenance_margin, tier_for
from target_engine.domain.units import (
    PRICE_DECIMALS,
    format_money,
    format_price,
    format_rate,
    parse_amount,
    parse_decimal,
    parse_qty,
)

EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    calc = subparsers.add_parser("calc", help="risk calculators")
    kinds = calc.add_subparsers(dest="calc", required=True, metavar="CALCULATOR")
    lp = kinds.add_parser("liquidation-price", help="liquidation and bankruptcy price of a position")
    lp.add_argument("--symbol", required=True)
    lp.add_argument("--side", required=True, choices=["long", "short"])
    lp.add_argument("--qty", required=True, help="position size, e.g. 0.1")
    lp.add_argument("--entry", required=True, help="entry price, e.g. 60000")
    lp.add_argument("--wallet", required=True, help="wallet balance (isolated margin or cross wallet)")
    lp.add_argument("--mode", choices=["isolated", "cross"], default="isolated")
    lp.add_argument("--config", help="instruments YAML (default: the built-in one)")
    lp.add_argument("--json", action="store_true", help="print one JSON object")
    lp.set_defaults(func=run_liquidation_price)


def _fail(message: str) -> int:
    print(f"margin-engine: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def run_liquidation_price(args: argparse.Namespace) -> int:
    try:
        config = load_engine_config(args.config)
    except DomainError as exc:
        return _fail(exc.message)
    inst = config.instruments.get(args.symbol)
    if inst is None:
        return _fail(f"unknown symbol {args.symbol!r} (known: {', '.join(sorted(config.instruments))})")
    try:
        qty = parse_qty(inst, args.qty)
        entry = parse_decimal(args.entry, PRICE_DECIMALS, "INVALID_PRICE")
        wallet = parse_amount(args.wallet)
    except DomainError as exc:
        return _fail(f"{exc.code}: {exc.message}")
    if entry <= 0:
        return _fail("INVALID_PRICE: --entry must be positive")
    signed = qty if args.side == "long" else -qty
    cost = signed * entry
    lp = liquidation_price(inst, signed, cost, wallet)
    bp = bankruptcy_price(signed, cost, wallet)
    tier = tier_for(inst, qty * entry) if lp is None or lp <= 0 else tier_for(inst, int(qty * lp))
    result = {
        "symbol": inst.symbol,
        "side": args.side,
        "mode": args.mode,
        "qty": args.qty,
        "entry": args.entry,
        "wallet": args.wallet,
        "liquidation_price": None if lp is None or lp <= 0 else format_price(round(lp), 2),
        "bankruptcy_price": None if bp is None or bp <= 0 else format_price(round(bp), 2),
        "tier": tier.number,
        "mmr": format_rate(tier.mmr),
        "maintenance_amount": format_money(tier.cum),
        "maintenance_margin_at_entry": format_money(maintenance_margin(inst, qty * entry), 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        head = f"{inst.symbol} {args.side} {args.qty} @ {args.entry}, wallet {args.wallet} {inst.asset}"
        print(f"{head} ({args.mode})")
        print(f"liquidation price: {result['liquidation_price'] or 'none (cannot be liquidated)'}")
        print(f"bankruptcy price:  {result['bankruptcy_price'] or 'none'}")
        print(f"bracket: tier {tier.number}, MMR {result['mmr']}, cum {result['maintenance_amount']}")
    return 0
