"""The blue-green controller: a pure state machine over explicit inputs (no I/O, no clock).

Phases: stable → deploying → pre_promotion → cutover → ramping(step) → promoted, or
rolling_back → rolled_back; failover → promoted (or failed). ``step(config, state, input)``
returns the new state, the transitions (each becomes a history ``deploy`` event and the
``gameday_controller_state`` metric) and the commands the driver must carry out (promote an
engine, route the gateway, set admission, set a trading mode), in order.

* Pre-promotion freezes admission (so the leader's seq stops) and waits until the standby reports
  the same seq with the same state hash as the leader; a timeout aborts the deploy (never switched).
* Ramping: one analysis result per interval (see harness.deploy.analysis). Advance on success,
  halt on a failed check; failed checks ≥ threshold ⇒ rolling_back (promote the previous color,
  route to it, full admission). A progress deadline bounds halts and pauses.
* Recovery trading modes (e.g. cancel_only → post_only → normal) are applied per ramp step:
  step i uses ``trading_modes[min(i, len - 1)]``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.deploy.analysis import AnalysisVerdict, IntervalOutcome, analyze_interval
from harness.scenario.model import NoDataPolicy, RampSpec
from harness.slo.model import CheckResult


class Phase(StrEnum):
    STABLE = "stable"
    DEPLOYING = "deploying"
    PRE_PROMOTION = "pre_promotion"
    CUTOVER = "cutover"
    RAMPING = "ramping"
    PROMOTED = "promoted"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    FAILOVER = "failover"
    FAILED = "failed"


TERMINAL = frozenset({Phase.PROMOTED, Phase.ROLLED_BACK, Phase.FAILED})


def other_color(color: str) -> str:
    return "green" if color == "blue" else "blue"


@dataclass(frozen=True)
class ControllerConfig:
    steps: tuple[float, ...] = (0.10, 0.25, 0.50, 1.0)
    interval: float = 5.0
    threshold: int = 2
    no_data: NoDataPolicy = NoDataPolicy.FAIL
    pre_promotion_timeout: float = 10.0
    progress_deadline: float = 40.0
    trading_modes: tuple[str, ...] = ()

    @classmethod
    def from_ramp(cls, ramp: RampSpec, trading_modes: tuple[str, ...] = ()) -> ControllerConfig:
        return cls(ramp.steps, ramp.interval, ramp.threshold, ramp.no_data, ramp.pre_promotion_timeout,
                   ramp.deadline, trading_modes)

    def mode_for_step(self, step: int) -> str | None:
        return self.trading_modes[min(step, len(self.trading_modes) - 1)] if self.trading_modes else None


@dataclass(frozen=True)
class ControllerState:
    phase: Phase = Phase.STABLE
    active: str = "blue"  # the color that takes writes
    target: str | None = None  # the color being deployed / failed over to
    step: int = -1
    admission: float = 1.0
    failed_checks: int = 0
    entered_at: float = 0.0
    ramp_started_at: float | None = None
    threshold_reached_at: float | None = None
    reason: str = ""


# ---- inputs -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StartDeploy:
    t: float
    color: str


@dataclass(frozen=True)
class StandbyReport:
    t: float
    ready: bool
    leader_seq: int
    leader_hash: str
    standby_seq: int
    standby_hash: str


@dataclass(frozen=True)
class CutoverDone:
    t: float
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class AnalysisResult:
    t: float
    results: tuple[CheckResult, ...]


@dataclass(frozen=True)
class RollbackDone:
    t: float
    ok: bool = True
    reason: str = ""


@dataclass(frozen=True)
class LeaderLost:
    t: float
    color: str


@dataclass(frozen=True)
class FailoverDone:
    t: float
    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class Abort:
    t: float
    reason: str


@dataclass(frozen=True)
class Tick:
    t: float


Input = (StartDeploy | StandbyReport | CutoverDone | AnalysisResult | RollbackDone | LeaderLost
         | FailoverDone | Abort | Tick)


# ---- outputs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Promote:
    color: str


@dataclass(frozen=True)
class Route:
    color: str


@dataclass(frozen=True)
class SetAdmission:
    fraction: float


@dataclass(frozen=True)
class SetTradingMode:
    color: str
    mode: str
    reason: str


Command = Promote | Route | SetAdmission | SetTradingMode


@dataclass(frozen=True)
class Transition:
    t: float
    from_phase: Phase
    to_phase: Phase
    reason: str
    step: int
    admission: float
    active: str
    failed_checks: int

    def to_event(self) -> dict[str, object]:
        """Fields of the history ``deploy`` event (docs/dev/INTERFACES.md)."""
        return {"from": self.from_phase.value, "to": self.to_phase.value, "reason": self.reason,
                "step": self.step, "admission": self.admission, "active": self.active,
                "failed_checks": self.failed_checks}


@dataclass(frozen=True)
class Outcome:
    state: ControllerState
    transitions: tuple[Transition, ...] = ()
    commands: tuple[Command, ...] = ()
    verdict: AnalysisVerdict | None = None
    ignored: bool = False


@dataclass
class _Builder:
    state: ControllerState
    transitions: list[Transition] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)

    def go(self, t: float, phase: Phase, reason: str, **changes: Any) -> None:
        old = self.state.phase
        self.state = dataclasses.replace(self.state, phase=phase, entered_at=t, reason=reason, **changes)
        s = self.state
        self.transitions.append(Transition(t, old, phase, reason, s.step, s.admission, s.active,
                                           s.failed_checks))

    def admit(self, fraction: float) -> None:
        self.state = dataclasses.replace(self.state, admission=fraction)
        self.commands.append(SetAdmission(fraction))

    def done(self, verdict: AnalysisVerdict | None = None) -> Outcome:
        return Outcome(self.state, tuple(self.transitions), tuple(self.commands), verdict)


def step(config: ControllerConfig, state: ControllerState, event: Input) -> Outcome:
    """Apply one input; inputs that do not apply to the current phase are ignored (``ignored``)."""
    b = _Builder(state)
    p = state.phase
    if isinstance(event, LeaderLost) and p is not Phase.FAILOVER and event.color == state.active:
        target = other_color(event.color)
        b.go(event.t, Phase.FAILOVER, f"leader {event.color} lost", target=target, step=-1)
        b.commands += [Promote(target), Route(target)]
        b.admit(1.0)
        return b.done()
    if isinstance(event, FailoverDone) and p is Phase.FAILOVER:
        if event.ok:
            b.go(event.t, Phase.PROMOTED, event.reason or f"failed over to {state.target}",
                 active=state.target or state.active)
        else:
            b.go(event.t, Phase.FAILED, event.reason or "failover failed")
        return b.done()
    if isinstance(event, StartDeploy) and (p is Phase.STABLE or p in TERMINAL):
        if event.color == state.active:
            return Outcome(state, ignored=True)
        b.state = dataclasses.replace(b.state, failed_checks=0, step=-1, ramp_started_at=None,
                                      threshold_reached_at=None)
        b.go(event.t, Phase.DEPLOYING, f"deploy {event.color}", target=event.color)
        return b.done()
    if isinstance(event, Abort) and p in (Phase.DEPLOYING, Phase.PRE_PROMOTION):
        return _abort_before_switch(b, event.t, event.reason)
    if isinstance(event, Abort) and p in (Phase.CUTOVER, Phase.RAMPING):
        return _rollback(b, event.t, f"aborted: {event.reason}")
    if isinstance(event, Tick):
        return _tick(b, config, event.t)
    if isinstance(event, StandbyReport) and p in (Phase.DEPLOYING, Phase.PRE_PROMOTION):
        return _standby(b, config, event)
    if isinstance(event, CutoverDone) and p is Phase.CUTOVER:
        if not event.ok:
            return _rollback(b, event.t, f"cutover failed: {event.reason}")
        b.state = dataclasses.replace(b.state, ramp_started_at=event.t)
        b.go(event.t, Phase.RAMPING, f"admission {state.admission:.0%}", step=0, active=state.target)
        return b.done()
    if isinstance(event, AnalysisResult) and p is Phase.RAMPING:
        return _analysis(b, config, event)
    if isinstance(event, RollbackDone) and p is Phase.ROLLING_BACK:
        if event.ok:
            b.go(event.t, Phase.ROLLED_BACK, event.reason or f"rolled back to {state.active}")
        else:
            b.go(event.t, Phase.FAILED, event.reason or "rollback failed")
        return b.done()
    return Outcome(state, ignored=True)


def _abort_before_switch(b: _Builder, t: float, reason: str) -> Outcome:
    b.go(t, Phase.ROLLED_BACK, f"aborted before cutover: {reason}")
    b.admit(1.0)
    return b.done()


def _tick(b: _Builder, config: ControllerConfig, t: float) -> Outcome:
    s = b.state
    if s.phase in (Phase.DEPLOYING, Phase.PRE_PROMOTION) and t - s.entered_at > config.pre_promotion_timeout:
        return _abort_before_switch(b, t, f"standby not caught up within {config.pre_promotion_timeout:g}s")
    if (s.phase is Phase.RAMPING and s.ramp_started_at is not None
            and t - s.ramp_started_at > config.progress_deadline):
        return _rollback(b, t, f"progress deadline {config.progress_deadline:g}s exceeded")
    return Outcome(s, ignored=True)


def _standby(b: _Builder, config: ControllerConfig, r: StandbyReport) -> Outcome:
    s = b.state
    if s.phase is Phase.DEPLOYING:
        if not r.ready:
            return Outcome(s, ignored=True)
        b.go(r.t, Phase.PRE_PROMOTION, f"{s.target} ready; freezing writes until caught up")
        b.admit(0.0)
        return b.done()
    if r.standby_seq != r.leader_seq or not r.leader_hash or r.standby_hash != r.leader_hash:
        return Outcome(s, ignored=True)
    target = s.target or other_color(s.active)
    b.state = dataclasses.replace(b.state, step=0)
    b.go(r.t, Phase.CUTOVER, f"{target} caught up at seq {r.standby_seq} with equal state hash")
    b.commands += [Promote(target), Route(target)]
    mode = config.mode_for_step(0)
    if mode:
        b.commands.append(SetTradingMode(target, mode, "recovery step 0"))
    b.admit(config.steps[0])
    return b.done()


def _analysis(b: _Builder, config: ControllerConfig, a: AnalysisResult) -> Outcome:
    verdict = analyze_interval(a.results, config.no_data)
    s = b.state
    if verdict.outcome is IntervalOutcome.HALT:
        failed = s.failed_checks + 1
        b.state = dataclasses.replace(s, failed_checks=failed, reason=verdict.message)
        if failed >= config.threshold:
            b.state = dataclasses.replace(b.state, threshold_reached_at=a.t)
            _rollback(b, a.t, f"failed checks {failed} >= threshold {config.threshold}: "
                      + verdict.message)
        return b.done(verdict)
    if verdict.outcome is IntervalOutcome.PAUSE:
        b.state = dataclasses.replace(s, reason=verdict.message)
        return b.done(verdict)
    nxt = s.step + 1
    if nxt >= len(config.steps):
        b.go(a.t, Phase.PROMOTED, f"promoted {s.active} after {len(config.steps)} steps")
        if s.admission < 1.0:
            b.admit(1.0)
        return b.done(verdict)
    b.go(a.t, Phase.RAMPING, f"advance to {config.steps[nxt]:.0%}: {verdict.message}", step=nxt)
    mode, prev = config.mode_for_step(nxt), config.mode_for_step(s.step)
    if mode and mode != prev:
        b.commands.append(SetTradingMode(s.active, mode, f"recovery step {nxt}"))
    b.admit(config.steps[nxt])
    return b.done(verdict)


def _rollback(b: _Builder, t: float, reason: str) -> Outcome:
    s = b.state
    previous = other_color(s.target) if s.target else s.active
    b.go(t, Phase.ROLLING_BACK, reason, active=previous)
    b.commands += [Promote(previous), Route(previous)]
    b.admit(1.0)
    return b.done()


def phase_gauge(state: ControllerState) -> dict[str, float]:
    """Values of ``gameday_controller_state{state}``: 1 for the current phase, 0 for the others."""
    return {ph.value: 1.0 if ph is state.phase else 0.0 for ph in Phase}
