"""chaos.process against real child processes (sleep loops and a tiny Python server)."""

import sys

import pytest

from chaos import process
from chaos.process import (
    InvalidTarget,
    LaunchSpec,
    NotRestartable,
    ProcessFaultError,
    ProcessNotFound,
    ProcessState,
)

SLEEPER = (sys.executable, "-c", "import time\nwhile True: time.sleep(0.05)")


@pytest.fixture
def sleeper():
    handle = process.launch(LaunchSpec(SLEEPER))
    yield handle
    process.stop(handle, grace=2)


def wait_state(pid, state, timeout=5.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.process_state(pid) is state:
            return True
        time.sleep(0.005)
    return False


def test_kill_ends_the_process(sleeper):
    process.kill(sleeper)
    assert sleeper.popen.wait(5) == -9
    assert not sleeper.alive()


def test_terminate_by_pid(sleeper):
    process.terminate(sleeper.pid)
    assert sleeper.popen.wait(5) == -15


def test_pause_and_resume(sleeper):
    process.pause(sleeper)
    assert wait_state(sleeper.pid, ProcessState.STOPPED)
    assert sleeper.alive()
    process.resume(sleeper.pid)
    assert wait_state(sleeper.pid, ProcessState.RUNNING)


def test_missing_process_gives_clear_error(sleeper):
    process.kill(sleeper)
    sleeper.popen.wait(5)
    with pytest.raises(ProcessNotFound, match=f"{sleeper.pid}") as info:
        process.kill(sleeper.pid)
    assert info.value.code == "PROCESS_NOT_FOUND"
    assert process.process_state(sleeper.pid) is ProcessState.GONE


def test_zombie_counts_as_exited(sleeper):
    # kill by pid only, without reaping through Popen: the child is a zombie until reaped
    process.kill(sleeper.pid)
    assert process.wait_gone(sleeper.pid, 5)
    assert not process.is_alive(sleeper.pid)


@pytest.mark.parametrize("pid", [0, 1, -1, -100, True, "12", None])
def test_dangerous_or_bad_pids_are_refused(pid):
    with pytest.raises(InvalidTarget):
        process.kill(pid)


def test_own_pid_is_refused():
    import os

    with pytest.raises(InvalidTarget, match="this process"):
        process.pause(os.getpid())


def test_restart_from_handle_spec(tmp_path, sleeper):
    log = tmp_path / "out.log"
    spec = LaunchSpec.of([sys.executable, "-c", "print('started', flush=True)\nimport time\ntime.sleep(30)"],
                         log_path=str(log))
    first = process.launch(spec)
    try:
        second = process.restart(first, grace=2)
        try:
            assert second.pid != first.pid
            assert not first.alive()
            assert second.alive()
            assert second.launch == spec
        finally:
            process.stop(second, grace=2)
    finally:
        process.stop(first, grace=2)
    assert process.wait_gone(second.pid, 5)


def test_restart_of_paused_process_terminates_it(sleeper):
    process.pause(sleeper)
    new = process.restart(sleeper, grace=5)
    try:
        assert sleeper.popen.returncode is not None
        assert new.alive()
    finally:
        process.stop(new, grace=2)


def test_restart_with_starter_callback(sleeper):
    started = []

    def starter():
        handle = process.launch(LaunchSpec(SLEEPER))
        started.append(handle)
        return handle

    new = process.restart(sleeper.pid, starter=starter, grace=2)
    try:
        assert started == [new]
        assert process.wait_gone(sleeper.pid, 5)
    finally:
        process.stop(new, grace=2)


def test_restart_without_spec_is_refused_before_signalling(sleeper):
    with pytest.raises(NotRestartable):
        process.restart(sleeper.pid)
    assert sleeper.alive()


def test_stop_escalates_to_sigkill_when_sigterm_is_ignored():
    ignorer = LaunchSpec.of([
        sys.executable, "-c",
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\n"
        "while True: time.sleep(0.05)",
    ])
    handle = process.launch(ignorer)
    # Wait until the handler is installed: poll /proc for the SIGTERM ignore mask.
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(f"/proc/{handle.pid}/status") as f:
            ign = next(line for line in f if line.startswith("SigIgn:"))
        if int(ign.split()[1], 16) & (1 << 14):
            break
        time.sleep(0.01)
    process.stop(handle, grace=0.2)
    assert handle.popen.returncode == -9


def test_launch_of_missing_program_is_a_clear_error(tmp_path):
    with pytest.raises(ProcessFaultError, match="cannot start"):
        process.launch(LaunchSpec((str(tmp_path / "nope"),)))


def test_launch_spec_round_trips_through_dict():
    spec = LaunchSpec.of(["a", "b"], cwd="/tmp", env={"X": "1"}, log_path="/tmp/x.log")
    assert LaunchSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ProcessFaultError):
        LaunchSpec.from_dict({"argv": "not a list"})
    with pytest.raises(ProcessFaultError):
        LaunchSpec(())
