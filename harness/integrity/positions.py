"""Positions and balances: the engine's answers equal an independent recomputation from the journal.

* Positions are recomputed from the journal's ``Fill`` events alone (buyer +qty, seller -qty) and
  compared with the engine's own ``PositionChanged`` and with its final answers (snapshots/final.json),
  using only fills up to the seq the answer was taken at.
  The journal replay checks after every command, so a mismatch names the seq.
* Wallets: each ``WalletChanged`` balance equals the previous balance plus its delta (naming the
  event), and the final answer equals the journaled balance.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from harness.integrity import ledger
from harness.integrity.journal_reader import MONEY_SCALE, QTY_SCALE, JournalData, money, qty
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, result, unknown

NAME = "positions"


def journal_problems(j: JournalData) -> list[str]:
    """Replay the journal: after each command, every position it touched equals the fills so far, and
    every wallet change continues the previous balance (balance = previous + delta). Names the record."""
    out: list[str] = []
    from_fills: dict[ledger.Key, int] = defaultdict(int)
    journaled: dict[ledger.Key, int] = {}
    balance: dict[ledger.Key, int] = {}
    touched: set[ledger.Key] = set()

    def boundary(seq: int) -> None:
        for key in sorted(touched):
            if from_fills.get(key, 0) != journaled.get(key, 0):
                out.append(
                    f"seq {seq}: {key[0]} {key[1]} PositionChanged qty {qty(journaled.get(key, 0))} "
                    f"!= fills so far {qty(from_fills.get(key, 0))}"
                )
        touched.clear()

    current = None
    for e in j.events:
        if current is not None and e.seq != current:
            boundary(current)
        current = e.seq
        p = e.payload
        if e.kind == "Fill":
            for f in ledger.fills_of(e):
                from_fills[(f.buyer, f.symbol)] += f.qty
                from_fills[(f.seller, f.symbol)] -= f.qty
                touched.update({(f.buyer, f.symbol), (f.seller, f.symbol)})
        elif e.kind == "PositionChanged":
            key = (str(p.get("account")), str(p.get("symbol")))
            journaled[key] = int(p.get("qty", 0))
            touched.add(key)
        elif e.kind == "WalletChanged":
            key = (str(p.get("account")), str(p.get("asset")))
            want = balance.get(key, 0) + int(p.get("delta", 0))
            got = int(p.get("balance", 0))
            if got != want:
                out.append(
                    f"events seq {e.seq} idx {e.idx}: {key[0]} {key[1]} WalletChanged balance {money(got)} "
                    f"!= previous {money(balance.get(key, 0))} + delta {money(int(p.get('delta', 0)))}"
                )
            balance[key] = got
    if current is not None:
        boundary(current)
    return out


def check(run: RunData) -> CheckerResult:
    j = run.journal
    if j is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    failures = journal_problems(j)
    recomputed = ledger.positions_from_fills(ledger.fills(j))
    balances = ledger.wallet_balances(j)
    answers_checked = 0
    at_seq: dict[int | None, tuple[dict[ledger.Key, int], dict[ledger.Key, int]]] = {}
    if run.final is not None:
        for account, view in sorted(run.final.accounts.items()):
            answers_checked += 1
            upto = run.final.seq_of(account)
            if upto not in at_seq:  # answers usually share one seq: replay once per seq
                at_seq[upto] = (
                    ledger.positions_from_fills(ledger.fills(j, upto=upto)),
                    ledger.wallet_balances(j, upto=upto),
                )
            pos, bal = at_seq[upto]
            symbols = set(view.positions) | {s for (a, s) in pos if a == account}
            for sym in sorted(symbols):
                want = Decimal(pos.get((account, sym), 0)) / QTY_SCALE
                got = view.positions.get(sym, Decimal(0))
                if want != got:
                    failures.append(f"answer: {account} {sym} position {got} != recomputed {want}")
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
