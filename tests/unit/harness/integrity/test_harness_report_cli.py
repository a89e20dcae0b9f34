"""Reports (report.json, JUnit, HTML, terminal) and `gameday` exit codes on literal run folders."""

import json
import re
import shutil
import xml.etree.ElementTree as ET

from harness.cli import COMMANDS, main, register
from harness.scenario.builtins import resolve


def make_run(run_dir, journal, history, lose_order=False, alert_at=11.0):
    shutil.copy(resolve("binance-um-2025"), run_dir / "scenario.yaml")
    (run_dir / "manifest.json").write_text(json.dumps({"scenario": "binance-um-2025", "seed": 20250829}))
    journal.deposit("a1", 1000)
    journal.place("a1", "c1", ts_ms=1000)
    seq = journal.place("a1", "c2", ts_ms=2000)
    (run_dir / "snapshots").mkdir()
    answers = {"t": 2.5, "seq": seq, "accounts": {"a1": {"wallets": {"USDT": "1000"}, "positions": []}}}
    for name in ("pre_fault", "final"):
        (run_dir / "snapshots" / f"{name}.json").write_text(json.dumps(answers))
    w = history
    for coid, t in (("c1", 1.0), ("c2", 2.0)):
        w.op("invoke", "place", account="a1", client_order_id=coid, t=t - 0.1)
        w.op("ok", "place", account="a1", client_order_id=coid, t=t, http_status=200)
    if lose_order:
        w.op("ok", "place", account="a1", client_order_id="c3", t=3.0, http_status=200)
    for probe in ("one-leader", "trading-not-halted", "client-unknown-outcomes"):
        w.event(
            "check", source="hypothesis", phase="before", name=probe, result="pass", value=1, round=1, t=5.0
        )
    w.event("fault", id="stall-margin-worker", action="inject", fault_kind="failpoint", t=10.0)
    w.event("alert", name="MarginQueueOverflow", state="firing", t=alert_at)
    w.event("alert", name="EngineHalted", state="firing", t=12.0)
    trans = [
        ("stable", "deploying"),
        ("deploying", "pre_promotion"),
        ("pre_promotion", "cutover"),
        ("cutover", "ramping"),
    ]
    for i, (a, b) in enumerate(trans):
        w.event(
            "deploy",
            t=13.0 + i,
            **{"from": a, "to": b, "reason": "r", "step": 0, "admission": 0.1, "active": "green"},
        )
    for step in range(4):
        for name in ("request-success-rate", "request-duration"):
            w.event(
                "check",
                source="analysis",
                step=step,
                round=step,
                name=name,
                result="pass",
                value=99.9,
                t=20.0 + 5 * step,
            )
    w.event(
        "deploy",
        t=40.0,
        **{
            "from": "ramping",
            "to": "promoted",
            "reason": "ok",
            "step": 3,
            "admission": 1.0,
            "active": "green",
        },
    )
    w.event("fault", id="stall-margin-worker", action="heal", t=30.0)
    for probe in ("one-leader", "trading-not-halted", "client-unknown-outcomes"):
        w.event(
            "check", source="hypothesis", phase="after", name=probe, result="pass", value=1, round=2, t=42.5
        )
    w.close()


def analyze(run_dir, *extra):
    return main(["analyze", str(run_dir), "--quiet", *extra])


