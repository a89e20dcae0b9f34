"""`margin-engine demo`: a scripted session of the domain core printing fills, margin and a liquidation.

Pure in-memory run (no files, no network): a market maker quotes BTCUSDT, a trader opens a leveraged
long, the index falls, the trader is liquidated (tiered, insurance fund, maybe ADL), funding settles,
and the conservation identity is checked at the end (exit 1 if it does not hold).
"""

from __future__ import annotations

import argparse

from target_engine.config.loader import load_engine_config
from target_engine.domain import (
    Command,
    Deposit,
    Engine,
    FundInsurance,
    IndexTick,
    OrderType,
    PlaceOrder,
    SetLeverage,
    Side,
    TimeInForce,
    with_sequence,
)
from target_engine.domain.events import (
    ADLExecuted,
    Event,
    Fill,
    FundingSettled,
    InsuranceFundChanged,
    LiquidationFinished,
    LiquidationStarted,
    LiquidationStep,
    OrderRejected,
)
from target_engine.domain.units import (
    format_money,
    format_price,
    format_qty,
    format_rate,
    parse_amount,
    parse_qty,
)

SYMBOL = "BTCUSDT"
HOUR_MS = 3_600_000


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "demo", help="scripted session of the engine core: fills, margin, a liquidation"
    )
    p.add_argument("--config", help="instruments YAML (default: the built-in one)")
    p.set_defaults(func=run)


def describe(ev: Event) -> str | None:
    if isinstance(ev, Fill):
        kind = " (liquidation)" if ev.liquidation and not ev.adl else " (ADL)" if ev.adl else ""
        return (
            f"  fill{kind}: {ev.taker_account} {ev.taker_side} {format_qty(ev.qty)}"
            f" @ {format_price(ev.price)} vs {ev.maker_account}"
        )
    if isinstance(ev, OrderRejected):
        return f"  rejected {ev.command} {ev.client_order_id or ''}: {ev.code} ({ev.reason})"
    if isinstance(ev, LiquidationStarted):
        return (
            f"  LIQUIDATION of {ev.account} {ev.symbol}: margin balance {format_money(ev.margin_balance, 2)}"
            f" <= maintenance {format_money(ev.maintenance_margin, 2)} at mark {format_price(ev.mark_price)}"
        )
    if isinstance(ev, LiquidationStep):
        return f"  partial: reduce {format_qty(ev.qty)} from tier {ev.tier_from} to tier {ev.tier_to}"
    if isinstance(ev, LiquidationFinished):
        return (
            f"  liquidated {format_qty(ev.closed_qty)} {ev.symbol}, bankruptcy price"
            f" {format_price(ev.bankruptcy_price)}, clearance fee {format_money(ev.clearance_fee, 2)}"
        )
    if isinstance(ev, InsuranceFundChanged):
        return f"  insurance fund {ev.reason}: {format_money(ev.delta, 2)} -> {format_money(ev.balance, 2)}"
    if isinstance(ev, ADLExecuted):
        return f"  ADL: {ev.account} closes {format_qty(ev.qty)} at {format_price(ev.price)}"
    if isinstance(ev, FundingSettled):
        return (
            f"  funding {ev.symbol} interval {ev.interval_start // HOUR_MS}h: rate {format_rate(ev.rate)},"
            f" paid {format_money(ev.total_paid, 2)}"
        )
    return None


def run(args: argparse.Namespace) -> int:
    engine = Engine(load_engine_config(args.config))
    inst = engine.instruments[SYMBOL]
    seq = 0

    def step(title: str, cmd: Command, ts_ms: int) -> list[Event]:
        nonlocal seq
        seq += 1
        events = engine.apply(with_sequence(cmd, seq, ts_ms))
        lines = [line for line in map(describe, events) if line]
        print(f"[{seq:>3}] {title}")
        for line in lines:
            print(line)
        return events

    def price(text: str) -> int:
        return int(text) * 10_000

    def order(  # noqa: PLR0917
        account: str, side: Side, qty: str, px: str | None, cid: str, tif: TimeInForce = TimeInForce.GTC
    ) -> PlaceOrder:
        return PlaceOrder(
            account=account,
            symbol=SYMBOL,
            side=side,
            order_type=OrderType.LIMIT if px else OrderType.MARKET,
            qty=parse_qty(inst, qty),
            price=price(px) if px else None,
            time_in_force=tif,
            client_order_id=cid,
        )

    ts = 1_000
    step("index 60000", IndexTick(symbol=SYMBOL, price=price("60000")), ts)
    for name, amount in (("maker", "5000000"), ("alice", "1000"), ("bob", "50000")):
        step(
            f"deposit {amount} USDT to {name}",
            Deposit(account=name, asset="USDT", amount=parse_amount(amount)),
            ts,
        )
    step("insurance fund seeded with 1000 USDT", FundInsurance(asset="USDT", amount=parse_amount("1000")), ts)
    step("alice sets 50x", SetLeverage(account="alice", symbol=SYMBOL, leverage=50), ts)
    for i, px in enumerate(("59990", "59900", "59500", "58800", "58000", "57500")):
        step(f"maker bids 0.2 @ {px}", order("maker", Side.BUY, "0.2", px, f"mb{i}"), ts)
    step("maker asks 1.0 @ 60000", order("maker", Side.SELL, "1", "60000", "ma0"), ts)
    step("alice buys 0.5 at market (50x)", order("alice", Side.BUY, "0.5", None, "a1", TimeInForce.IOC), ts)
    view = engine.account_view("alice")
    assert view is not None
    pos = view["positions"][0]
    usdt = view["wallets"]["USDT"]
    print(
        f"      alice: {pos['qty']} BTC @ {pos['entry_price']}, wallet {usdt['wallet_balance']},"
        f" margin ratio {usdt['margin_ratio']}, liquidation price {pos['liquidation_price']}"
    )
    for px in ("59500", "59000", "58500"):
        ts += 1_000
        step(f"index {px}", IndexTick(symbol=SYMBOL, price=price(px)), ts)
    step(
        "bob sells 1.0 at market into the bids", order("bob", Side.SELL, "1", None, "b1", TimeInForce.IOC), ts
    )
    for px in ("58200", "58000"):
        ts += 1_000
        step(f"index {px}", IndexTick(symbol=SYMBOL, price=price(px)), ts)
    ts = 8 * HOUR_MS + 5_000
    step("clock passes 08:00 UTC: funding settles", IndexTick(symbol=SYMBOL, price=price("59400")), ts)
    ledger = engine.ledger()["USDT"]
    lhs = ledger["wallets"] + ledger["isolated"] - ledger["cost_basis"] + ledger["insurance"] + ledger["fees"]
    lhs -= ledger["bad_debt"]
    ok = lhs == ledger["net_deposits"]
    print(
        f"conservation USDT: wallets+isolated-cost+fund+fees-bad_debt = {format_money(lhs)}"
        f" vs net deposits {format_money(ledger['net_deposits'])}: {'OK' if ok else 'BROKEN'}"
    )
    print(
        f"insurance fund: {format_money(engine.insurance_fund('USDT'), 2)} USDT;"
        f" state hash {engine.state_hash()[:16]}"
    )
    return 0 if ok else 1
