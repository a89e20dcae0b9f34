"""Facts derived from the journal for the checkers, recomputed here from raw events (pure).

All amounts stay in the journal's scaled integers (exact); convert with journal_reader.money/qty.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from harness.integrity import vocabulary
from harness.integrity.journal_reader import EventRow, JournalData

Key = tuple[str, str]  # (account, client_order_id) or (account, symbol)


def settlement_asset(symbol: str, journal: JournalData | None = None) -> str:
    """The symbol's settlement asset per the journal's engine config (suffix guess without one)."""
    return vocabulary.settlement_asset(symbol, vocabulary.symbol_assets(journal.config) if journal else None)


@dataclass(frozen=True)
class FillRow:
    seq: int
    symbol: str
    price: int
    qty: int
    buyer: str
    seller: str
    taker_fee: int
    maker_fee: int


def fills_of(e: EventRow) -> list[FillRow]:
    """The fill in one ``Fill`` event as a FillRow (buyer and seller resolved from ``taker_side``)."""
    p = e.payload
    taker, maker = str(p.get("taker_account")), str(p.get("maker_account"))
    buy = str(p.get("taker_side", "")).upper() == "BUY"
    return [
        FillRow(
            e.seq,
            str(p.get("symbol")),
            int(p.get("price", 0)),
            int(p.get("qty", 0)),
            taker if buy else maker,
            maker if buy else taker,
            int(p.get("taker_fee", 0) or 0),
            int(p.get("maker_fee", 0) or 0),
        )
    ]


def fills(journal: JournalData, after: int = 0, upto: int | None = None) -> list[FillRow]:
    out: list[FillRow] = []
    for e in journal.events_of("Fill"):
        if e.seq <= after or (upto is not None and e.seq > upto):
            continue
        out.extend(fills_of(e))
    return out


def positions_from_fills(rows: list[FillRow]) -> dict[Key, int]:
    """Signed position qty per (account, symbol): the buyer gains qty, the seller loses it."""
    pos: dict[Key, int] = defaultdict(int)
    for f in rows:
        pos[(f.buyer, f.symbol)] += f.qty
        pos[(f.seller, f.symbol)] -= f.qty
    return dict(pos)


def last_by(events: list[EventRow], *fields: str) -> dict[tuple[str, ...], EventRow]:
    out: dict[tuple[str, ...], EventRow] = {}
    for e in events:
        out[tuple(str(e.payload.get(f)) for f in fields)] = e
    return out


def wallet_balances(journal: JournalData, upto: int | None = None) -> dict[Key, int]:
    """Last journaled balance per (account, asset) at or before ``upto``."""
    evs = [e for e in journal.events_of("WalletChanged") if upto is None or e.seq <= upto]
    return {
        (k[0], k[1]): int(e.payload.get("balance", 0)) for k, e in last_by(evs, "account", "asset").items()
    }


def wallet_delta_sums(journal: JournalData, after: int = 0, upto: int | None = None) -> dict[Key, int]:
    sums: dict[Key, int] = defaultdict(int)
    for e in journal.events_of("WalletChanged"):
        if e.seq > after and (upto is None or e.seq <= upto):
            sums[(str(e.payload.get("account")), str(e.payload.get("asset")))] += int(
                e.payload.get("delta", 0)
            )
    return dict(sums)


def journal_positions(journal: JournalData, upto: int | None = None) -> dict[Key, EventRow]:
    """The last PositionChanged per (account, symbol) at or before ``upto``."""
    evs = [e for e in journal.events_of("PositionChanged") if upto is None or e.seq <= upto]
    return {(k[0], k[1]): e for k, e in last_by(evs, "account", "symbol").items()}


def seq_at(journal: JournalData, t_seconds: float) -> int:
    """The last seq whose sequencer time is at or before ``t_seconds`` (0 if none)."""
    seq = 0
    for c in journal.commands:
        if c.ts_ms <= t_seconds * 1000:
            seq = c.seq
        else:
            break
    return seq
