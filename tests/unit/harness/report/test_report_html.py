"""HTML report: charts share the history's time axis, fixed meaningful colours, default profile."""

from __future__ import annotations

import re
from pathlib import Path

from harness.history import HistoryWriter, read_history
from harness.report import build_report, render_html
from harness.report.svg import MEANINGFUL, line_chart, series_color

T0 = 1_795_271_775.5


def _history(tmp_path: Path) -> Path:
    path = tmp_path / "history.jsonl"
    with HistoryWriter(path, proc="harness") as w:
        w.event("phase", name="load", status="start")
        w.event("phase", name="faults", status="pre_fault_snapshot", start=T0 + 15.0)
        w.event("fault", id="stall", action="inject", fault_kind="failpoint")
        w.event("fault", id="stall", action="heal", fault_kind="failpoint")
    return path


def _rect_x(svg: str, title: str) -> float:
    m = re.search(r'<rect x="([\d.]+)"[^>]*><title>' + re.escape(title), svg)
    assert m, title
    return float(m.group(1))


def _first_point_x(svg: str) -> float:
    m = re.search(r'<polyline [^>]*points="([\d.]+),', svg)
    assert m
    return float(m.group(1))


def test_a_point_at_the_fault_start_lands_on_the_shading_left_edge() -> None:
    start, end = T0 + 18.78, T0 + 28.77
    series = [{"label": "outcome=ok", "points": [[start, 5.0], [start + 1, 6.0]]}]
    svg = line_chart("t", "req/s", series, T0, T0 + 60, windows=[(start, end, "stall")])
    assert abs(_first_point_x(svg) - _rect_x(svg, "fault stall")) < 0.05


def test_the_report_charts_use_the_history_times_for_series_windows_and_markers(tmp_path: Path) -> None:
    history = read_history(_history(tmp_path))
    report = build_report(None, history, [], run_id="r1")
    fault = report["faults"][0]
    panels = {"admitted": [{"label": "admitted", "points": [[fault["start"], 1.0], [fault["end"], 1.0]]}]}
    html = render_html(report, panels)
    admitted = html[html.index('aria-label="Admitted traffic"'):]
    admitted = admitted[: admitted.index("</svg>")]
    assert abs(_first_point_x(admitted) - _rect_x(admitted, "fault stall")) < 0.05
    frozen = report["frozen"][0]
    assert frozen["start"] == T0 + 15.0 and frozen["end"] > frozen["start"]
    assert "pre-fault snapshot (admission frozen)" in admitted


def test_outcome_and_colour_labels_have_fixed_colours() -> None:
    assert series_color("outcome=ok", 1) == series_color("ok", 0) == MEANINGFUL["ok"]
    assert series_color("outcome=fail", 0) == MEANINGFUL["fail"] == "#d62728"
    assert series_color("outcome=info", 0) == MEANINGFUL["info"]
    assert series_color("color=blue", 1) == MEANINGFUL["blue"]
    assert series_color("p99", 0) != series_color("p99", 1)  # no meaning: the palette
    series = [{"label": "outcome=fail", "points": [[T0, 1.0]]},
              {"label": "outcome=ok", "points": [[T0, 2.0]]}]
    svg = line_chart("Throughput", "req/s", series, T0, T0 + 10)
    strokes = re.findall(r'<polyline fill="none" stroke="(#[0-9a-f]{6})"', svg)
    assert strokes == [MEANINGFUL["fail"], MEANINGFUL["ok"]]


def test_no_profile_reads_default(tmp_path: Path) -> None:
    report = build_report(None, read_history(_history(tmp_path)), [], run_id="r1")
    assert report["profile"] is None
    html = render_html(report, {})
    assert "profile default" in html and "profile None" not in html


def test_the_report_names_the_durability_it_checked_against(tmp_path: Path) -> None:
    from harness.report.terminal import summary
    from harness.scenario import load_scenario
    from harness.scenario.builtins import resolve

    history = read_history(_history(tmp_path))
    ci = build_report(load_scenario(resolve("binance-um-2025"), "ci"), history, [], run_id="r1")
    assert ci["durability"] == "process"
    assert "durability process" in render_html(ci, {}) and "durability process" in summary(ci)
    # `gameday analyze` of a folder without the scenario reads it from the manifest's config
    manifest = {"config": {"stack": {"durability": "power"}}}
    assert build_report(None, history, [], run_id="r1", manifest=manifest)["durability"] == "power"
    assert build_report(None, history, [], run_id="r1")["durability"] is None
