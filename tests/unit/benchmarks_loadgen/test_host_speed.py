"""The host speed probe's arithmetic (benchmarks/host_speed.py): windows, speeds, spread."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[3] / "benchmarks"
sys.path.insert(0, str(BENCH))  # host_speed imports its sibling bench_common
_spec = importlib.util.spec_from_file_location("host_speed", BENCH / "host_speed.py")
assert _spec is not None and _spec.loader is not None
host_speed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(host_speed)


def units(start: float, seconds: float, ms: float, every: float = 0.01) -> list[tuple[float, float]]:
    return [(start + k * every, ms) for k in range(int(seconds / every))]


def test_a_host_that_slows_down_shows_its_spread_window_by_window() -> None:
    # 4 s at 2 ms a unit, then 2 s at 3 ms: the usual (median) unit is 2 ms
    found = host_speed.spread(units(100.0, 4.0, 2.0) + units(104.0, 2.0, 3.0), 2.0)
    assert found["usual_unit_ms"] == 2.0
    assert found["window_speeds"] == [1.0, 1.0, 0.667]
    assert found["slowest_window_speed"] == 0.667
    assert found["spread"] == 1.499  # 1.0 / 0.667, as printed


def test_one_speed_throughout_is_a_spread_of_one() -> None:
    found = host_speed.spread(units(0.0, 6.0, 1.5), 2.0)
    assert found["window_speeds"] == [1.0, 1.0, 1.0]
    assert found["spread"] == 1.0


def test_windows_with_too_few_units_are_left_out_and_one_window_is_no_spread() -> None:
    sparse = units(0.0, 2.0, 2.0) + [(2.5, 9.0), (3.0, 9.0)]  # the second window has 2 units
    found = host_speed.spread(sparse, 2.0)
    assert found["window_speeds"] == [1.0]
    assert "spread" not in found


def test_the_unit_is_real_work_timed_in_cpu_time() -> None:
    samples = host_speed.timed_units(0.05)
    assert len(samples) >= 1
    assert all(ms > 0 for _, ms in samples)
    assert [at for at, _ in samples] == sorted(at for at, _ in samples)


def _http_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("engine_http_bench", BENCH / "engine_http_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("engine_http_bench", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_round_names_the_load_its_open_loop_put_on_the_next_closed_loop() -> None:
    def closed(rate: float) -> dict[str, object]:
        return {"rate": rate, "engine_cpu_s": 5.0, "answered": rate * 5, "snapshots_during": 0}

    opened = {"rate": 8000.0, "p50_ms": 3.0, "p99_ms": 40.0, "engine_cpu_s": 4.6, "answered": 40_000,
              "snapshots_during": 1}
    # 80 % of 10,000/s before it; the host then gave 8,421/s: the open loop met 95 % of that
    summary = _http_bench()._round_summary(closed(10_000.0), opened, closed(8421.0), 5.0)
    assert summary["closed_rate"] == 10_000 and summary["rate"] == 8000
    assert summary["closed_rate_next"] == 8421
    assert summary["load_on_next_closed"] == 0.95
    assert summary["engine_cpu_us_per_order"] == 115.0
