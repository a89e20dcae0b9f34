"""Instrument and engine configuration as frozen values, parsed from a plain dict (no I/O here).

The YAML file lives in ``target_engine/config/instruments.yaml``; ``target_engine.config.loader`` reads
it with ``yaml.safe_load`` and hands the dict to ``engine_config_from_dict``. Errors raise
``ConfigError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .enums import DeficitPolicy, MarkMethod
from .errors import ConfigError, DomainError
from .units import MONEY_DECIMALS, PRICE_DECIMALS, QTY_DECIMALS, RATE_SCALE, parse_decimal, parse_rate

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class Tier:
    """One leverage bracket: notional in [floor, cap) (money units), MMR as a rate, cum in money."""

    number: int
    floor: int
    cap: int
    max_leverage: int
    mmr: int
    cum: int


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    asset: str
    tick_size: int
    step_size: int
    min_qty: int
    max_qty: int
    market_max_qty: int
    min_notional: int
    price_band: int  # rate: ±band around mark for limit prices and market bounds
    maker_fee: int
    taker_fee: int
    clearance_fee: int
    funding_interval_ms: int
    interest_rate: int  # per 8 h, as a rate
    premium_clamp: int  # ± clamp of (I - P̄)
    cap_multiplier: int  # rate: cap = multiplier * tier-1 MMR
    impact_margin: int  # money: impact notional = impact_margin * max leverage of tier 1
    premium_sample_ms: int
    default_leverage: int
    tiers: tuple[Tier, ...]

    @property
    def funding_cap(self) -> int:
        return self.cap_multiplier * self.tiers[0].mmr // RATE_SCALE

    @property
    def impact_notional(self) -> int:
        return self.impact_margin * self.tiers[0].max_leverage

    @property
    def max_leverage(self) -> int:
        return self.tiers[0].max_leverage


@dataclass(frozen=True, slots=True)
class EngineConfig:
    instruments: Mapping[str, Instrument]
    assets: tuple[str, ...]
    mark_method: MarkMethod = MarkMethod.BINANCE_MEDIAN
    basis_window_ms: int = 30_000
    basis_sample_ms: int = 1_000
    ema_periods: int = 30
    index_stale_ms: int = 10_000
    deficit_policy: DeficitPolicy = DeficitPolicy.ADL
    auto_liquidate: bool = True
    partial_liquidation: bool = True
    fills_history: int = 100
    insurance_fund: Mapping[str, int] = field(default_factory=dict)


def _money(value: object, where: str) -> int:
    try:
        return parse_decimal(value, MONEY_DECIMALS, "INVALID_CONFIG")
    except DomainError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None


def _rate(value: object, where: str) -> int:
    try:
        return parse_rate(value)
    except DomainError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None


def _scaled(value: object, decimals: int, where: str) -> int:
    try:
        result = parse_decimal(value, decimals, "INVALID_CONFIG")
    except DomainError as exc:
        raise ConfigError(f"{where}: {exc.message}") from None
    if result <= 0:
        raise ConfigError(f"{where}: must be positive")
    return result


def _int(value: object, where: str, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def tiers_from_rows(rows: object, where: str) -> tuple[Tier, ...]:
    """Build brackets from ``[{cap, max_leverage, mmr}, ...]``; floors and cum are derived."""
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f"{where}: expected a non-empty list of tiers")
    tiers: list[Tier] = []
    floor = cum = prev_mmr = 0
    for i, row in enumerate(rows, start=1):
        at = f"{where}[{i}]"
        if not isinstance(row, dict):
            raise ConfigError(f"{at}: expected a mapping")
        cap = _money(row.get("cap"), f"{at}.cap")
        mmr = _rate(row.get("mmr"), f"{at}.mmr")
        lev = _int(row.get("max_leverage"), f"{at}.max_leverage")
        if cap <= floor or not 0 < mmr < RATE_SCALE:
            raise ConfigError(f"{at}: cap must grow and mmr must be in (0, 1)")
        cum += floor * (mmr - prev_mmr) // RATE_SCALE
        if "cum" in row and _money(row["cum"], f"{at}.cum") != cum:
            raise ConfigError(f"{at}.cum: table says {row['cum']}, the formula gives a different value")
        tiers.append(Tier(i, floor, cap, lev, mmr, cum))
        floor, prev_mmr = cap, mmr
    return tuple(tiers)


def funding_interval_ms(raw: Mapping[str, object], at: str) -> int:
    """``funding_interval_seconds`` (sub-hour intervals, e.g. short game days) or ``funding_interval_hours``
    (default 8); one of them, positive, dividing a day so funding times stay aligned to 00:00 UTC."""
    if "funding_interval_seconds" in raw and "funding_interval_hours" in raw:
        raise ConfigError(f"{at}: give funding_interval_seconds or funding_interval_hours, not both")
    if "funding_interval_seconds" in raw:
        where = f"{at}.funding_interval_seconds"
        interval = 1000 * _int(raw["funding_interval_seconds"], where)
    else:
        where = f"{at}.funding_interval_hours"
        interval = HOUR_MS * _int(raw.get("funding_interval_hours", 8), where)
    if DAY_MS % interval:
        raise ConfigError(f"{where}: must divide a day (86400 s) evenly, got {interval // 1000} s")
    return interval


def instrument_from_dict(symbol: str, raw: object) -> Instrument:
    if not isinstance(raw, dict):
        raise ConfigError(f"instruments.{symbol}: expected a mapping")
    at = f"instruments.{symbol}"
    tiers = tiers_from_rows(raw.get("brackets"), f"{at}.brackets")
    step = _scaled(raw.get("step_size"), QTY_DECIMALS, f"{at}.step_size")
    inst = Instrument(
        symbol=symbol,
        asset=str(raw.get("asset", "")),
        tick_size=_scaled(raw.get("tick_size"), PRICE_DECIMALS, f"{at}.tick_size"),
        step_size=step,
        min_qty=_scaled(raw.get("min_qty", raw.get("step_size")), QTY_DECIMALS, f"{at}.min_qty"),
        max_qty=_scaled(raw.get("max_qty"), QTY_DECIMALS, f"{at}.max_qty"),
        market_max_qty=_scaled(raw.get("market_max_qty"), QTY_DECIMALS, f"{at}.market_max_qty"),
        min_notional=_money(raw.get("min_notional", "0"), f"{at}.min_notional"),
        price_band=_rate(raw.get("price_band"), f"{at}.price_band"),
        maker_fee=_rate(raw.get("maker_fee"), f"{at}.maker_fee"),
        taker_fee=_rate(raw.get("taker_fee"), f"{at}.taker_fee"),
        clearance_fee=_rate(raw.get("clearance_fee"), f"{at}.clearance_fee"),
        funding_interval_ms=funding_interval_ms(raw, at),
        interest_rate=_rate(raw.get("interest_rate", "0.0001"), f"{at}.interest_rate"),
        premium_clamp=_rate(raw.get("premium_clamp", "0.0005"), f"{at}.premium_clamp"),
        cap_multiplier=_rate(raw.get("cap_multiplier", "0.75"), f"{at}.cap_multiplier"),
        impact_margin=_money(raw.get("impact_margin", "200"), f"{at}.impact_margin"),
        premium_sample_ms=_int(raw.get("premium_sample_seconds", 5), f"{at}.premium_sample_seconds") * 1000,
        default_leverage=_int(raw.get("default_leverage", 20), f"{at}.default_leverage"),
        tiers=tiers,
    )
    if not inst.asset:
        raise ConfigError(f"{at}.asset: missing")
    if inst.min_qty % step or inst.max_qty % step or inst.market_max_qty % step:
        raise ConfigError(f"{at}: min_qty, max_qty and market_max_qty must be multiples of step_size")
    if not 0 < inst.price_band < RATE_SCALE:
        raise ConfigError(f"{at}.price_band: must be in (0, 1)")
    if inst.default_leverage > inst.max_leverage:
        raise ConfigError(f"{at}.default_leverage: above the bracket's max leverage")
    return inst


def engine_config_from_dict(raw: object, **overrides: object) -> EngineConfig:
    """Parse the whole configuration; ``overrides`` replace top-level engine options (tests, CLI)."""
    if not isinstance(raw, dict):
        raise ConfigError("configuration: expected a mapping at the top level")
    raw_instruments = raw.get("instruments")
    if not isinstance(raw_instruments, dict) or not raw_instruments:
        raise ConfigError("instruments: expected a non-empty mapping of symbol -> instrument")
    instruments = {str(sym): instrument_from_dict(str(sym), spec) for sym, spec in raw_instruments.items()}
    assets = tuple(sorted({inst.asset for inst in instruments.values()}))
    engine = dict(raw.get("engine") or {})
    engine.update(overrides)
    fund_raw = engine.get("insurance_fund") or {}
    if not isinstance(fund_raw, dict):
        raise ConfigError("engine.insurance_fund: expected a mapping asset -> amount")
    fund = {asset: _money(fund_raw.get(asset, "0"), f"engine.insurance_fund.{asset}") for asset in assets}
    try:
        mark_method = MarkMethod(engine.get("mark_method", MarkMethod.BINANCE_MEDIAN))
        policy = DeficitPolicy(engine.get("deficit_policy", DeficitPolicy.ADL))
    except ValueError as exc:
        raise ConfigError(f"engine: {exc}") from None
    return EngineConfig(
        instruments=instruments,
        assets=assets,
        mark_method=mark_method,
        basis_window_ms=_int(engine.get("basis_window_ms", 30_000), "engine.basis_window_ms"),
        basis_sample_ms=_int(engine.get("basis_sample_ms", 1_000), "engine.basis_sample_ms"),
        ema_periods=_int(engine.get("ema_periods", 30), "engine.ema_periods"),
        index_stale_ms=_int(engine.get("index_stale_ms", 10_000), "engine.index_stale_ms"),
        deficit_policy=policy,
        auto_liquidate=bool(engine.get("auto_liquidate", True)),
        partial_liquidation=bool(engine.get("partial_liquidation", True)),
        fills_history=_int(engine.get("fills_history", 100), "engine.fills_history"),
        insurance_fund=fund,
    )
