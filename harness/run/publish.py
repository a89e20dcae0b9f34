"""Publish a finished run's verdicts to a Prometheus Pushgateway (``PUSHGATEWAY_URL``).

The integrity checkers run after the stack, and its Prometheus, have stopped, so nothing could
scrape their verdicts; a Pushgateway keeps the last run's results for a long-lived Prometheus and
the Game day dashboard. Series (grouped by ``job="gameday"`` and ``scenario``):
``gameday_integrity_verdict{checker,verdict}``, ``gameday_run_verdict{verdict}``,
``gameday_alert_mttd_seconds{alert}``, ``gameday_run_wall_seconds`` and
``gameday_run_finished_timestamp_seconds``.

Network: one HTTP PUT with a timeout. A failure never changes the run's verdict: it is returned
as a message for the report's ``problems``.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

PUSHGATEWAY_ENV = "PUSHGATEWAY_URL"
VERDICTS = ("pass", "fail", "unknown")


def run_registry(report: dict[str, Any], now: float | None = None) -> CollectorRegistry:
    """The run's result series, one value per label set (1 for the verdict that holds, else 0)."""
    registry = CollectorRegistry()
    checker_verdict = Gauge("gameday_integrity_verdict", "1 for each integrity checker's verdict",
                            ["checker", "verdict"], registry=registry)
    for name, checker in dict(report.get("checkers") or {}).items():
        verdict = str(checker.get("verdict", "unknown")).lower()
        for candidate in VERDICTS:
            checker_verdict.labels(str(name), candidate).set(int(candidate == verdict))
    run_verdict = Gauge("gameday_run_verdict", "1 for the run's verdict", ["verdict"], registry=registry)
    for candidate in VERDICTS:
        run_verdict.labels(candidate).set(int(candidate == report.get("verdict")))
    mttd = Gauge("gameday_alert_mttd_seconds", "Time from fault start to the alert firing", ["alert"],
                 registry=registry)
    for entry in report.get("detection", []):
        if entry.get("mttd_seconds") is not None:
            mttd.labels(str(entry.get("alert"))).set(float(entry["mttd_seconds"]))
    wall = report.get("figures", {}).get("wall_seconds")
    if wall is not None:
        Gauge("gameday_run_wall_seconds", "Wall time of the run", registry=registry).set(float(wall))
    Gauge("gameday_run_finished_timestamp_seconds", "When the run finished (Unix time)",
          registry=registry).set(time.time() if now is None else now)
    return registry


def publish_run(report: dict[str, Any], gateway_url: str, timeout: float = 5.0) -> str | None:
    """Push the run's series; None on success, else a one-line problem (never raises)."""
    scenario = str(report.get("scenario") or "unknown")
    try:
        push_to_gateway(gateway_url, job="gameday", registry=run_registry(report),
                        grouping_key={"scenario": scenario}, timeout=timeout)
    except Exception as exc:  # any network or HTTP failure: reported, never fatal
        return f"pushgateway {gateway_url}: {type(exc).__name__}: {exc}"
    return None
