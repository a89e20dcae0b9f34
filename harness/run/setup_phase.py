"""The setup phase: collateral for every load account, then the scenario's own deposits and orders.

All through the client entry (proxy ``api`` → gateway); every operation is written to the history
(``load/history-setup*.jsonl``) as invoke then ok/fail/info, so the integrity checkers see it.
Never raises for HTTP problems; returns the counts of what did not succeed.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.history import ClientOp, HistoryWriter, Op, OpType
from harness.load.config import LoadConfig
from harness.load.setup import deposit_collateral, http_json
from harness.scenario.model import SetupSpec

SETUP_ORDERS_HISTORY = "history-setup-orders.jsonl"


def run_setup(api: str, config: LoadConfig, setup: SetupSpec, out_dir: Path, run_id: str) -> list[str]:
    """Deposits for the load accounts and the scenario setup; returns problem texts (empty = all ok)."""
    problems = []
    result = deposit_collateral(api, config, out_dir=out_dir)
    if not result.complete:
        problems.append(f"setup deposits: {result.failed} failed, {result.unknown} unknown")
    if not setup.deposits and not setup.orders:
        return problems
    base = api.rstrip("/")
    with HistoryWriter(out_dir / SETUP_ORDERS_HISTORY, proc="setup-scenario") as hist:
        for account, asset, amount in setup.deposits:
            body = {"asset": asset, "amount": amount}
            proc = f"setup-{account}"
            hist.write(ClientOp(time.time(), proc, OpType.INVOKE, Op.DEPOSIT, account=account, value=body))
            out = http_json("POST", f"{base}/v1/accounts/{account}/deposits", body, 10.0)
            hist.write(ClientOp(time.time(), proc, out.type, Op.DEPOSIT, account=account,
                                value=out.body if isinstance(out.body, dict) else {},
                                http_status=out.http_status, error=out.error))
            if out.type is not OpType.OK:
                problems.append(f"setup deposit {account}: {out.error}")
        for i, order in enumerate(setup.orders):
            if order.leverage is not None:
                lev = http_json("POST", f"{base}/v1/accounts/{order.account}/leverage",
                                {"symbol": order.symbol, "leverage": order.leverage}, 10.0)
                if lev.type is not OpType.OK:
                    problems.append(f"setup leverage {order.account}: {lev.error}")
            coid = f"gd-{run_id}-setup-{i}"
            order_body: dict[str, object] = {
                "account": order.account, "symbol": order.symbol, "side": order.side,
                "type": "LIMIT" if order.price else "MARKET", "qty": order.qty, "client_order_id": coid,
            }
            if order.price:
                order_body.update(price=order.price, time_in_force="GTC")
            proc = f"setup-order-{i}"
            hist.write(ClientOp(time.time(), proc, OpType.INVOKE, Op.PLACE, account=order.account,
                                client_order_id=coid, symbol=order.symbol, value=order_body))
            out = http_json("POST", f"{base}/v1/orders", order_body, 10.0)
            hist.write(ClientOp(time.time(), proc, out.type, Op.PLACE, account=order.account,
                                client_order_id=coid, symbol=order.symbol,
                                value=out.body if isinstance(out.body, dict) else {},
                                http_status=out.http_status, error=out.error))
            if out.type is not OpType.OK:
                problems.append(f"setup order {coid}: {out.error}")
    return problems
