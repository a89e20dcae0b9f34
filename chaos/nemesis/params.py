"""Small validators for fault parameters; each raises FaultSpecError(field, reason)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from chaos.nemesis.base import FaultSpecError

__all__ = [
    "check_keys",
    "optional_str",
    "require_choice",
    "require_int",
    "require_mapping",
    "require_number",
    "require_str",
    "require_url",
]


def require_mapping(params: object, field: str = "params") -> Mapping[str, Any]:
    if not isinstance(params, Mapping):
        raise FaultSpecError(field, "must be an object")
    return params


def check_keys(params: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    """Refuse unknown parameter names (typos must not silently do nothing)."""
    known = set(allowed)
    for key in params:
        if key not in known:
            raise FaultSpecError(f"{prefix}{key}", f"unknown parameter (known: {', '.join(sorted(known))})")


def require_str(params: Mapping[str, Any], field: str, max_length: int = 256) -> str:
    value = params.get(field)
    if not isinstance(value, str) or not value.strip():
        raise FaultSpecError(field, "is required and must be a non-empty string")
    if len(value) > max_length:
        raise FaultSpecError(field, f"longer than {max_length} characters")
    return value


def optional_str(params: Mapping[str, Any], field: str, default: str | None = None) -> str | None:
    if field not in params or params[field] is None:
        return default
    return require_str(params, field)


def require_choice(
    params: Mapping[str, Any], field: str, choices: Iterable[str], default: str | None = None
) -> str:
    options = list(choices)
    if default is not None and field not in params:
        return default
    value = params.get(field)
    if value not in options:
        raise FaultSpecError(field, f"must be one of {', '.join(options)}; got {value!r}")
    assert isinstance(value, str)
    return value


def require_int(params: Mapping[str, Any], field: str, minimum: int | None = None,
                default: int | None = None) -> int:
    if default is not None and field not in params:
        return default
    value = params.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultSpecError(field, f"must be an integer; got {value!r}")
    if minimum is not None and value < minimum:
        raise FaultSpecError(field, f"must be >= {minimum}; got {value}")
    return value


def require_number(params: Mapping[str, Any], field: str, minimum: float, maximum: float,
                   default: float | None = None) -> float:
    if default is not None and field not in params:
        return default
    value = params.get(field)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FaultSpecError(field, f"must be a number; got {value!r}")
    if not minimum <= value <= maximum:
        raise FaultSpecError(field, f"must be between {minimum} and {maximum}; got {value}")
    return float(value)


def require_url(params: Mapping[str, Any], field: str, default: str | None = None) -> str:
    """An http(s) URL with a host and no path beyond '/'. Returned without a trailing slash."""
    if default is not None and params.get(field) is None:
        value: object = default
    else:
        value = params.get(field)
    if not isinstance(value, str):
        raise FaultSpecError(field, "is required and must be an http(s) URL")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FaultSpecError(field, f"must be an http(s) URL with a host; got {value!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise FaultSpecError(field, f"has an invalid port: {value!r}") from None
    return value.rstrip("/")
