"""The reference server (benchmarks/loadgen_sink.py --work-iters) and its calibration and rounds
(benchmarks/reference_http.py): a real server process on loopback, and the arithmetic."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "benchmarks"
sys.path.insert(0, str(BENCH))  # the benchmark modules import their siblings by name

import loadgen_sink  # noqa: E402
import reference_http  # noqa: E402

REQUEST = b"POST /v1/orders HTTP/1.1\r\nhost: t\r\ncontent-length: 2\r\n\r\n{}"


def test_iterations_scale_with_the_target_and_never_drop_to_zero() -> None:
    assert reference_http.iterations_for(120.0, 0.04) == 3000
    assert reference_http.iterations_for(60.0, 0.04) == 1500
    assert reference_http.iterations_for(0.001, 0.04) == 1
    with pytest.raises(ValueError, match="must be positive"):
        reference_http.iterations_for(100.0, 0.0)


def test_the_work_loop_is_fixed_work_and_its_cost_is_measured_in_cpu_time() -> None:
    assert loadgen_sink.work(4) == 0 + 1 + 4 + 9
    assert loadgen_sink.work(0) == 0
    per_iteration = reference_http.per_iteration_us(None, batches=3)
    assert 0.0 < per_iteration < 10.0  # microseconds for one add and one multiply in a loop


def test_rounds_name_the_closed_loop_that_came_next() -> None:
    def closed(rate: float, cpu_s: float, answered: int) -> dict[str, object]:
        return {"rate": rate, "engine_cpu_s": cpu_s, "answered": answered}

    bases = [closed(10_000.0, 0.8, 8_000), closed(8_000.0, 0.8, 6_400)]
    opens = [{**closed(8_000.0, 0.64, 6_400), "p50_ms": 2.0, "p99_ms": 9.5},
             {**closed(6_400.0, 0.64, 5_120), "p50_ms": 3.0, "p99_ms": 40.0}]
    after = closed(6_400.0, 0.8, 5_120)
    rounds = reference_http.round_summaries(bases, opens, after)
    assert [r["closed_rate"] for r in rounds] == [10_000, 8_000]
    assert [r["closed_us_per_request"] for r in rounds] == [100.0, 125.0]
    assert [r["us_per_request"] for r in rounds] == [100.0, 125.0]
    # round 1 ran at 8,000/s and the next closed loop managed 8,000: all of it; round 2 likewise
    assert [r["load_on_next_closed"] for r in rounds] == [1.0, 1.0]
    assert [r["p99_ms"] for r in rounds] == [9.5, 40.0]


def _start_sink(*args: str) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, str(BENCH / "loadgen_sink.py"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("LISTENING http://127.0.0.1:"), line
    return proc, int(line.rsplit(":", 1)[1])


def test_the_sink_with_work_answers_every_pipelined_request_in_order() -> None:
    proc, port = _start_sink("--work-iters", "5000")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(REQUEST * 3)
            received = b""
            while received.count(b"HTTP/1.1 200 OK") < 3:
                chunk = conn.recv(4096)
                assert chunk, "the sink closed the connection"
                received += chunk
        assert received == loadgen_sink.RESPONSE * 3
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(("args", "message"), [
    (("--work-iters", "-1"), "--work-iters must be 0 or more, not -1"),
    (("--cpu", "4096"), "cannot run on CPU 4096"),
])
def test_the_sink_refuses_bad_arguments_with_a_usage_error(args: tuple[str, ...], message: str) -> None:
    done = subprocess.run([sys.executable, str(BENCH / "loadgen_sink.py"), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_reference_run_calibrates_then_runs_its_rounds_against_a_real_sink(tmp_path: Path) -> None:
    from engine_http_bench import HttpPlan

    plan = HttpPlan(seconds=0.4, warmup_s=0.5, connections=(8,), pin=False, rounds=2)
    reference = reference_http.Reference(tmp_path, plan, pinned=False)
    try:
        reference.start(target_us=60.0, conns=8)
        assert reference.proc is not None and reference.proc.poll() is None
        reference.round()
        reference.round()
        found = reference.finish()
    finally:
        reference.stop()
    assert reference.proc is None  # stopped by finish()
    calibration = found["calibration"]
    assert isinstance(calibration, list) and 1 <= len(calibration) <= 2
    assert found["work_iters"] == calibration[-1]["work_iters"] >= 1
    rounds = found["rounds"]
    assert isinstance(rounds, list) and len(rounds) == 2
    for r in rounds:
        assert r["closed_rate"] > 0
        assert abs(r["rate"] - 0.8 * r["closed_rate"]) <= 1  # each open loop at 80 % of its own base
        assert r["us_per_request"] > 0 and r["closed_us_per_request"] > 0
    assert found["value"] == max(float(r["p99_ms"]) for r in rounds)  # median of 2: the upper one
    assert found["target_us_per_request"] == 60.0 and found["connections"] == 8
