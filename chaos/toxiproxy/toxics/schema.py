"""Attribute schemas of toxics: one ``ToxicSchema`` per type, shared by the server and the client.

A schema checks JSON types (integers are never bools or floats), ranges, and cross-field rules, and
raises ``ValidationError`` with a one-line message naming the attribute. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from chaos.toxiproxy.errors import ValidationError

INT64_MAX = 2**63 - 1


class AttrKind(Enum):
    """JSON type of an attribute."""

    INT = "integer"
    FLOAT = "number"
    STR = "string"


@dataclass(frozen=True)
class Attr:
    """One attribute: name, JSON kind, default and inclusive bounds."""

    name: str
    kind: AttrKind
    default: Any
    minimum: float | None = 0
    maximum: float | None = None
    max_length: int = 65536

    def check(self, value: Any) -> Any:
        """Return the value if it fits, else raise ValidationError."""
        if self.kind is AttrKind.STR:
            if not isinstance(value, str):
                raise ValidationError(f"bad request body: attribute {self.name} must be a string")
            if len(value) > self.max_length:
                raise ValidationError(
                    f"bad request body: attribute {self.name} longer than {self.max_length} characters"
                )
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            article = "an" if self.kind is AttrKind.INT else "a"
            raise ValidationError(
                f"bad request body: attribute {self.name} must be {article} {self.kind.value}"
            )
        if self.kind is AttrKind.INT:
            if not isinstance(value, int):
                raise ValidationError(f"bad request body: attribute {self.name} must be an integer")
            if not -INT64_MAX - 1 <= value <= INT64_MAX:
                raise ValidationError(f"bad request body: attribute {self.name} out of range")
        elif not math.isfinite(value):
            raise ValidationError(f"bad request body: attribute {self.name} must be finite")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(
                f"bad request body: attribute {self.name} must be >= {_fmt(self.minimum)}, got {value}"
            )
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(
                f"bad request body: attribute {self.name} must be <= {_fmt(self.maximum)}, got {value}"
            )
        return value


def _fmt(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


CrossCheck = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class ToxicSchema:
    """Attributes of one toxic type plus an optional cross-field rule (returns a message or None)."""

    type: str
    attrs: tuple[Attr, ...]
    cross_check: CrossCheck | None = None
    description: str = ""

    def defaults(self) -> dict[str, Any]:
        """Attribute values of a toxic created without attributes."""
        return {a.name: a.default for a in self.attrs}

    def validate(
        self,
        attributes: Any,
        *,
        base: Mapping[str, Any] | None = None,
        strict: bool = False,
        partial: bool = False,
    ) -> dict[str, Any]:
        """Merge ``attributes`` over ``base`` (or the defaults) and check the result.

        ``strict`` rejects unknown attribute names (the client does; the server ignores them, as
        Toxiproxy does). ``partial`` skips cross-field rules (a client-side PATCH without the
        current values).
        """
        if attributes is None:
            attributes = {}
        if not isinstance(attributes, Mapping):
            raise ValidationError("bad request body: attributes must be a JSON object")
        known = {a.name: a for a in self.attrs}
        result = dict(base) if base is not None else self.defaults()
        for key, value in attributes.items():
            attr = known.get(key)
            if attr is None:
                if strict:
                    names = ", ".join(known) or "none"
                    raise ValidationError(
                        f"bad request body: unknown attribute {key!r} for toxic type {self.type} "
                        f"(known: {names})"
                    )
                continue
            result[key] = attr.check(value)
        if not partial and self.cross_check is not None:
            problem = self.cross_check(result)
            if problem:
                raise ValidationError(f"bad request body: {problem}")
        return result


def validate_toxicity(value: Any) -> float:
    """Toxicity must be a number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("bad request body: toxicity must be a number")
    if not 0.0 <= value <= 1.0:
        raise ValidationError(f"bad request body: toxicity must be between 0 and 1, got {value}")
    return float(value)
