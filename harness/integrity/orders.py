"""Orders, Jepsen ``set`` checker style: lost / unexpected / recovered client orders.

Client side (history.jsonl): the last completion of each ``place`` per (account, client_order_id)
— ``ok`` (acknowledged), ``fail`` (definitely not executed) or ``info`` / no completion (unknown).
Server side (journal): a ``PlaceOrder`` command is durable; ``OrderAccepted`` at its seq = accepted.

* lost: acknowledged by the client (ok) but not accepted in the journal → FAIL
* unexpected: in the journal but never invoked by any client → FAIL
* failed_but_present: the client was told "not executed" but the journal accepted it → FAIL
* recovered: outcome unknown to the client, present in the journal (fine: Jepsen's recovered)
* unknown_absent: outcome unknown, not in the journal (fine: it did not happen)
"""

from __future__ import annotations

from harness.history import Op, OpType
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, nothing_to_check, result, unknown

NAME = "orders"


def check(run: RunData) -> CheckerResult:
    if run.journal is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    invoked: set[tuple[str, str]] = set()
    outcome: dict[tuple[str, str], OpType] = {}
    for op in run.history.ops:
        if op.op is not Op.PLACE or op.client_order_id is None:
            continue
        key = (op.account or "", op.client_order_id)
        if op.type is OpType.INVOKE:
            invoked.add(key)
            outcome.setdefault(key, OpType.INFO)
        else:
            outcome[key] = op.type
    if not run.history.ops:
        return unknown(NAME, "no client operations in the history (history.jsonl missing or empty)")
    placed = {
        (str(c.payload.get("account")), str(c.payload.get("client_order_id")))
        for c in run.journal.commands_of("PlaceOrder")
    }
    accepted = {
        (str(e.payload.get("account")), str(e.payload.get("client_order_id")))
        for e in run.journal.events_of("OrderAccepted")
    }
    lost, failed_present, recovered, absent = [], [], [], 0
    for key in sorted(outcome):
        kind = outcome[key]
        if kind is OpType.OK and key not in accepted:
            why = "journaled but not accepted" if key in placed else "missing from the journal"
            lost.append(f"lost: {key[0]}/{key[1]} acknowledged to the client, {why}")
        elif kind is OpType.FAIL and key in accepted:
            failed_present.append(
                f"failed_but_present: {key[0]}/{key[1]} answered not-executed, but accepted"
            )
        elif kind is OpType.INFO:
            if key in placed:
                recovered.append(key)
            else:
                absent += 1
    unexpected = [f"unexpected: {a}/{c} in the journal, never sent" for a, c in sorted(placed - invoked)]
    counts = {
        "attempted": len(invoked),
        "acknowledged": sum(1 for v in outcome.values() if v is OpType.OK),
        "failed": sum(1 for v in outcome.values() if v is OpType.FAIL),
        "unknown": sum(1 for v in outcome.values() if v is OpType.INFO),
        "lost": len(lost),
        "unexpected": len(unexpected),
        "failed_but_present": len(failed_present),
        "recovered": len(recovered),
        "unknown_absent": absent,
        "journal_orders": len(placed),
    }
    if not invoked and not placed:
        return nothing_to_check(NAME, "no order was placed by any client or journaled", counts=counts)
    summary = (
        f"{counts['attempted']} attempted, {counts['acknowledged']} acknowledged: {len(lost)} lost, "
        f"{len(unexpected)} unexpected, {len(recovered)} recovered"
    )
    return result(NAME, lost + unexpected + failed_present, counts, summary)
