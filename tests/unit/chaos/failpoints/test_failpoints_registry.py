"""Behaviour of the failpoint registry: actions, limits, seeding, pause release, thread safety."""

import asyncio
import subprocess
import sys
import threading

import pytest

from chaos import failpoints
from chaos.failpoints import CRASH_EXIT_CODE, FailpointError, FailpointSpecError, Registry


@pytest.fixture(autouse=True)
def _clean_global_registry():
    failpoints.clear()
    yield
    failpoints.clear()


def test_unset_point_does_nothing():
    reg = Registry()
    reg.hit("nothing.here")
    assert reg.snapshot() == {}


def test_error_raises_with_code_and_name():
    reg = Registry()
    reg.set("journal.append", "error(IO)")
    with pytest.raises(FailpointError) as info:
        reg.hit("journal.append")
    assert info.value.code == "IO"
    assert info.value.name == "journal.append"


def test_off_never_fires():
    reg = Registry()
    reg.set("p", "off")
    for _ in range(10):
        reg.hit("p")
    assert reg.hits() == {"p": 0}


def test_count_limit_fires_exactly_n_times():
    reg = Registry()
    reg.set("p", "3*error(X)")
    raised = 0
    for _ in range(10):
        try:
            reg.hit("p")
        except FailpointError:
            raised += 1
    assert raised == 3
    assert reg.snapshot() == {"p": "3*error(X)"}


def test_probability_is_seeded_and_reproducible():
    def pattern(seed):
        reg = Registry(seed=seed)
        reg.set("p", "30%error(X)")
        out = []
        for _ in range(200):
            try:
                reg.hit("p")
                out.append(0)
            except FailpointError:
                out.append(1)
        return out

    first, second = pattern(7), pattern(7)
    assert first == second
    assert 30 <= sum(first) <= 90  # 30 % of 200 = 60, loose band
    assert pattern(8) != first


def test_delay_sleeps_with_seeded_jitter(monkeypatch):
    slept = []
    monkeypatch.setattr("chaos.failpoints.registry.time.sleep", slept.append)
    reg = Registry(seed=1)
    reg.set("p", "delay(100,20)")
    for _ in range(50):
        reg.hit("p")
    assert len(slept) == 50
    assert all(0.08 <= s <= 0.12 for s in slept)
    assert len(set(slept)) > 1


def test_set_with_bad_spec_changes_nothing():
    reg = Registry()
    reg.set("p", "delay(5)")
    with pytest.raises(FailpointSpecError):
        reg.set("p", "delay(")
    assert reg.snapshot() == {"p": "delay(5)"}


def test_clear_one_and_all():
    reg = Registry()
    reg.set("a", "error(X)")
    reg.set("b", "error(Y)")
    reg.clear("a")
    reg.clear("missing")  # no error
    assert reg.snapshot() == {"b": "error(Y)"}
    reg.clear()
    assert reg.snapshot() == {}
    reg.hit("b")


def test_sync_pause_blocks_until_cleared():
    reg = Registry()
    reg.set("p", "pause")
    done = threading.Event()

    def worker():
        reg.hit("p")
        done.set()

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    assert not done.wait(0.05)  # still paused
    reg.clear("p")
    assert done.wait(5)
    thread.join(5)


def test_sync_pause_released_when_spec_replaced():
    reg = Registry()
    reg.set("p", "pause")
    done = threading.Event()
    thread = threading.Thread(target=lambda: (reg.hit("p"), done.set()), daemon=True)
    thread.start()
    assert not done.wait(0.05)
    reg.set("p", "off")
    assert done.wait(5)


def test_async_pause_does_not_block_the_loop():
    reg = Registry()
    reg.set("p", "pause")

    async def scenario():
        paused = asyncio.create_task(reg.ahit("p"))
        ticks = 0
        for _ in range(20):  # the loop keeps running other work while paused
            await asyncio.sleep(0)
            ticks += 1
        assert not paused.done()
        # clear from another thread, as an admin request handled elsewhere would
        threading.Thread(target=reg.clear, args=("p",)).start()
        await asyncio.wait_for(paused, 5)
        return ticks

    assert asyncio.run(scenario()) == 20


def test_async_delay_and_error():
    reg = Registry()
    reg.set("d", "delay(1)")
    reg.set("e", "error(BOOM)")

    async def scenario():
        await reg.ahit("d")
        with pytest.raises(FailpointError, match="BOOM"):
            await reg.ahit("e")
        return reg.hits()

    assert asyncio.run(scenario()) == {"d": 1, "e": 1}


def test_thread_safety_of_count_limit():
    reg = Registry()
    reg.set("p", "100*error(X)")
    raised = []
    lock = threading.Lock()

    def worker():
        for _ in range(100):
            try:
                reg.hit("p")
            except FailpointError:
                with lock:
                    raised.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(raised) == 100


def test_configure_from_env_sets_specs_and_seed():
    snap = failpoints.configure_from_env(
        {
            "GAMEDAY_FAILPOINTS": "margin.worker.delay=delay(200);b=50%3*error(IO)",
            "GAMEDAY_FAILPOINTS_SEED": "3",
        }
    )
    assert snap == {"margin.worker.delay": "delay(200)", "b": "50%3*error(IO)"}
    assert failpoints.snapshot() == snap


def test_configure_from_env_is_all_or_nothing():
    with pytest.raises(FailpointSpecError):
        failpoints.configure_from_env({"GAMEDAY_FAILPOINTS": "a=delay(1);b=nope"})
    assert failpoints.snapshot() == {}
    with pytest.raises(FailpointSpecError, match="SEED"):
        failpoints.configure_from_env({"GAMEDAY_FAILPOINTS_SEED": "x"})


def test_module_api_round_trip():
    failpoints.set("feed.tick", "2*error(STALE)")
    with pytest.raises(FailpointError):
        failpoints.hit("feed.tick")
    assert failpoints.hits() == {"feed.tick": 1}
    failpoints.clear("feed.tick")
    failpoints.hit("feed.tick")
    assert failpoints.snapshot() == {}


def test_crash_exits_the_process_from_env():
    code = (
        "from chaos import failpoints; failpoints.configure_from_env(); "
        "failpoints.hit('x'); print('alive')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={"GAMEDAY_FAILPOINTS": "x=crash", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == CRASH_EXIT_CODE
    assert "alive" not in proc.stdout
    assert "failpoint x: crash" in proc.stderr
