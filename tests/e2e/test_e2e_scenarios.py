"""Short (ci profile) runs of every built-in scenario: verdict and the report's key fields."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from harness.history import EventKind, read_history

pytestmark = pytest.mark.timeout(420)


def _detection(report: dict[str, Any], alert: str) -> dict[str, Any]:
    return next(d for d in report["detection"] if d["alert"] == alert)


def _why(report: dict[str, Any]) -> str:
    return f"verdict {report['verdict']}: {report['reasons']}"


def _no_lost_orders(report: dict[str, Any]) -> None:
    orders = report["checkers"]["orders"]
    assert orders["counts"]["lost"] == 0
    assert orders["counts"]["unexpected"] == 0
    assert orders["counts"]["acknowledged"] > 0
    assert report["figures"]["lost_orders"] == 0


def _phases(report: dict[str, Any]) -> list[str]:
    return [str(t["to"]) for t in report["controller"]["transitions"]]


def test_binance_um_2025_halt_then_green_hotfix_ramped(run_ci: Any) -> None:
    report, run_dir = run_ci("binance-um-2025")
    assert report["verdict"] == "pass", _why(report)
    overflow = _detection(report, "MarginQueueOverflow")
    assert overflow["mttd_seconds"] is not None and overflow["mttd_seconds"] <= 3.0
    phases = _phases(report)
    assert phases[:3] == ["deploying", "pre_promotion", "cutover"]
    assert phases[-1] == "promoted" and "rolling_back" not in phases
    steps = {t["step"] for t in report["controller"]["transitions"] if t["to"] == "ramping"}
    assert steps == {0, 1, 2, 3}
    modes = [e.get("mode") for e in read_history(run_dir).events_of(EventKind.PHASE)
             if e.get("status") == "trading_mode"]
    assert modes == ["cancel_only", "post_only", "normal"]
    funding = report["checkers"]["funding"]
    assert funding["verdict"] == "pass", funding
    # 5 s funding intervals: the run crosses many, and the halt spans at least one, settled once after it
    assert funding["counts"]["intervals"] > 0 and funding["counts"]["missed_during_halt"] >= 1, funding
    _no_lost_orders(report)
    for name in ("manifest.json", "journal.sqlite", "report.json", "junit.xml", "report.html",
                 "snapshots/pre_fault.json", "snapshots/final.json"):
        assert (run_dir / name).exists(), name


def test_latency_spike_detected_and_steady_state_back(run_ci: Any) -> None:
    report, _ = run_ci("latency-spike")
    assert report["verdict"] == "pass", _why(report)
    burn = _detection(report, "LatencySLOBurn")
    assert burn["within_budget"] and burn["mttr_seconds"] is not None
    after = [h["result"] for h in report["hypothesis"] if h["phase"] == "after"]
    assert len(after) >= 2 and set(after) == {"pass"}
    assert burn["mttr_seconds"] < report["figures"]["load_seconds"]  # measured at recovery, not at the end
    _no_lost_orders(report)


def test_bad_deploy_rolls_back_automatically(run_ci: Any) -> None:
    report, _ = run_ci("bad-deploy-rollback")
    assert report["verdict"] == "pass", _why(report)
    phases = _phases(report)
    assert phases[-2:] == ["rolling_back", "rolled_back"]
    assert "promoted" not in phases
    interval = 5.0 * 0.6  # ramp interval under the ci profile
    assert report["controller"]["rollback_seconds"] <= interval
    assert any(s["result"] == "fail" for s in report["ramp"])
    _no_lost_orders(report)


def test_leader_crash_fails_over_to_the_standby(run_ci: Any) -> None:
    report, _ = run_ci("leader-crash-failover")
    assert report["verdict"] == "pass", _why(report)
    assert _phases(report) == ["failover", "promoted"]
    assert _detection(report, "EngineDown")["within_budget"]
    _no_lost_orders(report)


def test_okex_2018_liquidation_conserves_collateral(run_ci: Any) -> None:
    report, run_dir = run_ci("okex-2018-liquidation")
    assert report["verdict"] == "pass", _why(report)
    final = json.loads((run_dir / "snapshots" / "final.json").read_text())
    assert final["accounts"]["whale"]["positions"] == []  # the huge long was liquidated
    for alert in ("LiquidationSpike", "InsuranceFundDrawdown"):
        assert _detection(report, alert)["within_budget"], alert
    for name in ("conservation", "open_interest", "positions", "orders"):
        assert report["checkers"][name]["verdict"] == "pass", name
    with sqlite3.connect(run_dir / "journal.sqlite") as conn:
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM events GROUP BY kind").fetchall())
        steps = conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'LiquidationStep' "
                             "AND json_extract(payload, '$.account') = 'whale'").fetchone()[0]
    assert steps >= 2  # tiered partial liquidation of the whale
    assert kinds.get("SocializedLoss", 0) > 0  # the fund ran out: clawback from the winners
    assert kinds.get("LiquidationFinished", 0) >= 5
    _no_lost_orders(report)


def test_feed_outage_marks_the_index_stale_and_recovers(run_ci: Any) -> None:
    report, _ = run_ci("feed-outage")
    assert report["verdict"] == "pass", _why(report)
    stale = _detection(report, "IndexStale")
    assert stale["within_budget"] and stale["mttr_seconds"] is not None
    _no_lost_orders(report)


