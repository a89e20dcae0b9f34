"""Everything a checker reads from a run folder, loaded once (missing parts are None, never errors).

Run folder (``runs/<id>/``, see docs/dev/INTERFACES.md): ``manifest.json``, ``history.jsonl``,
``journal.sqlite`` (a consistent copy of the engine journal), ``snapshots/pre_fault.json`` and
``snapshots/final.json`` (the engine's answers: ``{"t", "seq", "account_seqs"?, "accounts":
{account: <GET /v1/accounts/{account} body>}}``), ``metrics.json`` (chart series), logs, reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from harness.history import History, read_history
from harness.integrity.journal_reader import JournalData, JournalReadError, read_journal

JOURNAL_FILE = "journal.sqlite"
MANIFEST_FILE = "manifest.json"
PRE_FAULT_FILE = "snapshots/pre_fault.json"
FINAL_FILE = "snapshots/final.json"


@dataclass(frozen=True)
class AccountView:
    """An engine answer normalised: wallet balances per asset, signed position qty per symbol."""

    wallets: dict[str, Decimal]
    positions: dict[str, Decimal]


@dataclass(frozen=True)
class EngineAnswers:
    t: float
    seq: int | None
    accounts: dict[str, AccountView]
    account_seqs: dict[str, int] = field(default_factory=dict)

    def seq_of(self, account: str) -> int | None:
        return self.account_seqs.get(account, self.seq)


@dataclass(frozen=True)
class RunData:
    run_dir: Path | None
    history: History
    journal: JournalData | None = None
    journal_error: str | None = None
    pre_fault: EngineAnswers | None = None
    final: EngineAnswers | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def _dec(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _amount(obj: Any, *keys: str) -> Decimal | None:
    if not isinstance(obj, dict):
        return _dec(obj)
    for key in keys:
        if key in obj:
            return _dec(obj[key])
    return None


def normalize_account(view: Any) -> AccountView:
    """Accepts wallets as ``{asset: "1.5"}``, ``{asset: {"balance": ...}}`` or ``[{"asset", "balance"}]``
    and positions as ``[{"symbol", "qty"}]`` or ``{symbol: {"qty": ...}}`` (qty signed, or with ``side``)."""
    wallets: dict[str, Decimal] = {}
    positions: dict[str, Decimal] = {}
    if not isinstance(view, dict):
        return AccountView(wallets, positions)
    raw_w = view.get("wallets", {})
    items_w = (
        raw_w.items()
        if isinstance(raw_w, dict)
        else ((w.get("asset"), w) for w in raw_w or [] if isinstance(w, dict))
    )
    for asset, w in items_w:
        amt = _amount(w, "balance", "wallet_balance", "amount")
        if asset and amt is not None:
            wallets[str(asset)] = amt
    raw_p = view.get("positions", [])
    items_p = (
        raw_p.items()
        if isinstance(raw_p, dict)
        else ((p.get("symbol"), p) for p in raw_p or [] if isinstance(p, dict))
    )
    for symbol, p in items_p:
        q = _amount(p, "qty", "position_amt", "size")
        if symbol and q is not None:
            if isinstance(p, dict) and str(p.get("side", "")).upper() in ("SHORT", "SELL") and q > 0:
                q = -q
            positions[str(symbol)] = q
    return AccountView(wallets, positions)


def parse_answers(obj: Any) -> EngineAnswers | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("accounts"), dict):
        return None
    seq = obj.get("seq")
    seqs = obj.get("account_seqs") or {}
    return EngineAnswers(
        t=float(obj.get("t", 0.0)),
        seq=int(seq) if isinstance(seq, int) else None,
        accounts={str(a): normalize_account(v) for a, v in obj["accounts"].items()},
        account_seqs={str(a): int(s) for a, s in seqs.items() if isinstance(s, int)},
    )


def _read_json(path: Path, problems: list[str]) -> Any:
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"{path.name}: unreadable: {exc}")
        return None


def load_run(run_dir: str | Path) -> RunData:
    """Load a run folder; every missing or unreadable part is recorded in ``problems``."""
    root = Path(run_dir)
    problems: list[str] = []
    journal, journal_error = None, None
    if (root / JOURNAL_FILE).exists():
        try:
            journal = read_journal(root / JOURNAL_FILE)
        except JournalReadError as exc:
            journal_error = str(exc)
    else:
        journal_error = f"no {JOURNAL_FILE} in the run folder"
    manifest = _read_json(root / MANIFEST_FILE, problems)
    return RunData(
        run_dir=root,
        history=read_history(root),
        journal=journal,
        journal_error=journal_error,
        pre_fault=parse_answers(_read_json(root / PRE_FAULT_FILE, problems)),
        final=parse_answers(_read_json(root / FINAL_FILE, problems)),
        manifest=manifest if isinstance(manifest, dict) else {},
        problems=tuple(problems),
    )
