# ruff: noqa: E501  (declarative panel table: one panel per line reads better than wrapped)
"""Generate the Grafana dashboards in dashboards/grafana/ from code.

    python dashboards/generate.py          # (re)write dashboards/grafana/*.json
    python dashboards/generate.py --check  # exit 1 if a committed file differs (CI; the tests run it)

Metric names: docs/dev/INTERFACES.md; recording rules: dashboards/prometheus/*.yml.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from grafana_builder import Panel, Row, dashboard, fault_window_annotation, harness_annotations, q, unit_of

OUT = Path(__file__).resolve().parent / "grafana"
R = "$__rate_interval"


def engine_overview() -> dict[str, Any]:
    traffic = Row("Traffic", (
        Panel("Requests by color and code", (q(f"sum by (color, code) (rate(engine_http_requests_total[{R}]))",
                                               "{{color}} {{code}}"),), unit="reqps"),
        Panel("p99 latency by color", (q("color:engine_http_request_duration_seconds:p99_rate10s", "{{color}}"),),
              unit="s", thresholds=((0.25, "red"),)),
        Panel("Success ratio by color", (q("color:engine_http_request_success_ratio:rate10s", "{{color}}"),),
              unit="percentunit", width=8),
        Panel("Order rejects by code", (q(f"sum by (code) (rate(engine_order_rejects_total[{R}]))", "{{code}}"),),
              unit="reqps", width=8),
        Panel("Orders and fills", (
            q(f"sum by (symbol, outcome) (rate(engine_orders_total[{R}]))", "orders {{symbol}} {{outcome}}"),
            q(f"sum by (symbol) (rate(engine_fills_total[{R}]))", "fills {{symbol}}"),
        ), unit="ops", width=8),
    ))
    queues = Row("Queues and the margin worker", (
        Panel("Margin queue depth vs limit", (
            q("engine_margin_queue_depth", "depth {{color}}"),
            q("engine_margin_queue_limit", "limit {{color}}"),
        ), description="EXCESS_QUEUE_DEPTH is raised when the depth reaches the limit."),
        Panel("EXCESS_QUEUE_DEPTH raised", (q(f"sum by (color) (increase(engine_excess_queue_depth_total[{R}]))",
                                              "{{color}}"),), width=6),
        Panel("Inbound queue depth", (q("engine_inbound_queue_depth", "{{color}}"),), width=6),
        Panel("Trading mode", (q("max by (color, mode) (engine_trading_mode) == 1", "{{color}} {{mode}}"),),
              kind="state-timeline", width=24),
    ))
    replication = Row("Journal, leadership, replication", (
        Panel("Leader and epoch", (q("engine_is_leader", "leader {{color}}", instant=True),
                                   q("engine_epoch", "epoch {{color}}", instant=True)), kind="stat", width=8),
        Panel("Standby lag (commands)", (q("engine_standby_lag_commands", "{{color}}"),), width=8,
              thresholds=((1000, "red"),)),
        Panel("Applied seq", (q("engine_applied_seq", "{{color}}"),), width=8),
        Panel("Journal commit p99", (q("histogram_quantile(0.99, sum by (color, le) "
                                       f"(rate(engine_journal_commit_duration_seconds_bucket[{R}])))",
                                       "{{color}}"),), unit="s"),
        Panel("Journal batch size (mean)", (q(f"sum by (color) (rate(engine_journal_batch_size_sum[{R}])) / "
                                              f"sum by (color) (rate(engine_journal_batch_size_count[{R}]))",
                                              "{{color}}"),)),
        Panel("Snapshots: seq lag and duration", (
            q("engine_applied_seq - engine_snapshot_seq and on (color) engine_is_leader == 1", "lag {{color}}"),
            q("sum by (color) (increase(engine_snapshot_duration_seconds_sum[5m])) / "
              "sum by (color) (increase(engine_snapshot_duration_seconds_count[5m]))", "duration {{color}}"),
        ), unit="short", width=24, overrides=(unit_of("B", "s"),),
              description="Lag: commands applied since the newest snapshot the leader wrote (a restart replays "
                          "them; due every --snapshot-every). Duration: mean over 5 m, consistent point to row "
                          "written. Failures: engine_snapshots_total{outcome=\"failed\"}."),
    ))
    risk = Row("Prices, funding, liquidations", (
        Panel("Mark vs index", (q("engine_mark_price", "mark {{symbol}} {{color}}"),
                                q("engine_index_price", "index {{symbol}} {{color}}")), unit="none"),
        Panel("Index age", (q("engine_index_age_seconds", "{{symbol}} {{color}}"),), unit="s",
              thresholds=((10, "red"),)),
        Panel("Funding rate", (q("engine_funding_rate", "{{symbol}} {{color}}"),), unit="percentunit", width=8),
        Panel("Liquidations and ADL", (
            q(f"sum by (symbol) (increase(engine_liquidations_total[{R}]))", "liquidations {{symbol}}"),
            q(f"sum by (symbol) (increase(engine_adl_total[{R}]))", "ADL {{symbol}}"),
        ), width=8),
        Panel("Insurance fund", (q("engine_insurance_fund_balance", "{{asset}} {{color}}"),), unit="none", width=8),
    ))
    return dashboard("gameday-engine", "Margin engine overview",
                     "The system under test: traffic, queues, journal, leadership, prices and risk.",
                     [traffic, queues, replication, risk], ["engine"], annotations=[fault_window_annotation(),
                                                                       harness_annotations()])


def deployment() -> dict[str, Any]:
    routing = Row("Routing and admission", (
        Panel("Route weight by color", (q("gateway_route_weight", "{{color}}"),), width=8),
        Panel("Admission fraction", (q("gateway_admission_fraction", "gateway"),
                                     q("gameday_admission_fraction", "controller")), unit="percentunit", width=8),
        Panel("Admission refused", (q(f"rate(gateway_admission_refused_total[{R}])", "refused"),),
              unit="reqps", width=8),
        Panel("Controller state", (q("max by (state) (gameday_controller_state) == 1", "{{state}}"),),
              kind="state-timeline", width=24),
    ))
    analysis = Row("Canary analysis", (
        Panel("Success ratio by color (gateway)", (q("color:gateway_request_success_ratio:rate10s", "{{color}}"),),
              unit="percentunit"),
        Panel("p99 latency by color (gateway)", (q("color:gateway_request_duration_seconds:p99_rate10s",
                                                   "{{color}}"),), unit="s"),
        Panel("Requests by color and code", (q(f"sum by (color, code) (rate(gateway_requests_total[{R}]))",
                                               "{{color}} {{code}}"),), unit="reqps"),
        Panel("Upstream errors", (q(f"sum by (color, kind) (rate(gateway_upstream_errors_total[{R}]))",
                                    "{{color}} {{kind}}"),), unit="reqps"),
        Panel("Analysis checks", (q("sum by (check, result) (gameday_analysis_checks_total)", "{{check}} {{result}}",
                                    instant=True),), kind="bargauge", width=12),
        Panel("Rollbacks", (q("sum(gameday_rollbacks_total)", "rollbacks", instant=True),), kind="stat", width=12,
              thresholds=((1, "red"),)),
    ))
    return dashboard("gameday-deployment", "Blue-green deployment",
                     "Colors, weights, admission ramp, canary analysis and rollbacks.",
                     [routing, analysis], ["deploy"], annotations=[fault_window_annotation(), harness_annotations()])


def game_day() -> dict[str, Any]:
    faults = Row("Faults and alerts", (
        Panel("Fault windows", (q("max by (fault, kind) (gameday_fault_active)", "{{fault}} ({{kind}})"),),
              kind="state-timeline", width=24),
        Panel("Firing alerts", (q('count by (alertname) (ALERTS{alertstate="firing"})', "{{alertname}}"),),
              kind="state-timeline", width=24),
        Panel("MTTD per alert", (q("gameday_alert_mttd_seconds", "{{alert}}", instant=True),), kind="bargauge",
              unit="s", thresholds=((3, "red"),)),
        Panel("Integrity verdicts", (q("max by (checker, verdict) (gameday_integrity_verdict) == 1",
                                       "{{checker}}: {{verdict}}", instant=True),), kind="table",
              description="1 for each checker's verdict (pass | fail | unknown) after the integrity step."),
    ))
    client = Row("Client view (Locust)", (
        Panel("Operations by outcome", (q(f"sum by (op, outcome) (rate(loadgen_requests_total[{R}]))",
                                          "{{op}} {{outcome}}"),), unit="ops"),
        Panel("Client p99 latency", (q("histogram_quantile(0.99, sum by (op, le) "
                                       f"(rate(loadgen_request_duration_seconds_bucket[{R}])))", "{{op}}"),),
              unit="s", thresholds=((0.25, "red"),)),
        Panel("Users", (q("loadgen_users", "users"),), width=8),
        Panel("Latency SLO: share slower than 250 ms (30 s)", (
            q("slo:latency_slow_ratio:rate30s", "{{slo_source}} {{color}}"),), unit="percentunit", width=8,
            thresholds=((0.144, "red"),)),
        Panel("Unknown outcomes (30 s)", (q("job:loadgen_request_unknown_ratio:rate30s", "loadgen"),),
              unit="percentunit", width=8),
    ))
    return dashboard("gameday-run", "Game day", "Fault windows, alerts, detection times, integrity verdicts, "
                     "and what the clients saw.", [faults, client], ["run"],
                     annotations=[fault_window_annotation(), harness_annotations()])


def fault_proxy() -> dict[str, Any]:
    proxy = Row("Toxiproxy (chaos-proxy)", (
        Panel("Bytes by proxy and direction", (
            q(f"sum by (proxy, direction) (rate(chaos_proxy_bytes_total[{R}]))", "{{proxy}} {{direction}}"),
            # the real Toxiproxy (docker-compose, started with -proxy-metrics) names them differently
            q(f"sum by (proxy, direction) (rate(toxiproxy_proxy_received_bytes_total[{R}]))",
              "{{proxy}} {{direction}} (toxiproxy)"),
        ), unit="Bps", description="chaos-proxy's counters, or the real Toxiproxy's with -proxy-metrics."),
        Panel("Open connections", (q("chaos_proxy_connections_open", "{{proxy}}"),)),
        Panel("New connections", (q(f"sum by (proxy) (rate(chaos_proxy_connections_total[{R}]))", "{{proxy}}"),),
              unit="cps", width=8),
        Panel("Active toxics", (q("chaos_proxy_toxics_active > 0", "{{proxy}} {{type}}"),), kind="state-timeline",
              width=8),
        Panel("Proxy enabled", (q("chaos_proxy_enabled", "{{proxy}}"),), kind="state-timeline", width=8),
        Panel("HTTP errors injected", (q(f"sum by (proxy, status) (rate(chaos_proxy_http_errors_injected_total[{R}]))",
                                         "{{proxy}} {{status}}"),), unit="reqps", width=24),
    ))
    return dashboard("gameday-fault-proxy", "Fault proxy", "Traffic through each Toxiproxy proxy and the toxics "
                     "acting on it.", [proxy], ["chaos"], annotations=[fault_window_annotation(), harness_annotations()])


DASHBOARDS = {
    "engine-overview.json": engine_overview,
    "deployment.json": deployment,
    "game-day.json": game_day,
    "fault-proxy.json": fault_proxy,
}


def render(build: Any) -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the Grafana dashboards.")
    parser.add_argument("--check", action="store_true", help="fail if a committed file is out of date")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    stale = []
    for name, build in DASHBOARDS.items():
        path, text = args.out / name, render(build)
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(name)
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)} (run python dashboards/generate.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
