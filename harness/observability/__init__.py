"""Observability for game days: a managed real Prometheus, readiness/alert waits, Grafana annotations.

Public API::

    from harness.observability import ManagedPrometheus, ScrapeTarget, default_rule_files
    with ManagedPrometheus([ScrapeTarget("engine-blue", "http://127.0.0.1:40123")],
                           default_rule_files()) as prom:
        prom.url                      # http://127.0.0.1:PORT (or PROMETHEUS_URL)
        prom.set_targets([...])       # rewrite prometheus.yml + POST /-/reload
    wait_for_alert(prom.url, "MarginQueueOverflow", timeout=10)  # -> seconds until firing
"""

from harness.observability.config import (
    ScrapeTarget,
    default_rule_files,
    parse_duration,
    render_config,
)
from harness.observability.errors import ObservabilityError
from harness.observability.grafana import GrafanaAnnotator, annotate_history
from harness.observability.prometheus import ManagedPrometheus, free_port
from harness.observability.waits import wait_for_alert, wait_for_targets_up, wait_ready

__all__ = [
    "GrafanaAnnotator",
    "ManagedPrometheus",
    "ObservabilityError",
    "ScrapeTarget",
    "annotate_history",
    "default_rule_files",
    "free_port",
    "parse_duration",
    "render_config",
    "wait_for_alert",
    "wait_for_targets_up",
    "wait_ready",
]
