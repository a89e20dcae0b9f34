"""The validated scenario: frozen values only (built by harness.scenario.loader)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

COLORS = ("blue", "green")


class OverflowPolicy(StrEnum):
    HALT = "halt"
    SHED = "shed"


class Durability(StrEnum):
    """What an engine's acknowledgement survives (``margin-engine serve --durability``)."""

    POWER = "power"  # each group commit fsyncs the journal's WAL: survives an OS crash or power loss
    PROCESS = "process"  # written to the WAL in the page cache: survives the engine process dying


class EngineRole(StrEnum):
    LEADER = "leader"
    STANDBY = "standby"
    AUTO = "auto"


class RemediationAction(StrEnum):
    NONE = "none"
    FAILOVER = "failover"
    DEPLOY = "deploy"


class NoDataPolicy(StrEnum):
    """What a check with no data means during analysis (Flagger: fail; Argo: inconclusive ⇒ pause)."""

    FAIL = "fail"
    SKIP = "skip"
    PAUSE = "pause"


class CheckKind(StrEnum):
    SUCCESS_RATE = "success_rate"
    LATENCY_P99 = "latency_p99"
    PROMQL = "promql"


@dataclass(frozen=True)
class Tolerance:
    """Accepted range of a probe value; ``min``/``max`` inclusive; ``equals`` exact."""

    min: float | None = None
    max: float | None = None
    equals: float | None = None

    def accepts(self, value: float) -> bool:
        if self.equals is not None and value != self.equals:
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value > self.max)

    def describe(self) -> str:
        if self.equals is not None:
            return f"== {self.equals:g}"
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        return " and ".join(parts) or "any"


@dataclass(frozen=True)
class EngineSpec:
    color: str
    overflow_policy: OverflowPolicy = OverflowPolicy.HALT
    role: EngineRole = EngineRole.AUTO
    margin_queue_limit: int | None = None


@dataclass(frozen=True)
class FeedSpec:
    symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT")
    volatility: float = 0.0005
    jump_probability: float = 0.0
    jump_size: float = 0.0
    tick_interval: float = 0.25
    csv: str | None = None


@dataclass(frozen=True)
class StackSpec:
    engines: tuple[EngineSpec, ...] = (EngineSpec("blue", role=EngineRole.LEADER),)
    toxiproxy_url: str | None = None  # None = embedded chaos-proxy
    prometheus_url: str | None = None  # None = managed Prometheus
    scrape_interval: float = 0.25
    evaluation_interval: float = 0.25
    feed: FeedSpec = field(default_factory=FeedSpec)
    # One journal for both colors, so one durability for both engines.
    durability: Durability = Durability.POWER
    # Overlay on the engine's built-in config (RFC 7386 merge patch: ``engine:`` options and
    # ``instruments.<SYMBOL>`` fields; null removes a field). Empty = the built-in config as is.
    engine_config: Mapping[str, Any] = field(default_factory=dict)

    def engine(self, color: str) -> EngineSpec | None:
        return next((e for e in self.engines if e.color == color), None)


@dataclass(frozen=True)
class LoadStep:
    at: float
    users: int
    spawn_rate: float


@dataclass(frozen=True)
class LoadSpec:
    users: int = 10
    spawn_rate: float = 10.0
    accounts: int = 100
    workers: int = 0
    shape: tuple[LoadStep, ...] = ()
    mix: tuple[tuple[str, int], ...] = (("place", 6), ("cancel", 2), ("query", 1), ("deposit", 1))
    symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT")


@dataclass(frozen=True)
class Probe:
    """A PromQL probe of the steady-state hypothesis or a stop condition."""

    name: str
    query: str
    tolerance: Tolerance
    for_seconds: float = 0.0  # stop conditions: breach must last this long


@dataclass(frozen=True)
class FaultSpec:
    id: str
    kind: str
    at: float
    duration: float | None  # None = until the final heal
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> float | None:
        return None if self.duration is None else self.at + self.duration


@dataclass(frozen=True)
class Detection:
    alert: str
    within: float
    fault: str | None = None  # measured from this fault's start (default: the first fault)


@dataclass(frozen=True)
class Remediation:
    action: RemediationAction = RemediationAction.NONE
    color: str | None = None  # deploy target / failover target (default: the other color)
    after_alert: str | None = None  # start when this alert fires ...
    at: float | None = None  # ... or at this time from the start of the load
    delay: float = 0.0  # then wait this long (time to ship the hotfix; the halt lasts meanwhile)
    trading_modes: tuple[str, ...] = ()  # after cutover: cancel_only, post_only, normal
    expect: str = "promoted"  # controller outcome that passes: promoted | rolled_back | any


@dataclass(frozen=True)
class AnalysisCheck:
    name: str
    kind: CheckKind
    min: float | None = None
    max: float | None = None
    query: str | None = None  # promql only
    window: float = 5.0  # rate window in seconds

    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(min=self.min, max=self.max)


@dataclass(frozen=True)
class RampSpec:
    steps: tuple[float, ...] = (0.10, 0.25, 0.50, 1.0)  # admission fractions
    interval: float = 5.0
    threshold: int = 2
    no_data: NoDataPolicy = NoDataPolicy.FAIL
    checks: tuple[AnalysisCheck, ...] = ()
    pre_promotion_timeout: float = 10.0
    progress_deadline: float | None = None  # None = interval * (len(steps) + threshold + 2)

    @property
    def deadline(self) -> float:
        if self.progress_deadline is not None:
            return self.progress_deadline
        return self.interval * (len(self.steps) + self.threshold + 2)


@dataclass(frozen=True)
class IntegritySpec:
    checkers: tuple[str, ...] = ()
    snapshot_before_fault: bool = True


@dataclass(frozen=True)
class ReportSpec:
    formats: tuple[str, ...] = ("json", "junit", "html")
    title: str | None = None


@dataclass(frozen=True)
class SetupOrder:
    """An order the harness places before the load starts (e.g. OKEx 2018's one huge long)."""

    account: str
    symbol: str
    side: str  # BUY | SELL
    qty: str
    price: str | None = None  # None = MARKET
    leverage: int | None = None


@dataclass(frozen=True)
class SetupSpec:
    deposits: tuple[tuple[str, str, str], ...] = ()  # (account, asset, amount)
    orders: tuple[SetupOrder, ...] = ()


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    seed: int
    duration: float
    stack: StackSpec
    load: LoadSpec
    steady_state: tuple[Probe, ...]
    faults: tuple[FaultSpec, ...]
    stop_conditions: tuple[Probe, ...]
    detection: tuple[Detection, ...]
    remediation: Remediation
    ramp: RampSpec | None
    integrity: IntegritySpec
    report: ReportSpec
    setup: SetupSpec = field(default_factory=SetupSpec)
    source: str = "<memory>"
    profile: str | None = None
    time_scale: float = 1.0

    def fault(self, fault_id: str) -> FaultSpec | None:
        return next((f for f in self.faults if f.id == fault_id), None)
