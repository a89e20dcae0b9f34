"""Engine-core figures (JSON lines): mixed command throughput, and liquidation lookup on a mark tick.

1. 100,000 seeded commands (limit, market, cancel; 1,000 accounts; BTCUSDT + ETHUSDT) through
   ``Engine.apply`` with auto-liquidation on -> commands/s (target >= 30,000).
2. 100,000 open positions, then one mark tick -> ms to find every account that must be liquidated
   (index lookup + exact check; target <= 20 ms), with a full sweep over all accounts as the baseline.
   auto_liquidate off, as in the service: the index is re-filed after every batch of 256 commands
   (``flush_index``, what the sequencer does after each commit), not after every command.

Usage: python benchmarks/engine_core.py [--commands N] [--positions N] [--seed S]
"""

from __future__ import annotations

import argparse
import gc
import random
import time

from bench_common import emit

from target_engine.config.loader import load_engine_config
from target_engine.domain import (
    CancelOrder,
    Command,
    Deposit,
    Engine,
    IndexTick,
    OrderType,
    PlaceOrder,
    SetLeverage,
    Side,
    TimeInForce,
    with_sequence,
)

PRICE = 10_000  # price scale
QTY = 1_000_000  # qty scale
MONEY = 10**10


def mixed_commands(n: int, accounts: int, seed: int) -> list[Command]:
    rng = random.Random(seed)
    symbols = {"BTCUSDT": (60_000 * PRICE, 10 * PRICE), "ETHUSDT": (3_000 * PRICE, 1 * PRICE // 100)}
    names = [f"acct{i:04d}" for i in range(accounts)]
    open_ids: dict[str, list[str]] = {a: [] for a in names}
    cmds: list[Command] = []
    for i in range(n):
        account = names[rng.randrange(accounts)]
        roll = rng.random()
        if roll < 0.2 and open_ids[account]:
            ids = open_ids[account]
            cid = ids.pop(rng.randrange(len(ids)))
            cmds.append(CancelOrder(account=account, client_order_id=cid))
            continue
        symbol = "BTCUSDT" if rng.random() < 0.6 else "ETHUSDT"
        mid, tick = symbols[symbol]
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        qty = (
            rng.randint(1, 20) * (QTY // 1000)
            if symbol == "BTCUSDT"
            else rng.randint(10, 200) * (QTY // 1000)
        )
        cid = f"c{i}"
        if roll < 0.35:
            cmds.append(
                PlaceOrder(
                    account=account,
                    symbol=symbol,
                    side=side,
                    order_type=OrderType.MARKET,
                    qty=qty,
                    time_in_force=TimeInForce.IOC,
                    client_order_id=cid,
                )
            )
        else:
            offset = rng.randint(1, 60) * tick
            price = mid - offset if side is Side.BUY else mid + offset
            if rng.random() < 0.3:  # aggressive: crosses the spread
                price = mid + offset // 4 if side is Side.BUY else mid - offset // 4
            cmds.append(
                PlaceOrder(
                    account=account,
                    symbol=symbol,
                    side=side,
                    order_type=OrderType.LIMIT,
                    qty=qty,
                    price=price,
                    client_order_id=cid,
                )
            )
            open_ids[account].append(cid)
    return cmds


def bench_mixed(n: int, seed: int) -> None:
    engine = Engine(load_engine_config())
    seq = 0
    ts = 1_000

    def apply(cmd: Command) -> None:
        nonlocal seq
        seq += 1
        engine.apply(with_sequence(cmd, seq, ts))

    apply(IndexTick(symbol="BTCUSDT", price=60_000 * PRICE))
    apply(IndexTick(symbol="ETHUSDT", price=3_000 * PRICE))
    for i in range(1000):
        apply(Deposit(account=f"acct{i:04d}", asset="USDT", amount=1_000_000 * MONEY))
    cmds = [with_sequence(c, seq + 1 + i, ts + i) for i, c in enumerate(mixed_commands(n, 1000, seed))]
    gc.collect()
    apply_fn = engine.apply
    events = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    for cmd in cmds:
        events += len(apply_fn(cmd))
    cpu = time.process_time() - cpu_start
    elapsed = time.perf_counter() - start
    emit(
        "engine_mixed_commands_per_second",
        n / elapsed,
        "commands/s",
        30_000,
        aim=100_000,
        commands=n,
        events=events,
        fills=engine.next_trade_id - 1,
        per_cpu_second=round(n / cpu, 1),
    )


def bench_tick(positions: int, seed: int) -> None:
    rng = random.Random(seed)
    engine = Engine(load_engine_config(auto_liquidate=False))
    seq = 0
    ts = 1_000

    def apply(cmd: Command) -> None:
        nonlocal seq
        seq += 1
        engine.apply(with_sequence(cmd, seq, ts))
        if seq % 256 == 0:  # as the service's sequencer does after each committed batch (max 256)
            engine.flush_index()

    apply(IndexTick(symbol="BTCUSDT", price=60_000 * PRICE))
    qty = QTY // 100  # 0.01 BTC = 600 USDT notional
    for i in range(positions // 2):
        leverage = rng.choices((5, 10, 20, 50, 100), weights=(30, 30, 25, 14, 1))[0]
        margin = 600 * MONEY // leverage + rng.randint(1, 6) * MONEY
        for name in (f"L{i}", f"S{i}"):
            apply(Deposit(account=name, asset="USDT", amount=margin))
            apply(SetLeverage(account=name, symbol="BTCUSDT", leverage=leverage))
        apply(
            PlaceOrder(
                account=f"S{i}",
                symbol="BTCUSDT",
                side=Side.SELL,
                order_type=OrderType.LIMIT,
                qty=qty,
                price=60_000 * PRICE,
                client_order_id="open",
            )
        )
        apply(
            PlaceOrder(
                account=f"L{i}",
                symbol="BTCUSDT",
                side=Side.BUY,
                order_type=OrderType.LIMIT,
                qty=qty,
                price=60_000 * PRICE,
                client_order_id="open",
                time_in_force=TimeInForce.IOC,
            )
        )
    open_positions = len(engine.holders["BTCUSDT"])
    engine.flush_index()  # the last batch's commit
    gc.collect()
    # a 1 % drop: the 100x longs must go (the book is empty, so the mark follows the index)
    seq += 1
    tick = with_sequence(IndexTick(symbol="BTCUSDT", price=59_400 * PRICE), seq, ts + 1)
    start = time.perf_counter()
    engine.apply(tick)
    found = engine.accounts_to_liquidate("BTCUSDT")
    indexed_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    swept = sorted(a for a in engine.accounts if engine.needs_liquidation(a))
    sweep_ms = (time.perf_counter() - start) * 1000
    assert found == swept, "index and sweep disagree"
    assert engine.markets["BTCUSDT"].mark_price == 59_400 * PRICE
    emit(
        "engine_liquidation_scan_ms",
        indexed_ms,
        "ms",
        20,
        aim=1,
        positions=open_positions,
        to_liquidate=len(found),
        baseline=round(sweep_ms, 3),
        ratio=round(sweep_ms / max(indexed_ms, 1e-9), 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=100_000)
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    bench_mixed(args.commands, args.seed)
    bench_tick(args.positions, args.seed)


if __name__ == "__main__":
    main()
