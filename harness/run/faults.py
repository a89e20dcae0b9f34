"""Inject and heal a scenario's faults on a live stack, with a ledger and a guaranteed heal-all.

Every injected fault is appended to the fault ledger (``runs/<id>/faults.jsonl``) before inject
returns, and marked healed after its heal, so ``gameday heal --all`` can undo the leftovers of a
killed run. :meth:`FaultDriver.heal_all` heals every open fault in reverse order and never raises
(failures are returned and written as history events). Scenario params are translated to the
chaos.nemesis kinds here: proxy names get the Toxiproxy URL, colors/roles become engine URLs or pids.
``load_spike`` faults are part of the Locust shape (built before the load starts); inject/heal only
record them. ``process`` faults with ``restart: true`` restart the process through the supervisor on
heal (new URL re-wired into its proxy).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from chaos import nemesis
from chaos.nemesis import FaultLedger, Handle, NemesisContext, NemesisError
from harness.history import HistoryWriter
from harness.observability.grafana import GrafanaAnnotator
from harness.run.exporter import GamedayMetrics
from harness.run.http import Http
from harness.run.targets import TargetError, pid_of, process_name, resolve_color
from harness.scenario.model import FaultSpec
from harness.stack.stack import Stack

RECORD_ONLY = ("load_spike",)


class FaultError(RuntimeError):
    """A fault could not be injected (code INJECT_FAILED) — the run treats it as undecidable."""

    code = "INJECT_FAILED"


@dataclass
class ActiveFault:
    spec: FaultSpec
    injected_at: float
    handle: Handle | None
    target: str
    restart: str | None = None  # supervisor process to restart on heal
    healed: bool = False
    annotation: int | None = None


@dataclass
class FaultDriver:
    stack: Stack
    ledger: FaultLedger
    history: HistoryWriter
    metrics: GamedayMetrics
    http: Http
    admin_token: str | None = None
    annotator: GrafanaAnnotator | None = None
    active: dict[str, ActiveFault] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def context(self) -> NemesisContext:
        return NemesisContext(toxiproxy_url=self.stack.urls.toxiproxy, admin_token=self.admin_token,
                              timeout=5.0)

    # -- translation -------------------------------------------------------------------------
    def nemesis_params(self, spec: FaultSpec) -> tuple[str, dict[str, Any], str, str | None]:
        """(nemesis kind, params, target description, process to restart on heal)."""
        p = dict(spec.params)
        if spec.kind == "toxic":
            out = {"proxy": p["proxy"], "type": p["type"], "api": self.stack.urls.toxiproxy}
            if p["type"] != "down":
                out.update(stream=p.get("stream", "downstream"), toxicity=p.get("toxicity", 1.0),
                           attributes=dict(p.get("attributes", {})))
            out["name"] = p.get("name") or f"gameday-{spec.id}"
            return "toxic", out, f"proxy {p['proxy']}", None
        if spec.kind == "failpoint":
            color = resolve_color(self.stack, self.http, p["color"])
            target = self.stack.engine_url(color)
            params = {"target": target, "name": p["name"], "spec": p["spec"]}
            return "failpoint", params, f"engine-{color}", None
        if spec.kind == "process":
            name = process_name(self.stack, self.http, p["target"])
            pid = pid_of(self.stack, self.http, p["target"])
            action = "pause" if p["action"] == "pause" else p["action"]
            restart = name if p.get("restart") or action == "restart" else None
            if action == "restart":
                action = "terminate"
            return "process", {"action": action, "pid": pid}, name, restart
        if spec.kind == "container":
            out = {"action": p["action"], "container": p["target"]}
            if "network" in p:
                out["network"] = p["network"]
            return "container", out, f"container {p['target']}", None
        raise FaultError(f"fault {spec.id}: kind {spec.kind!r} cannot be injected")

    # -- inject / heal -----------------------------------------------------------------------
    def inject(self, spec: FaultSpec) -> ActiveFault:
        now = time.time()
        if spec.kind in RECORD_ONLY:
            fault = ActiveFault(spec, now, None, "load")
        else:
            try:
                kind, params, target, restart = self.nemesis_params(spec)
                handle = nemesis.inject(kind, params, self.context)
            except (NemesisError, TargetError) as exc:
                self.history.event("fault", id=spec.id, action="inject_failed", fault_kind=spec.kind,
                                   params=spec.params, error=str(exc))
                raise FaultError(f"fault {spec.id}: {exc}") from None
            self.ledger.record_injected(handle)
            fault = ActiveFault(spec, now, handle, target, restart)
        if self.annotator is not None:
            fault.annotation = self.annotator.fault_window(spec.id, spec.kind, now, target=fault.target)
        with self._lock:
            self.active[spec.id] = fault
        self.metrics.fault_active.labels(fault=spec.id, kind=spec.kind).set(1)
        self.history.event("fault", t=now, id=spec.id, action="inject", fault_kind=spec.kind,
                           target=fault.target, params=spec.params,
                           handle=fault.handle.id if fault.handle else None)
        return fault

    def heal(self, fault_id: str) -> str | None:
        """Heal one fault; returns an error text (and records it) instead of raising."""
        with self._lock:
            fault = self.active.get(fault_id)
            if fault is None or fault.healed:
                return None
            fault.healed = True
        error = None
        if fault.handle is not None:
            try:
                nemesis.heal(fault.handle, self.context)
                self.ledger.record_healed(fault.handle)
            except NemesisError as exc:
                error = str(exc)
            except Exception as exc:  # a heal must never stop the others
                error = f"{type(exc).__name__}: {exc}"
        if fault.restart and error is None:
            error = self._restart(fault.restart)
        self.metrics.fault_active.labels(fault=fault_id, kind=fault.spec.kind).set(0)
        if self.annotator is not None and fault.annotation is not None:
            self.annotator.close_fault_window(fault.annotation, time.time())
        fields: dict[str, Any] = {"id": fault_id, "action": "heal", "fault_kind": fault.spec.kind,
                                  "target": fault.target}
        if error:
            fields["error"] = error
        self.history.event("fault", **fields)
        return error

    def _restart(self, name: str) -> str | None:
        try:
            if name.startswith("engine-"):
                self.stack.restart_engine(name.removeprefix("engine-"))
            else:
                self.stack.supervisor.restart(name)
        except Exception as exc:
            return f"restart {name}: {type(exc).__name__}: {exc}"
        return None

    def open_ids(self) -> list[str]:
        with self._lock:
            return [fid for fid, f in self.active.items() if not f.healed]

    def heal_all(self) -> list[str]:
        """Heal every open fault, newest first; returns the error texts (never raises)."""
        errors = []
        for fid in reversed(self.open_ids()):
            err = self.heal(fid)
            if err:
                errors.append(f"{fid}: {err}")
        return errors
