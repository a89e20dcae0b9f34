"""The phases of one run (see harness.run.driver for the exit paths); one object holds the resources."""

from __future__ import annotations

import contextlib
import shutil
import time
from typing import Any, TextIO

from chaos.nemesis import FaultLedger
from harness.history import HistoryWriter
from harness.load.runner import LoadRun
from harness.observability.grafana import GrafanaAnnotator
from harness.run import snapshots
from harness.run.closing import close_run
from harness.run.exporter import GamedayMetrics, MetricsServer
from harness.run.faults import FaultDriver, FaultError
from harness.run.folder import RunFolder, load_run_id, write_manifest
from harness.run.http import Http
from harness.run.loadplan import load_options
from harness.run.progress import Progress, status_text
from harness.run.remediation import RemediationDriver
from harness.run.setup_phase import run_setup
from harness.run.stackplan import leader_color, stack_spec, write_engine_config
from harness.run.watch import AlertWatcher, StopWatch, evaluate, hypothesis_round, record_round
from harness.scenario.model import RemediationAction, Scenario
from harness.schedule import Action, build_schedule
from harness.slo.model import CheckStatus
from harness.slo.prometheus import PromClient
from harness.stack.stack import Stack, start_stack

TICK = 0.05
STEADY_BEFORE_BUDGET = 20.0
HARNESS_HISTORY = "history-harness.jsonl"


