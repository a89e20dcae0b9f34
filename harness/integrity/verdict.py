"""What a checker returns: PASS / FAIL / UNKNOWN with counts and evidence (frozen values)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness.integrity.rundata import RunData

MAX_EVIDENCE = 25


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class CheckerResult:
    name: str
    verdict: Verdict
    counts: dict[str, int] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "verdict": self.verdict.value,
            "counts": dict(self.counts),
            "summary": self.summary,
            "evidence": list(self.evidence),
            "details": self.details,
        }


def result(
    name: str,
    failures: list[str],
    counts: dict[str, int],
    summary: str,
    details: dict[str, Any] | None = None,
) -> CheckerResult:
    """PASS when there are no failures, FAIL otherwise; evidence capped at MAX_EVIDENCE lines."""
    verdict = Verdict.FAIL if failures else Verdict.PASS
    evidence = failures[:MAX_EVIDENCE]
    if len(failures) > MAX_EVIDENCE:
        evidence.append(f"... and {len(failures) - MAX_EVIDENCE} more")
    return CheckerResult(name, verdict, counts, tuple(evidence), summary, details or {})


def unknown(name: str, reason: str) -> CheckerResult:
    return CheckerResult(name, Verdict.UNKNOWN, {}, (reason,), reason)


Checker = Callable[["RunData"], CheckerResult]


def nothing_to_check(
    name: str, reason: str, details: dict[str, Any] | None = None, counts: dict[str, int] | None = None
) -> CheckerResult:
    """PASS because the run genuinely holds nothing this checker could violate (the reason says why).

    Distinct from :func:`unknown`, which means data the check needs is missing.
    """
    evidence = (f"nothing to check: {reason}",)
    return CheckerResult(name, Verdict.PASS, counts or {}, evidence, reason, details or {})
