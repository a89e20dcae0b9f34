"""history.jsonl: the record of every client operation and harness event of a run (stdlib only).

Format (pinned in docs/dev/INTERFACES.md): one JSON object per line, ``t`` = Unix seconds (float).

* client operations (Jepsen style): ``{"t","proc","type": "invoke"|"ok"|"fail"|"info",
  "op": "place"|"cancel"|"query"|"deposit","account","client_order_id","symbol","value",
  "http_status","error"}``. ``ok`` = 2xx, ``fail`` = definitely not executed, ``info`` = outcome
  unknown (timeout, reset, other 5xx) and never counted as failed.
* harness events: ``{"t","type": "event","kind": "phase"|"fault"|"alert"|"deploy"|"check", ...}``.

This module is imported by the Locust workers, so it must stay stdlib-only (no yaml, no httpx).

Resources: :class:`HistoryWriter` owns one file descriptor opened with ``O_APPEND``; each record is
written with a single ``os.write`` so lines from several processes appending to the same file never
interleave (Linux guarantees atomic appends to regular files). It is thread-safe and must be closed
(or used as a context manager). :func:`read_history` never raises on a bad line: a torn or invalid
line is kept in ``History.malformed`` with its line number and reason.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

HISTORY_FILE = "history.jsonl"


class OpType(StrEnum):
    INVOKE = "invoke"
    OK = "ok"
    FAIL = "fail"
    INFO = "info"


class Op(StrEnum):
    PLACE = "place"
    CANCEL = "cancel"
    QUERY = "query"
    DEPOSIT = "deposit"


class EventKind(StrEnum):
    PHASE = "phase"
    FAULT = "fault"
    ALERT = "alert"
    DEPLOY = "deploy"
    CHECK = "check"


EVENT_TYPE = "event"


@dataclass(frozen=True)
class ClientOp:
    """One client operation record (an invoke or its completion)."""

    t: float
    proc: str
    type: OpType
    op: Op
    account: str | None = None
    client_order_id: str | None = None
    symbol: str | None = None
    value: Mapping[str, Any] = field(default_factory=dict)
    http_status: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.t, "proc": self.proc, "type": self.type.value, "op": self.op.value}
        for name in ("account", "client_order_id", "symbol", "http_status", "error"):
            val = getattr(self, name)
            if val is not None:
                out[name] = val
        if self.value:
            out["value"] = dict(self.value)
        return out


@dataclass(frozen=True)
class HarnessEvent:
    """A harness event; ``fields`` holds the kind-specific keys (see docs/dev/INTERFACES.md)."""

    t: float
    kind: EventKind
    fields: Mapping[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"t": self.t, "type": EVENT_TYPE, "kind": self.kind.value}
        for key, val in self.fields.items():
            if key not in out:
                out[key] = val
        return out


Record = ClientOp | HarnessEvent


@dataclass(frozen=True)
class Malformed:
    line: int
    reason: str


@dataclass(frozen=True)
class History:
    """A parsed history: client ops and events in file order, plus the lines that could not be read."""

    ops: tuple[ClientOp, ...]
    events: tuple[HarnessEvent, ...]
    malformed: tuple[Malformed, ...] = ()

    def events_of(self, kind: EventKind) -> list[HarnessEvent]:
        return [e for e in self.events if e.kind is kind]

    @property
    def empty(self) -> bool:
        return not self.ops and not self.events


class HistoryFormatError(ValueError):
    """A record that does not follow the history format (code HISTORY_FORMAT)."""

    code = "HISTORY_FORMAT"


def parse_record(obj: Any) -> Record:
    """Turn one decoded JSON object into a record; raises HistoryFormatError with the reason."""
    if not isinstance(obj, dict):
        raise HistoryFormatError("record is not a JSON object")
    t = obj.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise HistoryFormatError("'t' must be a number (Unix seconds)")
    rtype = obj.get("type")
    if rtype == EVENT_TYPE:
        try:
            kind = EventKind(str(obj.get("kind")))
        except ValueError:
            raise HistoryFormatError(f"unknown event kind {obj.get('kind')!r}") from None
        rest = {k: v for k, v in obj.items() if k not in ("t", "type", "kind")}
        return HarnessEvent(t=float(t), kind=kind, fields=rest)
    try:
        otype = OpType(str(rtype))
    except ValueError:
        raise HistoryFormatError(f"unknown record type {rtype!r}") from None
    try:
        op = Op(str(obj.get("op")))
    except ValueError:
        raise HistoryFormatError(f"unknown op {obj.get('op')!r}") from None
    status = obj.get("http_status")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
        raise HistoryFormatError("'http_status' must be an integer")
    value = obj.get("value") or {}
    if not isinstance(value, dict):
        raise HistoryFormatError("'value' must be an object")
    return ClientOp(
        t=float(t),
        proc=str(obj.get("proc", "")),
        type=otype,
        op=op,
        account=_opt_str(obj.get("account")),
        client_order_id=_opt_str(obj.get("client_order_id")),
        symbol=_opt_str(obj.get("symbol")),
        value=value,
        http_status=status,
        error=_opt_str(obj.get("error")),
    )


def _opt_str(val: Any) -> str | None:
    return None if val is None else str(val)


def iter_lines(lines: Iterable[str]) -> Iterator[Record | Malformed]:
    for lineno, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            yield parse_record(json.loads(text))
        except json.JSONDecodeError as exc:
            yield Malformed(lineno, f"invalid JSON: {exc.msg}")
        except HistoryFormatError as exc:
            yield Malformed(lineno, str(exc))


def parse_history(lines: Iterable[str]) -> History:
    ops: list[ClientOp] = []
    events: list[HarnessEvent] = []
    bad: list[Malformed] = []
    for item in iter_lines(lines):
        if isinstance(item, ClientOp):
            ops.append(item)
        elif isinstance(item, HarnessEvent):
            events.append(item)
        else:
            bad.append(item)
    return History(tuple(ops), tuple(events), tuple(bad))


def read_history(path: str | os.PathLike[str]) -> History:
    """Read a history file (or the ``history.jsonl`` inside a run folder). Missing file ⇒ empty."""
    p = Path(path)
    if p.is_dir():
        p = p / HISTORY_FILE
    if not p.exists():
        return History((), ())
    with p.open("r", encoding="utf-8", errors="replace") as fh:
        return parse_history(fh)


class HistoryWriter:
    """Append records to a history file; thread-safe; several processes may share the file."""

    def __init__(
        self, path: str | os.PathLike[str], proc: str = "harness", clock: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path)
        self.proc = proc
        self._clock = clock
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: Record) -> None:
        data = (json.dumps(record.to_json(), separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            if self._fd is None:
                raise ValueError("history writer is closed")
            os.write(self._fd, data)

    def op(
        self,
        type: OpType | str,
        op: Op | str,
        *,
        account: str | None = None,
        client_order_id: str | None = None,
        symbol: str | None = None,
        value: Mapping[str, Any] | None = None,
        http_status: int | None = None,
        error: str | None = None,
        t: float | None = None,
    ) -> ClientOp:
        rec = ClientOp(
            t=self._clock() if t is None else t,
            proc=self.proc,
            type=OpType(type),
            op=Op(op),
            account=account,
            client_order_id=client_order_id,
            symbol=symbol,
            value=dict(value or {}),
            http_status=http_status,
            error=error,
        )
        self.write(rec)
        return rec

    def event(self, kind: EventKind | str, *, t: float | None = None, **fields: Any) -> HarnessEvent:
        rec = HarnessEvent(t=self._clock() if t is None else t, kind=EventKind(kind), fields=fields)
        self.write(rec)
        return rec

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def classify_status(
    http_status: int | None, timed_out: bool = False, code: str | None = None, body: Any = None
) -> OpType:
    """Map an HTTP outcome to ok/fail/info per INTERFACES.md — a thin front to the one classifier,
    :func:`harness.load.outcome.classify` (imported lazily: that module imports this one).

    2xx ⇒ ok; 4xx ⇒ fail; 503 ⇒ fail only with ``code`` (or ``body["code"]``) OVERLOADED,
    EXCESS_QUEUE_DEPTH, ADMISSION_REFUSED or UPSTREAM_CONNECT_FAILED (definitely not executed); any
    other 503 (e.g. injected by the http_error toxic), 502, 500, no status or a timeout ⇒ info
    (outcome unknown).
    """
    from harness.load.outcome import classify

    if timed_out:
        return OpType.INFO
    if body is None and code is not None:
        body = {"code": code}
    return classify(http_status, body).type
