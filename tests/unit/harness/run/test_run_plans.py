"""Pure parts of the run driver: stack plan, load shape with spikes, run ids, manifest values."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from harness.load.config import LoadConfig
from harness.run.exporter import GamedayMetrics, MetricsServer
from harness.run.folder import jsonable, load_run_id, new_run_id
from harness.run.loadplan import load_options, shape_steps
from harness.run.progress import status_text
from harness.run.stackplan import feed_args, leader_color, stack_spec
from harness.scenario import load_scenario
from harness.scenario.builtins import scenarios_dir

SCENARIOS = scenarios_dir()


def test_binance_stack_plan_passes_policies_limits_and_intervals(tmp_path: Path) -> None:
    s = load_scenario(SCENARIOS / "binance-um-2025.yaml")
    spec = stack_spec(s, tmp_path, tmp_path / "data" / "j.sqlite")
    engines = {e.color: e for e in spec.engines}
    assert (engines["blue"].overflow_policy, engines["blue"].role) == ("halt", "leader")
    assert (engines["green"].overflow_policy, engines["green"].role) == ("shed", "standby")
    assert engines["blue"].extra_args == ("--margin-queue-limit", "200")
    assert spec.scrape_interval == "250ms" and spec.eval_interval == "250ms"
    assert spec.active_color == "blue" == leader_color(s)
    assert spec.journal_path == tmp_path / "data" / "j.sqlite"
    assert "--volatility" in spec.feed_args and "0.002" in spec.feed_args


def test_csv_feed_replays_the_file() -> None:
    s = load_scenario(SCENARIOS / "okex-2018-liquidation.yaml")
    args = feed_args(s)
    assert args[args.index("--csv") + 1].endswith("okex-2018-index.csv")
    assert "--volatility" not in args


def test_load_spike_is_folded_into_the_shape() -> None:
    s = load_scenario(SCENARIOS / "okex-2018-liquidation.yaml")
    steps = shape_steps(s, 60.0)
    assert [(st.duration, st.users) for st in steps] == [(13.0, 10), (12.0, 30), (35.0, 10)]
    assert sum(st.duration for st in steps) == 60.0


def test_constant_load_has_no_shape_and_is_paced(tmp_path: Path) -> None:
    s = load_scenario(SCENARIOS / "latency-spike.yaml", "ci")
    opts = load_options(s, "http://127.0.0.1:1", tmp_path, "abc", 80.0)
    assert opts.config.steps == ()
    assert (opts.users, opts.run_time) == (10, 80.0)
    assert 0 < opts.config.wait_min <= opts.config.wait_max
    assert isinstance(opts.config, LoadConfig) and opts.config.seed == 7


def test_run_ids_are_safe_and_short() -> None:
    rid = new_run_id("binance um/2025", now=0)
    assert re.fullmatch(r"binance-um-2025-19700101T000000-[0-9a-f]{4}", rid)
    short = load_run_id(rid)
    assert re.fullmatch(r"[A-Za-z0-9]{1,10}", short)


def test_scenario_values_become_plain_json() -> None:
    s = load_scenario(SCENARIOS / "bad-deploy-rollback.yaml", "ci")
    doc = json.loads(json.dumps(jsonable(s)))
    assert doc["remediation"]["action"] == "deploy"
    assert doc["ramp"]["steps"] == [0.1, 0.25, 0.5, 1.0]
    assert doc["time_scale"] == 0.6


def test_status_line_names_phase_faults_alerts_and_admission() -> None:
    text = status_text("faults", 12.3, 45, faults=["stall"], rps=250.0, alerts=["MarginQueueOverflow"],
                       controller="ramping", admission=0.25)
    assert "faults" in text and "stall" in text and "MarginQueueOverflow" in text and "25%" in text


def test_metrics_server_serves_gameday_names() -> None:
    m = GamedayMetrics()
    m.fault_active.labels(fault="f1", kind="toxic").set(1)
    m.rollbacks.inc()
    with MetricsServer(m.registry) as server, \
            urllib.request.urlopen(f"{server.url}/metrics", timeout=5) as resp:
        body = resp.read().decode()
    assert 'gameday_fault_active{fault="f1",kind="toxic"} 1.0' in body
    assert "gameday_rollbacks_total 1.0" in body
    assert "gameday_admission_fraction 1.0" in body


def test_spikes_shift_with_the_scenario_clock_offset() -> None:
    s = load_scenario(SCENARIOS / "okex-2018-liquidation.yaml")
    steps = shape_steps(s, 50.0, offset=5.0)
    assert [(st.duration, st.users) for st in steps] == [(8.0, 10), (12.0, 30), (30.0, 10)]


def test_engine_config_overlay_is_written_to_the_run_folder_and_passed_to_serve(tmp_path: Path) -> None:
    import yaml

    from harness.run.stackplan import write_engine_config

    s = load_scenario(SCENARIOS / "binance-um-2025.yaml", "ci")
    path = write_engine_config(s, tmp_path)
    assert path == tmp_path / "engine-config.yaml"
    doc = yaml.safe_load(path.read_text())
    assert doc["extends"] == "default"
    assert doc["instruments"]["BTCUSDT"] == {"funding_interval_seconds": 5, "funding_interval_hours": None}
    spec = stack_spec(s, tmp_path, tmp_path / "j.sqlite", engine_config=path)
    argv = spec.engine_process(spec.engines[0], None).argv
    assert argv[argv.index("--config") + 1] == str(path)
    assert argv[argv.index("--durability") + 1] == "process"  # the ci profile's stack.durability
    plain = load_scenario(SCENARIOS / "latency-spike.yaml")
    assert write_engine_config(plain, tmp_path / "none") is None