class Run:
    def __init__(self, scenario: Scenario, folder: RunFolder, run_id: str, *, out: TextIO | None,
                 after_budget: float, admin_token: str | None) -> None:
        self.scenario = scenario
        self.folder = folder
        self.run_id = run_id
        self.after_budget = after_budget
        self.admin_token = admin_token
        self.progress = Progress(out)
        self.history = HistoryWriter(folder.load_dir / HARNESS_HISTORY, proc="gameday")
        self.metrics = GamedayMetrics()
        self.http = Http(timeout=3.0, token=admin_token)
        self.annotator = GrafanaAnnotator(run_id=run_id)  # a no-op unless GRAFANA_URL is set
        self.error: str | None = None
        self.phase = "validate"
        self.stack: Stack | None = None
        self.server: MetricsServer | None = None
        self.load: LoadRun | None = None
        self.prom: PromClient | None = None
        self.watcher: AlertWatcher | None = None
        self.faults: FaultDriver | None = None
        self.remediation: RemediationDriver | None = None
        self.load_t0 = 0.0  # the scenario clock's origin (monotonic); see _steady_before
        self.load_started = 0.0
        self.fault_t: dict[str, float] = {}
        self.extra_figures: dict[str, Any] = {}
        self._torn_down = False
        self._rps: float | None = None
        self._rps_at = 0.0

    # -- phases --------------------------------------------------------------------------------
    def _phase(self, name: str, status: str = "start", **extra: Any) -> None:
        if status == "start":
            self.phase = name
        self.history.event("phase", name=name, status=status, **extra)
        if status == "start":
            self.progress.say(f"gameday {self.scenario.name}: {name}")

    def execute(self) -> None:
        s = self.scenario
        self._phase("validate")
        self._phase("validate", "end")
        self._up()
        self._setup_and_load()
        ok = self._steady_before()
        if not ok:
            self.error = "steady-state hypothesis did not hold before the faults; experiment not run"
            return
        self._main_loop()
        self._phase("heal")
        self.heal_open_faults()
        self._phase("heal", "end")
        self._steady_after()
        self.extra_figures["load_seconds"] = round(time.monotonic() - self.load_started, 3)
        del s

    def _up(self) -> None:
        self._phase("up")
        s = self.scenario
        write_manifest(self.folder, s, self.run_id, {"run_dir": str(self.folder.root)})
        with contextlib.suppress(OSError):
            shutil.copyfile(s.source, self.folder.root / "scenario.yaml")
        spec = stack_spec(s, self.folder.root, self.folder.live_journal,
                          engine_config=write_engine_config(s, self.folder.root))
        t = time.monotonic()
        self.load_t0 = t  # a CSV feed replays from its start: the scenario clock starts with the stack
        self.stack = start_stack(spec, install_handlers=False)
        self.server = MetricsServer(self.metrics.registry)
        self.stack.add_scrape_targets([("gameday", self.server.url)])
        self.stack.supervisor.set_info(gameday_metrics=self.server.url, ledger=str(self.folder.ledger))
        prom_url = self.stack.urls.prometheus
        if not prom_url:
            raise RuntimeError("no Prometheus: detection and analysis need one")
        self.prom = PromClient(prom_url, timeout=2.0)
        self.watcher = AlertWatcher(prom_url, self.history, on_fire=self._on_alert).start()
        self.faults = FaultDriver(self.stack, FaultLedger(self.folder.ledger), self.history, self.metrics,
                                  self.http, self.admin_token, self.annotator)
        if s.remediation.action is not RemediationAction.NONE:
            self.remediation = RemediationDriver(s.remediation, s.ramp, leader_color(s), stack=self.stack,
                                                 prom_url=prom_url, history=self.history,
                                                 metrics=self.metrics, http=self.http,
                                                 annotator=self.annotator)
        self.extra_figures["stack_up_seconds"] = round(time.monotonic() - t, 3)
        self.progress.say("  " + "  ".join(f"{k}={v}" for k, v in self._urls().items()))
        self._phase("up", "end", urls=self._urls())

    def _urls(self) -> dict[str, str]:
        assert self.stack is not None
        u = self.stack.urls
        out = {"api": u.api, "toxiproxy": u.toxiproxy, "prometheus": u.prometheus or "",
               "gateway": u.gateway or ""}
        out.update({f"engine-{c}": url for c, url in u.engines.items()})
        if self.server:
            out["gameday-metrics"] = self.server.url
        return out

    def _setup_and_load(self) -> None:
        assert self.stack is not None
        s = self.scenario
        self._phase("load")
        run_time = s.duration + self.after_budget + 30.0
        offset = self.elapsed() if self._csv_clock else 0.0
        options = load_options(s, self.stack.urls.api, self.folder.load_dir, load_run_id(self.run_id),
                               run_time, offset=offset)
        problems = run_setup(self.stack.urls.api, options.config, s.setup, self.folder.load_dir,
                             options.config.run_id)
        if problems:
            self.history.event("phase", name="load", status="setup_problems", problems=problems[:20])
        self.load = LoadRun(options).start()
        for i, pid in enumerate(self.load.pids):
            self.stack.supervisor.adopt(f"locust-{i}", pid, None, ("locust",))
        self.load_started = time.monotonic()
        if not self._csv_clock:
            self.load_t0 = self.load_started
        urls = self.load.wait_exporters(timeout=20.0)
        self.stack.add_scrape_targets([("loadgen", u) for u in urls])

    def elapsed(self) -> float:
        return time.monotonic() - self.load_t0

    @property
    def _csv_clock(self) -> bool:
        return self.scenario.stack.feed.csv is not None

    def _steady_before(self) -> bool:
        """Poll the hypothesis until it holds (bounded). The scenario clock then starts (t = 0), unless
        a CSV feed drives the timeline, whose clock started with the stack."""
        assert self.prom is not None
        s = self.scenario
        self._phase("steady_before")
        first = min((f.at for f in s.faults), default=s.duration / 2)
        while time.monotonic() - self.load_started < 1.0:
            time.sleep(TICK)
        if self._csv_clock:
            deadline = self.load_t0 + max(self.elapsed() + 2.0, first - 1.5)
        else:
            deadline = time.monotonic() + STEADY_BEFORE_BUDGET
        ok, _ = hypothesis_round(self.prom, self.history, s.steady_state, "before", deadline=deadline)
        if not self._csv_clock:
            self.load_t0 = time.monotonic()
        self.extra_figures["steady_before_seconds"] = round(time.monotonic() - self.load_started, 3)
        self._phase("steady_before", "end" if ok else "fail")
        return ok

    def _main_loop(self) -> None:
        assert self.faults is not None and self.prom is not None
        s = self.scenario
        self._phase("faults")
        schedule = build_schedule(s.faults, s.duration)
        first = schedule.first_start()
        stops = StopWatch(s.stop_conditions)
        last, next_stop_check, next_recovery_check = -1.0, 0.0, 0.0
        last_inject = max((a.at for a in schedule.actions if a.action is Action.INJECT), default=None)
        recovered = last_inject is None
        pre_taken = not s.integrity.snapshot_before_fault or first is None
        end = s.duration
        while True:
            now = self.elapsed()
            if not pre_taken and first is not None and now >= first - 1.5:
                t, wall = time.monotonic(), time.time()
                self.snapshot("pre_fault.json", freeze=True)
                self.history.event("phase", name="faults", status="pre_fault_snapshot", start=wall)
                self.load_t0 += time.monotonic() - t  # the scenario clock stands still meanwhile
                self.extra_figures["pre_fault_snapshot_seconds"] = round(time.monotonic() - t, 3)
                pre_taken = True
                continue
            for action in schedule.due(last, now):
                if action.action is Action.INJECT:
                    try:
                        self.faults.inject(action.fault)
                        self.fault_t[action.fault.id] = time.time()
                    except FaultError as exc:
                        self.error = str(exc)
                        return
                else:
                    self.faults.heal(action.fault.id)
            last = now
            self._maybe_remediate(now)
            checking = s.stop_conditions and first is not None and now >= first
            if checking and time.monotonic() >= next_stop_check:
                next_stop_check = time.monotonic() + 0.5
                breached = stops.check(self.prom, time.time())
                if breached is not None:
                    self._stop_condition(breached.name, breached.value, breached.reason)
                    return
            if not recovered and now > (last_inject or 0.0) and time.monotonic() >= next_recovery_check:
                next_recovery_check = time.monotonic() + 0.5
                recovered = self._recovery_round()
            self._render(now)
            if now >= end:
                rem = self.remediation
                limit = s.duration + (s.ramp.deadline if s.ramp else 10.0)
                if rem is None or not rem.started or rem.done or now >= limit:
                    break
            time.sleep(TICK)
        self._phase("faults", "end")

    def _recovery_round(self) -> bool:
        """Once every fault is healed and remediation is over: one hypothesis round; a passing one is
        recorded (phase after), so MTTR is measured when the steady state is back, not at the end."""
        assert self.prom is not None and self.faults is not None
        rem = self.remediation
        if self.faults.open_ids() or (rem is not None and rem.started and not rem.done):
            return False
        probes = self.scenario.steady_state
        results = evaluate(self.prom, probes)
        if not all(r.status is CheckStatus.PASS for r in results):
            return False
        record_round(self.history, results, probes, "after", f"recovery-{time.time():.3f}")
        self.extra_figures["recovered_at_seconds"] = round(self.elapsed(), 3)
        return True

    def _maybe_remediate(self, now: float) -> None:
        rem, s = self.remediation, self.scenario
        if rem is None or rem.started or self.watcher is None:
            return
        r = s.remediation
        if r.after_alert:
            since = min(self.fault_t.values(), default=None)
            fired = None if since is None else self.watcher.fired_since(r.after_alert, since - 1.0)
            if fired is not None and time.time() >= fired + r.delay:
                self._phase("remediation")
                rem.start(f"alert {r.after_alert} firing" + (f", then {r.delay:g}s" if r.delay else ""))
        elif r.at is not None and now >= r.at + r.delay:
            self._phase("remediation")
            rem.start(f"at {r.at + r.delay:g}s")

    def _on_alert(self, name: str, t: float) -> None:
        for d in self.scenario.detection:
            fid = d.fault or next(iter(self.fault_t), None)
            start = self.fault_t.get(fid or "")
            if d.alert == name and start is not None and t >= start:
                mttd = round(t - start, 3)
                self.metrics.mttd.labels(alert=name).set(mttd)
                self.progress.say(f"  alert {name} firing, MTTD {mttd:.3f}s")

    def _stop_condition(self, name: str, value: float | None, reason: str) -> None:
        self.history.event("check", name=name, result="fail", value=value, source="stop_condition",
                           reason=reason)
        self.error = f"stop condition {name!r} breached ({reason}); faults healed, run aborted"
        self.progress.say(f"  ABORT: {self.error}")
        if self.remediation is not None:
            self.remediation.abort(f"stop condition {name}")
            self.remediation.join(10.0)
        self.heal_open_faults()

    def _render(self, now: float) -> None:
        rem = self.remediation
        if self.prom is not None and time.monotonic() >= self._rps_at:
            self._rps_at = time.monotonic() + self.progress.interval
            result = self.prom.instant_result("sum(rate(loadgen_requests_total[5s]))")
            self._rps = result.samples[0].value if result.samples else None
        text = status_text(self.phase, now, self.scenario.duration,
                           faults=self.faults.open_ids() if self.faults else [], rps=self._rps,
                           alerts=sorted(self.watcher.firing) if self.watcher else [],
                           controller=rem.state.phase.value if rem else "-",
                           admission=rem.state.admission if rem else 1.0)
        self.progress.line(text)

    def heal_open_faults(self) -> None:
        if self.faults is not None:
            errors = self.faults.heal_all()
            if errors:
                self.history.event("phase", name="heal", status="fail", errors=errors)

    def _steady_after(self) -> None:
        assert self.prom is not None
        self._phase("steady_after")
        if self.remediation is not None and self.remediation.started:
            self.remediation.join(max(1.0, self.scenario.ramp.deadline if self.scenario.ramp else 10.0))
        deadline = time.monotonic() + self.after_budget
        ok, _ = hypothesis_round(self.prom, self.history, self.scenario.steady_state, "after",
                                 deadline=deadline)
        self._phase("steady_after", "end" if ok else "fail")

    def snapshot(self, name: str, freeze: bool) -> None:
        if self.stack is not None:
            accounts = [f"acct-{i:04d}" for i in range(1, self.scenario.load.accounts + 1)]
            accounts += sorted({a for a, _, _ in self.scenario.setup.deposits})
            snapshots.snapshot_leader(self.stack, self.http, accounts, self.folder.snapshots / name,
                                      freeze=freeze)

    # -- teardown ------------------------------------------------------------------------------
    def teardown(self) -> None:
        """Heal, stop load, final snapshot, metrics, stack; journal copy and merged history (once)."""
        if self._torn_down:
            return
        self._torn_down = True
        self.extra_figures["teardown_seconds"] = close_run(self)

    def figures(self) -> dict[str, Any]:
        return dict(self.extra_figures)
