"""Positions and balances: the engine's answers equal an independent recomputation from the journal.

* Positions are recomputed from the journal's ``Fill`` events alone (buyer +qty, seller -qty) and
  compared with the engine's own ``PositionChanged`` and with its final answers (snapshots/final.json),
  using only fills up to the seq the answer was taken at.
* Wallets: the sum of ``WalletChanged`` deltas equals the journaled balance, and the final answer
  equals that balance.
"""

from __future__ import annotations

from decimal import Decimal

from harness.integrity import ledger
from harness.integrity.journal_reader import MONEY_SCALE, QTY_SCALE
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, result, unknown

NAME = "positions"


def check(run: RunData) -> CheckerResult:
    j = run.journal
    if j is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    failures: list[str] = []
    recomputed = ledger.positions_from_fills(ledger.fills(j))
    journaled = {k: int(e.payload.get("qty", 0)) for k, e in ledger.journal_positions(j).items()}
    for key in sorted(set(recomputed) | set(journaled)):
        if recomputed.get(key, 0) != journaled.get(key, 0):
            failures.append(
                f"journal: {key[0]} {key[1]} PositionChanged qty {journaled.get(key, 0)} "
                f"!= fills {recomputed.get(key, 0)} (x1e-6)"
            )
    balances = ledger.wallet_balances(j)
    sums = ledger.wallet_delta_sums(j)
    for key in sorted(balances):
        if sums.get(key, 0) != balances[key]:
            failures.append(
                f"journal: {key[0]} {key[1]} balance {balances[key]} != sum of deltas {sums.get(key, 0)}"
            )
    answers_checked = 0
    if run.final is not None:
        for account, view in sorted(run.final.accounts.items()):
            answers_checked += 1
            upto = run.final.seq_of(account)
            pos = ledger.positions_from_fills(ledger.fills(j, upto=upto))
            symbols = set(view.positions) | {s for (a, s) in pos if a == account}
            for sym in sorted(symbols):
                want = Decimal(pos.get((account, sym), 0)) / QTY_SCALE
                got = view.positions.get(sym, Decimal(0))
                if want != got:
                    failures.append(f"answer: {account} {sym} position {got} != recomputed {want}")
            bal = ledger.wallet_balances(j, upto=upto)
            for asset, got in sorted(view.wallets.items()):
                want = Decimal(bal.get((account, asset), 0)) / MONEY_SCALE
                if want != got:
                    failures.append(f"answer: {account} {asset} wallet {got} != journal {want}")
    counts = {
        "positions": len(recomputed),
        "wallets": len(balances),
        "answers_checked": answers_checked,
        "mismatches": len(failures),
    }
    if not failures and run.final is None:
        return unknown(NAME, "journal consistent, but no engine answers (snapshots/final.json) to compare")
    return result(NAME, failures, counts, f"{answers_checked} accounts compared, {len(failures)} mismatches")
