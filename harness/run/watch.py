"""Watching Prometheus during a run: alert transitions, steady-state rounds, stop conditions.

:class:`AlertWatcher` is a daemon thread polling ``/api/v1/alerts`` every ``poll`` seconds (bounded
by the client's timeout); each new firing alert and each resolution becomes a history ``alert``
event, and the first firing time per alert name is kept for MTTD and for remediation triggers.
Query errors are counted, never raised. :func:`hypothesis_round` and :class:`StopWatch` evaluate
PromQL probes (an unanswered query is NODATA).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from harness.history import HistoryWriter
from harness.scenario.model import Probe
from harness.slo.checks import evaluate_probe
from harness.slo.model import CheckResult, CheckStatus
from harness.slo.prometheus import PromClient, PrometheusError


class AlertWatcher:
    def __init__(self, prom_url: str, history: HistoryWriter, poll: float = 0.1,
                 on_fire: Callable[[str, float], None] | None = None) -> None:
        self._prom = PromClient(prom_url, timeout=2.0)
        self._history = history
        self._poll = poll
        self._on_fire = on_fire
        self.first_fired: dict[str, float] = {}
        self.firing: set[str] = set()
        self.fired_at: dict[str, list[float]] = {}
        self.errors = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="gameday-alerts", daemon=True)

    def start(self) -> AlertWatcher:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.poll_once()
            self._stop.wait(self._poll)

    def poll_once(self) -> None:
        try:
            alerts = self._prom.alerts()
        except PrometheusError:
            self.errors += 1
            return
        now = time.time()
        firing = {a.name: a for a in alerts if a.state == "firing"}
        with self._lock:
            new = sorted(set(firing) - self.firing)
            gone = sorted(self.firing - set(firing))
            self.firing = set(firing)
            for name in new:
                self.first_fired.setdefault(name, now)
                self.fired_at.setdefault(name, []).append(now)
        for name in new:
            self._history.event("alert", t=now, name=name, state="firing", labels=firing[name].labels)
            if self._on_fire is not None:
                self._on_fire(name, now)
        for name in gone:
            self._history.event("alert", t=now, name=name, state="resolved", labels={})

    def fired_since(self, name: str, since: float) -> float | None:
        """The first time ``name`` was seen firing at or after ``since`` (None if not yet)."""
        with self._lock:
            return next((t for t in self.fired_at.get(name, ()) if t >= since), None)

    def is_firing(self, name: str) -> bool:
        with self._lock:
            return name in self.firing

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._prom.close()


def evaluate(prom: PromClient, probes: Sequence[Probe]) -> list[CheckResult]:
    return [evaluate_probe(p, prom.instant_result(p.query)) for p in probes]


def record_round(history: HistoryWriter, results: Sequence[CheckResult], probes: Sequence[Probe],
                 phase: str, round_id: str) -> None:
    by_name = {p.name: p for p in probes}
    now = time.time()
    for r in results:
        probe = by_name.get(r.name)
        history.event("check", t=now, name=r.name, result=r.status.value, value=r.value,
                      threshold=probe.tolerance.describe() if probe else None, source="hypothesis",
                      phase=phase, round=round_id, reason=r.reason, query=r.query)


def hypothesis_round(prom: PromClient, history: HistoryWriter, probes: Sequence[Probe], phase: str, *,
                     deadline: float, poll: float = 0.25, stop: threading.Event | None = None,
                     ) -> tuple[bool, list[CheckResult]]:
    """Evaluate the probes until all pass or ``deadline`` (monotonic); record the final round only."""
    results: list[CheckResult] = []
    while True:
        results = evaluate(prom, probes)
        ok = all(r.status is CheckStatus.PASS for r in results)
        if ok or time.monotonic() >= deadline or (stop is not None and stop.is_set()):
            break
        time.sleep(poll)
    if probes:
        record_round(history, results, probes, phase, f"{phase}-{time.time():.3f}")
    return ok, results


@dataclass
class StopWatch:
    """Stop conditions: a probe outside its tolerance (FAIL, not NODATA) for ``for_seconds`` breaches."""

    probes: Sequence[Probe]
    breach_since: dict[str, float] = field(default_factory=dict)

    def check(self, prom: PromClient, now: float) -> CheckResult | None:
        """The first breached condition, or None."""
        for probe, r in zip(self.probes, evaluate(prom, self.probes), strict=True):
            if r.status is CheckStatus.FAIL:
                since = self.breach_since.setdefault(probe.name, now)
                if now - since >= probe.for_seconds:
                    return r
            else:
                self.breach_since.pop(probe.name, None)
        return None
