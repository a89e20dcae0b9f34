"""Values of SLO checks: a query result and a check verdict (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CheckStatus(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    NODATA = "nodata"


@dataclass(frozen=True)
class Sample:
    """One series of an instant-query result."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class QueryResult:
    """An instant vector (or scalar as one unlabelled sample); ``error`` set when the query failed."""

    samples: tuple[Sample, ...] = ()
    error: str | None = None

    @property
    def empty(self) -> bool:
        return not self.samples


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: CheckStatus
    value: float | None = None
    reason: str = ""
    query: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status is CheckStatus.PASS
