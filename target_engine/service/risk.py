"""Is an order risk-increasing? (the shed policy rejects only those while the margin queue is over limit)

An order is *not* risk-increasing when it is reduce-only, or when it is on the opposite side of the
account's current position in that symbol and no larger than it (it can only shrink the position).
Anything else — opening, adding to, or flipping a position — counts as risk-increasing. Reads the
engine's positions through ``position_qty`` (an adapter over the domain state; no domain edits).
"""

from __future__ import annotations

from target_engine.domain import Engine, PlaceOrder, Side


def position_qty(engine: Engine, account: str, symbol: str) -> int:
    """Signed position quantity (scaled int; > 0 long, < 0 short, 0 flat or unknown account)."""
    acct = engine.accounts.get(account)
    if acct is None:
        return 0
    pos = acct.positions.get(symbol)
    return 0 if pos is None else int(pos.qty)


def is_risk_increasing(engine: Engine, cmd: PlaceOrder) -> bool:
    if cmd.reduce_only:
        return False
    held = position_qty(engine, cmd.account, cmd.symbol)
    if cmd.side is Side.SELL:
        return not (held > 0 and cmd.qty <= held)
    return not (held < 0 and cmd.qty <= -held)
