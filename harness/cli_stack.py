"""``gameday up | down | status | inject | heal``: a stack for a manual game day, and clean-up.

* ``up [SCENARIO]`` starts the stack of a scenario (default: the engines of latency-spike, i.e.
  blue leader + green standby) in ``runs/<id>/``, prints every URL, and runs until Ctrl-C/SIGTERM
  or ``gameday down``; ``runs/.current-stack`` names it for the other commands.
* ``inject KIND PARAMS`` applies one fault (scenario parameters as JSON, e.g.
  ``'{"proxy": "api", "type": "latency", "attributes": {"latency": 300}}'``) to the current stack and
  records it in its fault ledger; ``heal ID`` undoes one, ``heal --all`` undoes every open fault of
  every run folder and stops the processes of runs whose owner is gone (a killed run).
Exit codes: 0 done, 1 something could not be healed/stopped, 2 bad arguments or no stack.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from chaos import nemesis
from chaos.nemesis import FaultLedger, NemesisContext, NemesisError
from harness.cli import register
from harness.run.folder import RunFolder, current_stack, new_run_id, set_current_stack
from harness.run.stackplan import stack_spec
from harness.scenario import ScenarioError, load_scenario
from harness.scenario.builtins import resolve
from harness.stack.errors import StackError
from harness.stack.stack import start_stack
from harness.stack.state import STATE_FILE, is_same_process, read_info, read_state, stop_from_state_file

DEFAULT_SCENARIO = "latency-spike"


def _err(msg: str) -> None:
    print(f"gameday: error: {msg}", file=sys.stderr)


def _runs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs-dir", type=Path, default=Path("runs"), help="run folders (default runs/)")


def _stack_dir(args: argparse.Namespace) -> Path | None:
    given = getattr(args, "dir", None)
    return Path(given) if given else current_stack(args.runs_dir)


# ---- up -----------------------------------------------------------------------------------------
def _up_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help="take the stack section from here")
    _runs(p)


def _up(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(resolve(args.scenario))
    except ScenarioError as exc:
        _err(f"invalid scenario:\n{exc}")
        return 2
    run_id = new_run_id(f"up-{scenario.name}")
    folder = RunFolder(args.runs_dir / run_id).create()
    stack = start_stack(stack_spec(scenario, folder.root, folder.live_journal), install_handlers=True)
    try:
        stack.supervisor.set_info(ledger=str(folder.ledger))
        set_current_stack(args.runs_dir, folder.root)
        print(f"stack up in {folder.root} (Ctrl-C or `gameday down` stops it)")
        for key, value in _flat_urls(stack.urls.to_json()).items():
            print(f"  {key:<22} {value}")
        sys.stdout.flush()
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopping...")
    finally:
        _heal_ledger(folder.ledger)
        stack.stop()
    return 0


def _flat_urls(urls: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in urls.items():
        if isinstance(value, dict):
            out.update(_flat_urls(value, f"{prefix}{key}."))
        elif value:
            out[f"{prefix}{key}"] = str(value)
    return out


# ---- status / down ------------------------------------------------------------------------------
def _dir_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", help="the stack's run folder (default: the current stack)")
    _runs(p)


def _owner_alive(state_file: Path) -> bool:
    try:
        owner = int(json.loads(state_file.read_text(encoding="utf-8")).get("owner_pid", 0))
    except (OSError, ValueError, TypeError):
        return False
    if owner <= 1 or owner == os.getpid():
        return False
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _status(args: argparse.Namespace) -> int:
    folder = _stack_dir(args)
    if folder is None:
        _err("no current stack (start one with `gameday up`)")
        return 2
    try:
        entries = read_state(folder)
    except StackError as exc:
        _err(str(exc))
        return 2
    print(f"stack {folder} (owner {'running' if _owner_alive(folder / STATE_FILE) else 'gone'})")
    for e in entries:
        print(f"  {e.name:<14} pid {e.pid:<8} {'up' if is_same_process(e) else 'DOWN':<5} {e.url or ''}")
    for key, value in _flat_urls(read_info(folder).get("urls", {})).items():
        print(f"  {key:<22} {value}")
    open_faults = _open_faults(folder / "faults.jsonl")
    print(f"  open faults: {', '.join(h.id for h in open_faults) or 'none'}")
    return 0


def _down(args: argparse.Namespace) -> int:
    folder = _stack_dir(args)
    if folder is None:
        _err("no current stack")
        return 2
    return 0 if _clean(folder, force=True) else 1


def _open_faults(ledger: Path) -> list[nemesis.Handle]:
    try:
        return FaultLedger(ledger).open_handles()
    except NemesisError:
        return []


def _heal_ledger(ledger: Path) -> bool:
    led = FaultLedger(ledger)
    try:
        handles = led.open_handles()
    except NemesisError as exc:
        _err(str(exc))
        return False
    report = nemesis.heal_all(handles, NemesisContext(timeout=5.0))
    for h in report.healed:
        led.record_healed(h)
        print(f"  healed {h.id}: {h.description}")
    for f in report.failures:
        print(f"  could not heal {f.fault}: {f.message}")
    return report.ok


def _clean(folder: Path, force: bool) -> bool:
    """Heal the folder's open faults; stop its processes (asking a live owner to stop first)."""
    ok = _heal_ledger(folder / "faults.jsonl")
    state = folder / STATE_FILE
    if not state.exists():
        return ok
    if _owner_alive(state):
        if not force:
            return ok
        owner = int(json.loads(state.read_text(encoding="utf-8"))["owner_pid"])
        os.kill(owner, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _owner_alive(state):
            time.sleep(0.1)
    try:
        stopped = stop_from_state_file(state, timeout=10)
    except StackError as exc:
        _err(str(exc))
        return False
    if stopped:
        print(f"  {folder.name}: stopped {', '.join(stopped)}")
    return ok


# ---- inject / heal ------------------------------------------------------------------------------
def _inject_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=sorted(nemesis.NEMESES), help="fault kind")
    p.add_argument("params", help="the fault's parameters as a JSON object (nemesis parameters; "
                                  "'proxy' toxics get the stack's Toxiproxy, 'color' failpoints its engine)")
    _dir_args(p)


