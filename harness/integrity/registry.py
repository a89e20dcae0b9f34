"""The integrity checkers by name (one explicit registry dict)."""

from __future__ import annotations

CHECKER_NAMES: tuple[str, ...] = (
    "orders",
    "positions",
    "snapshot_positions",
    "conservation",
    "open_interest",
    "funding",
    "statement",
)
