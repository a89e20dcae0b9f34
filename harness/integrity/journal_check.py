"""The journal copy itself: intact records, fenced epochs, every order answered, known vocabulary.

FAILs, each naming the record (table, seq, idx):
* corruption found by the reader (CRC mismatch, seq or idx gap, payload not JSON) — the reader drops
  everything from the first corrupt record on, so the other checkers see only the trusted prefix;
* ``commands.epoch`` decreasing in seq, an epoch not in ``epochs``, or a command before its epoch's
  ``start_seq`` (a fenced leader appended);
* a payload whose ``type`` differs from its row's ``kind``, or a command payload whose seq/ts_ms
  differ from the row's columns; events of a seq with no command;
* a ``PlaceOrder`` with neither ``OrderAccepted`` nor ``OrderRejected`` at its seq;
* an event kind or wallet/fund reason outside the vocabulary (harness.integrity.vocabulary): the
  money checkers could be blind to it.
Quarantined rows (an explicit ``--truncate-corrupt-tail``) are counted, not failed: they were never
acknowledged, and an acknowledged order among them shows up in the orders checker as lost.
"""

from __future__ import annotations

from collections import defaultdict

from harness.integrity import vocabulary
from harness.integrity.journal_reader import JournalData
from harness.integrity.rundata import RunData
from harness.integrity.verdict import CheckerResult, result, unknown

NAME = "journal"


def _epoch_problems(j: JournalData) -> list[str]:
    out = []
    starts = {int(epoch): int(start_seq) for epoch, _color, _t, start_seq in j.epochs}
    previous = None
    for c in j.commands:
        if previous is not None and c.epoch < previous:
            out.append(f"commands seq {c.seq}: epoch {c.epoch} after epoch {previous} (stale leader wrote)")
        if c.epoch not in starts:
            out.append(f"commands seq {c.seq}: epoch {c.epoch} not in the epochs table")
        elif c.seq < starts[c.epoch]:
            out.append(f"commands seq {c.seq}: before epoch {c.epoch}'s start_seq {starts[c.epoch]}")
        previous = c.epoch
    return out


def _record_problems(j: JournalData) -> list[str]:
    out = []
    commands = {c.seq: c for c in j.commands}
    for c in j.commands:
        p = c.payload
        if p.get("type", c.kind) != c.kind:
            out.append(f"commands seq {c.seq}: payload type {p.get('type')!r} != kind {c.kind!r}")
        for col, value in (("seq", c.seq), ("ts_ms", c.ts_ms)):
            if col in p and p[col] != value:
                out.append(f"commands seq {c.seq}: payload {col} {p[col]!r} != column {value}")
        if c.kind not in vocabulary.COMMAND_KINDS:
            out.append(f"commands seq {c.seq}: kind {c.kind!r} not in the journal vocabulary")
    answered: dict[int, set[str]] = defaultdict(set)
    orphan_seqs: set[int] = set()
    for e in j.events:
        where = f"events seq {e.seq} idx {e.idx}"
        if e.seq not in commands and e.seq not in orphan_seqs:
            orphan_seqs.add(e.seq)
            out.append(f"{where}: no command with this seq")
        if e.payload.get("type", e.kind) != e.kind:
            out.append(f"{where}: payload type {e.payload.get('type')!r} != kind {e.kind!r}")
        if e.kind not in vocabulary.EVENT_KINDS:
            out.append(f"{where}: kind {e.kind!r} not in the journal vocabulary")
        elif e.kind == "WalletChanged" and e.payload.get("reason") not in vocabulary.WALLET_REASONS:
            out.append(f"{where}: WalletChanged reason {e.payload.get('reason')!r} not in the vocabulary")
        elif e.kind == "InsuranceFundChanged" and e.payload.get("reason") not in vocabulary.FUND_REASONS:
            reason = e.payload.get("reason")
            out.append(f"{where}: InsuranceFundChanged reason {reason!r} not in the vocabulary")
        if e.kind in ("OrderAccepted", "OrderRejected"):
            answered[e.seq].add(e.kind)
    for c in j.commands_of("PlaceOrder"):
        if not answered.get(c.seq):
            out.append(
                f"commands seq {c.seq}: PlaceOrder {c.payload.get('account')}/"
                f"{c.payload.get('client_order_id')} has no OrderAccepted/OrderRejected event"
            )
    return out


def check(run: RunData) -> CheckerResult:
    j = run.journal
    if j is None:
        return unknown(NAME, f"no journal: {run.journal_error}")
    corrupt = [f"corrupt: {p}" for p in j.corruption]
    failures = corrupt + _epoch_problems(j) + _record_problems(j)
    counts = {
        "commands": len(j.commands),
        "events": len(j.events),
        "last_seq": j.last_seq,
        "epochs": len(j.epochs),
        "corrupt_records": len(corrupt),
        "quarantined": j.quarantined,
        "problems": len(failures),
    }
    summary = f"{len(j.commands)} commands, {len(j.events)} events up to seq {j.last_seq}"
    if corrupt:
        summary += f"; corrupt from {j.corruption[0]} (later records not trusted)"
    if j.quarantined:
        summary += f"; {j.quarantined} quarantined rows"
    return result(NAME, failures, counts, summary)
