"""Setup phase: deposit collateral for every load account before Locust starts (stdlib only).

Each deposit is written to ``history-setup.jsonl`` as invoke then ok/fail/info; every account is its
own logical client (proc ``setup-<account>``), so the integrity checkers see the collateral. HTTP via
urllib with a per-request timeout and a bounded thread pool; no exception escapes for a single
account (its outcome is recorded and counted instead).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.history import ClientOp, HistoryWriter, Op, OpType
from harness.load.config import LoadConfig
from harness.load.outcome import Outcome, classify, decode_body
from harness.load.plan import all_accounts

SETUP_HISTORY = "history-setup.jsonl"


@dataclass(frozen=True)
class SetupResult:
    ok: int
    failed: int
    unknown: int

    @property
    def complete(self) -> bool:
        return self.failed == 0 and self.unknown == 0


def http_json(method: str, url: str, body: dict[str, Any] | None, timeout: float) -> Outcome:
    """One JSON request, classified (never raises for network or HTTP errors)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - checked above
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return classify(resp.status, decode_body(resp.read()))
    except urllib.error.HTTPError as exc:
        return classify(exc.code, decode_body(exc.read()))
    except (OSError, ValueError) as exc:  # URLError, timeouts, resets
        return classify(None, None, exc)


def deposit_collateral(
    base_url: str, config: LoadConfig, *, out_dir: str | Path | None = None, threads: int = 8
) -> SetupResult:
    """Deposit ``config.deposit_amount`` of the settlement asset into every account."""
    folder = Path(out_dir or config.out_dir)
    body = {"asset": config.settlement_asset, "amount": str(config.deposit_amount)}
    counts: Counter[OpType] = Counter()
    with HistoryWriter(folder / SETUP_HISTORY, proc="setup") as hist:

        def one(account: str) -> OpType:
            proc = f"setup-{account}"  # one logical client per account: invoke, then its completion
            hist.write(ClientOp(time.time(), proc, OpType.INVOKE, Op.DEPOSIT, account=account, value=body))
            out = http_json(
                "POST", f"{base_url.rstrip('/')}/v1/accounts/{account}/deposits", body, config.timeout_seconds
            )
            value = out.body if isinstance(out.body, dict) else {}
            hist.write(ClientOp(time.time(), proc, out.type, Op.DEPOSIT, account=account, value=value,
                                http_status=out.http_status, error=out.error))
            return out.type

        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            counts.update(pool.map(one, all_accounts(config.accounts)))
    return SetupResult(counts[OpType.OK], counts[OpType.FAIL], counts[OpType.INFO])
