"""Collateral conservation per settlement asset, exact integers, after every command.

The identity (target_engine/domain/README.md "Invariants", the terms of ``Engine.ledger()``):

    Σ cross wallets + Σ isolated margins - Σ position cost basis + insurance fund + fees - bad debt
        = net deposits = deposits - withdrawals + initial insurance fund + fund injections

The cost term makes it exact while positions are open (a fill moves price * qty between the buyer's
and the seller's cost basis); with every position flat it is the textbook "Σ wallets + insurance
fund + fees = net deposits". The domain tracks no rounding dust (fees and funding are floor-rounded
and booked on both sides), so the tolerance is zero. The initial fund comes from the journal's
``engine_config`` (``engine.insurance_fund``; absent = 0, the engine's default).

Every term is replayed event by event and the identity is checked at each command boundary, so a
violation names the first command (seq) that broke it, not only the final difference.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from harness.integrity import vocabulary
from harness.integrity.journal_reader import EventRow, money
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, nothing_to_check, result, unknown

NAME = "conservation"
TERMS = ("wallets", "isolated", "cost_basis", "insurance", "fees", "bad_debt", "net_deposits")


@dataclass
class _Books:
    """Running totals per asset (the terms of the identity), replayed from the events."""

    assets: dict[str, str]
    terms: dict[str, dict[str, int]] = field(default_factory=dict)
    wallet: dict[tuple[str, str], int] = field(default_factory=dict)
    position: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)

    def of(self, asset: str) -> dict[str, int]:
        return self.terms.setdefault(asset, dict.fromkeys(TERMS, 0))

    def apply(self, e: EventRow) -> None:
        p = e.payload
        if e.kind == "WalletChanged":
            asset, key = str(p.get("asset")), (str(p.get("account")), str(p.get("asset")))
            balance = int(p.get("balance", 0))
            self.of(asset)["wallets"] += balance - self.wallet.get(key, 0)
            self.wallet[key] = balance
            if p.get("reason") in vocabulary.EXTERNAL_WALLET_REASONS:
                self.of(asset)["net_deposits"] += int(p.get("delta", 0))
        elif e.kind == "PositionChanged":
            symbol = str(p.get("symbol"))
            t = self.of(vocabulary.settlement_asset(symbol, self.assets))
            key = (str(p.get("account")), symbol)
            iso, cost = int(p.get("isolated_margin", 0) or 0), int(p.get("cost", 0) or 0)
            old_iso, old_cost = self.position.get(key, (0, 0))
            t["isolated"] += iso - old_iso
            t["cost_basis"] += cost - old_cost
            self.position[key] = (iso, cost)
        elif e.kind == "InsuranceFundChanged":
            t = self.of(str(p.get("asset")))
            t["insurance"] = int(p.get("balance", 0))
            if p.get("reason") == vocabulary.FUND_INJECTION:
                t["net_deposits"] += int(p.get("delta", 0))
        elif e.kind == "Fill":
            symbol = str(p.get("symbol"))
            t = self.of(vocabulary.settlement_asset(symbol, self.assets))
            t["fees"] += int(p.get("taker_fee", 0) or 0) + int(p.get("maker_fee", 0) or 0)
        elif e.kind == "BadDebt":
            self.of(str(p.get("asset")))["bad_debt"] += int(p.get("amount", 0))

    def differences(self) -> dict[str, int]:
        return {
            asset: t["wallets"] + t["isolated"] - t["cost_basis"] + t["insurance"] + t["fees"]
            - t["bad_debt"] - t["net_deposits"]
            for asset, t in self.terms.items()
        }


def check(run: RunData) -> CheckerResult:
    j = run.journal
    if j is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    books = _Books(vocabulary.symbol_assets(j.config))
    for asset, amount in vocabulary.initial_insurance(j.config).items():
        books.of(asset)["insurance"] = amount
        books.of(asset)["net_deposits"] = amount
    kinds = {c.seq: c.kind for c in j.commands}
    failures: list[str] = []
    last_diff: dict[str, int] = defaultdict(int)

    def boundary(seq: int) -> None:
        for asset, diff in sorted(books.differences().items()):
            if diff != last_diff[asset]:
                failures.append(
                    f"seq {seq} ({kinds.get(seq, '?')}): {asset} conservation off by "
                    f"{money(diff - last_diff[asset])} (total difference now {money(diff)})"
                )
                last_diff[asset] = diff

    current = None
    for e in j.events:
        if current is not None and e.seq != current:
            boundary(current)
        current = e.seq
        books.apply(e)
    if current is not None:
        boundary(current)
    details = {asset: {k: str(money(v)) for k, v in t.items()} for asset, t in sorted(books.terms.items())}
    finals = books.differences()
    for asset, diff in sorted(finals.items()):
        details[asset]["difference"] = str(money(diff))
    if not any(t["net_deposits"] or t["wallets"] for t in books.terms.values()):
        return nothing_to_check(NAME, "no money in the journal (no deposit, no fund)", details)
    broken = sorted(a for a, d in finals.items() if d)
    if broken:
        failures.insert(0, "final: " + ", ".join(f"{a} difference {money(finals[a])}" for a in broken))
    return result(
        NAME,
        failures,
        {"assets": len(details), "violations": len(failures), "assets_broken": len(broken)},
        f"{len(details)} assets: wallets + isolated - cost + fund + fees - bad debt = net deposits",
        details,
    )
