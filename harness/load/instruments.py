"""Read the order constraints of the engine's instruments file (YAML, safe_load; no engine import).

``instruments_from_yaml(path, reference_prices)`` → tuple of :class:`Instrument` for the load
generator. Only linear perpetuals settled in ``asset`` are taken (default USDT: the load deposits
one settlement asset). Bad files raise :class:`LoadConfigError` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from harness.load.config import DEFAULT_INSTRUMENTS, Instrument, LoadConfigError

DEFAULT_REFERENCE = {i.symbol: i.reference_price for i in DEFAULT_INSTRUMENTS}


def _dec(symbol: str, spec: Mapping[str, Any], key: str) -> Decimal:
    try:
        value = Decimal(str(spec[key]))
    except KeyError:
        raise LoadConfigError(f"instruments.{symbol}.{key}: missing") from None
    except InvalidOperation:
        raise LoadConfigError(f"instruments.{symbol}.{key}: {spec[key]!r} is not a decimal") from None
    if not value.is_finite() or value <= 0:
        raise LoadConfigError(f"instruments.{symbol}.{key}: must be positive")
    return value


def instruments_from_yaml(
    path: str | Path,
    reference_prices: Mapping[str, Decimal] | None = None,
    *,
    asset: str = "USDT",
    symbols: tuple[str, ...] | None = None,
) -> tuple[Instrument, ...]:
    """Instruments settled in ``asset`` (optionally only ``symbols``), in file order."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LoadConfigError(f"{path}: cannot read instruments: {exc}") from None
    table = data.get("instruments") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        raise LoadConfigError(f"{path}: no 'instruments' mapping")
    refs = {**DEFAULT_REFERENCE, **(reference_prices or {})}
    out = []
    for symbol, spec in table.items():
        if not isinstance(spec, dict) or spec.get("asset") != asset:
            continue
        if symbols is not None and symbol not in symbols:
            continue
        ref = refs.get(symbol)
        if ref is None:
            raise LoadConfigError(f"instruments.{symbol}: no reference price given")
        out.append(Instrument(
            str(symbol), _dec(symbol, spec, "tick_size"), _dec(symbol, spec, "step_size"),
            _dec(symbol, spec, "min_qty"), _dec(symbol, spec, "min_notional"), ref,
        ))
    if not out:
        raise LoadConfigError(f"{path}: no instrument settled in {asset}")
    return tuple(out)
