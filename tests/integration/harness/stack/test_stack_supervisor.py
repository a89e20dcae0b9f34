"""The supervisor with real child processes (loopback, port 0, bounded waits)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.stack.errors import NotReadyError, StartError, UnknownProcessError
from harness.stack.process import ProcessSpec, ProcessState
from harness.stack.readiness import probe
from harness.stack.state import (
    StateEntry,
    is_same_process,
    proc_start_ticks,
    read_state,
    stop_from_state_file,
)
from harness.stack.supervisor import Supervisor

HERE = Path(__file__).parent
CHILD = str(HERE / "stack_child.py")
OWNER = str(HERE / "stack_owner.py")


def _alive(pid: int) -> bool:
    return is_same_process(StateEntry("x", pid, pid, proc_start_ticks(pid), None, ()))


def _wait_gone(pids, timeout=10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if _alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if _alive(p)]


def test_start_ready_logs_state_restart_and_stop(tmp_path):
    with Supervisor(tmp_path, install_handlers=False) as sup:
        proc = sup.start(ProcessSpec("svc", (sys.executable, CHILD, str(tmp_path / "gc"))))
        assert proc.state is ProcessState.READY
        assert proc.url and proc.url.startswith("http://127.0.0.1:")
        assert probe(proc.url + "/healthz") == 200
        grandchild = int((tmp_path / "gc").read_text())
        [entry] = read_state(tmp_path)
        assert (entry.name, entry.pid, entry.url) == ("svc", proc.pid, proc.url)
        assert entry.argv[-1] == str(tmp_path / "gc")
        assert sup.urls() == {"svc": proc.url}
        first_pid = proc.pid
        again = sup.restart("svc")
        assert again.pid != first_pid and again.state is ProcessState.READY
        assert _wait_gone([first_pid, grandchild]) == []
        second_gc = int((tmp_path / "gc").read_text())
        with pytest.raises(UnknownProcessError):
            sup.get("nope")
    assert _wait_gone([again.pid, second_gc]) == []
    assert read_state(tmp_path) == []
    out = (tmp_path / "logs" / "svc.out.log").read_text()
    assert "LISTENING http://127.0.0.1:" in out and "some other output" in out


def test_a_child_that_exits_early_is_a_start_error_with_its_output(tmp_path):
    code = "import sys; print('boom here', file=sys.stderr); sys.exit(3)"
    with Supervisor(tmp_path, install_handlers=False) as sup, pytest.raises(StartError) as err:
        sup.start(ProcessSpec("bad", (sys.executable, "-c", code)))
    assert "exited with 3" in str(err.value) and "boom here" in str(err.value)
    assert err.value.code == "STACK_START"


def test_no_listening_line_within_the_budget(tmp_path):
    code = "import time; time.sleep(60)"
    with Supervisor(tmp_path, install_handlers=False) as sup:
        with pytest.raises(StartError, match="no LISTENING line"):
            sup.start(ProcessSpec("mute", (sys.executable, "-c", code), listening_timeout=0.5))
        pid = sup.get("mute").pid
    assert pid is not None and _wait_gone([pid]) == []


def test_not_ready_within_the_budget(tmp_path):
    with Supervisor(tmp_path, install_handlers=False) as sup:
        spec = ProcessSpec("sick", (sys.executable, CHILD, str(tmp_path / "gc"), "--no-health"),
                           ready_timeout=0.5)
        with pytest.raises(NotReadyError) as err:
            sup.start(spec)
        assert "last status 503" in str(err.value)
    assert _wait_gone([sup.get("sick").pid]) == []


def test_cannot_exec_is_a_start_error(tmp_path):
    with Supervisor(tmp_path, install_handlers=False) as sup, pytest.raises(StartError, match="cannot start"):
        sup.start(ProcessSpec("ghost", (str(tmp_path / "does-not-exist"),)))


def test_a_refused_readiness_port_is_not_ready(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = f"import time; print('LISTENING http://127.0.0.1:{port}', flush=True); time.sleep(60)"
    with Supervisor(tmp_path, install_handlers=False) as sup, pytest.raises(NotReadyError):
        sup.start(ProcessSpec("liar", (sys.executable, "-c", code), ready_timeout=0.5))


def _owner(run_dir: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    argv = [sys.executable, OWNER, str(run_dir)]
    owner = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)
    assert owner.stdout is not None
    assert owner.stdout.readline().strip() == "READY"
    return owner


def _all_pids(run_dir: Path) -> list[int]:
    entries = read_state(run_dir)
    assert [e.name for e in entries] == ["alpha", "beta"]
    grandchildren = [int((run_dir / f"{n}.grandchild").read_text()) for n in ("alpha", "beta")]
    return [e.pid for e in entries] + grandchildren


def test_sigkill_of_the_owner_leaves_children_that_the_state_file_cleans_up(tmp_path):
    owner = _owner(tmp_path)
    pids = _all_pids(tmp_path)
    owner.kill()
    owner.wait(timeout=10)
    assert all(_alive(p) for p in pids), "children survive their owner's SIGKILL (own sessions)"
    stopped = stop_from_state_file(tmp_path / "stack.json", timeout=5)
    assert sorted(stopped) == ["alpha", "beta"]
    assert _wait_gone(pids) == []
    assert json.loads((tmp_path / "stack.json").read_text())["processes"] == []
    assert stop_from_state_file(tmp_path) == []  # idempotent


def test_stop_leftovers_cleans_every_run_folder(tmp_path):
    from harness.stack.state import stop_leftovers

    run = tmp_path / "runs" / "r1"
    owner = _owner(run)
    pids = _all_pids(run)
    owner.kill()
    owner.wait(timeout=10)
    (tmp_path / "runs" / "r2").mkdir()
    (tmp_path / "runs" / "r2" / "stack.json").write_text("{")
    assert stop_leftovers(tmp_path / "runs", timeout=5) == {
        "r1": ["beta", "alpha"], "r2": ["<unreadable stack.json>"]}
    assert _wait_gone(pids) == []
    assert stop_leftovers(tmp_path / "nothing") == {}


def test_sigterm_of_the_owner_stops_everything(tmp_path):
    owner = _owner(tmp_path)
    pids = _all_pids(tmp_path)
    owner.send_signal(signal.SIGTERM)
    assert owner.wait(timeout=30) == 143
    assert _wait_gone(pids) == []
    assert read_state(tmp_path) == []


def test_stop_from_state_file_skips_a_reused_pid(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        ticks = proc_start_ticks(sleeper.pid)
        assert ticks is not None
        from harness.stack.state import write_state

        stale = StateEntry("old", sleeper.pid, sleeper.pid, ticks - 1, None, ())
        write_state(tmp_path / "stack.json", [stale])
        assert stop_from_state_file(tmp_path) == []
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()
