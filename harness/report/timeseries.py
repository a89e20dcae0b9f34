"""Chart data: the PromQL behind each timeline panel, collection into metrics.json, and a fallback
computed from history.jsonl when no Prometheus data was stored.

``collect_timeseries`` does network I/O through PromClient (timeouts there); a panel whose query
fails is stored empty with its error, never raised.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from harness.history import History, OpType
from harness.slo.prometheus import PromClient, PrometheusError

METRICS_FILE = "metrics.json"
Series = dict[str, Any]  # {"label": str, "points": [[t, v], ...]}

PANELS: dict[str, tuple[str, str, str]] = {
    # panel: (title, unit, PromQL)
    "latency": (
        "Client p99 latency",
        "s",
        "histogram_quantile(0.99, sum by (le) (rate(loadgen_request_duration_seconds_bucket[5s])))",
    ),
    "throughput": ("Throughput by outcome", "req/s", "sum by (outcome) (rate(loadgen_requests_total[5s]))"),
    "errors": (
        "Gateway 5xx by color",
        "req/s",
        'sum by (color) (rate(gateway_requests_total{code=~"5.."}[5s]))',
    ),
    "queue_depth": ("Margin queue depth", "items", "max by (color) (engine_margin_queue_depth)"),
    "admitted": ("Admitted traffic", "fraction", "max(gateway_admission_fraction)"),
}


def collect_timeseries(client: PromClient, start: float, end: float, step: float = 1.0) -> dict[str, Any]:
    out: dict[str, Any] = {"start": start, "end": end, "step": step, "panels": {}}
    for name, (_title, _unit, query) in PANELS.items():
        try:
            series = client.range_query(query, start, end, step)
            data = [
                {
                    "label": ",".join(f"{k}={v}" for k, v in sorted(s.labels.items())) or name,
                    "points": [[t, v] for t, v in s.points if not math.isnan(v)],
                }
                for s in series
            ]
            out["panels"][name] = {"series": data}
        except PrometheusError as exc:
            out["panels"][name] = {"series": [], "error": f"{exc.code}: {exc}"}
    return out


def write_metrics(run_dir: Path, data: dict[str, Any]) -> Path:
    path = Path(run_dir) / METRICS_FILE
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def read_metrics(run_dir: Path) -> dict[str, list[Series]]:
    path = Path(run_dir) / METRICS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {k: list(v.get("series", [])) for k, v in data.get("panels", {}).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def from_history(history: History) -> dict[str, list[Series]]:
    """Throughput and errors per second by outcome, and p99 latency per second, from client ops."""
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    pending: dict[tuple[str, str, str], float] = {}
    lat: dict[int, list[float]] = defaultdict(list)
    for op in history.ops:
        key = (op.proc, op.op.value, op.client_order_id or op.account or "")
        if op.type is OpType.INVOKE:
            pending[key] = op.t
            continue
        sec = int(op.t)
        counts[op.type.value][sec] += 1
        started = pending.pop(key, None)
        if started is not None:
            lat[sec].append(op.t - started)
    through = [
        {"label": outcome, "points": sorted([float(s), float(n)] for s, n in per.items())}
        for outcome, per in sorted(counts.items())
    ]
    errors = [s for s in through if s["label"] != OpType.OK.value]
    p99 = []
    for sec, values in sorted(lat.items()):
        values.sort()
        p99.append([float(sec), values[min(len(values) - 1, math.ceil(0.99 * len(values)) - 1)]])
    return {
        "throughput": through,
        "errors": errors,
        "latency": [{"label": "p99", "points": p99}] if p99 else [],
    }
