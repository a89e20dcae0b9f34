"""The terminal summary of a report (plain text, one screen)."""

from __future__ import annotations

from typing import Any

MARK = {"pass": "PASS", "fail": "FAIL", "unknown": "????"}


def _s(v: Any) -> str:
    return "-" if v is None else f"{v:.3f}s" if isinstance(v, float) else str(v)


def summary(report: dict[str, Any]) -> str:
    lines = [
        f"gameday {report.get('scenario')} (run {report.get('run_id') or '-'}, seed {report.get('seed')}, "
        f"durability {report.get('durability') or '-'})"
        f": {MARK.get(report['verdict'], report['verdict'])}"
    ]
    for d in report["detection"]:
        lines.append(
            f"  detect  {MARK[d['verdict']]}  {d['alert']:<24} MTTD {_s(d['mttd_seconds'])} "
            f"(budget {d['budget_seconds']:g}s)  MTTR {_s(d['mttr_seconds'])}"
        )
    ctl = report["controller"]
    if ctl["transitions"]:
        path = " → ".join(str(t.get("to")) for t in ctl["transitions"])
        lines.append(f"  deploy  {path}  (expected {ctl['expect']})")
    for name, c in report["checkers"].items():
        counts = ", ".join(f"{k}={v}" for k, v in c["counts"].items())
        evidence = c.get("evidence") or []
        vacuous = bool(evidence) and str(evidence[0]).startswith("nothing to check")
        shown = c["summary"] if vacuous else counts or c["summary"]
        lines.append(f"  check   {MARK[c['verdict']]}  {name:<20} {shown}")
        if c["verdict"] != "pass" and evidence:
            lines.append(f"          {'':<26}{str(evidence[0])[:160]}")
    for reason in report["reasons"][:10]:
        lines.append(f"  ! {reason}")
    lines.append(f"  exit {report['exit_code']}")
    return "\n".join(lines)
