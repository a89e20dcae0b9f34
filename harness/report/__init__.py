"""Reports of a run: report.json, JUnit XML, a self-contained HTML page and a terminal summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.history import History
from harness.report.build import EXIT_CODES, build_report
from harness.report.html import render_html
from harness.report.junit import junit_xml
from harness.report.terminal import summary
from harness.report.timeseries import from_history, read_metrics

REPORT_JSON, JUNIT_XML, REPORT_HTML = "report.json", "junit.xml", "report.html"

__all__ = ["EXIT_CODES", "build_report", "junit_xml", "render_html", "summary", "write_reports"]


def write_reports(
    run_dir: Path,
    report: dict[str, Any],
    history: History,
    formats: Sequence[str] = ("json", "junit", "html"),
) -> list[Path]:
    """Write the requested report files into the run folder; returns their paths."""
    run_dir = Path(run_dir)
    written = []
    if "json" in formats:
        path = run_dir / REPORT_JSON
        path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
        written.append(path)
    if "junit" in formats:
        path = run_dir / JUNIT_XML
        path.write_text(junit_xml([report]), encoding="utf-8")
        written.append(path)
    if "html" in formats:
        panels = from_history(history)
        panels.update({k: v for k, v in read_metrics(run_dir).items() if v})
        path = run_dir / REPORT_HTML
        path.write_text(render_html(report, panels), encoding="utf-8")
        written.append(path)
    return written
