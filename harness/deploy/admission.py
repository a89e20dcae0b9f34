"""Deterministic admission for the traffic ramp: admit exactly a fraction of requests over time.

A counter-based admitter (Bresenham-style): request n (0-based) is admitted when
``floor((n + 1) * f) > floor(n * f)``. With f = 1/4 that admits one request in every four, evenly
spread; after any N requests the admitted count is ``floor(N * f)``. The fraction is held as an
exact ``Fraction`` (decimal input such as 0.1 is taken literally), so no float drift. Pure: no
clock, no RNG, no I/O; not thread-safe (the gateway uses it from one event loop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["AdmissionError", "AdmissionStats", "Admitter", "parse_fraction"]

_MAX_DENOMINATOR = 1_000_000


class AdmissionError(ValueError):
    """An admission fraction outside [0, 1] or not a number."""

    code = "INVALID_FRACTION"


def parse_fraction(value: object) -> Fraction:
    """A fraction in [0, 1] from a JSON number; AdmissionError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AdmissionError(f"fraction must be a number between 0 and 1, got {value!r}")
    fraction = Fraction(str(value)).limit_denominator(_MAX_DENOMINATOR)
    if not 0 <= fraction <= 1:
        raise AdmissionError(f"fraction must be between 0 and 1, got {value!r}")
    return fraction


@dataclass(frozen=True)
class AdmissionStats:
    fraction: float
    admitted: int
    refused: int


class Admitter:
    """Admits ``fraction`` of the requests it is asked about, deterministically."""

    def __init__(self, fraction: object = 1.0) -> None:
        self._fraction = parse_fraction(fraction)
        self._seen = 0  # requests asked about since the fraction was last set
        self.admitted = 0
        self.refused = 0

    @property
    def fraction(self) -> float:
        return float(self._fraction)

    def set_fraction(self, value: object) -> None:
        """Change the fraction (validated first); the spreading restarts from the next request."""
        self._fraction = parse_fraction(value)
        self._seen = 0

    def admit(self) -> bool:
        """Decide for the next request."""
        n = self._seen
        self._seen += 1
        f = self._fraction
        if f == 1:
            self.admitted += 1
            return True
        ok = math.floor((n + 1) * f) > math.floor(n * f)
        if ok:
            self.admitted += 1
        else:
            self.refused += 1
        return ok

    def stats(self) -> AdmissionStats:
        return AdmissionStats(self.fraction, self.admitted, self.refused)
