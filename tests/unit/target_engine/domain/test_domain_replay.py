"""Replay mode: ``Engine.replay`` reaches the same state as ``apply`` of each command, and the state
hash of a seeded mixed stream is pinned (snapshots and ``margin-engine verify`` compare hashes of
existing journals, so a faster engine must not change it)."""

from __future__ import annotations

import hashlib
import random

from target_engine.domain import (
    CancelOrder,
    Command,
    Deposit,
    Engine,
    IndexTick,
    OrderType,
    PlaceOrder,
    Side,
    TimeInForce,
    with_sequence,
)

from .domain_helpers import config
from .test_domain_properties import build

# Recorded with the engine before the replay work (commit 2d89494); must never change.
PINNED_STATE_HASH = "a3face898a712b085cb3c83e08896df616c2bbdbfd54414fee4db962897ad7e6"
PINNED_EVENTS_SHA256 = "78a0a7cd53b4f0201312ace8b26143ba586d0d2aba0d074794b22c973c5ea413"


def mixed_stream(n: int, seed: int) -> list[Command]:
    """Deposits, limit orders (GTC, IOC, post-only, reduce-only), market orders, cancels and index
    ticks around 60,000 on BTCUSDT and ETHUSDT, stamped with seq and time."""
    rng = random.Random(seed)
    cmds: list[Command] = [IndexTick(symbol="BTCUSDT", price=60_000 * 10_000),
                           IndexTick(symbol="ETHUSDT", price=3_000 * 10_000)]
    cmds += [Deposit(account=f"r{i}", asset="USDT", amount=10**14) for i in range(60)]
    open_ids: list[tuple[str, str]] = []
    while len(cmds) < n:
        roll = rng.random()
        btc = rng.random() < 0.7
        symbol, mid, tick = ("BTCUSDT", 60_000 * 10_000, 10_000) if btc else ("ETHUSDT", 3_000 * 10_000, 100)
        if roll < 0.15 and open_ids:
            acct, cid = open_ids.pop(rng.randrange(len(open_ids)))
            cmds.append(CancelOrder(account=acct, client_order_id=cid))
        elif roll < 0.17:
            cmds.append(IndexTick(symbol=symbol, price=mid + rng.randint(-50, 50) * tick))
        else:
            acct, cid = f"r{rng.randrange(60)}", f"c{len(cmds)}"
            market = roll > 0.88
            flavour = rng.choice(["GTC", "GTC", "GTC", "IOC", "POST", "RO"])
            cmds.append(
                PlaceOrder(
                    account=acct,
                    symbol=symbol,
                    side=Side.BUY if rng.random() < 0.5 else Side.SELL,
                    order_type=OrderType.MARKET if market else OrderType.LIMIT,
                    qty=rng.randint(1, 5) * (2_000 if btc else 20_000),
                    price=None if market else mid + rng.randint(-20, 20) * tick,
                    time_in_force=TimeInForce.IOC if market or flavour == "IOC" else TimeInForce.GTC,
                    post_only=not market and flavour == "POST",
                    reduce_only=flavour == "RO",
                    client_order_id=cid,
                )
            )
            if not market:
                open_ids.append((acct, cid))
    return [with_sequence(c, i + 1, 1_700_000_000_000 + 5 * i) for i, c in enumerate(cmds)]


def test_mixed_stream_state_hash_is_pinned() -> None:
    engine = Engine(config(auto_liquidate=False))
    digest = hashlib.sha256()
    for cmd in mixed_stream(5_000, seed=7):
        digest.update(repr(engine.apply(cmd)).encode())
    assert engine.state_hash() == PINNED_STATE_HASH
    assert digest.hexdigest() == PINNED_EVENTS_SHA256


def test_replay_of_the_mixed_stream_reaches_the_pinned_hash() -> None:
    engine = Engine(config(auto_liquidate=False))
    engine.replay(mixed_stream(5_000, seed=7))
    assert engine.state_hash() == PINNED_STATE_HASH
    assert engine.emit_events  # back on for the next apply


def test_replay_equals_apply_with_liquidations_funding_and_modes() -> None:
    """The property tests' op mix (bets at high leverage, crashes, isolated margin, funding, trading
    modes): replay leaves the same state, fill history included, as applying each command."""
    rng = random.Random(11)
    seen: set[str] = set()
    for round_no in range(6):
        ops = [("bet", rng.choice("abcde"), rng.choice(["BTCUSDT", "ETHUSDT"]), rng.random() < 0.5,
                rng.choice([20, 50, 100]), rng.random() < 0.5) for _ in range(6)]
        ops += [("crash", rng.choice(["BTCUSDT", "ETHUSDT"]), rng.random() < 0.5) for _ in range(3)]
        ops += [("time", rng.randint(0, 10 * 3_600_000)), ("deposit", "a", 500, True)]
        ops += [("limit", rng.choice("abcde"), "BTCUSDT", rng.random() < 0.5, rng.randint(-40, 40),
                 rng.randint(1, 1500), rng.choice(["GTC", "IOC", "FOK", "POST", "RO"])) for _ in range(20)]
        rng.shuffle(ops)
        cmds = build(ops)
        cfg = config(auto_liquidate=round_no % 2 == 0,
                     deficit_policy="socialized_loss" if round_no % 3 == 0 else "adl")
        straight, replayed = Engine(cfg), Engine(cfg)
        for cmd in cmds:
            seen.update(type(event).__name__ for event in straight.apply(cmd))
        replayed.replay(cmds)
        straight.flush_index()
        replayed.flush_index()
        assert replayed.state_hash() == straight.state_hash()
        assert replayed.snapshot() == straight.snapshot()
        assert replayed.accounts_to_liquidate() == straight.accounts_to_liquidate()
    assert {"LiquidationStarted", "FundingSettled", "Fill", "OrderCanceled"} <= seen  # the mix was exercised
