"""Load configuration: what the runner passes to the Locust processes (stdlib only, no locust).

The runner serialises a :class:`LoadConfig` to a JSON file and names it in the environment variable
``GAMEDAY_LOAD_CONFIG``; the locustfile reads it back with :func:`load_config_from_env`. Bad input
raises :class:`LoadConfigError` (code ``LOAD_CONFIG``) naming the field.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

CONFIG_ENV = "GAMEDAY_LOAD_CONFIG"
WORKER_ENV = "GAMEDAY_LOAD_WORKER"
OPS = ("place", "cancel", "query", "deposit")
_RUN_ID = re.compile(r"^[A-Za-z0-9_]{1,12}$")


class LoadConfigError(ValueError):
    """Invalid load configuration (stable code LOAD_CONFIG)."""

    code = "LOAD_CONFIG"


@dataclass(frozen=True)
class Instrument:
    """The order constraints the generator must respect (decimals as strings in JSON)."""

    symbol: str
    tick: Decimal
    step: Decimal
    min_qty: Decimal
    min_notional: Decimal
    reference_price: Decimal


def _inst(symbol: str, numbers: str) -> Instrument:
    tick, step, min_qty, min_notional, ref = (Decimal(x) for x in numbers.split())
    return Instrument(symbol, tick, step, min_qty, min_notional, ref)


# symbol: tick step min_qty min_notional reference_price (until the mark is read from the engine)
DEFAULT_INSTRUMENTS = (
    _inst("BTCUSDT", "0.1 0.001 0.001 100 60000"),
    _inst("ETHUSDT", "0.01 0.001 0.001 20 3000"),
)


@dataclass(frozen=True)
class Step:
    """One stage of a stepped load shape: hold ``users`` for ``duration`` seconds."""

    duration: float
    users: int
    spawn_rate: float


@dataclass(frozen=True)
class TaskMix:
    """Relative task weights (0 disables a task; at least one must be positive)."""

    place: int = 60
    cancel: int = 15
    query: int = 20
    deposit: int = 5

    def as_dict(self) -> dict[str, int]:
        return {op: getattr(self, op) for op in OPS}


@dataclass(frozen=True)
class LoadConfig:
    """Everything a Locust process needs to generate deterministic load.

    ``out_dir`` receives ``history-<worker>.jsonl`` and ``exporters/<worker>.url`` per process.
    ``run_id`` is short (≤ 12 of [A-Za-z0-9_]) so client order ids stay ≤ 36 characters.
    """

    run_id: str
    out_dir: str
    seed: int = 1
    accounts: int = 100
    mix: TaskMix = field(default_factory=TaskMix)
    instruments: tuple[Instrument, ...] = DEFAULT_INSTRUMENTS
    steps: tuple[Step, ...] = ()
    settlement_asset: str = "USDT"
    deposit_amount: Decimal = Decimal("1000000")
    topup_amount: Decimal = Decimal("100")
    timeout_seconds: float = 5.0
    mark_refresh_every: int = 25
    price_offset_bps: int = 30
    max_notional_multiple: int = 5
    wait_min: float = 0.0
    wait_max: float = 0.0

    def __post_init__(self) -> None:
        if not _RUN_ID.match(self.run_id):
            raise LoadConfigError(f"run_id {self.run_id!r}: 1-12 characters of [A-Za-z0-9_]")
        if self.accounts < 1 or self.accounts > 9999:
            raise LoadConfigError(f"accounts {self.accounts}: must be 1..9999")
        weights = self.mix.as_dict()
        if any(w < 0 for w in weights.values()) or not any(weights.values()):
            raise LoadConfigError(f"mix {weights}: weights must be ≥ 0 and one of them > 0")
        if not self.instruments:
            raise LoadConfigError("instruments: at least one is required")
        if self.timeout_seconds <= 0:
            raise LoadConfigError("timeout_seconds: must be > 0")
        if self.wait_min < 0 or self.wait_max < self.wait_min:
            raise LoadConfigError("wait_min/wait_max: need 0 ≤ wait_min ≤ wait_max")
        for i, step in enumerate(self.steps):
            if step.duration <= 0 or step.users < 0 or step.spawn_rate <= 0:
                raise LoadConfigError(f"steps[{i}]: duration > 0, users ≥ 0, spawn_rate > 0 required")

    @property
    def shape_seconds(self) -> float:
        return sum(s.duration for s in self.steps)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(json.dumps(asdict(self), default=str))
        return out

    def write(self, path: str | os.PathLike[str]) -> Path:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_json(), indent=1), encoding="utf-8")
        return p


def _dec(name: str, value: Any) -> Decimal:
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise LoadConfigError(f"{name}: {value!r} is not a decimal") from None
    if not out.is_finite() or out <= 0:
        raise LoadConfigError(f"{name}: must be a positive decimal")
    return out


def config_from_json(data: Mapping[str, Any]) -> LoadConfig:
    """Build a LoadConfig from its JSON form; unknown keys and bad values raise LoadConfigError."""
    known = set(LoadConfig.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise LoadConfigError(f"unknown field(s): {', '.join(sorted(unknown))}")
    kw: dict[str, Any] = dict(data)
    try:
        if "mix" in kw:
            kw["mix"] = TaskMix(**{k: int(v) for k, v in dict(kw["mix"]).items()})
        if "instruments" in kw:
            kw["instruments"] = tuple(
                Instrument(
                    symbol=str(i["symbol"]),
                    **{k: _dec(f"instruments.{k}", i[k]) for k in (
                        "tick", "step", "min_qty", "min_notional", "reference_price")},
                )
                for i in kw["instruments"]
            )
        if "steps" in kw:
            kw["steps"] = tuple(
                Step(float(s["duration"]), int(s["users"]), float(s["spawn_rate"])) for s in kw["steps"]
            )
        for name in ("deposit_amount", "topup_amount"):
            if name in kw:
                kw[name] = _dec(name, kw[name])
        return LoadConfig(**kw)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, LoadConfigError):
            raise
        raise LoadConfigError(f"invalid load config: {exc!r}") from None


def load_config_file(path: str | os.PathLike[str]) -> LoadConfig:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise LoadConfigError(f"{path}: cannot read load config: {exc}") from None
    if not isinstance(data, dict):
        raise LoadConfigError(f"{path}: load config must be a JSON object")
    return config_from_json(data)


def load_config_from_env(environ: Mapping[str, str] | None = None) -> LoadConfig:
    env = os.environ if environ is None else environ
    path = env.get(CONFIG_ENV)
    if not path:
        raise LoadConfigError(f"{CONFIG_ENV} is not set (the runner names the config file there)")
    return load_config_file(path)
