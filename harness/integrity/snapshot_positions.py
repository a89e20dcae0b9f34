"""Positions and balances equal the pre-fault snapshot plus the fills (and wallet changes) after it.

Compares snapshots/pre_fault.json + journal activity in (pre seq, final seq] with
snapshots/final.json, per account present in both answers. UNKNOWN when a fault was injected but
an answer or its seq is missing; PASS with "nothing to check" when
no fault was injected (no pre-fault snapshot is taken) or no account is in both answers.
"""

from __future__ import annotations

from decimal import Decimal

from harness.history import EventKind
from harness.integrity import ledger
from harness.integrity.journal_reader import MONEY_SCALE, QTY_SCALE
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, nothing_to_check, result, unknown

NAME = "snapshot_positions"


def check(run: RunData) -> CheckerResult:
    j, pre, final = run.journal, run.pre_fault, run.final
    if j is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    if pre is None and not run.history.events_of(EventKind.FAULT):
        return nothing_to_check(NAME, "no fault was injected, so there is no pre-fault snapshot")
    if pre is None or final is None:
        return unknown(NAME, "needs snapshots/pre_fault.json and snapshots/final.json")
    common = set(pre.accounts) & set(final.accounts)
    if not common:
        return nothing_to_check(NAME, "no account is in both the pre-fault and the final answers")
    failures: list[str] = []
    checked = 0
    scans: dict[tuple[int, int], tuple[dict[ledger.Key, int], dict[ledger.Key, int]]] = {}  # per seq range
    for account in sorted(common):
        s0, s1 = pre.seq_of(account), final.seq_of(account)
        if s0 is None or s1 is None:
            continue
        checked += 1
        if (s0, s1) not in scans:
            scans[(s0, s1)] = (ledger.positions_from_fills(ledger.fills(j, after=s0, upto=s1)),
                               ledger.wallet_delta_sums(j, after=s0, upto=s1))
        moved, deltas = scans[(s0, s1)]
        before, after = pre.accounts[account], final.accounts[account]
        for sym in sorted(
            set(before.positions) | set(after.positions) | {s for a, s in moved if a == account}
        ):
            want = before.positions.get(sym, Decimal(0)) + Decimal(moved.get((account, sym), 0)) / QTY_SCALE
            got = after.positions.get(sym, Decimal(0))
            if want != got:
                failures.append(
                    f"{account} {sym}: pre-fault {before.positions.get(sym, 0)} + fills = {want}, "
                    f"engine says {got}"
                )
        for asset in sorted(set(before.wallets) | set(after.wallets)):
            want = (
                before.wallets.get(asset, Decimal(0)) + Decimal(deltas.get((account, asset), 0)) / MONEY_SCALE
            )
            got = after.wallets.get(asset, Decimal(0))
            if want != got:
                failures.append(f"{account} {asset}: pre-fault wallet + changes = {want}, engine says {got}")
    if checked == 0:
        return unknown(NAME, "no account has a seq in both snapshots")
    return result(
        NAME,
        failures,
        {"accounts_checked": checked, "mismatches": len(failures)},
        f"{checked} accounts: pre-fault snapshot + later fills vs final answers",
    )
