"""The self-contained HTML report: inline CSS and SVG only (no script, no CDN, no external URL)."""

from __future__ import annotations

from html import escape
from typing import Any

from harness.report.svg import Marker, line_chart
from harness.report.timeseries import PANELS, Series

CSS = """body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:960px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 6px;
text-align:left;vertical-align:top;font-size:13px}.pass{color:#1a7f37;font-weight:bold}
.fail{color:#cf222e;font-weight:bold}.unknown{color:#9a6700;font-weight:bold}
.verdict{font-size:24px;padding:8px 12px;display:inline-block;border:2px solid currentColor}
code{font-size:12px}"""


def _v(verdict: Any) -> str:
    text = escape(str(verdict))
    return f'<span class="{text}">{text.upper()}</span>'


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>" if rows else "<p>none</p>"


def _num(v: Any) -> str:
    return "-" if v is None else escape(f"{v:.3f}" if isinstance(v, float) else str(v))


def render_html(report: dict[str, Any], panels: dict[str, list[Series]]) -> str:
    t0 = report.get("started_at") or 0.0
    t1 = report.get("ended_at") or (t0 + 1.0)
    windows = [
        (f["start"], f["end"] or t1, str(f["id"])) for f in report["faults"] if f.get("start") is not None
    ]
    markers = [Marker(a["t"], f"alert {a['name']} {a['state']}", "#d62728") for a in report["alerts"]]
    markers += [
        Marker(tr["t"], f"deploy → {tr.get('to')}: {tr.get('reason', '')}", "#1f4e9c", dashed=True)
        for tr in report["controller"]["transitions"]
    ]
    frozen = [(w["start"], w["end"], str(w.get("label", "paused"))) for w in report.get("frozen", [])]
    charts = []
    for name, (title, unit, _query) in PANELS.items():
        charts.append(line_chart(title, unit, panels.get(name, []), t0, t1, windows=windows, markers=markers,
                                 frozen=frozen))
    title = escape(f"Game day {report.get('scenario')}")
    profile = str(report.get("profile") or "default")
    parts = [
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f'<p><span class="verdict {escape(report["verdict"])}">{escape(report["verdict"].upper())}</span> '
        f"exit code {report['exit_code']} · run <code>{escape(str(report.get('run_id')))}</code> · "
        f"seed {escape(str(report.get('seed')))} · profile {escape(profile)} · "
        f"durability {escape(str(report.get('durability') or '-'))}</p>",
    ]
    if report["reasons"]:
        parts.append("<ul>" + "".join(f"<li>{escape(r)}</li>" for r in report["reasons"][:20]) + "</ul>")
    parts.append(
        "<h2>Timeline</h2><p>Fault windows shaded orange; the pre-fault snapshot (admission frozen, so "
        "traffic dips) shaded grey; alerts red lines; deploy steps blue dashed. Prometheus series are "
        "rates over 5 s or scraped gauges, so they trail the events by up to a few seconds.</p>")
    parts += charts
    parts.append(
        "<h2>Detection</h2>"
        + _table(
            ["alert", "fault", "budget s", "MTTD s", "MTTR s", "verdict"],
            [
                [
                    escape(d["alert"]),
                    escape(str(d["fault"])),
                    _num(d["budget_seconds"]),
                    _num(d["mttd_seconds"]),
                    _num(d["mttr_seconds"]),
                    _v(d["verdict"]),
                ]
                for d in report["detection"]
            ],
        )
    )
    parts.append(
        "<h2>Steady-state hypothesis</h2>"
        + _table(
            ["phase", "probe", "value", "result"],
            [
                [escape(str(h["phase"])), escape(str(h["name"])), _num(h["value"]), _v(h["result"])]
                for h in report["hypothesis"]
            ],
        )
    )
    ctl = report["controller"]
    parts.append(
        f"<h2>Deployment</h2><p>final phase <b>{escape(str(ctl['final_phase']))}</b>, expected "
        f"{escape(str(ctl['expect']))}; rollback took {_num(ctl['rollback_seconds'])} s</p>"
    )
    parts.append(
        _table(
            ["t (s)", "from", "to", "step", "admission", "active", "reason"],
            [
                [
                    _num(round(tr["t"] - t0, 3)),
                    escape(str(tr.get("from"))),
                    escape(str(tr.get("to"))),
                    escape(str(tr.get("step"))),
                    escape(str(tr.get("admission"))),
                    escape(str(tr.get("active"))),
                    escape(str(tr.get("reason"))),
                ]
                for tr in ctl["transitions"]
            ],
        )
    )
    parts.append(
        "<h2>Integrity</h2>"
        + _table(
            ["checker", "verdict", "counts", "summary / evidence"],
            [
                [
                    escape(n),
                    _v(c["verdict"]),
                    escape(", ".join(f"{k}={v}" for k, v in c["counts"].items())),
                    escape(c["summary"])
                    + "".join(f"<br><code>{escape(e)}</code>" for e in c["evidence"][:10]),
                ]
                for n, c in report["checkers"].items()
            ],
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts)
