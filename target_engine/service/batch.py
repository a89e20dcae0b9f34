"""One sequencer batch: stamp, apply to the engine, and encode the journal rows.

``apply_batch`` runs on the event loop thread (the engine is not thread-safe); the rows it returns
are written by the journal's writer thread. A failpoint ``matching.apply`` error answers that one
command 503 and skips it (no seq is used).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from chaos import failpoints
from target_engine.domain import Command, Event, command_to_dict, event_to_dict, with_sequence
from target_engine.domain.events import FundingSettled
from target_engine.journal import CommandRow, EventRow, FundingRow, canonical_json
from target_engine.service.errors import ApiError
from target_engine.service.node import Node


@dataclass
class Pending:
    """A queued command and the future its HTTP handler awaits."""

    cmd: Command
    future: asyncio.Future[list[Event]]


@dataclass
class Applied:
    """A batch applied in memory, not yet durable: its rows and the answers to give after commit."""

    epoch: int
    last_seq: int
    done: list[tuple[Pending, list[Event]]] = field(default_factory=list)
    commands: list[CommandRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    fundings: list[FundingRow] = field(default_factory=list)


async def apply_batch(node: Node, batch: list[Pending]) -> Applied:
    """Assign seq and one timestamp, apply each command, and build its command/event rows."""
    ts = node.next_ts()
    seq = node.applied_seq
    epoch = node.epoch
    out = Applied(epoch, seq)
    apply = node.engine.apply
    cmd_rows, event_rows, done = out.commands, out.events, out.done
    check_failpoint = "matching.apply" in failpoints.snapshot()  # once per batch, not per command
    for p in batch:
        if check_failpoint:
            try:
                await failpoints.ahit("matching.apply")
            except failpoints.FailpointError as exc:
                p.future.set_exception(ApiError("FAILPOINT", f"matching.apply: {exc}", status=503))
                continue
        seq += 1
        stamped = with_sequence(p.cmd, seq, ts)
        events = apply(stamped)
        cmd_dict = command_to_dict(stamped)
        cmd_rows.append(CommandRow(seq, epoch, ts, cmd_dict["type"], canonical_json(cmd_dict)))
        for idx, ev in enumerate(events):
            ev_dict = event_to_dict(ev)
            payload = canonical_json(ev_dict)
            event_rows.append(EventRow(seq, idx, ev_dict["type"], payload))
            if type(ev) is FundingSettled:
                out.fundings.append(FundingRow(ev.symbol, ev.interval_start, seq, str(ev.rate), payload))
        done.append((p, events))
    node.applied_seq = out.last_seq = seq
    return out
