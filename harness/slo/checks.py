"""Analysis checks and steady-state probes: PromQL generation and pure evaluation of results.

``success_rate`` and ``latency_p99`` follow Flagger's built-in checks (request-success-rate as % of
non-5xx, request-duration as P99 from the histogram), measured at the gateway for the color under
analysis; admission refusals are never counted as errors (the gateway labels them ``color="none"``).
A ratio over a window with no traffic is absent, so "no traffic" is reported as NODATA — what it
means is the scenario's no-data policy, applied by the controller's analysis.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from harness.scenario.durations import format_duration
from harness.scenario.model import AnalysisCheck, CheckKind, Probe, Tolerance
from harness.slo.model import CheckResult, CheckStatus, QueryResult


def _window(check: AnalysisCheck) -> str:
    return format_duration(check.window)


def success_rate_query(check: AnalysisCheck, color: str) -> str:
    sel = f'color="{color}"'
    w = _window(check)
    return (
        f'100 * ((sum(rate(gateway_requests_total{{{sel},code!~"5.."}}[{w}]))'
        f" or 0 * sum(rate(gateway_requests_total{{{sel}}}[{w}])))"
        f" / (sum(rate(gateway_requests_total{{{sel}}}[{w}])) > 0))"
    )


def latency_p99_query(check: AnalysisCheck, color: str) -> str:
    w = _window(check)
    return (
        "histogram_quantile(0.99, sum by (le) "
        f'(rate(gateway_request_duration_seconds_bucket{{color="{color}"}}[{w}])))'
    )


def promql_query(check: AnalysisCheck, color: str) -> str:
    """A custom query; ``$color`` and ``$window`` are substituted."""
    return (check.query or "").replace("$color", color).replace("$window", _window(check))


QUERY_BUILDERS: dict[CheckKind, Callable[[AnalysisCheck, str], str]] = {
    CheckKind.SUCCESS_RATE: success_rate_query,
    CheckKind.LATENCY_P99: latency_p99_query,
    CheckKind.PROMQL: promql_query,
}


def check_query(check: AnalysisCheck, color: str) -> str:
    return QUERY_BUILDERS[check.kind](check, color)


def evaluate_values(name: str, query: str, result: QueryResult, tolerance: Tolerance) -> CheckResult:
    """PASS when every sample is within tolerance; FAIL on the first that is not; NODATA when the
    query failed, returned nothing, or only NaN (0/0, an empty histogram)."""
    if result.error is not None:
        return CheckResult(name, CheckStatus.NODATA, None, f"query failed: {result.error}", query)
    samples = [s for s in result.samples if not math.isnan(s.value)]
    if not samples:
        return CheckResult(name, CheckStatus.NODATA, None, "no data", query)
    for s in samples:
        if not tolerance.accepts(s.value):
            reason = f"{name} {s.value:g} not {tolerance.describe()}"
            return CheckResult(name, CheckStatus.FAIL, s.value, reason, query, dict(s.labels))
    worst = samples[0].value
    return CheckResult(name, CheckStatus.PASS, worst, f"{name} {worst:g} {tolerance.describe()}", query)


def evaluate_check(check: AnalysisCheck, color: str, result: QueryResult) -> CheckResult:
    return evaluate_values(check.name, check_query(check, color), result, check.tolerance)


def evaluate_probe(probe: Probe, result: QueryResult) -> CheckResult:
    return evaluate_values(probe.name, probe.query, result, probe.tolerance)
