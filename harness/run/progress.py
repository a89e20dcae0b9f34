"""The live terminal progress line: phase, time, faults, traffic, alerts, controller.

On a TTY the line is redrawn in place (``\\r``) at most every ``every`` seconds; otherwise a plain
line is printed every ``plain_every`` seconds so CI logs stay short. Writing never raises.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Progress:
    out: TextIO | None
    every: float = 0.5
    plain_every: float = 5.0
    _last: float = 0.0
    _width: int = 0
    _tty: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        try:
            self._tty = bool(self.out is not None and self.out.isatty())
        except (AttributeError, ValueError):
            self._tty = False

    @property
    def interval(self) -> float:
        return self.every if self._tty else self.plain_every

    def line(self, text: str, force: bool = False) -> None:
        if self.out is None:
            return
        now = time.monotonic()
        if not force and now - self._last < (self.every if self._tty else self.plain_every):
            return
        self._last = now
        try:
            if self._tty:
                pad = max(0, self._width - len(text))
                self.out.write("\r" + text + " " * pad)
                self._width = len(text)
            else:
                self.out.write(text + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass

    def say(self, text: str) -> None:
        """A message on its own line (ends the in-place line first)."""
        if self.out is None:
            return
        try:
            if self._tty and self._width:
                self.out.write("\n")
                self._width = 0
            self.out.write(text + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass


def status_text(phase: str, elapsed: float, duration: float, *, faults: list[str], rps: float | None,
                alerts: list[str], controller: str, admission: float) -> str:
    parts = [f"[{phase:<12}] t={elapsed:5.1f}/{duration:.0f}s"]
    parts.append("faults: " + (",".join(faults) if faults else "-"))
    parts.append(f"load: {rps:.0f} op/s" if rps is not None else "load: -")
    parts.append("alerts: " + (",".join(sorted(alerts)) if alerts else "-"))
    parts.append(f"deploy: {controller} {admission:.0%}")
    return " | ".join(parts)
