import json
from pathlib import Path

import pytest

from harness.history import read_history
from harness.load.config import LoadConfig, Step
from harness.load.runner import (
    LoadOptions,
    LoadRunError,
    build_commands,
    exporter_urls,
    merge_histories,
    read_totals,
)


def _opts(tmp_path: Path, **kw) -> LoadOptions:
    cfg_kw = kw.pop("config_kw", {})
    cfg = LoadConfig(run_id="r", out_dir=str(tmp_path), **cfg_kw)
    return LoadOptions(host="http://127.0.0.1:1", config=cfg, python="py", **kw)


def test_single_process_command(tmp_path):
    [(role, argv, worker)] = build_commands(_opts(tmp_path, users=7, spawn_rate=3, run_time=4))
    assert role == "main" and worker is None
    assert argv[:3] == ["py", "-m", "locust"]
    for flag, value in (("-u", "7"), ("-r", "3"), ("-t", "4s"), ("--host", "http://127.0.0.1:1"),
                        ("--json-file", str(tmp_path / "locust")), ("--csv", str(tmp_path / "locust"))):
        assert argv[argv.index(flag) + 1] == value
    assert "--headless" in argv and "--only-summary" in argv and "--processes" not in argv


def test_processes_mode_adds_the_flag(tmp_path):
    [(_, argv, _)] = build_commands(_opts(tmp_path, processes=2))
    assert argv[argv.index("--processes") + 1] == "2"


def test_workers_mode_starts_a_master_and_indexed_workers(tmp_path):
    cmds = build_commands(_opts(tmp_path, workers=3), master_port=5557)
    assert [c[0] for c in cmds] == ["master", "worker-0", "worker-1", "worker-2"]
    assert [c[2] for c in cmds] == [None, 0, 1, 2]
    master = cmds[0][1]
    assert master[master.index("--expect-workers") + 1] == "3"
    assert master[master.index("--master-bind-host") + 1] == "127.0.0.1"
    worker = cmds[1][1]
    assert "--worker" in worker and worker[worker.index("--master-port") + 1] == "5557"
    assert "--headless" not in worker


def test_stepped_shape_drops_users_and_bounds_time(tmp_path):
    steps = (Step(2, 5, 5), Step(3, 10, 10))
    [(_, argv, _)] = build_commands(_opts(tmp_path, config_kw={"steps": steps}))
    assert "-u" not in argv and argv[argv.index("-t") + 1] == "10s"


@pytest.mark.parametrize("kw", [{"processes": 0}, {"processes": 2, "workers": 2}, {"users": -1},
                                {"run_time": 0}])
def test_bad_options_are_refused(tmp_path, kw):
    with pytest.raises(LoadRunError):
        _opts(tmp_path, **kw)


def test_merge_histories_sorts_by_time_and_keeps_bad_lines(tmp_path):
    a = tmp_path / "history-0.jsonl"
    b = tmp_path / "history-1.jsonl"
    a.write_text('{"t": 3, "type": "invoke", "op": "place"}\n{"t": 1, "type": "ok", "op": "place"}\n')
    b.write_text('{"t": 2, "type": "invoke", "op": "query"}\nnot json\n\n')
    target = tmp_path / "history.jsonl"
    assert merge_histories([a, b], target) == 4
    hist = read_history(target)
    assert [o.t for o in hist.ops] == [1.0, 2.0, 3.0]
    assert len(hist.malformed) == 1


def test_read_totals_sums_entries(tmp_path):
    path = tmp_path / "locust.json"
    path.write_text(json.dumps([
        {"name": "place", "num_requests": 10, "num_failures": 2},
        {"name": "cancel", "num_requests": 5, "num_failures": 0},
    ]))
    totals = read_totals(path)
    assert totals is not None
    assert (totals.requests, totals.failures) == (15, 2)
    assert totals.by_name["place"] == (10, 2)
    assert read_totals(tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text("{")
    assert read_totals(tmp_path / "bad.json") is None


def test_exporter_urls_reads_published_files(tmp_path):
    assert exporter_urls(tmp_path) == ()
    (tmp_path / "exporters").mkdir()
    (tmp_path / "exporters" / "12.url").write_text("http://127.0.0.1:5/metrics\n")
    assert exporter_urls(tmp_path) == ("http://127.0.0.1:5/metrics",)