def test_analyze_passing_run_writes_every_report(run_dir, journal, history, capsys):
    make_run(run_dir, journal, history)
    junit_path = run_dir / "gate.xml"
    code = analyze(run_dir, "--junit", str(junit_path))
    report = json.loads((run_dir / "report.json").read_text())
    assert code == 0, report["reasons"]
    assert report["verdict"] == "pass" and report["exit_code"] == 0
    det = {d["alert"]: d for d in report["detection"]}
    assert det["MarginQueueOverflow"]["mttd_seconds"] == 1.0 and det["MarginQueueOverflow"]["within_budget"]
    assert (
        det["MarginQueueOverflow"]["mttr_seconds"] == 32.5
    )  # first all-pass hypothesis round after the heal
    assert report["checkers"]["orders"]["counts"]["lost"] == 0
    assert report["checkers"]["orders"]["counts"]["recovered"] == 0
    assert report["checkers"]["orders"]["verdict"] == "pass"
    assert [t["to"] for t in report["controller"]["transitions"]][-1] == "promoted"
    assert all("t" in t for t in report["controller"]["transitions"])
    # JUnit: one case per hypothesis probe, detection, ramp interval, controller outcome, checker
    for path in (run_dir / "junit.xml", junit_path):
        root = ET.fromstring(path.read_text())
        names = [(c.get("classname").rsplit(".", 1)[1], c.get("name")) for c in root.iter("testcase")]
        groups = {g for g, _ in names}
        assert groups == {"hypothesis", "detection", "ramp", "controller", "integrity"}
        assert ("detection", "MarginQueueOverflow") in names and ("integrity", "orders") in names
        assert sum(1 for g, _ in names if g == "ramp") == 4
    # HTML: self-contained, charts drawn inline
    html = (run_dir / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 5
    assert not re.search(r"(https?:)?//[a-z0-9]", html, re.I), "external URL in the HTML report"
    assert "<script" not in html and "fault stall-margin-worker" in html


def test_lost_order_exits_1(run_dir, journal, history, capsys):
    make_run(run_dir, journal, history, lose_order=True)
    assert main(["analyze", str(run_dir)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "lost=1" in out
    report = json.loads((run_dir / "report.json").read_text())
    assert report["verdict"] == "fail" and report["checkers"]["orders"]["counts"]["lost"] == 1
    root = ET.fromstring((run_dir / "junit.xml").read_text())
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert "orders" in failed


def test_late_alert_fails_detection(run_dir, journal, history):
    make_run(run_dir, journal, history, alert_at=20.0)  # budget 3 s
    assert analyze(run_dir) == 1
    report = json.loads((run_dir / "report.json").read_text())
    assert any("detection.MarginQueueOverflow" in r for r in report["reasons"])


def test_no_data_exits_2(run_dir, history):
    history.op("invoke", "place", account="a", client_order_id="c")
    assert analyze(run_dir) == 2  # no journal: orders UNKNOWN → could not decide
    report = json.loads((run_dir / "report.json").read_text())
    assert report["verdict"] == "unknown" and report["checkers"]["orders"]["verdict"] == "unknown"
    assert main(["analyze", str(run_dir / "missing")]) == 2


def test_validate_exit_codes(tmp_path, capsys):
    assert main(["validate", "binance-um-2025", "latency-spike"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nseed: 1\nduration: 5s\nfaults: [{id: a, kind: toxic, at: 1s, params: {proxy: q}}]\n"
    )
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"INVALID {bad}: faults[0].params.proxy: must be one of" in out
    assert f"{bad}: faults[0].params.type: required field is missing" in out
    assert main(["validate"]) == 2  # argparse: missing FILE
    assert main(["scenarios"]) == 0
    assert "binance-um-2025" in capsys.readouterr().out
    assert main([]) == 2


def test_registration_point():
    register("hello", "test command", lambda p: p.add_argument("--n", type=int, default=3), lambda a: a.n)
    try:
        assert main(["hello", "--n", "1"]) == 1
    finally:
        COMMANDS.pop("hello")


def test_terminal_shows_why_a_checker_passed_vacuously_or_failed():
    from harness.report.terminal import summary

    report = {
        "scenario": "s", "run_id": "r", "seed": 1, "verdict": "fail", "detection": [],
        "controller": {"transitions": []}, "reasons": [], "exit_code": 1,
        "checkers": {
            "funding": {
                "verdict": "pass",
                "counts": {"intervals": 0},
                "summary": "the run crossed no funding time",
                "evidence": ["nothing to check: the run crossed no funding time"],
            },
            "journal": {"verdict": "fail", "counts": {"problems": 1}, "summary": "x",
                        "evidence": ["corrupt: events: CRC mismatch at seq 7 idx 2"]},
        },
    }
    out = summary(report)
    assert "funding              the run crossed no funding time" in out
    assert "corrupt: events: CRC mismatch at seq 7 idx 2" in out
