"""Property tests over random command sequences: every invariant of margin-rules.md, determinism,
snapshot + replay = straight run. Derandomized (fixed examples) so the suite is deterministic."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from target_engine.domain import (
    AdjustIsolatedMargin,
    CancelOrder,
    ClockTick,
    Command,
    Deposit,
    Engine,
    FundInsurance,
    IndexTick,
    MarginType,
    OrderType,
    PlaceOrder,
    SetLeverage,
    SetMarginType,
    SetTradingMode,
    Side,
    TimeInForce,
    TradingMode,
    Withdraw,
    command_from_dict,
    command_to_dict,
    with_sequence,
)
from target_engine.domain.events import Event, FundingPaid, FundingSettled, event_from_dict, event_to_dict

from .domain_helpers import config, conservation_gap, m

ACCOUNTS = ["a", "b", "c", "d", "e"]
SYMBOLS = {
    "BTCUSDT": (60_000 * 10_000, 1_000),
    "ETHUSDT": (3_000 * 10_000, 100),
    "BTCUSDC": (60_000 * 10_000, 1_000),
}
H = 3_600_000
PROFILE = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

limit_op = st.tuples(
    st.just("limit"),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(list(SYMBOLS)),
    st.booleans(),
    st.integers(-40, 40),
    st.integers(1, 1500),
    st.sampled_from(["GTC", "GTC", "IOC", "FOK", "POST", "RO"]),
)
market_op = st.tuples(
    st.just("market"),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(list(SYMBOLS)),
    st.booleans(),
    st.integers(1, 1500),
    st.booleans(),
)
index_op = st.tuples(st.just("index"), st.sampled_from(list(SYMBOLS)), st.integers(-300, 300))
bet_op = st.tuples(
    st.just("bet"),
    st.sampled_from(ACCOUNTS),
    st.sampled_from(list(SYMBOLS)),
    st.booleans(),
    st.sampled_from([20, 50, 100]),
    st.booleans(),
)
crash_op = st.tuples(st.just("crash"), st.sampled_from(list(SYMBOLS)), st.booleans())
op = st.one_of(
    bet_op,
    crash_op,
    limit_op,
    limit_op,
    limit_op,
    market_op,
    market_op,
    market_op,
    index_op,
    index_op,
    index_op,
    index_op,
    st.tuples(st.just("deposit"), st.sampled_from(ACCOUNTS), st.integers(50, 20_000), st.booleans()),
    st.tuples(st.just("cancel"), st.sampled_from(ACCOUNTS), st.integers(0, 60)),
    st.tuples(st.just("index"), st.sampled_from(list(SYMBOLS)), st.integers(-600, 600)),
    st.tuples(st.just("time"), st.integers(0, 10 * H)),
    st.tuples(
        st.just("leverage"),
        st.sampled_from(ACCOUNTS),
        st.sampled_from(list(SYMBOLS)),
        st.sampled_from([1, 5, 20, 50, 100, 125]),
    ),
    st.tuples(
        st.just("margin_type"), st.sampled_from(ACCOUNTS), st.sampled_from(list(SYMBOLS)), st.booleans()
    ),
    st.tuples(
        st.just("adjust"), st.sampled_from(ACCOUNTS), st.sampled_from(list(SYMBOLS)), st.integers(-500, 500)
    ),
    st.tuples(st.just("withdraw"), st.sampled_from(ACCOUNTS), st.integers(1, 5_000)),
    st.tuples(st.just("mode"), st.sampled_from([TradingMode.NORMAL, TradingMode.NORMAL, *TradingMode])),
    st.tuples(st.just("fund"), st.integers(1, 2_000)),
)


def build(ops: list[tuple[Any, ...]]) -> list[Command]:
    """Turn ops into sequenced commands (a pure function of ops, so replays see the same log)."""
    index = {s: p for s, (p, _) in SYMBOLS.items()}
    cmds: list[Command] = [IndexTick(symbol=s, price=p) for s, p in index.items()]
    for name in ACCOUNTS:
        cmds.append(Deposit(account=name, asset="USDT", amount=m("5000")))
        cmds.append(Deposit(account=name, asset="USDC", amount=m("5000")))
    for asset in ("USDT", "USDC"):
        cmds.append(Deposit(account="mm", asset=asset, amount=m("2000000")))
    for symbol, (price, tick) in SYMBOLS.items():  # a market maker's ladder so takers find liquidity
        for level in range(1, 6):
            for side, sign in ((Side.BUY, -1), (Side.SELL, 1)):
                cmds.append(
                    PlaceOrder(
                        account="mm",
                        symbol=symbol,
                        side=side,
                        order_type=OrderType.LIMIT,
                        qty=200_000 * level,
                        price=price + sign * level * tick * 50,
                        client_order_id=f"mm-{symbol}-{side}-{level}",
                    )
                )
    ts = 1_000
    stamped: list[Command] = [with_sequence(c, i + 1, ts) for i, c in enumerate(cmds)]
    order_no = 0
    expanded: list[tuple[Any, ...]] = []
    for item in ops:  # composite ops: a leveraged bet (leverage + big market order), a crash (4 moves)
        if item[0] == "bet":
            _, account, symbol, buy, lev, isolated = item
            expanded.append(("margin_type", account, symbol, isolated))
            expanded.append(("leverage", account, symbol, lev))
            expanded.append(("market", account, symbol, buy, 2000 if symbol != "ETHUSDT" else 30_000, False))
        elif item[0] == "crash":
            expanded.extend([("index", item[1], -300 if item[2] else 300)] * 4)
        else:
            expanded.append(item)
    for kind, *args in expanded:
        cmd: Command
        if kind == "deposit":
            cmd = Deposit(account=args[0], asset="USDT" if args[2] else "USDC", amount=m(str(args[1])))
        elif kind == "limit":
            account, symbol, buy, offset, lots, flavour = args
            tick = 1_000 if symbol != "ETHUSDT" else 100
            price = index[symbol] + offset * tick * 10
            order_no += 1
            cmd = PlaceOrder(
                account=account,
                symbol=symbol,
                side=Side.BUY if buy else Side.SELL,
                order_type=OrderType.LIMIT,
                qty=lots * 1_000,
                price=max(tick, price),
                time_in_force=TimeInForce(flavour) if flavour in ("GTC", "IOC", "FOK") else TimeInForce.GTC,
                post_only=flavour == "POST",
                reduce_only=flavour == "RO",
                client_order_id=f"o{order_no}",
            )
        elif kind == "market":
            account, symbol, buy, lots, reduce_only = args
            order_no += 1
            cmd = PlaceOrder(
                account=account,
                symbol=symbol,
                side=Side.BUY if buy else Side.SELL,
                order_type=OrderType.MARKET,
                qty=lots * 1_000,
                time_in_force=TimeInForce.IOC,
                reduce_only=reduce_only,
                client_order_id=f"o{order_no}",
            )
        elif kind == "cancel":
            cmd = CancelOrder(account=args[0], client_order_id=f"o{max(1, order_no - args[1])}")
        elif kind == "index":  # the index moves and the market maker requotes around it
            symbol, bps = args
            tick = SYMBOLS[symbol][1]
            index[symbol] = max(100 * tick, index[symbol] * (10_000 + bps) // 10_000 // tick * tick)
            for side, sign in ((Side.BUY, -1), (Side.SELL, 1)):
                ts += 100
                order_no += 1
                quote = PlaceOrder(
                    account="mm",
                    symbol=symbol,
                    side=side,
                    order_type=OrderType.LIMIT,
                    qty=1_000_000,
                    price=index[symbol] + sign * 20 * tick,
                    client_order_id=f"o{order_no}",
                )
                stamped.append(
                    with_sequence(IndexTick(symbol=symbol, price=index[symbol]), len(stamped) + 1, ts)
                )
                stamped.append(with_sequence(quote, len(stamped) + 1, ts))
                ts += 1_100
            cmd = IndexTick(symbol=symbol, price=index[symbol])
        elif kind == "time":
            ts += args[0]
            cmd = ClockTick()
        elif kind == "leverage":
            cmd = SetLeverage(account=args[0], symbol=args[1], leverage=args[2])
        elif kind == "margin_type":
            cmd = SetMarginType(
                account=args[0],
                symbol=args[1],
                margin_type=MarginType.ISOLATED if args[2] else MarginType.CROSS,
            )
        elif kind == "adjust":
            cmd = AdjustIsolatedMargin(account=args[0], symbol=args[1], amount=m(str(args[2])))
        elif kind == "withdraw":
            cmd = Withdraw(account=args[0], asset="USDT", amount=m(str(args[1])))
        elif kind == "mode":
            cmd = SetTradingMode(mode=args[0], reason="property test")
        else:
            cmd = FundInsurance(asset="USDT", amount=m(str(args[0])))
        ts += 100
        stamped.append(with_sequence(cmd, len(stamped) + 1, ts))
    stamped.append(with_sequence(SetTradingMode(mode=TradingMode.NORMAL), len(stamped) + 1, ts + 24 * H))
    return stamped


def check_state(engine: Engine) -> None:
    assert conservation_gap(engine) == dict.fromkeys(engine.config.assets, 0)
    for symbol, holders in engine.holders.items():
        assert sum(p.qty for p in holders.values()) == 0, f"open interest unbalanced in {symbol}"
    assert all(v >= 0 for v in engine.insurance.values())
    for account in engine.accounts.values():
        for asset, balance in account.wallets.items():
            if not engine.cross_positions(account, asset):
                assert balance >= 0, f"negative wallet {account.account_id} {asset}"
        for pos in account.positions.values():
            if pos.margin_type is MarginType.ISOLATED and not pos.qty:
                assert pos.isolated_margin >= 0
    if engine.trading_mode is not TradingMode.HALTED:
        assert engine.accounts_to_liquidate() == []
        assert not any(engine.needs_liquidation(a) for a in engine.accounts)


def check_funding(events: list[Event], settled: dict[str, list[int]]) -> None:
    for ev in events:
        if isinstance(ev, FundingSettled):
            starts = settled.setdefault(ev.symbol, [])
            assert ev.interval_start not in starts, "interval settled twice"
            if starts:
                assert ev.interval_start == starts[-1] + ev.funding_time - ev.interval_start, (
                    "interval skipped"
                )
            starts.append(ev.interval_start)
            paid = [
                p.amount
                for p in events
                if isinstance(p, FundingPaid) and p.symbol == ev.symbol and p.funding_time == ev.funding_time
            ]
            assert sum(paid) == 0 and sum(a for a in paid if a > 0) == ev.total_paid


@PROFILE
@given(st.lists(op, min_size=20, max_size=80), st.booleans())
def test_invariants_hold_after_every_command(ops: list[tuple[Any, ...]], socialized: bool) -> None:
    engine = Engine(config(deficit_policy="socialized_loss" if socialized else "adl"))
    settled: dict[str, list[int]] = {}
    for cmd in build(ops):
        events = engine.apply(cmd)
        check_state(engine)
        check_funding(events, settled)


@PROFILE
@given(st.lists(op, min_size=20, max_size=60), st.integers(0, 100), st.booleans())
def test_determinism_and_snapshot_replay(ops: list[tuple[Any, ...]], cut_at: int, okx: bool) -> None:
    cfg = config(mark_method="okx_ema" if okx else "binance_median")
    cmds = build(ops)
    cut = min(cut_at, len(cmds))
    straight, again = Engine(cfg), Engine(cfg)
    straight_events = [straight.apply(c) for c in cmds]
    assert [again.apply(command_from_dict(command_to_dict(c))) for c in cmds] == straight_events
    assert again.state_hash() == straight.state_hash()
    first = Engine(cfg)
    for c in cmds[:cut]:
        first.apply(c)
    stored = json.loads(json.dumps(first.snapshot(), sort_keys=True))  # as a journal would keep it
    resumed = Engine.restore(cfg, stored)
    assert resumed.state_hash() == first.state_hash()
    tail = [resumed.apply(c) for c in cmds[cut:]]
    assert tail == straight_events[cut:]
    assert resumed.state_hash() == straight.state_hash()
    assert all(event_from_dict(event_to_dict(e)) == e for evs in tail for e in evs)
