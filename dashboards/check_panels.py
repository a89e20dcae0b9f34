"""Which dashboard panels return data from a Prometheus, over a time range (e.g. a finished run).

    python dashboards/check_panels.py RUN_DIR             # serve RUN_DIR/prometheus/data read-only
    python dashboards/check_panels.py --url URL --start T0 --end T1

Prints one JSON object per panel query: dashboard, panel, refId, series (count), error. With
RUN_DIR the run's TSDB is copied to a temporary folder and served by a ManagedPrometheus (real
binary) so the run folder is never modified. Exit 1 if a query errors, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GRAFANA_DIR = ROOT / "dashboards" / "grafana"
MACROS = {"$__rate_interval": "4s", "$__interval": "1s", "$__range": "1m"}


@dataclass(frozen=True)
class PanelResult:
    dashboard: str
    panel: str
    ref_id: str
    expr: str
    series: int
    error: str | None = None


def panel_queries() -> Iterator[tuple[str, str, str, str]]:
    for path in sorted(GRAFANA_DIR.glob("*.json")):
        dash = json.loads(path.read_text())
        for panel in dash["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for macro, value in MACROS.items():
                    expr = expr.replace(macro, value)
                yield path.name, panel["title"], target["refId"], expr


def check(url: str, start: float, end: float, step: float = 1.0) -> list[PanelResult]:
    out = []
    with httpx.Client(timeout=30) as http:
        for dashboard, panel, ref_id, expr in panel_queries():
            body = http.get(f"{url}/api/v1/query_range",
                            params={"query": expr, "start": start, "end": end, "step": step}).json()
            if body.get("status") != "success":
                out.append(PanelResult(dashboard, panel, ref_id, expr, 0, str(body.get("error"))))
                continue
            out.append(PanelResult(dashboard, panel, ref_id, expr, len(body["data"]["result"])))
    return out


def run_range(run_dir: Path) -> tuple[float, float]:
    times = [json.loads(line)["t"] for line in (run_dir / "history.jsonl").read_text().splitlines() if line]
    return min(times), max(times)


def check_run(run_dir: Path) -> list[PanelResult]:
    """Serve a copy of the run's TSDB with a real Prometheus and check every panel over the run."""
    from harness.observability import ManagedPrometheus

    start, end = run_range(run_dir)
    with tempfile.TemporaryDirectory(prefix="gameday-panels-") as tmp:
        shutil.copytree(run_dir / "prometheus" / "data", Path(tmp) / "data")
        with ManagedPrometheus([], [], workdir=tmp) as prom:
            return check(prom.url, start, end)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check which dashboard panels return data.")
    parser.add_argument("run_dir", nargs="?", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--start", type=float)
    parser.add_argument("--end", type=float)
    args = parser.parse_args(argv)
    if args.run_dir:
        results = check_run(args.run_dir)
    elif args.url and args.start is not None and args.end is not None:
        results = check(args.url, args.start, args.end)
    else:
        parser.error("give RUN_DIR, or --url with --start and --end")
    for r in results:
        print(json.dumps(asdict(r)))
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
