"""Faults as values: the Nemesis protocol, one registry of fault kinds, heal_all, a fault ledger.

    from chaos import nemesis
    ctx = nemesis.NemesisContext(toxiproxy_url="http://127.0.0.1:8474", admin_token=None)
    nemesis.validate("toxic", {"proxy": "api", "type": "latency", "attributes": {"latency": 50}}, ctx)
    handle = nemesis.inject("toxic", {...}, ctx)           # FaultSpecError before anything is touched
    record = nemesis.handle_to_dict(handle)                 # JSON; heal later, even from another process
    report = nemesis.heal_all([handle], ctx)                # reverse order, keeps going, report.failures
    nemesis.heal_from_records([record], ctx)

Kinds: ``toxic``, ``failpoint``, ``process``, ``container`` (see each module for parameters).
"""

from chaos.nemesis.base import (
    FaultSpecError,
    Handle,
    HealError,
    InjectError,
    Nemesis,
    NemesisContext,
    NemesisError,
    handle_from_dict,
    handle_to_dict,
)
from chaos.nemesis.ledger import FaultLedger, LedgerError
from chaos.nemesis.registry import (
    NEMESES,
    HealFailure,
    HealReport,
    heal,
    heal_all,
    heal_from_records,
    inject,
    nemesis_for,
    validate,
)

__all__ = [
    "NEMESES",
    "FaultLedger",
    "FaultSpecError",
    "Handle",
    "HealError",
    "HealFailure",
    "HealReport",
    "InjectError",
    "LedgerError",
    "Nemesis",
    "NemesisContext",
    "NemesisError",
    "handle_from_dict",
    "handle_to_dict",
    "heal",
    "heal_all",
    "heal_from_records",
    "inject",
    "nemesis_for",
    "validate",
]
