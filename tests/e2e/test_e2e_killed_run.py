"""A SIGKILLed run leaves its processes and faults behind; `gameday heal --all` cleans up everything."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from chaos.nemesis import FaultLedger
from harness.stack.state import is_same_process, read_state

pytestmark = pytest.mark.timeout(240)
# The console script (``python -m harness.cli`` would import harness.cli twice: as __main__ and as
# the module the subcommand modules register into).
GAMEDAY = str(Path(sys.executable).with_name("gameday"))


def _wait_for(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_killed_run_leaves_nothing_running_after_heal_all(tmp_path: Path) -> None:
    if shutil.which("prometheus") is None:
        pytest.skip("prometheus is not installed")
    if not Path(GAMEDAY).exists():
        pytest.skip("the gameday console script is not installed (pip install -e .)")
    runs = tmp_path / "runs"
    cmd = [GAMEDAY, "run", "latency-spike", "--profile", "ci", "--runs-dir", str(runs), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def injected() -> bool:
            ledgers = list(runs.glob("*/faults.jsonl"))
            return bool(ledgers) and bool(FaultLedger(ledgers[0]).open_handles())

        assert _wait_for(injected, 150), "the run never injected its fault"
        run_dir = next(runs.glob("*/faults.jsonl")).parent
        entries = read_state(run_dir)
        names = {e.name for e in entries}
        assert {"engine-blue", "engine-green", "gateway", "chaos-proxy", "prometheus"} <= names
        assert any(n.startswith("locust") for n in names)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert any(is_same_process(e) for e in entries)  # the children outlive their owner
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    heal = subprocess.run([GAMEDAY, "heal", "--all", "--runs-dir", str(runs)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert heal.returncode == 0, heal.stdout + heal.stderr
    assert "healed" in heal.stdout
    assert _wait_for(lambda: not any(is_same_process(e) for e in entries), 20)
    assert FaultLedger(run_dir / "faults.jsonl").open_handles() == []
    assert read_state(run_dir) == []


def test_sigterm_heals_stops_everything_and_still_reports(tmp_path: Path) -> None:
    if shutil.which("prometheus") is None or not Path(GAMEDAY).exists():
        pytest.skip("needs prometheus and the gameday console script")
    runs = tmp_path / "runs"
    cmd = [GAMEDAY, "run", "latency-spike", "--profile", "ci", "--runs-dir", str(runs), "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def injected() -> bool:
            ledgers = list(runs.glob("*/faults.jsonl"))
            return bool(ledgers) and bool(FaultLedger(ledgers[0]).open_handles())

        assert _wait_for(injected, 150), "the run never injected its fault"
        run_dir = next(runs.glob("*/faults.jsonl")).parent
        entries = read_state(run_dir)
        os.kill(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=90)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    assert code == 2  # interrupted: undecided
    assert FaultLedger(run_dir / "faults.jsonl").open_handles() == []
    assert not any(is_same_process(e) for e in entries)
    report = json.loads((run_dir / "report.json").read_text())
    assert report["verdict"] == "unknown" and "interrupted" in report["error"]
    assert report["checkers"]["orders"]["counts"]["lost"] == 0