def _inject(args: argparse.Namespace) -> int:
    folder = _stack_dir(args)
    if folder is None:
        _err("no current stack")
        return 2
    try:
        params = json.loads(args.params)
        if not isinstance(params, dict):
            raise ValueError("must be a JSON object")
    except ValueError as exc:
        _err(f"params: {exc}")
        return 2
    urls = read_info(folder).get("urls", {})
    if args.kind == "failpoint" and "color" in params:
        params["target"] = urls.get("engines", {}).get(params.pop("color"), "")
    if args.kind == "process" and "target" in params:
        name = {"blue": "engine-blue", "green": "engine-green"}.get(params["target"], params["target"])
        pid = next((e.pid for e in read_state(folder) if e.name == name), None)
        params.pop("target")
        params["pid"] = pid if pid is not None else -1
    context = NemesisContext(toxiproxy_url=urls.get("toxiproxy") or NemesisContext.toxiproxy_url, timeout=5.0)
    try:
        handle = nemesis.inject(args.kind, params, context)
    except NemesisError as exc:
        _err(f"{exc.code}: {exc}")
        return 2 if isinstance(exc, nemesis.FaultSpecError) else 1
    FaultLedger(folder / "faults.jsonl").record_injected(handle)
    print(f"{handle.id}  {handle.description}")
    return 0


def _heal_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("fault_id", nargs="?", help="the id printed by `gameday inject`")
    p.add_argument("--all", action="store_true",
                   help="every open fault in every run folder, and the processes of killed runs")
    _dir_args(p)


def _heal(args: argparse.Namespace) -> int:
    if args.all:
        ok = True
        folders = [d for d in sorted(args.runs_dir.glob("*")) if d.is_dir()] if args.runs_dir.is_dir() else []
        for folder in folders:
            ok = _clean(folder, force=False) and ok
        print(f"heal --all: {len(folders)} run folder(s) checked")
        return 0 if ok else 1
    folder = _stack_dir(args)
    if folder is None or not args.fault_id:
        _err("give a fault id (and a current stack), or --all")
        return 2
    led = FaultLedger(folder / "faults.jsonl")
    handle = next((h for h in _open_faults(led.path) if h.id == args.fault_id), None)
    if handle is None:
        _err(f"no open fault {args.fault_id!r} in {led.path}")
        return 2
    try:
        nemesis.heal(handle, NemesisContext(timeout=5.0))
    except NemesisError as exc:
        _err(f"{exc.code}: {exc}")
        return 1
    led.record_healed(handle)
    print(f"healed {handle.id}")
    return 0


register("up", "start a stack for a manual game day and print every URL", _up_args, _up)
register("down", "stop the current stack (heals its open faults first)", _dir_args, _down)
register("status", "show the current stack's processes, URLs and open faults", _dir_args, _status)
register("inject", "inject one fault into the current stack", _inject_args, _inject)
register("heal", "heal one fault, or --all leftovers of killed runs", _heal_args, _heal)
