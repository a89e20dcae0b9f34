"""One sequencer batch: stamp, apply to the engine, and encode the journal rows.

``apply_batch`` runs on the event loop thread (the engine is not thread-safe); the rows it returns
are written by the journal's writer thread. A failpoint ``matching.apply`` error answers that one
command 503 and skips it (no seq is used).

Rows are encoded here, once, straight into the flat value lists ``Journal.append_rows`` binds
(payload text and CRC included), so the writer thread does no Python work per row. ``record_json``
is the fast path of ``canonical_json(command_to_dict(x))`` / ``canonical_json(event_to_dict(x))``:
the same text (a property test holds them equal), from a per-class attribute getter instead of a
field loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import zlib
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

import orjson

from chaos import failpoints
from target_engine.domain import Command, Event, with_sequence
from target_engine.domain.events import FundingSettled
from target_engine.journal import canonical_json
from target_engine.journal.store import COMMAND_COLS, EVENT_COLS, FUNDING_COLS
from target_engine.service.errors import ApiError
from target_engine.service.node import Node

_crc32 = zlib.crc32
_dumps = orjson.dumps
_SORT_KEYS = orjson.OPT_SORT_KEYS


@dataclass
class Pending:
    """A queued command and the future its HTTP handler awaits."""

    cmd: Command
    future: asyncio.Future[list[Event]]


@dataclass
class Applied:
    """A batch applied in memory, not yet durable: its rows and the answers to give after commit.

    ``commands``, ``events`` and ``fundings`` are flat value lists (``COMMAND_COLS``, ``EVENT_COLS``,
    ``FUNDING_COLS`` values per row, in the journal's column order, CRC last)."""

    epoch: int
    last_seq: int
    done: list[tuple[Pending, list[Event]]] = field(default_factory=list)
    commands: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    fundings: list[Any] = field(default_factory=list)

    def extend(self, later: Applied) -> None:
        """Append a batch applied right after this one (same epoch): one commit for both."""
        if later.epoch != self.epoch:
            raise ValueError(f"cannot merge epoch {later.epoch} into epoch {self.epoch}")
        self.last_seq = later.last_seq
        self.done += later.done
        self.commands += later.commands
        self.events += later.events
        self.fundings += later.fundings

    @property
    def command_count(self) -> int:
        return len(self.commands) // COMMAND_COLS

    @property
    def event_count(self) -> int:
        return len(self.events) // EVENT_COLS

    @property
    def funding_count(self) -> int:
        return len(self.fundings) // FUNDING_COLS


class _Spec:
    """Per dataclass: its type name and a getter of all its fields (declaration order)."""

    __slots__ = ("getter", "kind", "names")

    def __init__(self, cls: type[Any]) -> None:
        self.kind: str = cls.__name__
        self.names: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(cls))
        getter: Any = attrgetter(*self.names) if self.names else (lambda _obj: ())
        if len(self.names) == 1:
            single = getter
            getter = lambda obj: (single(obj),)  # noqa: E731 - attrgetter of one name is not a tuple
        self.getter: Any = getter


_SPECS: dict[type[Any], _Spec] = {}


def record_json(obj: Any) -> tuple[str, str]:
    """``(type name, canonical JSON)`` of a command or event: the text of
    ``canonical_json(command_to_dict(obj))`` (enum members serialise as their string values).
    ``canonical_json``'s orjson fast path inlined; anything it would not take goes to it whole."""
    cls = type(obj)
    spec = _SPECS.get(cls)
    if spec is None:
        spec = _SPECS[cls] = _Spec(cls)
    data = dict(zip(spec.names, spec.getter(obj)))  # noqa: B905 - same length by construction; hot path
    kind = spec.kind
    data["type"] = kind
    try:
        raw = _dumps(data, option=_SORT_KEYS)
    except TypeError:  # an integer beyond 64 bits
        return kind, canonical_json(data)
    if raw.isascii() and b"\x7f" not in raw:
        return kind, raw.decode("ascii")
    return kind, canonical_json(data)  # non-ASCII or DEL: json.dumps's \uXXXX escapes


async def apply_batch(node: Node, batch: list[Pending]) -> Applied:
    """Assign seq and one timestamp, apply each command, and build its command/event rows."""
    ts = node.next_ts()
    seq = node.applied_seq
    epoch = node.epoch
    out = Applied(epoch, seq)
    apply = node.engine.apply
    cmd_rows, event_rows, done = out.commands, out.events, out.done
    crc32 = _crc32
    encode = record_json
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
        kind, payload = encode(stamped)
        # CRC definitions: records.command_crc / event_crc / funding_crc (payloads are ASCII)
        cmd_rows += (seq, epoch, ts, kind, payload,
                     crc32(f"{seq}|{epoch}|{ts}|{kind}|{payload}".encode()) & 0xFFFFFFFF)
        for idx, ev in enumerate(events):
            kind, payload = encode(ev)
            crc = crc32(f"{seq}|{idx}|{kind}|{payload}".encode()) & 0xFFFFFFFF
            event_rows += (seq, idx, kind, payload, crc)
            if type(ev) is FundingSettled:
                rate = str(ev.rate)
                text = f"{ev.symbol}|{ev.interval_start}|{seq}|{rate}|{payload}"
                out.fundings += (ev.symbol, ev.interval_start, seq, rate, payload,
                                 crc32(text.encode()) & 0xFFFFFFFF)
        done.append((p, events))
    node.applied_seq = out.last_seq = seq
    return out
