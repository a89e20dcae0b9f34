"""The registry of fault kinds and the operations over it: validate, inject, heal, heal_all.

``NEMESES`` is the one explicit table kind → implementation class (each built with a
:class:`NemesisContext`). ``heal_all`` heals handles in reverse injection order and keeps going past
failures, reporting every one; ``heal_from_records`` does the same from ``handle_to_dict`` records
(e.g. read back from a fault ledger after a killed run), reporting malformed records as failures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chaos.nemesis.base import (
    FaultSpecError,
    Handle,
    Nemesis,
    NemesisContext,
    NemesisError,
    handle_from_dict,
)
from chaos.nemesis.container import ContainerNemesis
from chaos.nemesis.failpoint import FailpointNemesis
from chaos.nemesis.params import require_mapping
from chaos.nemesis.process import ProcessNemesis
from chaos.nemesis.toxic import ToxicNemesis

__all__ = [
    "NEMESES",
    "HealFailure",
    "HealReport",
    "heal",
    "heal_all",
    "heal_from_records",
    "inject",
    "nemesis_for",
    "validate",
]

NEMESES: dict[str, Callable[[NemesisContext], Nemesis]] = {
    "toxic": ToxicNemesis,
    "failpoint": FailpointNemesis,
    "process": ProcessNemesis,
    "container": ContainerNemesis,
}


@dataclass(frozen=True)
class HealFailure:
    """One fault that could not be healed: the handle (or the raw record) and why."""

    fault: str
    code: str
    message: str
    record: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class HealReport:
    """Outcome of healing many faults."""

    healed: tuple[Handle, ...] = ()
    failures: tuple[HealFailure, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures


def nemesis_for(kind: object, context: NemesisContext | None = None) -> Nemesis:
    """The implementation of ``kind``; FaultSpecError('kind', ...) for an unknown kind."""
    factory = NEMESES.get(kind) if isinstance(kind, str) else None
    if factory is None:
        raise FaultSpecError("kind", f"unknown fault kind {kind!r} (known: {', '.join(NEMESES)})")
    return factory(context or NemesisContext())


def validate(kind: str, params: object, context: NemesisContext | None = None) -> None:
    """Check ``params`` for ``kind`` without touching anything."""
    nemesis_for(kind, context).validate(require_mapping(params))


def inject(kind: str, params: object, context: NemesisContext | None = None) -> Handle:
    """Validate then apply one fault; returns its handle."""
    return nemesis_for(kind, context).inject(require_mapping(params))


def heal(handle: Handle, context: NemesisContext | None = None) -> None:
    """Undo one fault (idempotent)."""
    nemesis_for(handle.kind, context).heal(handle)


def heal_all(handles: Sequence[Handle], context: NemesisContext | None = None) -> HealReport:
    """Heal in reverse order; never stops at a failure; returns what healed and what did not."""
    healed: list[Handle] = []
    failures: list[HealFailure] = []
    for handle in reversed(handles):
        try:
            heal(handle, context)
        except NemesisError as exc:
            failures.append(HealFailure(handle.id, exc.code, str(exc)))
        except Exception as exc:  # a heal must never abort the others; report it instead
            failures.append(HealFailure(handle.id, "HEAL_FAILED", f"{type(exc).__name__}: {exc}"))
        else:
            healed.append(handle)
    return HealReport(tuple(healed), tuple(failures))


def heal_from_records(records: Iterable[object], context: NemesisContext | None = None) -> HealReport:
    """Heal handles given as dicts (``handle_to_dict`` output); bad records are reported, skipped."""
    handles: list[Handle] = []
    bad: list[HealFailure] = []
    for record in records:
        try:
            handles.append(handle_from_dict(record))
        except FaultSpecError as exc:
            raw = record if isinstance(record, Mapping) else None
            bad.append(HealFailure(str(raw.get("id", "?")) if raw else "?", exc.code, str(exc), raw))
    report = heal_all(handles, context)
    return HealReport(report.healed, tuple(bad) + report.failures)
