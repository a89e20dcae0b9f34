"""Test helpers: a stepping wrapper around Engine with decimal-string conveniences."""

from __future__ import annotations

import ast
from types import ModuleType
from typing import Any

from target_engine.config.loader import load_config_dict
from target_engine.domain import (
    Command,
    Deposit,
    Engine,
    EngineConfig,
    IndexTick,
    OrderType,
    PlaceOrder,
    Side,
    TimeInForce,
    engine_config_from_dict,
    with_sequence,
)
from target_engine.domain.events import Event
from target_engine.domain.units import MONEY_DECIMALS, PRICE_DECIMALS, QTY_DECIMALS, parse_decimal
from target_engine.native import DOMAIN_DIR

RAW_CONFIG = load_config_dict()


def config(**overrides: Any) -> EngineConfig:
    return engine_config_from_dict(RAW_CONFIG, **overrides)


def px(text: str) -> int:
    return parse_decimal(text, PRICE_DECIMALS)


def q(text: str) -> int:
    return parse_decimal(text, QTY_DECIMALS)


def m(text: str) -> int:
    return parse_decimal(text, MONEY_DECIMALS)


class Run:
    """Applies commands with increasing seq; ``ts`` is the current command time (ms)."""

    def __init__(self, cfg: EngineConfig | None = None, *, ts: int = 1_000, **overrides: Any) -> None:
        self.engine = Engine(cfg or config(**overrides))
        self.seq = 0
        self.ts = ts
        self.log: list[Command] = []

    def do(self, cmd: Command, ts: int | None = None) -> list[Event]:
        if ts is not None:
            self.ts = ts
        self.seq += 1
        stamped = with_sequence(cmd, self.seq, self.ts)
        self.log.append(stamped)
        return self.engine.apply(stamped)

    def index(self, symbol: str, price: str, ts: int | None = None) -> list[Event]:
        return self.do(IndexTick(symbol=symbol, price=px(price)), ts)

    def deposit(self, account: str, amount: str, asset: str = "USDT") -> list[Event]:
        return self.do(Deposit(account=account, asset=asset, amount=m(amount)))

    def limit(
        self, account: str, side: str, qty: str, price: str, cid: str, symbol: str = "BTCUSDT", **kw: Any
    ) -> list[Event]:
        return self.do(
            PlaceOrder(
                account=account,
                symbol=symbol,
                side=Side(side),
                order_type=OrderType.LIMIT,
                qty=q(qty),
                price=px(price),
                client_order_id=cid,
                **kw,
            )
        )

    def market(
        self, account: str, side: str, qty: str, cid: str, symbol: str = "BTCUSDT", **kw: Any
    ) -> list[Event]:
        return self.do(
            PlaceOrder(
                account=account,
                symbol=symbol,
                side=Side(side),
                order_type=OrderType.MARKET,
                qty=q(qty),
                client_order_id=cid,
                time_in_force=TimeInForce.IOC,
                **kw,
            )
        )


def of(events: list[Event], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def codes(events: list[Event]) -> list[str]:
    from target_engine.domain.events import OrderRejected

    return [e.code for e in events if isinstance(e, OrderRejected)]


def conservation_gap(engine: Engine) -> dict[str, int]:
    """Per asset: LHS - RHS of wallets + isolated - cost + insurance + fees - bad_debt = net deposits."""
    gaps = {}
    for asset, t in engine.ledger().items():
        lhs = t["wallets"] + t["isolated"] - t["cost_basis"] + t["insurance"] + t["fees"] - t["bad_debt"]
        gaps[asset] = lhs - t["net_deposits"]
    return gaps


def source_annotations(module: ModuleType) -> dict[str, dict[str, str]]:
    """Each class's annotated fields in ``module``, as written in its ``.py`` source. The
    mypyc-compiled domain keeps no annotation text (``int | None`` becomes ``type``), so tests that
    need the declared types read them here, the same under both builds."""
    source = DOMAIN_DIR / (module.__name__.rpartition(".")[2] + ".py")  # __file__ may be the extension
    tree = ast.parse(source.read_text())
    return {
        node.name: {
            stmt.target.id: ast.unparse(stmt.annotation)
            for stmt in node.body
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
        }
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }
