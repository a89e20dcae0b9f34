"""``gameday run`` and ``gameday gate``: registered into harness.cli's subcommand registry.

Exit codes: 0 pass, 1 a check failed, 2 could not decide (an invalid scenario is 2 here: nothing
was tested). ``gate`` runs every file in turn (stopping none early), writes one JUnit document for
all of them and exits with the worst code (1 beats 2: a failed check is a decision).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli import register
from harness.report import junit_xml
from harness.run import RunOptions, run_scenario
from harness.scenario import ScenarioError, load_scenario
from harness.scenario.builtins import resolve

EXIT_PASS, EXIT_FAIL, EXIT_UNKNOWN = 0, 1, 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", help="scenario profile, e.g. ci (short durations)")
    p.add_argument("--runs-dir", type=Path, default=Path("runs"), help="where run folders go (default runs/)")
    p.add_argument("--quiet", action="store_true", help="no progress line")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="scenario file or built-in name")
    _common(p)


def _gate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files or built-in names")
    p.add_argument("--junit", type=Path, help="write one JUnit XML for all runs here")
    _common(p)


def _one(name: str, args: argparse.Namespace) -> tuple[int, dict[str, object] | None]:
    path = resolve(name)
    try:
        scenario = load_scenario(path, args.profile)
    except ScenarioError as exc:
        print(f"gameday: error: invalid scenario:\n{exc}", file=sys.stderr)
        return EXIT_UNKNOWN, None
    out = None if args.quiet else sys.stderr
    outcome = run_scenario(scenario, RunOptions(runs_dir=args.runs_dir, out=out))
    print(f"run folder: {outcome.run_dir}  verdict: {outcome.report['verdict']}  "
          f"wall: {outcome.wall_seconds:.1f}s")
    return outcome.exit_code, outcome.report


def _run(args: argparse.Namespace) -> int:
    code, _ = _one(args.file, args)
    return code


def worst(codes: list[int]) -> int:
    if EXIT_FAIL in codes:
        return EXIT_FAIL
    if any(c != EXIT_PASS for c in codes):
        return EXIT_UNKNOWN
    return EXIT_PASS


def _gate(args: argparse.Namespace) -> int:
    codes, reports = [], []
    for name in args.files:
        code, report = _one(name, args)
        codes.append(code)
        if report is not None:
            reports.append(report)
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(junit_xml(reports), encoding="utf-8")
    code = worst(codes) if codes else EXIT_UNKNOWN
    print(f"gate: {['PASS', 'FAIL', 'UNDECIDED'][code]} ({len(codes)} scenario(s))")
    return code


register("run", "run one game day (scenario file or built-in name) end to end", _run_args, _run)
register("gate", "run scenarios as a CI resilience gate (exit 0 pass, 1 fail, 2 undecided)",
         _gate_args, _gate)
