"""A fault ledger: an append-only JSON-lines file of injections and heals.

Each line is ``{"event": "injected"|"healed", "handle": {...}}``. Whoever injects appends
``injected`` before returning and ``healed`` after a successful heal; ``open_handles`` returns the
handles injected but not healed, in injection order — what ``gameday heal --all`` must undo after
a killed run. Lines are written with one ``write`` + ``flush`` + ``fsync`` each; a torn last line
(the writer died mid-write) is skipped, other malformed lines raise :class:`LedgerError`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from chaos.nemesis.base import FaultSpecError, Handle, NemesisError, handle_from_dict, handle_to_dict

__all__ = ["FaultLedger", "LedgerError"]


class LedgerError(NemesisError):
    """The ledger file is malformed (not a torn final line)."""

    code = "LEDGER_CORRUPT"


class FaultLedger:
    """Append-only record of injected and healed faults at ``path``."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _append(self, event: str, handle: Handle) -> None:
        line = json.dumps({"event": event, "handle": handle_to_dict(handle)}, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())

    def record_injected(self, handle: Handle) -> None:
        self._append("injected", handle)

    def record_healed(self, handle: Handle) -> None:
        self._append("healed", handle)

    def open_handles(self) -> list[Handle]:
        """Handles injected and not (yet) healed, oldest first. Empty when the file is absent."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").split("\n")
        pending: dict[str, Handle] = {}
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                entry = json.loads(text)
                handle = handle_from_dict(entry["handle"])
                event = entry["event"]
            except (ValueError, KeyError, TypeError, FaultSpecError) as exc:
                if number == len(lines):  # torn tail: the writer died mid-line
                    break
                raise LedgerError(f"{self.path}:{number}: malformed ledger line ({exc})") from None
            if event == "injected":
                pending[handle.id] = handle
            elif event == "healed":
                pending.pop(handle.id, None)
            else:
                raise LedgerError(f"{self.path}:{number}: unknown event {event!r}")
        return list(pending.values())
