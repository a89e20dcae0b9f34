"""Run results pushed to a real Pushgateway (Debian's prometheus-pushgateway) and scraped by a real
Prometheus with honor_labels, as the Game day dashboard reads them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.observability.config import ScrapeTarget, default_rule_files
from harness.observability.prometheus import ManagedPrometheus, free_port
from harness.observability.waits import wait_for_targets_up, wait_ready
from harness.run.publish import publish_run

PUSHGATEWAY = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")

REPORT = {
    "scenario": "binance-um-2025",
    "verdict": "fail",
    "checkers": {
        "orders": {"name": "orders", "verdict": "pass"},
        "conservation": {"name": "conservation", "verdict": "fail"},
    },
    "detection": [{"alert": "MarginQueueOverflow", "mttd_seconds": 1.25}],
    "figures": {"wall_seconds": 98.5},
}


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[str]:
    if PUSHGATEWAY is None:
        pytest.skip("prometheus-pushgateway not installed (scripts/install-system-deps.sh installs it)")
    for _attempt in range(5):  # the free port can be taken between probe and bind: retry
        url = f"http://127.0.0.1:{free_port()}"
        proc = subprocess.Popen(
            [PUSHGATEWAY, f"--web.listen-address={url.removeprefix('http://')}"],
            stdout=subprocess.DEVNULL, stderr=(tmp_path / "pushgateway.log").open("wb"),
        )
        try:
            wait_ready(url, timeout=15, alive=lambda p=proc: p.poll() is None)
        except Exception:
            proc.kill()
            proc.wait(5)
            continue
        try:
            yield url
        finally:
            proc.terminate()
            proc.wait(10)
        return
    pytest.fail("pushgateway did not start in 5 attempts (see pushgateway.log)")


def _series(url: str, name: str) -> list[dict[str, object]]:
    body = httpx.get(f"{url}/api/v1/query", params={"query": name}, timeout=5).json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def test_run_results_reach_prometheus_through_the_pushgateway(pushgateway: str, tmp_path: Path) -> None:
    assert publish_run(REPORT, pushgateway) is None
    text = httpx.get(f"{pushgateway}/metrics", timeout=5).text
    assert 'gameday_integrity_verdict{checker="conservation",instance="",job="gameday",' \
           'scenario="binance-um-2025",verdict="fail"} 1' in text

    targets = [ScrapeTarget("pushgateway", f"{pushgateway}/metrics")]
    with ManagedPrometheus(targets, default_rule_files(), workdir=tmp_path / "prom") as prom:
        wait_for_targets_up(prom.url, ["pushgateway"], timeout=20)
        # The dashboard's query: pushed labels survive the scrape (honor_labels), one verdict per checker.
        verdicts = _series(prom.url, "max by (checker, verdict) (gameday_integrity_verdict) == 1")
        assert {(s["metric"]["checker"], s["metric"]["verdict"]) for s in verdicts} == {  # type: ignore[index]
            ("orders", "pass"), ("conservation", "fail")}
        run = _series(prom.url, 'gameday_run_verdict{job="gameday",scenario="binance-um-2025"} == 1')
        assert [s["metric"]["verdict"] for s in run] == ["fail"]  # type: ignore[index]
        mttd = _series(prom.url, 'gameday_alert_mttd_seconds{alert="MarginQueueOverflow"}')
        assert [s["value"][1] for s in mttd] == ["1.25"]  # type: ignore[index]


def test_an_unreachable_pushgateway_is_a_problem_not_a_crash() -> None:
    problem = publish_run(REPORT, f"http://127.0.0.1:{free_port()}", timeout=2.0)
    assert problem is not None and problem.startswith("pushgateway http://127.0.0.1:")
