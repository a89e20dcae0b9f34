"""Collateral conservation per settlement asset (margin-rules.md invariants), exact integers.

Σ wallets - Σ position cost basis + Σ isolated margin + insurance fund + fees collected
    = net deposits (deposits - withdrawals) + insurance injections.
The cost term makes it exact while positions are open (a fill moves price * qty between the
buyer's and the seller's cost); with every position flat it is the textbook "Σ wallets +
insurance fund + fees = net deposits". Rounding dust of at most one unit per account is allowed.
"""

from __future__ import annotations

from collections import defaultdict

from harness.integrity import ledger
from harness.integrity.journal_reader import money
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, result, unknown

NAME = "conservation"


def check(run: RunData) -> CheckerResult:
    j = run.journal
    if j is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    held: dict[str, int] = defaultdict(int)
    inflow: dict[str, int] = defaultdict(int)
    accounts: dict[str, set[str]] = defaultdict(set)
    for (account, asset), bal in ledger.wallet_balances(j).items():
        held[asset] += bal
        accounts[asset].add(account)
    for e in j.events_of("WalletChanged"):
        if e.payload.get("reason") in ("DEPOSIT", "WITHDRAW"):
            inflow[str(e.payload.get("asset"))] += int(e.payload.get("delta", 0))
    for (_account, symbol), e in ledger.journal_positions(j).items():
        asset = ledger.settlement_asset(symbol)
        held[asset] += int(e.payload.get("isolated_margin", 0) or 0) - int(e.payload.get("cost", 0) or 0)
    for (asset,), e in ledger.last_by(j.events_of("InsuranceFundChanged"), "asset").items():
        held[asset] += int(e.payload.get("balance", 0))
    for c in j.commands_of("FundInsurance"):
        inflow[str(c.payload.get("asset"))] += int(c.payload.get("amount", 0))
    for f in ledger.fills(j):
        held[ledger.settlement_asset(f.symbol)] += f.taker_fee + f.maker_fee
    failures = []
    details = {}
    for asset in sorted(set(held) | set(inflow)):
        diff = held[asset] - inflow[asset]
        dust = max(1, len(accounts[asset]))
        details[asset] = {
            "held": str(money(held[asset])),
            "net_inflow": str(money(inflow[asset])),
            "difference": str(money(diff)),
        }
        if abs(diff) > dust:
            failures.append(
                f"{asset}: held {money(held[asset])} != net inflow {money(inflow[asset])} "
                f"(difference {money(diff)})"
            )
    if not details:
        return unknown(NAME, "no wallet activity in the journal")
    return result(
        NAME,
        failures,
        {"assets": len(details), "violations": len(failures)},
        f"{len(details)} assets checked",
        details,
    )
