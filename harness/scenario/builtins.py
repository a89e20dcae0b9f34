"""The built-in scenarios shipped in the repository's ``scenarios/`` folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from harness.scenario.errors import ScenarioError
from harness.scenario.loader import read_document

SCENARIOS_ENV = "GAMEDAY_SCENARIOS_DIR"
MAX_LINE = 100


def scenarios_dir() -> Path:
    """``$GAMEDAY_SCENARIOS_DIR`` or the repository's ``scenarios/`` (the project is installed editable)."""
    env = os.environ.get(SCENARIOS_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class BuiltinScenario:
    name: str
    path: Path
    description: str


def list_builtins(directory: Path | None = None) -> list[BuiltinScenario]:
    """Every ``*.yaml`` in the scenarios folder with its one-line description, sorted by name."""
    folder = directory or scenarios_dir()
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            doc = read_document(path)
        except ScenarioError:
            doc = {}
        desc = doc.get("description", "") if isinstance(doc, dict) else ""
        first = str(desc).strip().splitlines()[0] if str(desc).strip() else "(no description)"
        if len(first) > MAX_LINE:
            first = first[: MAX_LINE - 1].rsplit(" ", 1)[0] + "…"
        out.append(BuiltinScenario(path.stem, path, first))
    return out


def resolve(name_or_path: str, directory: Path | None = None) -> Path:
    """A file path as given, or the built-in scenario of that name."""
    path = Path(name_or_path)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    return (directory or scenarios_dir()) / f"{name_or_path}.yaml"
