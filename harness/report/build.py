"""report.json: the run's verdict assembled from history events and checker results (pure).

The orchestrator records everything as history events (docs/dev/INTERFACES.md); this module only
reads them, so ``gameday analyze`` rebuilds the same report offline.

* Hypothesis: ``check`` events with ``source: hypothesis`` and ``phase: before|after``.
* Detection: MTTD = first ``alert`` event (state firing) of the expected alert at or after the
  fault's inject, minus the inject time; MTTR = from the inject to the first hypothesis round
  (``check`` events sharing ``round``, or ``t``) at or after the heal in which every probe passed.
* Controller: ``deploy`` events are its transitions; the final phase is compared with
  ``remediation.expect``.
* Verdict: fail if any test fails (checker FAIL, alert missed or late, hypothesis after the fault
  not restored, controller outcome not the expected one); else unknown if anything could not be
  decided (checker UNKNOWN, hypothesis before the fault not holding, a run error, no history);
  else pass. Exit codes: pass 0, fail 1, unknown 2.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.history import EventKind, History
from harness.integrity.verdict import CheckerResult, Verdict
from harness.scenario.model import RemediationAction, Scenario

EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.UNKNOWN: 2}
REPORT_SCHEMA = 1


@dataclass(frozen=True)
class Case:
    """One JUnit test case: ``status`` pass | fail | unknown."""

    group: str
    name: str
    status: Verdict
    message: str = ""
    seconds: float = 0.0


def _rounds(history: History) -> list[tuple[float, bool, str]]:
    """Hypothesis rounds (t, all passed, phase) from ``check`` events with source hypothesis."""
    groups: dict[Any, list[Any]] = defaultdict(list)
    for e in history.events_of(EventKind.CHECK):
        if e.get("source") == "hypothesis":
            groups[e.get("round", e.t)].append(e)
    out = []
    for evs in groups.values():
        t = max(e.t for e in evs)
        out.append((t, all(e.get("result") == "pass" for e in evs), str(evs[0].get("phase", ""))))
    return sorted(out, key=lambda r: r[0])


def fault_times(history: History) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for e in history.events_of(EventKind.FAULT):
        fid = str(e.get("id"))
        action = str(e.get("action"))
        if action in ("inject", "heal") and action not in out.setdefault(fid, {}):
            out[fid][action] = e.t
    return out


def detections(scenario: Scenario | None, history: History) -> list[dict[str, Any]]:
    if scenario is None:
        return []
    faults = fault_times(history)
    first_fault = min(faults, key=lambda f: faults[f].get("inject", 1e30), default=None)
    firing = [
        (e.t, str(e.get("name"))) for e in history.events_of(EventKind.ALERT) if e.get("state") == "firing"
    ]
    rounds = _rounds(history)
    out = []
    for d in scenario.detection:
        fid = d.fault or first_fault
        times = faults.get(fid or "", {})
        start = times.get("inject")
        mttd = mttr = None
        if start is not None:
            fired = [t for t, name in firing if name == d.alert and t >= start]
            mttd = round(min(fired) - start, 3) if fired else None
            after = times.get("heal", start)
            healthy = [t for t, ok, _phase in rounds if ok and t >= after]
            mttr = round(min(healthy) - start, 3) if healthy else None
        ok = mttd is not None and mttd <= d.within
        if start is None:
            status, msg = Verdict.UNKNOWN, f"fault {fid!r} was never injected"
        elif mttd is None:
            status, msg = Verdict.FAIL, f"{d.alert} did not fire after fault {fid!r}"
        else:
            status = Verdict.PASS if ok else Verdict.FAIL
            msg = f"{d.alert} fired {mttd:.3f}s after {fid!r} (budget {d.within:g}s)"
        out.append(
            {
                "alert": d.alert,
                "fault": fid,
                "budget_seconds": d.within,
                "mttd_seconds": mttd,
                "mttr_seconds": mttr,
                "within_budget": ok,
                "verdict": status.value,
                "message": msg,
            }
        )
    return out


def hypothesis(history: History) -> list[dict[str, Any]]:
    return [
        {
            "t": e.t,
            "name": e.get("name"),
            "phase": e.get("phase"),
            "result": e.get("result"),
            "value": e.get("value"),
            "reason": e.get("reason", ""),
        }
        for e in history.events_of(EventKind.CHECK)
        if e.get("source") == "hypothesis"
    ]


def controller(scenario: Scenario | None, history: History) -> dict[str, Any]:
    transitions = [
        {"t": e.t, **{k: v for k, v in e.fields.items()}} for e in history.events_of(EventKind.DEPLOY)
    ]
    final = transitions[-1].get("to") if transitions else None
    expect = "any"
    if scenario is not None and scenario.remediation.action is not RemediationAction.NONE:
        expect = scenario.remediation.expect
    threshold_t = next((tr["t"] for tr in transitions if tr.get("to") == "rolling_back"), None)
    done_t = next((tr["t"] for tr in transitions if tr.get("to") == "rolled_back"), None)
    rollback = round(done_t - threshold_t, 3) if threshold_t is not None and done_t is not None else None
    return {"final_phase": final, "expect": expect, "transitions": transitions, "rollback_seconds": rollback}


def ramp_steps(history: History) -> list[dict[str, Any]]:
    steps: dict[Any, list[Any]] = defaultdict(list)
    for e in history.events_of(EventKind.CHECK):
        if e.get("source") == "analysis":
            steps[(e.get("step"), e.get("round", e.t))].append(e)
    out = []
    for (step, _round), evs in sorted(steps.items(), key=lambda kv: min(e.t for e in kv[1])):
        results = [
            {
                "name": e.get("name"),
                "result": e.get("result"),
                "value": e.get("value"),
                "threshold": e.get("threshold"),
            }
            for e in evs
        ]
        status = "pass" if all(r["result"] == "pass" for r in results) else "fail"
        out.append({"step": step, "t": min(e.t for e in evs), "result": status, "checks": results})
    return out


def report_cases(report: dict[str, Any]) -> list[Case]:
    cases: list[Case] = []
    for h in report["hypothesis"]:
        ok = h["result"] == "pass"
        bad = Verdict.UNKNOWN if h["phase"] == "before" else Verdict.FAIL
        cases.append(
            Case(
                "hypothesis",
                f"{h['phase']}.{h['name']}",
                Verdict.PASS if ok else bad,
                "" if ok else f"{h['name']} = {h['value']} ({h['result']}) {h['reason']}",
            )
        )
    for d in report["detection"]:
        cases.append(
            Case("detection", d["alert"], Verdict(d["verdict"]), d["message"], d["mttd_seconds"] or 0.0)
        )
    ctl = report["controller"]
    expect_promotion = ctl["expect"] == "promoted"
    for i, st in enumerate(report["ramp"]):
        failed = st["result"] != "pass"
        status = Verdict.FAIL if failed and expect_promotion else Verdict.PASS
        msg = "; ".join(f"{c['name']}={c['value']} {c['result']}" for c in st["checks"])
        cases.append(Case("ramp", f"interval{i}.step{st['step']}", status, msg))
    if ctl["transitions"] or ctl["expect"] != "any":
        final = ctl["final_phase"]
        ok = final is not None and final != "failed" and (ctl["expect"] == "any" or final == ctl["expect"])
        cases.append(
            Case(
                "controller",
                "outcome",
                Verdict.PASS if ok else Verdict.FAIL,
                f"final phase {final}, expected {ctl['expect']}",
            )
        )
    for name, c in report["checkers"].items():
        cases.append(
            Case(
                "integrity",
                name,
                Verdict(c["verdict"]),
                c["summary"] + "".join(f"; {e}" for e in c["evidence"][:5] if e != c["summary"]),
            )
        )
    return cases


def overall(cases: Sequence[Case], error: str | None, has_history: bool) -> tuple[Verdict, list[str]]:
    failed = [f"{c.group}.{c.name}: {c.message}" for c in cases if c.status is Verdict.FAIL]
    if failed:
        return Verdict.FAIL, failed
    undecided = [f"{c.group}.{c.name}: {c.message}" for c in cases if c.status is Verdict.UNKNOWN]
    if error:
        undecided.insert(0, f"run error: {error}")
    if not has_history:
        undecided.insert(0, "no history recorded")
    if not cases:
        undecided.append("nothing was checked")
    return (Verdict.UNKNOWN, undecided) if undecided else (Verdict.PASS, [])


def build_report(
    scenario: Scenario | None,
    history: History,
    checkers: Sequence[CheckerResult],
    *,
    run_id: str = "",
    error: str | None = None,
    manifest: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report.json document (see module docstring for the verdict rules)."""
    times = [op.t for op in history.ops] + [e.t for e in history.events]
    report: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "run_id": run_id,
        "scenario": scenario.name if scenario else (manifest or {}).get("scenario"),
        "profile": scenario.profile if scenario else (manifest or {}).get("profile"),
        "seed": scenario.seed if scenario else (manifest or {}).get("seed"),
        # what "no acknowledged order lost" was checked against: an engine crash (process) or also
        # an OS crash (power); the game day's faults kill processes, never the machine
        "durability": (scenario.stack.durability.value if scenario
                       else ((manifest or {}).get("config") or {}).get("stack", {}).get("durability")),
        "started_at": min(times, default=None),
        "ended_at": max(times, default=None),
        "hypothesis": hypothesis(history),
        "faults": [
            {"id": fid, "start": t.get("inject"), "end": t.get("heal")}
            for fid, t in fault_times(history).items()
        ],
        "alerts": [
            {"t": e.t, "name": e.get("name"), "state": e.get("state")}
            for e in history.events_of(EventKind.ALERT)
        ],
        "frozen": [  # the harness's own pauses (admission frozen): traffic dips there, not a fault
            {"start": e.get("start"), "end": e.t, "label": "pre-fault snapshot (admission frozen)"}
            for e in history.events_of(EventKind.PHASE)
            if e.get("status") == "pre_fault_snapshot" and isinstance(e.get("start"), int | float)
        ],
        "detection": detections(scenario, history),
        "controller": controller(scenario, history),
        "ramp": ramp_steps(history),
        "checkers": {c.name: c.to_json() for c in checkers},
        "history": {
            "ops": len(history.ops),
            "events": len(history.events),
            "malformed": len(history.malformed),
        },
        "error": error,
    }
    cases = report_cases(report)
    verdict, reasons = overall(cases, error, not history.empty)
    report["verdict"] = verdict.value
    report["exit_code"] = EXIT_CODES[verdict]
    report["reasons"] = reasons
    report["figures"] = {
        "mttd_seconds": {d["alert"]: d["mttd_seconds"] for d in report["detection"]},
        "mttr_seconds": {d["alert"]: d["mttr_seconds"] for d in report["detection"]},
        "rollback_seconds": report["controller"]["rollback_seconds"],
        "lost_orders": (report["checkers"].get("orders") or {}).get("counts", {}).get("lost"),
    }
    return report
