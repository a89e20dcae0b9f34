"""Typed field access over raw YAML data that records every problem instead of stopping at the first.

Each getter returns the value when it is valid, otherwise records an :class:`Issue` (file, field path,
reason) and returns the given fallback, so validation can carry on and report everything at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from harness.scenario.durations import parse_duration
from harness.scenario.errors import Issue

T = TypeVar("T")
_MISSING: Any = object()


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Reader:
    def __init__(self, file: str, time_scale: float = 1.0) -> None:
        self.file = file
        self.time_scale = time_scale
        self.issues: list[Issue] = []

    def error(self, path: str, reason: str) -> None:
        self.issues.append(Issue(self.file, path, reason))

    def mapping(
        self,
        obj: Any,
        path: str,
        allowed: Sequence[str] | None = None,
        required: Sequence[str] = (),
    ) -> Mapping[str, Any]:
        """A mapping with only ``allowed`` keys (None = any) and every ``required`` key present."""
        if obj is None:
            obj = {}
        if not isinstance(obj, Mapping):
            self.error(path, f"must be a mapping, got {_kind(obj)}")
            return {}
        for key in obj:
            if not isinstance(key, str):
                self.error(path, f"keys must be strings, got {key!r}")
            elif allowed is not None and key not in allowed:
                self.error(join(path, key), f"unknown field (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in obj:
                self.error(join(path, key), "required field is missing")
        return obj

    def seq(self, obj: Mapping[str, Any], key: str, path: str) -> list[Any]:
        val = obj.get(key)
        if val is None:
            return []
        if not isinstance(val, list):
            self.error(join(path, key), f"must be a list, got {_kind(val)}")
            return []
        return val

    def string(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        default: Any = _MISSING,
        choices: Sequence[str] | None = None,
    ) -> Any:
        if key not in obj or (obj[key] is None and default is not _MISSING):
            if default is _MISSING:
                self.error(join(path, key), "required field is missing")
                return ""
            return default
        val = obj[key]
        if not isinstance(val, str) or not val.strip():
            self.error(join(path, key), f"must be a non-empty string, got {_kind(val)}")
            return default if default is not _MISSING else ""
        if choices is not None and val not in choices:
            self.error(join(path, key), f"must be one of {', '.join(choices)}, got {val!r}")
            return default if default is not _MISSING else ""
        return val

    def number(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        default: Any = _MISSING,
        *,
        lo: float | None = None,
        hi: float | None = None,
        integer: bool = False,
    ) -> Any:
        val = obj.get(key, default)
        if val is _MISSING:
            self.error(join(path, key), "required field is missing")
            return 0
        if val is None and default is None:
            return None
        kinds: tuple[type, ...] = (int,) if integer else (int, float)
        bad = isinstance(val, bool) or not isinstance(val, kinds)
        if bad or (isinstance(val, float) and math.isnan(val)):
            what = "an integer" if integer else "a number"
            self.error(join(path, key), f"must be {what}, got {_kind(val)}")
            return default if default is not _MISSING else 0
        assert isinstance(val, int | float)
        if lo is not None and val < lo:
            self.error(join(path, key), f"must be >= {lo:g}, got {val}")
            return default if default is not _MISSING else lo
        if hi is not None and val > hi:
            self.error(join(path, key), f"must be <= {hi:g}, got {val}")
            return default if default is not _MISSING else hi
        return val

    def duration(
        self,
        obj: Mapping[str, Any],
        key: str,
        path: str,
        default: Any = _MISSING,
        *,
        scaled: bool = False,
        positive: bool = False,
    ) -> Any:
        """Seconds; ``scaled`` durations are multiplied by the profile's time scale."""
        val = obj.get(key, default)
        if val is _MISSING:
            self.error(join(path, key), "required field is missing")
            return 0.0
        if val is None and default is None:
            return None
        try:
            seconds = parse_duration(val)
        except ValueError as exc:
            self.error(join(path, key), str(exc))
            return default if isinstance(default, float) else 0.0
        if positive and seconds <= 0:
            self.error(join(path, key), "must be greater than zero")
        return seconds * self.time_scale if scaled else seconds

    def boolean(self, obj: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        val = obj.get(key, default)
        if not isinstance(val, bool):
            self.error(join(path, key), f"must be true or false, got {_kind(val)}")
            return default
        return val


def _kind(val: Any) -> str:
    if val is None:
        return "nothing (null)"
    if isinstance(val, bool):
        return f"boolean {val}"
    if isinstance(val, str):
        return f"string {val!r}"
    if isinstance(val, int | float):
        return f"number {val}"
    if isinstance(val, list):
        return "a list"
    if isinstance(val, Mapping):
        return "a mapping"
    return type(val).__name__
