"""Failpoint spec grammar: ``[P%][N*]action``.

``action`` is one of ``off``, ``delay(ms[,jitter_ms])``, ``error(CODE)``, ``pause`` or ``crash``.
``P%`` fires the action with probability P (0 < P <= 100, decimals allowed); ``N*`` fires it at
most N times (N >= 1), after which the point behaves as ``off`` until it is set again.

Examples: ``delay(200)``, ``delay(200,50)``, ``50%error(IO)``, ``3*crash``, ``25%2*pause``.

Parsing is pure (no I/O); every malformed spec raises :class:`FailpointSpecError` naming the
offending text.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = ["Action", "FailpointSpec", "FailpointSpecError", "parse_spec", "validate_name"]

_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
_SPEC_RE = re.compile(
    r"^(?:(?P<prob>\d+(?:\.\d+)?)%)?"
    r"(?:(?P<count>\d+)\*)?"
    r"(?P<action>[a-z]+)"
    r"(?:\((?P<args>[^()]*)\))?$"
)
_CODE_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_MAX_DELAY_MS = 3_600_000


class FailpointSpecError(ValueError):
    """A failpoint name or spec does not follow the grammar (message says what and why)."""


class Action(enum.Enum):
    """What a failpoint does when it fires."""

    OFF = "off"
    DELAY = "delay"
    ERROR = "error"
    PAUSE = "pause"
    CRASH = "crash"


@dataclass(frozen=True)
class FailpointSpec:
    """A parsed spec. ``probability`` is in [0, 1]; ``count`` None means unlimited."""

    action: Action
    probability: float = 1.0
    count: int | None = None
    delay_ms: int = 0
    jitter_ms: int = 0
    code: str = ""

    def render(self) -> str:
        """Canonical text of this spec (parse(render(s)) == s)."""
        prefix = ""
        if self.probability < 1.0:
            prefix += f"{_format_percent(self.probability * 100)}%"
        if self.count is not None:
            prefix += f"{self.count}*"
        if self.action is Action.DELAY:
            args = f"{self.delay_ms}" + (f",{self.jitter_ms}" if self.jitter_ms else "")
            return f"{prefix}delay({args})"
        if self.action is Action.ERROR:
            return f"{prefix}error({self.code})"
        return f"{prefix}{self.action.value}"


def _format_percent(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def validate_name(name: object) -> str:
    """Return ``name`` if it is a valid failpoint name, else raise FailpointSpecError."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise FailpointSpecError(
            f"invalid failpoint name {name!r}: use letters, digits, '_', '.', '-' (at most 128)"
        )
    return name


def _int_arg(text: str, what: str, spec: str) -> int:
    text = text.strip()
    if not text.isdigit():
        raise FailpointSpecError(
            f"invalid failpoint spec {spec!r}: {what} must be a whole number, got {text!r}"
        )
    value = int(text)
    if value > _MAX_DELAY_MS:
        raise FailpointSpecError(f"invalid failpoint spec {spec!r}: {what} {value} exceeds {_MAX_DELAY_MS}")
    return value


def parse_spec(spec: object) -> FailpointSpec:
    """Parse ``[P%][N*]action``; raise FailpointSpecError with the reason on any mistake."""
    if not isinstance(spec, str):
        raise FailpointSpecError(f"failpoint spec must be a string, got {type(spec).__name__}")
    text = spec.strip()
    match = _SPEC_RE.match(text)
    if not match:
        raise FailpointSpecError(
            f"invalid failpoint spec {spec!r}: expected [P%][N*]action with action "
            "off | delay(ms[,jitter_ms]) | error(CODE) | pause | crash"
        )
    probability = 1.0
    if match.group("prob") is not None:
        percent = float(match.group("prob"))
        if not 0.0 < percent <= 100.0:
            raise FailpointSpecError(f"invalid failpoint spec {spec!r}: probability must be in (0, 100]%")
        probability = percent / 100.0
    count: int | None = None
    if match.group("count") is not None:
        count = int(match.group("count"))
        if count < 1:
            raise FailpointSpecError(f"invalid failpoint spec {spec!r}: count must be at least 1")
    try:
        action = Action(match.group("action"))
    except ValueError:
        raise FailpointSpecError(
            f"invalid failpoint spec {spec!r}: unknown action {match.group('action')!r}"
        ) from None
    args = match.group("args")
    if action is Action.DELAY:
        if args is None:
            raise FailpointSpecError(f"invalid failpoint spec {spec!r}: delay needs (ms[,jitter_ms])")
        parts = args.split(",")
        if len(parts) > 2:
            raise FailpointSpecError(f"invalid failpoint spec {spec!r}: delay takes at most 2 arguments")
        delay_ms = _int_arg(parts[0], "delay ms", spec)
        jitter_ms = _int_arg(parts[1], "jitter ms", spec) if len(parts) == 2 else 0
        return FailpointSpec(action, probability, count, delay_ms=delay_ms, jitter_ms=jitter_ms)
    if action is Action.ERROR:
        code = (args or "").strip()
        if not _CODE_RE.match(code):
            raise FailpointSpecError(
                f"invalid failpoint spec {spec!r}: error needs a code of letters, digits, '_', '.', '-'"
            )
        return FailpointSpec(action, probability, count, code=code)
    if args is not None:
        raise FailpointSpecError(f"invalid failpoint spec {spec!r}: {action.value} takes no arguments")
    return FailpointSpec(action, probability, count)


def parse_assignments(text: str) -> dict[str, FailpointSpec]:
    """Parse ``name=spec;name=spec`` (the GAMEDAY_FAILPOINTS format); empty entries are skipped."""
    result: dict[str, FailpointSpec] = {}
    for raw in text.split(";"):
        entry = raw.strip()
        if not entry:
            continue
        name, sep, spec = entry.partition("=")
        if not sep:
            raise FailpointSpecError(f"invalid failpoint assignment {entry!r}: expected name=spec")
        result[validate_name(name.strip())] = parse_spec(spec)
    return result
