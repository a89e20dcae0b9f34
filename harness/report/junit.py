"""JUnit XML: one test case per hypothesis probe, detection, ramp interval, controller outcome, checker."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from harness.integrity.verdict import Verdict
from harness.report.build import Case, report_cases


def junit_xml(reports: Sequence[dict[str, Any]]) -> str:
    """A ``<testsuites>`` document with one ``<testsuite>`` per report (FAIL → failure, UNKNOWN → error)."""
    root = ET.Element("testsuites", name="gameday")
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for report in reports:
        cases: list[Case] = report_cases(report)
        suite = ET.SubElement(root, "testsuite", name=f"gameday.{report.get('scenario') or 'run'}")
        counts = {"tests": len(cases), "failures": 0, "errors": 0}
        for case in cases:
            el = ET.SubElement(
                suite,
                "testcase",
                classname=f"{suite.get('name')}.{case.group}",
                name=case.name,
                time=f"{case.seconds:.3f}",
            )
            if case.status is Verdict.FAIL:
                counts["failures"] += 1
                ET.SubElement(
                    el, "failure", message=case.message[:500], type="GamedayCheckFailed"
                ).text = case.message
            elif case.status is Verdict.UNKNOWN:
                counts["errors"] += 1
                ET.SubElement(
                    el, "error", message=case.message[:500], type="GamedayUndecided"
                ).text = case.message
            elif case.message:
                ET.SubElement(el, "system-out").text = case.message
        if report.get("error"):
            ET.SubElement(suite, "system-err").text = str(report["error"])
        for key, val in counts.items():
            suite.set(key, str(val))
            totals[key] += val
        props = ET.SubElement(suite, "properties")
        for key in ("run_id", "verdict", "seed", "profile"):
            ET.SubElement(props, "property", name=key, value=str(report.get(key)))
    for key, val in totals.items():
        root.set(key, str(val))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
