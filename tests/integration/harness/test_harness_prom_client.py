"""harness.slo.prometheus.PromClient against a real Prometheus server (skipped if none installed)."""

import shutil
import socket
import subprocess
import time

import httpx
import pytest

from harness.slo.prometheus import PromClient, PrometheusError

PROM = shutil.which("prometheus")
pytestmark = pytest.mark.skipif(PROM is None, reason="prometheus binary not on PATH")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except (httpx.HTTPError, PrometheusError):
            pass
        time.sleep(interval)
    return False


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    d = tmp_path_factory.mktemp("prom")
    (d / "rules.yml").write_text(
        "groups:\n- name: t\n  interval: 250ms\n  rules:\n  - alert: AlwaysOn\n    expr: vector(1)\n"
    )
    (d / "prometheus.yml").write_text("global:\n  evaluation_interval: 250ms\nrule_files: [rules.yml]\n")
    port = free_port()
    proc = subprocess.Popen(
        [
            PROM,
            f"--config.file={d / 'prometheus.yml'}",
            f"--storage.tsdb.path={d / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until(lambda: httpx.get(f"{url}/-/ready", timeout=1).status_code == 200), (
            "prometheus not ready"
        )
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_instant_range_and_alerts(prom):
    with PromClient(prom) as c:
        res = c.instant_query("vector(42)")
        assert [s.value for s in res.samples] == [42.0]
        assert c.instant_query("scalar(vector(3))").samples[0].value == 3.0
        assert c.instant_query("nonexistent_metric").empty
        now = time.time()
        series = c.range_query("vector(1)", now - 10, now, 1)
        assert len(series) == 1 and all(v == 1.0 for _, v in series[0].points)
        assert wait_until(lambda: "AlwaysOn" in c.firing(), timeout=20)


def test_errors_have_stable_codes(prom):
    with PromClient(prom) as c:
        with pytest.raises(PrometheusError) as exc:
            c.instant_query("sum(")
        assert exc.value.code == "PROMETHEUS_QUERY_ERROR"
        assert c.instant_result("sum(").error.startswith("PROMETHEUS_QUERY_ERROR")
    with PromClient(f"http://127.0.0.1:{free_port()}", timeout=0.5) as dead:
        with pytest.raises(PrometheusError) as exc:
            dead.instant_query("up")
        assert exc.value.code == "PROMETHEUS_UNAVAILABLE"
