"""gameday run/gate/status/heal argument handling and `heal --all` on a killed run's leftovers."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from chaos.nemesis import FaultLedger, Handle
from harness.cli import main
from harness.cli_run import worst
from harness.stack.state import StateEntry, is_same_process, proc_start_ticks, read_state, write_state


def test_worst_exit_code_prefers_a_decision() -> None:
    assert worst([0, 0]) == 0
    assert worst([0, 2]) == 2
    assert worst([2, 1, 0]) == 1


def test_gate_with_an_invalid_scenario_cannot_decide(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nseed: -1\n")
    junit = tmp_path / "junit.xml"
    assert main(["gate", str(bad), "--runs-dir", str(tmp_path / "runs"), "--junit", str(junit)]) == 2
    assert junit.read_text().startswith("<?xml")


def test_status_without_a_stack_says_so(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["status", "--runs-dir", str(tmp_path)]) == 2
    assert "no current stack" in capsys.readouterr().err


def test_heal_all_stops_the_processes_of_a_killed_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "killed-run"
    run_dir.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        entry = StateEntry("engine-blue", child.pid, child.pid, proc_start_ticks(child.pid), None, ("sleep",))
        write_state(run_dir / "stack.json", [entry], owner_pid=dead.pid)
        FaultLedger(run_dir / "faults.jsonl").record_injected(
            Handle("failpoint", "failpoint-1", {"target": "http://127.0.0.1:9", "name": "x"}))
        code = main(["heal", "--all", "--runs-dir", str(tmp_path / "runs")])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert child.poll() is not None
        assert not is_same_process(entry)
        assert read_state(run_dir) == []
        assert code == 1  # the failpoint's engine is unreachable: reported, not hidden
        assert [h.id for h in FaultLedger(run_dir / "faults.jsonl").open_handles()] == ["failpoint-1"]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
