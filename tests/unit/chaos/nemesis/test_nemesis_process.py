"""The process fault kind against real child processes."""

import os
import sys
import time

import pytest

from chaos import nemesis, process
from chaos.nemesis import FaultSpecError, InjectError
from chaos.process import LaunchSpec, ProcessState

SLEEPER = [sys.executable, "-c", "import time\nwhile True: time.sleep(0.05)"]


@pytest.fixture
def child():
    handle = process.launch(LaunchSpec.of(SLEEPER))
    started = [handle]
    yield handle, started
    for h in started:
        process.stop(h, grace=2)


def wait_state(pid, state, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.process_state(pid) is state:
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pid": 1234}, "action"),
        ({"action": "explode", "pid": 1234}, "action"),
        ({"action": "kill"}, "pid"),
        ({"action": "kill", "pid": "12"}, "pid"),
        ({"action": "kill", "pid": 1}, "pid"),
        ({"action": "kill", "pid": os.getpid()}, "pid"),
        ({"action": "restart", "pid": 1234}, "launch"),
        ({"action": "kill", "pid": 1234, "restart_on_heal": True}, "launch"),
        ({"action": "kill", "pid": 1234, "launch": {"argv": []}}, "launch"),
        ({"action": "kill", "pid": 1234, "restart_on_heal": "yes"}, "restart_on_heal"),
        ({"action": "kill", "pid": 1234, "signal": 9}, "signal"),
    ],
)
def test_invalid_params_are_refused(params, field):
    with pytest.raises(FaultSpecError) as info:
        nemesis.validate("process", params)
    assert info.value.field == field


def test_pause_then_heal_resumes(child):
    handle, _ = child
    fault = nemesis.inject("process", {"action": "pause", "pid": handle.pid})
    assert wait_state(handle.pid, ProcessState.STOPPED)
    nemesis.heal(fault)
    assert wait_state(handle.pid, ProcessState.RUNNING)


def test_kill_with_restart_on_heal_relaunches(child):
    handle, started = child
    params = {"action": "kill", "pid": handle.pid, "launch": {"argv": SLEEPER}, "restart_on_heal": True}
    fault = nemesis.inject("process", params)
    assert handle.popen.wait(5) == -9
    impl = nemesis.nemesis_for("process")
    new_pid = impl.heal_process(nemesis.handle_from_dict(nemesis.handle_to_dict(fault)))
    assert new_pid is not None and new_pid != handle.pid
    started.append(process.ProcessHandle(new_pid))
    assert process.is_alive(new_pid)


def test_kill_without_restart_heals_to_nothing(child):
    handle, _ = child
    fault = nemesis.inject("process", {"action": "kill", "pid": handle.pid})
    handle.popen.wait(5)
    nemesis.heal(fault)
    assert not handle.alive()


def test_heal_of_pause_after_exit_is_fine(child):
    handle, _ = child
    fault = nemesis.inject("process", {"action": "pause", "pid": handle.pid})
    process.kill(handle)
    handle.popen.wait(5)
    nemesis.heal(fault)  # nothing left to resume: healed
    assert nemesis.heal_all([fault]).ok


def test_restart_action_records_new_pid(child):
    handle, started = child
    fault = nemesis.inject("process", {"action": "restart", "pid": handle.pid, "launch": {"argv": SLEEPER},
                                       "grace": 2})
    new_pid = fault.data["restarted_pid"]
    started.append(process.ProcessHandle(new_pid))
    assert new_pid != handle.pid
    assert process.is_alive(new_pid)
    assert handle.popen.wait(5) is not None


def test_missing_process_is_an_inject_error(child):
    handle, _ = child
    process.kill(handle)
    handle.popen.wait(5)
    with pytest.raises(InjectError, match=str(handle.pid)):
        nemesis.inject("process", {"action": "terminate", "pid": handle.pid})
