"""Generate docs/metrics.md from the components' metric registries, so it cannot drift.

    python dashboards/metrics_doc.py          # rewrite docs/metrics.md
    python dashboards/metrics_doc.py --check  # exit 1 if docs/metrics.md is out of date

Each component's registry is built from its own code (engine, gateway, chaos-proxy, harness);
the Locust exporter lives in a locustfile, which must not be imported (Locust monkey-patches on
import), so its metric constructors are read from the source with ``ast``.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "metrics.md"
LOCUSTFILE = ROOT / "harness" / "load" / "locustfiles" / "engine_load.py"
PREFIXES = ("engine_", "gateway_", "chaos_proxy_", "gameday_", "loadgen_")
KINDS = {"Counter": "counter", "Gauge": "gauge", "Histogram": "histogram", "Summary": "summary"}


@dataclass(frozen=True)
class Metric:
    name: str  # as exposed (counters with _total)
    kind: str
    labels: tuple[str, ...]
    help: str


def _exposed(name: str, kind: str) -> str:
    return f"{name}_total" if kind == "counter" and not name.endswith("_total") else name


def from_registry(registry: Any) -> list[Metric]:
    """Every collector of a prometheus_client registry: wrappers (Counter ...) and custom collectors."""
    from prometheus_client.metrics import MetricWrapperBase

    out = []
    for collector in list(registry._collector_to_names):
        if isinstance(collector, MetricWrapperBase):
            out.append(Metric(_exposed(collector._name, collector._type), collector._type,
                              tuple(collector._labelnames), collector._documentation))
        else:
            for family in collector.collect():
                out.append(Metric(_exposed(family.name, family.type), family.type,
                                  tuple(getattr(family, "_labelnames", ())), family.documentation))
    return out


def from_source(path: Path) -> list[Metric]:
    """Metric constructors with literal arguments in a source file (``Counter("name", "help", [labels])``)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KINDS):
            continue
        args = [a.value for a in node.args[:2] if isinstance(a, ast.Constant)]
        labels: tuple[str, ...] = ()
        if len(node.args) > 2 and isinstance(node.args[2], ast.List | ast.Tuple):
            labels = tuple(e.value for e in node.args[2].elts if isinstance(e, ast.Constant))
        if len(args) == 2:
            kind = KINDS[node.func.id]
            name = _exposed(str(args[0]).removesuffix("_total"), kind)
            out.append(Metric(name, kind, labels, str(args[1])))
    return out


def _engine() -> list[Metric]:
    from target_engine.service.metrics import EngineMetrics

    return from_registry(EngineMetrics("blue").registry)


def _gateway() -> list[Metric]:
    from harness.deploy.gateway_metrics import GatewayMetrics

    return from_registry(GatewayMetrics().registry)


def _chaos_proxy() -> list[Metric]:
    from chaos.toxiproxy.collection import ProxyCollection
    from chaos.toxiproxy.metrics import make_registry

    return from_registry(make_registry(ProxyCollection(seed=1)))


def _harness() -> list[Metric]:
    from harness.run.exporter import GamedayMetrics

    return from_registry(GamedayMetrics().registry)


def _pushed() -> list[Metric]:
    from harness.run.publish import run_registry

    report = {"checkers": {"orders": {"verdict": "pass"}}, "detection": [{"alert": "A", "mttd_seconds": 1}],
              "figures": {"wall_seconds": 1}}
    return from_registry(run_registry(report, now=0.0))


SOURCES: dict[str, tuple[str, str, Callable[[], list[Metric]]]] = {
    "engine-blue`, `engine-green": ("Margin engine", "target_engine/service/metrics.py", _engine),
    "gateway": ("Gateway", "harness/deploy/gateway_metrics.py", _gateway),
    "chaos-proxy": ("chaos-proxy", "chaos/toxiproxy/metrics.py", _chaos_proxy),
    "gameday": ("Harness (gameday)", "harness/run/exporter.py", _harness),
    "pushgateway": ("Run results (pushed to a Pushgateway when PUSHGATEWAY_URL is set)",
                    "harness/run/publish.py", _pushed),
    "loadgen": ("Load generator (Locust exporter)", "harness/load/locustfiles/engine_load.py",
                lambda: from_source(LOCUSTFILE)),
}


def collect() -> dict[str, list[Metric]]:
    return {job: sorted(build(), key=lambda m: m.name) for job, (_, _, build) in SOURCES.items()}


def pinned_names(interfaces: str) -> set[str]:
    section = interfaces.split("## Metric names", 1)[-1].split("\n## ", 1)[0]
    names = set(re.findall(r"`([a-z][a-z0-9_]+)(?:\{[^`]*\})?`", section))
    return {n for n in names if n.startswith(PREFIXES)}


def render(metrics: dict[str, list[Metric]], pinned: Iterable[str]) -> str:
    lines = ["# Metrics reference", "",
             "Generated by `python dashboards/metrics_doc.py` from the components' registries; do not edit",
             "(a test fails when it drifts). Names are pinned in [`dev/INTERFACES.md`](dev/INTERFACES.md);",
             "alerts and recording rules built on them: `dashboards/prometheus/`. Histograms expose",
             "`_bucket`, `_sum` and `_count` series.", ""]
    for job, (title, source, _) in SOURCES.items():
        lines += [f"## {title}", "", f"Prometheus job `{job}` · source `{source}`", "",
                  "| Metric | Type | Labels | Help |", "|--------|------|--------|------|"]
        for m in metrics[job]:
            labels = ", ".join(f"`{label}`" for label in m.labels) or "—"
            text = m.help.replace("|", "\\|")
            lines.append(f"| `{m.name}` | {m.kind} | {labels} | {text} |")
        lines.append("")
    exported = {m.name for ms in metrics.values() for m in ms}
    missing = sorted(set(pinned) - exported)
    lines += ["## Pinned but not exported", "",
              "Named in INTERFACES.md, not found in any registry above:", ""]
    lines += [f"- `{name}`" for name in missing] or ["- (none)"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/metrics.md")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render(collect(), pinned_names((ROOT / "docs" / "dev" / "INTERFACES.md").read_text()))
    if args.check:
        if not OUT.is_file() or OUT.read_text() != text:
            print("docs/metrics.md is out of date: run python dashboards/metrics_doc.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
