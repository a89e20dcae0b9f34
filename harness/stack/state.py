"""The stack state file (``runs/<id>/stack.json``) and cleanup of a killed run's leftovers.

The supervisor rewrites the file (atomically: temp file + rename) whenever a process starts or
stops. Each entry records the pid, its process group, and the process start time read from
``/proc/<pid>/stat`` so :func:`stop_from_state_file` never signals a recycled pid: an entry whose
start time no longer matches is reported as gone. Stopping = SIGTERM to the process group, wait up
to ``timeout``, then SIGKILL. Errors: an unreadable or malformed file raises :class:`StackError`.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.stack.errors import StackError

STATE_FILE = "stack.json"
STATE_VERSION = 1


@dataclass(frozen=True)
class StateEntry:
    name: str
    pid: int
    pgid: int
    start_ticks: int | None
    url: str | None
    argv: tuple[str, ...]
    log: str | None = None


def proc_start_ticks(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot (field 22 of /proc/pid/stat), None if gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rfind(")") + 2:].split()
    return int(fields[19]) if len(fields) > 19 else None


def is_same_process(entry: StateEntry) -> bool:
    """True if the pid still runs and is the process recorded (same start time), not a zombie."""
    ticks = proc_start_ticks(entry.pid)
    if ticks is None or (entry.start_ticks is not None and ticks != entry.start_ticks):
        return False
    try:
        status = Path(f"/proc/{entry.pid}/stat").read_text()
    except OSError:
        return False
    return status[status.rfind(")") + 2:].split()[0] != "Z"


def write_state(
    path: Path,
    entries: Iterable[StateEntry],
    owner_pid: int | None = None,
    info: dict[str, Any] | None = None,
) -> None:
    """Write the state file atomically; ``info`` (e.g. the stack's URLs) is stored as is."""
    data = {
        "version": STATE_VERSION,
        "owner_pid": owner_pid if owner_pid is not None else os.getpid(),
        "processes": [asdict(e) | {"argv": list(e.argv)} for e in entries],
        "info": info or {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)


def read_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``info`` object of a state file (empty when absent or unreadable)."""
    p = Path(path)
    if p.is_dir():
        p = p / STATE_FILE
    try:
        info = json.loads(p.read_text(encoding="utf-8")).get("info")
    except (OSError, ValueError, AttributeError):
        return {}
    return info if isinstance(info, dict) else {}


def read_state(path: str | os.PathLike[str]) -> list[StateEntry]:
    p = Path(path)
    if p.is_dir():
        p = p / STATE_FILE
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        return [
            StateEntry(
                name=str(e["name"]), pid=int(e["pid"]), pgid=int(e["pgid"]),
                start_ticks=None if e.get("start_ticks") is None else int(e["start_ticks"]),
                url=e.get("url"), argv=tuple(str(a) for a in e.get("argv", ())), log=e.get("log"),
            )
            for e in data["processes"]
        ]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StackError(f"{p}: unreadable stack state: {exc!r}") from None


def _signal(entry: StateEntry, sig: signal.Signals) -> None:
    try:
        if entry.pgid == entry.pid:
            os.killpg(entry.pgid, sig)
        else:
            os.kill(entry.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_entries(entries: Iterable[StateEntry], timeout: float = 10.0) -> list[str]:
    """SIGTERM the live ones (reverse start order), SIGKILL what remains; returns the names signalled."""
    live = [e for e in reversed(list(entries)) if is_same_process(e)]
    for entry in live:
        _signal(entry, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(is_same_process(e) for e in live):
        time.sleep(0.05)
    for entry in live:
        if is_same_process(entry):
            _signal(entry, signal.SIGKILL)
        elif entry.pgid == entry.pid:
            _signal(entry, signal.SIGKILL)  # leftovers in its group (forked children)
    return [e.name for e in live]


def stop_from_state_file(path: str | os.PathLike[str], timeout: float = 10.0) -> list[str]:
    """Stop every process a (possibly killed) run recorded in its stack.json; returns their names.

    ``path`` is the file or the run folder. Processes already gone or whose pid was reused are
    skipped. The file is rewritten with no processes afterwards, so a second call does nothing.
    """
    p = Path(path)
    if p.is_dir():
        p = p / STATE_FILE
    entries = read_state(p)
    stopped = stop_entries(entries, timeout)
    if p.exists():
        write_state(p, [], info=read_info(p))
    return stopped


def stop_leftovers(runs_root: str | os.PathLike[str], timeout: float = 10.0) -> dict[str, list[str]]:
    """``gameday heal --all``: :func:`stop_from_state_file` for every ``<runs_root>/*/stack.json``.

    Returns ``{run folder name: names stopped}`` for runs that had live processes; an unreadable
    state file is skipped (reported under its run name as ``["<unreadable stack.json>"]``).
    """
    out: dict[str, list[str]] = {}
    root = Path(runs_root)
    if not root.is_dir():
        return out
    for state in sorted(root.glob(f"*/{STATE_FILE}")):
        try:
            stopped = stop_from_state_file(state, timeout)
        except StackError:
            out[state.parent.name] = ["<unreadable stack.json>"]
            continue
        if stopped:
            out[state.parent.name] = stopped
    return out
