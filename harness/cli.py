"""``gameday``: the command-line entry point, with one explicit registry of subcommands.

Exit codes everywhere: 0 pass, 1 a check failed (including an invalid scenario), 2 could not decide
(bad arguments, missing run folder, no data). Errors are one line on stderr, never a traceback.

Registration point for the orchestrator: a module listed in ``EXTENSION_MODULES`` is imported at
start-up and calls :func:`register` for ``run``, ``gate``, ``up``, ``down``, ``status``, ``inject`` and
``heal``; a module that does not exist yet is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.history import read_history
from harness.integrity.registry import run_checkers
from harness.integrity.rundata import MANIFEST_FILE, load_run
from harness.report import build_report, junit_xml, summary, write_reports
from harness.scenario import ScenarioError, load_scenario, validate_file
from harness.scenario.builtins import list_builtins, resolve

EXIT_PASS, EXIT_FAIL, EXIT_UNKNOWN = 0, 1, 2
EXTENSION_MODULES = ("harness.orchestrator.cli", "harness.cli_run", "harness.cli_stack")
PLANNED = ("run", "gate", "up", "down", "status", "inject", "heal")
SCENARIO_COPY = "scenario.yaml"


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {}


def register(
    name: str,
    help: str,
    configure: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace], int],
) -> None:
    """Add (or replace) a subcommand; ``run`` returns the process exit code."""
    COMMANDS[name] = Command(name, help, configure, run)


def _err(msg: str) -> None:
    print(f"gameday: error: {msg}", file=sys.stderr)


# ---- validate -----------------------------------------------------------------------------------
def _validate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files or built-in names")


def _validate(args: argparse.Namespace) -> int:
    bad = 0
    for name in args.files:
        path = resolve(name)
        issues = validate_file(path)
        if issues:
            bad += 1
            for issue in issues:
                print(f"INVALID {issue}")
        else:
            print(f"OK {path}")
    return EXIT_FAIL if bad else EXIT_PASS


# ---- scenarios ----------------------------------------------------------------------------------
def _scenarios(args: argparse.Namespace) -> int:
    items = list_builtins()
    if not items:
        _err("no built-in scenarios found")
        return EXIT_UNKNOWN
    width = max(len(b.name) for b in items)
    for b in items:
        print(f"{b.name:<{width}}  {b.description}")
    return EXIT_PASS


# ---- analyze ------------------------------------------------------------------------------------
def _analyze_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", type=Path)
    p.add_argument("--scenario", help="scenario file (default: the run folder's scenario.yaml)")
    p.add_argument("--profile", help="profile the run used (default: from manifest.json)")
    p.add_argument("--junit", type=Path, help="also write JUnit XML here")
    p.add_argument("--quiet", action="store_true", help="no terminal summary")


def analyze_run(
    run_dir: Path, scenario_file: str | None = None, profile: str | None = None
) -> dict[str, object]:
    """Re-run the checkers on a stored run and rewrite its reports; returns report.json's content.

    Raises FileNotFoundError when the run folder does not exist and ScenarioError for a bad scenario.
    """
    if not run_dir.is_dir():
        raise FileNotFoundError(f"no run folder {run_dir}")
    run = load_run(run_dir)
    path = Path(scenario_file) if scenario_file else run_dir / SCENARIO_COPY
    scenario = None
    if path.exists():
        scenario = load_scenario(path, profile if profile is not None else run.manifest.get("profile"))
    names = scenario.integrity.checkers if scenario else None
    results = run_checkers(run, names)
    report = build_report(
        scenario,
        run.history,
        results,
        run_id=run_dir.name,
        manifest=run.manifest,
        error=None if (run_dir / MANIFEST_FILE).exists() else "no manifest.json",
    )
    formats = scenario.report.formats if scenario else ("json", "junit", "html")
    write_reports(run_dir, report, read_history(run_dir), formats)
    return report


def _analyze(args: argparse.Namespace) -> int:
    try:
        report = analyze_run(args.run_dir, args.scenario, args.profile)
    except FileNotFoundError as exc:
        _err(str(exc))
        return EXIT_UNKNOWN
    except ScenarioError as exc:
        _err(f"invalid scenario:\n{exc}")
        return EXIT_UNKNOWN
    if args.junit:
        args.junit.write_text(junit_xml([report]), encoding="utf-8")
    if not args.quiet:
        print(summary(report))
    return int(str(report["exit_code"]))


register("validate", "validate scenario files (no side effects)", _validate_args, _validate)
register("scenarios", "list the built-in scenarios", lambda p: None, _scenarios)
register(
    "analyze",
    "re-run the integrity checkers on a run folder and rewrite its reports",
    _analyze_args,
    _analyze,
)


def _load_extensions() -> None:
    for module in EXTENSION_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gameday", description="Resilience game days and CI gates.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for cmd in COMMANDS.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.configure(p)
        p.set_defaults(func=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _load_extensions()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: bad arguments exit 2, --help exits 0
        return int(exc.code or 0)
    if getattr(args, "func", None) is None:
        parser.print_help()
        missing = [c for c in PLANNED if c not in COMMANDS]
        if missing:
            print(f"\nnot available yet: {', '.join(missing)}")
        return EXIT_UNKNOWN
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_UNKNOWN


if __name__ == "__main__":
    # `python -m harness.cli`: extension modules import `harness.cli` to register; let them find this one.
    sys.modules.setdefault("harness.cli", sys.modules[__name__])
    sys.exit(main())
