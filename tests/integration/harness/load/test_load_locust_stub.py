"""Real Locust subprocesses against the real stub engine server (loopback, port 0, bounded)."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.history import ClientOp, OpType, read_history
from harness.load.config import LoadConfig, Step
from harness.load.runner import LoadOptions, LoadRun, run_load
from harness.load.setup import deposit_collateral

pytestmark = pytest.mark.slow


def _start_stub(mode: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.load.stub_engine", "--mode", mode],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # bounded by pytest-timeout; the stub prints it at once
    assert line.startswith("LISTENING http://127.0.0.1:"), line
    return proc, line.split()[1]


@pytest.fixture
def stub(request: pytest.FixtureRequest) -> Iterator[str]:
    proc, url = _start_stub(request.param)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def assert_well_formed(ops: tuple[ClientOp, ...]) -> dict[str, list[ClientOp]]:
    """Per proc: invoke, completion, invoke, completion … with matching fields; no dangling invoke."""
    by_proc: dict[str, list[ClientOp]] = defaultdict(list)
    for op in ops:
        by_proc[op.proc].append(op)
    completions: dict[str, list[ClientOp]] = defaultdict(list)
    for proc, seq in by_proc.items():
        assert len(seq) % 2 == 0, f"{proc}: an invoke without completion"
        for invoke, done in zip(seq[::2], seq[1::2], strict=True):
            assert invoke.type is OpType.INVOKE, (proc, invoke)
            assert done.type is not OpType.INVOKE, (proc, done)
            assert (done.op, done.account, done.client_order_id) == (
                invoke.op, invoke.account, invoke.client_order_id)
            completions[done.type.value].append(done)
    placed = [o.client_order_id for o in ops if o.type is OpType.INVOKE and o.op.value == "place"]
    assert placed and len(placed) == len(set(placed)), "client order ids must be unique"
    return completions


@pytest.mark.parametrize("stub", ["ok"], indirect=True)
def test_ok_server_every_invoke_completes_ok_and_exporter_publishes(stub, tmp_path: Path):
    cfg = LoadConfig(run_id="itok", out_dir=str(tmp_path), accounts=12, timeout_seconds=2.0)
    setup = deposit_collateral(stub, cfg)
    assert setup.complete and setup.ok == 12
    with LoadRun(LoadOptions(host=stub, config=cfg, users=3, spawn_rate=10, run_time=3)) as run:
        urls = run.wait_exporters(timeout=30)
        assert len(urls) == 1
        with urllib.request.urlopen(urls[0], timeout=5) as resp:
            text = resp.read().decode()
        assert "loadgen_users" in text and "loadgen_request_duration_seconds" in text
        result = run.wait()
    assert result.exit_code == 0 and not result.timed_out
    assert result.totals.requests > 0 and result.totals.failures == 0
    hist = read_history(result.history_path)
    assert not hist.malformed
    done = assert_well_formed(hist.ops)
    assert set(done) <= {"ok", "info"} and done["ok"]
    # only a request in flight when Locust stopped its user may end as info
    assert all(o.error == "interrupted: load stopped" for o in done.get("info", []))
    assert len(done.get("info", [])) <= 3
    ts = [o.t for o in hist.ops]
    assert ts == sorted(ts)
    deposits = [o for o in hist.ops if o.proc.startswith("setup-") and o.type is OpType.OK]
    assert {o.account for o in deposits} == {f"acct-{i:04d}" for i in range(1, 13)}
    ids = [o.client_order_id for o in hist.ops if o.client_order_id]
    assert all(i.startswith("gd-itok-0-") for i in ids)


@pytest.mark.parametrize("stub", ["overloaded"], indirect=True)
def test_503_overloaded_is_fail_never_info(stub, tmp_path: Path):
    cfg = LoadConfig(run_id="itov", out_dir=str(tmp_path), accounts=5, timeout_seconds=2.0)
    result = run_load(LoadOptions(host=stub, config=cfg, users=2, spawn_rate=10, run_time=2))
    assert result.exit_code == 1  # Locust counts the 503s as failures
    hist = read_history(result.history_path)
    done = assert_well_formed(hist.ops)
    places = [o for o in done["fail"] if o.op.value == "place"]
    assert places and all(o.http_status == 503 and o.error == "OVERLOADED" for o in places)
    assert not [o for o in done.get("info", []) if o.error != "interrupted: load stopped"]


@pytest.mark.parametrize("stub", ["hang"], indirect=True)
def test_a_server_that_hangs_past_the_timeout_gives_info(stub, tmp_path: Path):
    cfg = LoadConfig(run_id="ithang", out_dir=str(tmp_path), accounts=5, timeout_seconds=0.5,
                     mark_refresh_every=1000)
    result = run_load(LoadOptions(host=stub, config=cfg, users=2, spawn_rate=10, run_time=3))
    hist = read_history(result.history_path)
    done = assert_well_formed(hist.ops)
    assert "fail" not in done
    non_market = [o for o in done["info"] if o.http_status is None]
    assert len(non_market) >= 2
    assert any("timed out" in (o.error or "") for o in non_market)


@pytest.mark.parametrize("stub", ["ok"], indirect=True)
def test_two_workers_and_a_stepped_shape(stub, tmp_path: Path):
    cfg = LoadConfig(run_id="itw", out_dir=str(tmp_path), accounts=8, timeout_seconds=2.0,
                     steps=(Step(1.5, 2, 10), Step(1.5, 4, 10)))
    result = run_load(LoadOptions(host=stub, config=cfg, workers=2, grace_seconds=40))
    assert result.exit_code == 0 and not result.timed_out
    assert len(result.exporter_urls) == 2
    assert sorted(p.name for p in tmp_path.glob("history-*.jsonl")) == ["history-0.jsonl", "history-1.jsonl"]
    hist = read_history(result.history_path)
    assert_well_formed(hist.ops)
    workers = Counter(o.client_order_id.split("-")[2] for o in hist.ops if o.client_order_id)
    assert set(workers) == {"0", "1"}
    users = {o.proc for o in hist.ops}
    assert len(users) == 4  # the second step brings the total to 4 users


@pytest.mark.parametrize("stub", ["ok"], indirect=True)
def test_processes_mode_uses_distinct_worker_indexes(stub, tmp_path: Path):
    cfg = LoadConfig(run_id="itp", out_dir=str(tmp_path), accounts=8, timeout_seconds=2.0)
    result = run_load(LoadOptions(host=stub, config=cfg, users=4, spawn_rate=20, run_time=3, processes=2))
    assert result.exit_code == 0
    assert len(result.exporter_urls) == 2
    hist = read_history(result.history_path)
    assert_well_formed(hist.ops)
    workers = {o.client_order_id.split("-")[2] for o in hist.ops if o.client_order_id}
    assert workers == {"0", "1"}
