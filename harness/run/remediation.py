"""The remediation driver: runs the pure blue-green controller against the live stack.

Runs in a daemon thread started by the run driver when the remediation trigger fires (an alert or
a time). It feeds the controller (``harness.deploy.controller.step``) with ticks, standby reports
(``GET /v1/state`` of both colors), analysis results (PromQL checks at each interval) and the
outcome of the commands it carries out: promote (engine admin), route and admission (gateway
admin), trading mode (engine admin). Every transition becomes a history ``deploy`` event, the
``gameday_controller_state`` gauge and the other gameday_* metrics; every analysis check a history
``check`` event (source analysis). HTTP failures are outcomes (a failed cutover rolls back), never
exceptions; :meth:`abort` asks the controller to abort and the thread ends in a terminal phase.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from harness.deploy import controller as ctl
from harness.history import HistoryWriter
from harness.observability.grafana import GrafanaAnnotator
from harness.run.exporter import GamedayMetrics
from harness.run.http import Http
from harness.scenario.model import RampSpec, Remediation, RemediationAction
from harness.slo.checks import check_query, evaluate_check
from harness.slo.prometheus import PromClient
from harness.stack.stack import Stack

TICK = 0.05


@dataclass(frozen=True)
class Endpoints:
    engines: dict[str, str]
    gateway: str | None


class RemediationDriver:
    def __init__(self, remediation: Remediation, ramp: RampSpec | None, active: str, *, stack: Stack,
                 prom_url: str, history: HistoryWriter, metrics: GamedayMetrics, http: Http,
                 annotator: GrafanaAnnotator | None = None) -> None:
        self.remediation = remediation
        self.ramp = ramp
        self.config = (ctl.ControllerConfig.from_ramp(ramp, remediation.trading_modes) if ramp
                       else ctl.ControllerConfig(trading_modes=remediation.trading_modes))
        self.state = ctl.ControllerState(active=active)
        self.stack = stack
        self.history = history
        self.metrics = metrics
        self.http = http
        self.annotator = annotator
        self.prom = PromClient(prom_url, timeout=2.0)
        self.errors: list[str] = []
        self.started_at: float | None = None
        self._abort = threading.Event()
        self._abort_reason = ""
        self._thread: threading.Thread | None = None
        self._round = 0
        metrics.set_phase_gauge(ctl.phase_gauge(self.state))

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, reason: str) -> None:
        if self._thread is not None:
            return
        self.started_at = time.time()
        self.history.event("phase", name="remediation", status="start", reason=reason,
                           action=self.remediation.action.value, active=self.state.active)
        self._thread = threading.Thread(target=self._run, name="gameday-remediation", daemon=True)
        self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def done(self) -> bool:
        return self.state.phase in ctl.TERMINAL

    def abort(self, reason: str) -> None:
        self._abort_reason = reason
        self._abort.set()

    def join(self, timeout: float) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def close(self) -> None:
        self.prom.close()

    # -- the controller loop -----------------------------------------------------------------------
    def _feed(self, event: ctl.Input) -> ctl.Outcome:
        out = ctl.step(self.config, self.state, event)
        self.state = out.state
        for tr in out.transitions:
            self.history.event("deploy", t=tr.t, **tr.to_event())
            self.metrics.set_phase_gauge(ctl.phase_gauge(self.state))
            if tr.to_phase is ctl.Phase.ROLLING_BACK:
                self.metrics.rollbacks.inc()
            if self.annotator is not None:
                self.annotator.deploy_step(tr.from_phase.value, tr.to_phase.value, tr.t, tr.reason,
                                           admission=tr.admission, active=tr.active)
        return out

    def _run(self) -> None:
        try:
            if self.remediation.action is RemediationAction.FAILOVER:
                self._failover()
            else:
                self._deploy()
        except Exception as exc:  # the run must go on to heal and report
            self.errors.append(f"remediation crashed: {type(exc).__name__}: {exc}")
            self._feed(ctl.Abort(time.time(), "driver error"))

    def _failover(self) -> None:
        out = self._feed(ctl.LeaderLost(time.time(), self.state.active))
        ok, reason = self._execute(out.commands)
        if ok:
            target = self.state.target or ""
            ok = self._wait_leader(target, timeout=10.0)
            reason = "" if ok else f"{target} did not become leader"
        self._feed(ctl.FailoverDone(time.time(), ok, reason))

    def _deploy(self) -> None:
        target = self.remediation.color or ctl.other_color(self.state.active)
        self._feed(ctl.StartDeploy(time.time(), target))
        next_analysis = 0.0
        while self.state.phase not in ctl.TERMINAL:
            now = time.time()
            if self._abort.is_set() and self.state.phase is not ctl.Phase.ROLLING_BACK:
                out = self._feed(ctl.Abort(now, self._abort_reason or "aborted"))
                self._after(out)
                continue
            phase = self.state.phase
            if phase in (ctl.Phase.DEPLOYING, ctl.Phase.PRE_PROMOTION):
                out = self._feed(self._standby_report(now))
                self._after(out)
                if out.ignored:
                    self._after(self._feed(ctl.Tick(time.time())))
                    time.sleep(TICK)
                if self.state.phase is ctl.Phase.RAMPING:
                    next_analysis = time.monotonic() + self.config.interval
                continue
            if phase is ctl.Phase.RAMPING:
                if time.monotonic() >= next_analysis:
                    out = self._feed(self._analysis())
                    next_analysis = time.monotonic() + self.config.interval
                    self._after(out)
                else:
                    self._after(self._feed(ctl.Tick(now)))
                    time.sleep(TICK)
                continue
            time.sleep(TICK)  # cutover / rolling back are driven by _after

    def _after(self, out: ctl.Outcome) -> None:
        """Carry out an outcome's commands and report back what the phase waits for."""
        if not out.commands:
            return
        ok, reason = self._execute(out.commands)
        if self.state.phase is ctl.Phase.CUTOVER:
            target = self.state.target or ""
            if ok:
                ok = self._wait_leader(target, timeout=5.0)
                reason = "" if ok else f"{target} did not become leader"
            self._after(self._feed(ctl.CutoverDone(time.time(), ok, reason)))
        elif self.state.phase is ctl.Phase.ROLLING_BACK:
            active = self.state.active
            if ok:
                ok = self._wait_leader(active, timeout=5.0)
                reason = "" if ok else f"{active} did not become leader"
            self._after(self._feed(ctl.RollbackDone(time.time(), ok, reason)))

    # -- inputs ----------------------------------------------------------------------------------
    def _engine_state(self, color: str, with_hash: bool = False) -> dict[str, object] | None:
        """``GET /v1/state`` of ``color``; the state hash only when asked, since hashing walks the
        engine's whole state on its event loop (this is polled every TICK while deploying)."""
        url = self.stack.urls.engines.get(color)
        if url is None:
            return None
        reply = self.http.get(f"{url}/v1/state" if with_hash else f"{url}/v1/state?hash=false")
        return reply.body if reply.ok and isinstance(reply.body, dict) else None

    def _standby_report(self, now: float) -> ctl.StandbyReport:
        """Seqs every tick; hashes (both engines, fetched again) only once the seqs are equal in
        pre-promotion, the one place the controller compares them. Unfetched hashes are ""."""
        target = self.state.target or ctl.other_color(self.state.active)
        leader = self._engine_state(self.state.active) or {}
        standby = self._engine_state(target) or {}
        ready = bool(standby) and self.http.get(f"{self.stack.urls.engines[target]}/readyz").ok
        if (ready and self.state.phase is ctl.Phase.PRE_PROMOTION and "seq" in leader
                and leader.get("seq") == standby.get("seq")):
            leader = self._engine_state(self.state.active, with_hash=True) or {}
            standby = self._engine_state(target, with_hash=True) or {}
        return ctl.StandbyReport(now, ready,
                                 int(str(leader.get("seq", -1))), str(leader.get("state_hash") or ""),
                                 int(str(standby.get("seq", -2))), str(standby.get("state_hash") or ""))

    def _analysis(self) -> ctl.AnalysisResult:
        color = self.state.active
        checks = self.ramp.checks if self.ramp else ()
        results = tuple(evaluate_check(c, color, self.prom.instant_result(check_query(c, color)))
                        for c in checks)
        self._round += 1
        now = time.time()
        for c, r in zip(checks, results, strict=True):
            threshold = c.min if c.min is not None else c.max
            self.history.event("check", t=now, name=c.name, result=r.status.value, value=r.value,
                               threshold=threshold, step=self.state.step, round=self._round,
                               source="analysis", color=color, admission=self.state.admission,
                               reason=r.reason)
            self.metrics.analysis_checks.labels(check=c.name, result=r.status.value).inc()
        return ctl.AnalysisResult(now, results)

    def _wait_leader(self, color: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self._engine_state(color)
            if state and state.get("role") == "leader":
                return True
            time.sleep(TICK)
        return False

    # -- commands --------------------------------------------------------------------------------
    def _execute(self, commands: tuple[ctl.Command, ...]) -> tuple[bool, str]:
        problems = []
        for cmd in commands:
            err = self._one(cmd)
            if err:
                problems.append(err)
                self.errors.append(err)
        return not problems, "; ".join(problems)

    def _one(self, cmd: ctl.Command) -> str | None:
        urls = self.stack.urls
        if isinstance(cmd, ctl.Promote):
            url = urls.engines.get(cmd.color)
            reply = self.http.call("POST", f"{url}/admin/promote") if url else None
            if reply and reply.ok:
                return None
            return f"promote {cmd.color}: {reply.error if reply else 'no engine'}"
        if isinstance(cmd, ctl.Route):
            if not urls.gateway:
                return None
            reply = self.http.call("PUT", f"{urls.gateway}/admin/route", {"active": cmd.color})
            return None if reply.ok else f"route {cmd.color}: {reply.error}"
        if isinstance(cmd, ctl.SetAdmission):
            self.metrics.admission.set(cmd.fraction)
            if not urls.gateway:
                return None
            reply = self.http.call("PUT", f"{urls.gateway}/admin/admission", {"fraction": cmd.fraction})
            return None if reply.ok else f"admission {cmd.fraction}: {reply.error}"
        url = urls.engines.get(cmd.color)
        reply = (self.http.call("PUT", f"{url}/admin/trading-mode", {"mode": cmd.mode, "reason": cmd.reason})
                 if url else None)
        self.history.event("phase", name="remediation", status="trading_mode", color=cmd.color,
                           mode=cmd.mode, ok=bool(reply and reply.ok))
        return None if reply and reply.ok else f"trading mode {cmd.mode} on {cmd.color}: " \
            f"{reply.error if reply else 'no engine'}"
