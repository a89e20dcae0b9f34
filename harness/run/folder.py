"""The run folder ``runs/<id>/``: id, layout, manifest (seed, versions, config) and the journal copy.

Layout: ``manifest.json``, ``history.jsonl`` (merged at the end), ``journal.sqlite`` (a consistent
copy made with SQLite's backup API from ``data/journal.sqlite``, the live journal), ``faults.jsonl``
(the fault ledger), ``stack.json``, ``logs/``, ``load/`` (Locust output), ``snapshots/``, reports.
Errors: OSError from the file system propagates; :func:`copy_journal` returns a problem string
instead of raising when the live journal is missing or unreadable.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import secrets
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from enum import Enum
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.scenario.model import Scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = "manifest.json"
LEDGER = "faults.jsonl"
LIVE_JOURNAL = "data/journal.sqlite"
JOURNAL_COPY = "journal.sqlite"
CURRENT_STACK = ".current-stack"


def new_run_id(name: str, now: float | None = None) -> str:
    """``<scenario>-<UTC yyyymmddThhmmss>-<4 hex>``: sortable, unique, safe as a folder name."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now if now is not None else time.time()))
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:40] or "run"
    return f"{safe}-{stamp}-{secrets.token_hex(2)}"


def load_run_id(run_id: str) -> str:
    """A short id for client order ids (≤ 12 of [A-Za-z0-9_], see harness.load.config)."""
    return "".join(c for c in run_id.rsplit("-", maxsplit=1)[-1] + secrets.token_hex(3) if c.isalnum())[:10]


@dataclass(frozen=True)
class RunFolder:
    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def ledger(self) -> Path:
        return self.root / LEDGER

    @property
    def live_journal(self) -> Path:
        return self.root / LIVE_JOURNAL

    @property
    def journal_copy(self) -> Path:
        return self.root / JOURNAL_COPY

    @property
    def load_dir(self) -> Path:
        return self.root / "load"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots"

    @property
    def history(self) -> Path:
        return self.root / "history.jsonl"

    def create(self) -> RunFolder:
        for sub in (self.root, self.live_journal.parent, self.load_dir, self.snapshots, self.root / "logs"):
            sub.mkdir(parents=True, exist_ok=True)
        return self


def _git_revision() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def jsonable(value: Any) -> Any:
    """Scenario values (frozen dataclasses, enums, tuples) as plain JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def write_manifest(folder: RunFolder, scenario: Scenario, run_id: str,
                   extra: dict[str, Any]) -> dict[str, Any]:
    """Write ``manifest.json`` (atomically) and return it."""
    manifest = {
        "run_id": run_id,
        "scenario": scenario.name,
        "profile": scenario.profile,
        "seed": scenario.seed,
        "source": scenario.source,
        "time_scale": scenario.time_scale,
        "created_at": time.time(),
        "versions": {
            "gameday-harness": _version("gameday-harness"),
            "git": _git_revision(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "locust": _version("locust"),
            "prometheus-client": _version("prometheus-client"),
        },
        "config": jsonable(scenario),
        **extra,
    }
    tmp = folder.manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")
    tmp.replace(folder.manifest)
    return manifest


def update_manifest(folder: RunFolder, **fields: Any) -> None:
    try:
        data = json.loads(folder.manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data.update(fields)
    tmp = folder.manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
    tmp.replace(folder.manifest)


def copy_journal(folder: RunFolder) -> str | None:
    """Copy the live journal to ``journal.sqlite`` with the backup API; a problem string or None."""
    src = folder.live_journal
    if not src.exists():
        return f"no live journal at {src}"
    try:
        with sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=10) as source, \
                sqlite3.connect(folder.journal_copy) as target:
            source.backup(target)
    except sqlite3.Error as exc:
        return f"journal copy failed: {exc}"
    return None


def set_current_stack(runs_dir: Path, run_dir: Path) -> None:
    runs_dir.mkdir(parents=True, exist_ok=True)
    (runs_dir / CURRENT_STACK).write_text(str(run_dir.resolve()), encoding="utf-8")


def current_stack(runs_dir: Path) -> Path | None:
    try:
        text = (runs_dir / CURRENT_STACK).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return Path(text) if text and os.path.isdir(text) else None
