"""Plain-dict builders for Grafana 11.x dashboard JSON (used by generate.py).

Every panel queries the dashboard's ``datasource`` variable (a Prometheus datasource; the
compose stack provisions one with uid ``gameday-prometheus``). Layout is automatic: panels flow
left to right in rows of 24 grid units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DS = {"type": "prometheus", "uid": "${datasource}"}
SCHEMA_VERSION = 39
PANEL_HEIGHT = 8


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[Query, ...]
    kind: str = "timeseries"  # timeseries | stat | state-timeline | bargauge | table
    unit: str = "short"
    width: int = 12
    description: str = ""
    thresholds: tuple[tuple[float, str], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    overrides: tuple[dict[str, Any], ...] = ()  # Grafana fieldConfig overrides (e.g. ``unit_of("B", "s")``)


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


def q(expr: str, legend: str = "", instant: bool = False) -> Query:
    return Query(" ".join(expr.split()), legend, instant)


def unit_of(ref_id: str, unit: str) -> dict[str, Any]:
    """Override: the series of query ``ref_id`` in ``unit``, on the right-hand axis."""
    return {"matcher": {"id": "byFrameRefID", "options": ref_id},
            "properties": [{"id": "unit", "value": unit}, {"id": "custom.axisPlacement", "value": "right"}]}


def _targets(panel: Panel) -> list[dict[str, Any]]:
    out = []
    for i, query in enumerate(panel.queries):
        target: dict[str, Any] = {
            "datasource": DS,
            "expr": query.expr,
            "refId": chr(ord("A") + i),
            "legendFormat": query.legend or "__auto",
            "range": not query.instant,
            "instant": query.instant,
        }
        out.append(target)
    return out


def _field_config(panel: Panel) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    steps += [{"color": color, "value": value} for value, color in panel.thresholds]
    defaults: dict[str, Any] = {"unit": panel.unit, "thresholds": {"mode": "absolute", "steps": steps}}
    if panel.kind == "timeseries":
        defaults["custom"] = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never"}
    return {"defaults": defaults, "overrides": list(panel.overrides)}


def _panel_json(panel: Panel, pid: int, x: int, y: int) -> dict[str, Any]:
    options: dict[str, Any] = {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                               "tooltip": {"mode": "multi", "sort": "desc"}}
    if panel.kind == "stat":
        options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                   "colorMode": "background", "graphMode": "none", "textMode": "auto"}
    options.update(panel.options)
    return {
        "id": pid,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DS,
        "gridPos": {"h": PANEL_HEIGHT, "w": panel.width, "x": x, "y": y},
        "targets": _targets(panel),
        "fieldConfig": _field_config(panel),
        "options": options,
    }


def dashboard(uid: str, title: str, description: str, rows: list[Row], tags: list[str],
              *, annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A complete dashboard: datasource variable, rows of panels with unique ids, annotations."""
    panels: list[dict[str, Any]] = []
    pid, y = 1, 0
    for row in rows:
        panels.append({"id": pid, "type": "row", "title": row.title, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        pid, y, x = pid + 1, y + 1, 0
        for panel in row.panels:
            if x + panel.width > 24:
                x, y = 0, y + PANEL_HEIGHT
            panels.append(_panel_json(panel, pid, x, y))
            pid, x = pid + 1, x + panel.width
        y += PANEL_HEIGHT
    builtin = {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
               "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
               "type": "dashboard"}
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["gameday", *tags],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "refresh": "5s",
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-15m", "to": "now"},
        "timepicker": {"refresh_intervals": ["1s", "5s", "10s", "30s", "1m"]},
        "templating": {"list": [{
            "name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
            "current": {"text": "Prometheus", "value": "gameday-prometheus"}, "hide": 0, "refresh": 1,
            "options": [], "regex": "", "skipUrlSync": False,
        }]},
        "annotations": {"list": [builtin, *(annotations or [])]},
        "panels": panels,
    }


def fault_window_annotation() -> dict[str, Any]:
    """Shade fault windows from gameday_fault_active (Prometheus) on every time series."""
    return {"name": "Fault windows", "datasource": DS, "enable": True, "iconColor": "rgba(255, 96, 96, 0.6)",
            "expr": "max by (fault, kind) (gameday_fault_active) == 1", "step": "1s",
            "titleFormat": "fault {{fault}}", "textFormat": "{{kind}}", "tagKeys": "fault,kind",
            "useValueForTime": False}


def harness_annotations() -> dict[str, Any]:
    """Annotations the harness posts to Grafana (GRAFANA_URL): fault windows and deploy steps."""
    return {"name": "Game-day events", "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "iconColor": "rgba(255, 165, 0, 1)",
            "target": {"type": "tags", "tags": ["gameday"], "limit": 500, "matchAny": True}}
