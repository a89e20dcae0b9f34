"""Shared helpers for the dashboard tests: load the generated JSON, list panel queries."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
GRAFANA_DIR = ROOT / "dashboards" / "grafana"
RULES_DIR = ROOT / "dashboards" / "prometheus"
GRAFANA_MACROS = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted(GRAFANA_DIR.glob("*.json"))}


def panels(dash: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dash["panels"]:
        yield panel
        yield from panel.get("panels", [])


def panel_exprs(macros: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(dashboard file, panel title + refId, PromQL with Grafana macros replaced by ``macros``)."""
    macros = GRAFANA_MACROS if macros is None else macros
    out = []
    for name, dash in dashboards().items():
        for panel in panels(dash):
            for target in panel.get("targets", []):
                expr = target["expr"]
                for macro, value in macros.items():
                    expr = expr.replace(macro, value)
                out.append((name, f"{panel['title']} [{target['refId']}]", expr))
        for ann in dash["annotations"]["list"]:
            if "expr" in ann:
                out.append((name, f"annotation {ann['name']}", ann["expr"]))
    return out


def metric_names(expr: str) -> set[str]:
    """Identifiers that look like metric names (words before '{', '[', ')' or space, not keywords)."""
    without_strings = re.sub(r'\{[^}]*\}|\[[^\]]*\]|\b\d+(\.\d+)?\b', " ", expr)
    grouping = r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"
    without_groupings = re.sub(grouping, "", without_strings)
    # identifiers not followed by "(" (those are functions)
    tokens = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*(?![A-Za-z0-9_:]|\s*\()", without_groupings))
    keywords = {"sum", "max", "min", "avg", "count", "rate", "increase", "histogram_quantile", "and", "or",
                "unless", "bool", "le", "offset", "topk", "bottomk", "abs", "clamp_min", "vector", "absent"}
    return {t for t in tokens if t not in keywords and not re.fullmatch(r"\d+[smhd]?", t)}
