"""Pure evaluation of query results against checks and probes."""

import math

from harness.scenario.model import AnalysisCheck, CheckKind, Probe, Tolerance
from harness.slo.checks import check_query, evaluate_check, evaluate_probe
from harness.slo.model import CheckStatus, QueryResult, Sample

SR = AnalysisCheck("request-success-rate", CheckKind.SUCCESS_RATE, min=99.0, window=5.0)
P99 = AnalysisCheck("request-duration", CheckKind.LATENCY_P99, max=0.5, window=0.5)


def res(*values, error=None):
    return QueryResult(tuple(Sample({"color": "green"}, v) for v in values), error)


def test_queries_target_the_color_and_window():
    q = check_query(SR, "green")
    assert 'color="green"' in q and "[5s]" in q and 'code!~"5.."' in q and "> 0" in q
    assert check_query(P99, "blue").startswith("histogram_quantile(0.99") and "[500ms]" in check_query(
        P99, "blue"
    )
    custom = AnalysisCheck("c", CheckKind.PROMQL, max=1, query='x{color="$color"}[$window]')
    assert check_query(custom, "green") == 'x{color="green"}[5s]'


def test_success_rate_pass_fail_nodata():
    assert evaluate_check(SR, "green", res(99.5)).status is CheckStatus.PASS
    failed = evaluate_check(SR, "green", res(98.7))
    assert failed.status is CheckStatus.FAIL and failed.value == 98.7 and "98.7 not >= 99" in failed.reason
    assert evaluate_check(SR, "green", res()).status is CheckStatus.NODATA
    assert evaluate_check(SR, "green", res(math.nan)).status is CheckStatus.NODATA
    err = evaluate_check(SR, "green", res(error="PROMETHEUS_UNAVAILABLE: down"))
    assert err.status is CheckStatus.NODATA and "query failed" in err.reason


def test_latency_and_probes_with_several_series():
    assert evaluate_check(P99, "green", res(0.2, 0.7)).status is CheckStatus.FAIL
    assert evaluate_check(P99, "green", res(0.5)).status is CheckStatus.PASS  # inclusive
    probe = Probe("one-leader", "sum(engine_is_leader)", Tolerance(equals=1.0))
    assert evaluate_probe(probe, res(1.0)).passed
    assert evaluate_probe(probe, res(2.0)).status is CheckStatus.FAIL
    rng = Probe("r", "q", Tolerance(min=0.0, max=0.05))
    assert not evaluate_probe(rng, res(0.01, 0.06)).passed
