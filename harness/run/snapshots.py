"""Engine answers for the integrity checkers: ``snapshots/pre_fault.json`` and ``snapshots/final.json``.

Each account's ``GET /v1/accounts/{account}`` body is taken with the leader's seq read just before
and just after it; when both are equal that seq is the account's (``account_seqs``), otherwise the
read is retried a few times (the checker skips accounts without a seq). The caller freezes
admission at the gateway first so the seq can settle. Network errors leave the account out.
Writes the file atomically; never raises for HTTP problems.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.run.http import Http
from harness.run.targets import engine_roles
from harness.stack.stack import Stack

ATTEMPTS = 3
GLOBAL_ATTEMPTS = 3  # whole passes (the leader journals a clock tick each second when idle)


def _seq(http: Http, engine: str) -> int | None:
    reply = http.get(f"{engine}/v1/state?hash=false")
    if reply.ok and isinstance(reply.body, dict) and isinstance(reply.body.get("seq"), int):
        return int(reply.body["seq"])
    return None


def take_snapshot(http: Http, engine: str, accounts: Iterable[str], budget: float = 15.0) -> dict[str, Any]:
    """Bounded by ``budget`` seconds overall (accounts not reached are left out, ``partial`` set)."""
    out: dict[str, Any] = {"t": time.time(), "engine": engine, "accounts": {}, "account_seqs": {}}
    deadline = time.monotonic() + budget
    accounts = list(accounts)
    for _ in range(GLOBAL_ATTEMPTS):
        first = _seq(http, engine)
        with ThreadPoolExecutor(max_workers=8) as pool:
            replies = list(pool.map(lambda a: (a, http.get(f"{engine}/v1/accounts/{a}")), accounts))
        bodies = {a: r.body for a, r in replies if r.ok}
        if first is not None and first == _seq(http, engine):  # nothing moved: one seq for all
            out.update(accounts=bodies, account_seqs=dict.fromkeys(bodies, first), seq=first)
            return out
    for account in accounts:
        if time.monotonic() > deadline:
            out["partial"] = True
            break
        for _ in range(ATTEMPTS):
            before = _seq(http, engine)
            reply = http.get(f"{engine}/v1/accounts/{account}")
            after = _seq(http, engine)
            if reply.status == 404:
                break
            if not reply.ok:
                continue
            out["accounts"][account] = reply.body
            if before is not None and before == after:
                out["account_seqs"][account] = before
                break
    out["seq"] = _seq(http, engine)
    return out


def write_snapshot(path: Path, snapshot: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(snapshot, indent=1), encoding="utf-8")
    tmp.replace(path)


def wait_seq_settled(http: Http, engine: str, timeout: float = 2.0, quiet: float = 0.15) -> int | None:
    """Wait (bounded) until the leader's seq has not moved for ``quiet`` seconds; the last seq."""
    deadline = time.monotonic() + timeout
    last, since = _seq(http, engine), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.03)
        seq = _seq(http, engine)
        if seq != last:
            last, since = seq, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


def snapshot_leader(stack: Stack, http: Http, accounts: list[str], path: Path, *, freeze: bool) -> None:
    """Snapshot the current leader's answers into ``path``.

    ``freeze``: admission 0 at the gateway meanwhile (restored in ``finally``), for a snapshot under
    load; otherwise (the load is over) the ``index`` proxy is disabled meanwhile (re-enabled in
    ``finally``) so index ticks do not move the seq. Nothing is written when no engine is the leader.
    """
    roles = engine_roles(stack, http)
    leader = next((c for c, r in sorted(roles.items()) if r == "leader"), None)
    if leader is None:
        return
    engine = stack.engine_url(leader)
    gateway = stack.urls.gateway
    if freeze and gateway:
        http.call("PUT", f"{gateway}/admin/admission", {"fraction": 0.0})
    index_paused = False
    if not freeze:  # the load is over: index ticks would move the seq under the snapshot
        with contextlib.suppress(Exception):
            stack.toxiproxy.update_proxy("index", enabled=False)
            index_paused = True
    try:
        wait_seq_settled(http, engine, timeout=1.0)
        snap = take_snapshot(http, engine, accounts)
    finally:
        if freeze and gateway:
            http.call("PUT", f"{gateway}/admin/admission", {"fraction": 1.0})
        if index_paused:
            with contextlib.suppress(Exception):
                stack.toxiproxy.update_proxy("index", enabled=True)
    write_snapshot(path, snap)
