"""A per-account statement of order status at the interruption point (the first fault's start).

For every account: each order the journal holds at the last seq at or before the interruption,
with its status then (open, partially_filled, filled, canceled, expired, rejected) and the client's
view (ok / fail / unknown). The statement is in ``details``; the check FAILs when an order the client
had been acknowledged before the interruption is absent from it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from harness.history import EventKind, Op, OpType
from harness.integrity import ledger
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, nothing_to_check, result, unknown

NAME = "statement"


def interruption_time(run: RunData) -> float | None:
    for e in run.history.events_of(EventKind.FAULT):
        if e.get("action") == "inject":
            return e.t
    return None


def order_status(run: RunData, upto: int) -> dict[tuple[str, str], dict[str, Any]]:
    assert run.journal is not None
    orders: dict[tuple[str, str], dict[str, Any]] = {}
    remaining: dict[tuple[str, str], int] = {}
    for e in run.journal.events:
        if e.seq > upto:
            break
        p = e.payload
        key = (str(p.get("account")), str(p.get("client_order_id")))
        if e.kind == "OrderAccepted" and key not in orders:
            orders[key] = {"symbol": p.get("symbol"), "side": p.get("side"), "status": "open", "seq": e.seq}
            remaining[key] = int(p.get("qty", 0))
        elif e.kind == "OrderRejected" and key not in orders:
            orders[key] = {"status": "rejected", "code": p.get("code"), "seq": e.seq}
        elif e.kind == "Fill":
            for side in ("taker", "maker"):
                k = (str(p.get(f"{side}_account")), str(p.get(f"{side}_client_order_id")))
                if k in remaining:
                    remaining[k] -= int(p.get("qty", 0))
                    orders[k]["status"] = "filled" if remaining[k] <= 0 else "partially_filled"
        elif e.kind in ("OrderCanceled", "OrderExpired", "OrderFilled") and key in orders:
            orders[key]["status"] = {"OrderCanceled": "canceled", "OrderExpired": "expired"}.get(
                e.kind, "filled"
            )
    return orders


def check(run: RunData) -> CheckerResult:
    if run.journal is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    t = interruption_time(run)
    if t is None:
        return nothing_to_check(NAME, "no fault was injected, so there is no interruption point")
    seq = ledger.seq_at(run.journal, t)
    orders = order_status(run, seq)
    client: dict[tuple[str, str], str] = {}
    for op in run.history.ops:
        if op.op is Op.PLACE and op.client_order_id and op.t <= t:
            key = (op.account or "", op.client_order_id)
            client[key] = "unknown" if op.type in (OpType.INVOKE, OpType.INFO) else op.type.value
    statement: dict[str, dict[str, Any]] = defaultdict(dict)
    for (account, coid), info in sorted(orders.items()):
        statement[account][coid] = dict(info, client=client.get((account, coid), "not_sent"))
    missing = [
        f"{a}/{c}: acknowledged before the interruption, absent from the journal at seq {seq}"
        for (a, c), v in sorted(client.items())
        if v == "ok" and (a, c) not in orders
    ]
    counts = {
        "accounts": len(statement),
        "orders": len(orders),
        "missing": len(missing),
        "open": sum(1 for o in orders.values() if o["status"] in ("open", "partially_filled")),
    }
    return result(
        NAME,
        missing,
        counts,
        f"statement at seq {seq} (t={t:.3f}) for {len(statement)} accounts",
        {"interruption_t": t, "seq": seq, "accounts": dict(statement)},
    )
