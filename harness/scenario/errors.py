"""Scenario validation errors: every issue names the file, the field path and the reason."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in a scenario file. ``path`` is a dotted field path like ``faults[0].params.type``."""

    file: str
    path: str
    reason: str

    def __str__(self) -> str:
        where = self.path or "<document>"
        return f"{self.file}: {where}: {self.reason}"


class ScenarioError(ValueError):
    """The scenario is invalid (code SCENARIO_INVALID); ``issues`` lists every problem found."""

    code = "SCENARIO_INVALID"

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in issues))
