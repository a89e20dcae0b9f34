"""Generated prometheus.yml, target and interval validation (checked by the real promtool)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.observability import ObservabilityError, ScrapeTarget, default_rule_files, parse_duration
from harness.observability.config import render_config


@pytest.mark.parametrize(("text", "seconds"), [("250ms", 0.25), ("1s", 1.0), ("1m30s", 90.0), ("2h", 7200.0),
                                               ("1s500ms", 1.5)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "fast", "1.5s", "-1s", "ms"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ObservabilityError) as err:
        parse_duration(text)
    assert err.value.code == "BAD_INTERVAL"


@pytest.mark.parametrize(("job", "url"), [("bad job", "http://127.0.0.1:1"), ("engine-blue", "127.0.0.1:1"),
                                          ("engine-blue", "http://127.0.0.1"), ("x", "ftp://h:1")])
def test_bad_targets_are_refused(job: str, url: str) -> None:
    with pytest.raises(ObservabilityError) as err:
        ScrapeTarget(job, url)
    assert err.value.code == "BAD_TARGET"


def test_metrics_path_defaults_and_is_kept() -> None:
    assert ScrapeTarget("gateway", "http://127.0.0.1:9000").metrics_path == "/metrics"
    assert ScrapeTarget("loadgen", "http://127.0.0.1:9000/stats/metrics").metrics_path == "/stats/metrics"
    assert ScrapeTarget("gateway", "http://127.0.0.1:9000/").address == "127.0.0.1:9000"


def test_render_groups_targets_per_job_with_absolute_rules() -> None:
    text = render_config(
        [ScrapeTarget("engine-blue", "http://127.0.0.1:1"), ScrapeTarget("feed", "http://127.0.0.1:3/m"),
         ScrapeTarget("engine-blue", "http://127.0.0.1:2")],
        default_rule_files(), scrape_interval="500ms", eval_interval="1s",
    )
    cfg = yaml.safe_load(text)
    assert cfg["global"] == {"scrape_interval": "500ms", "scrape_timeout": "500ms",
                             "evaluation_interval": "1s"}
    jobs = {c["job_name"]: c for c in cfg["scrape_configs"]}
    assert jobs["engine-blue"]["static_configs"] == [{"targets": ["127.0.0.1:1", "127.0.0.1:2"]}]
    assert jobs["feed"]["metrics_path"] == "/m"
    assert all(Path(f).is_absolute() and Path(f).is_file() for f in cfg["rule_files"])


def test_one_job_with_two_paths_is_refused() -> None:
    with pytest.raises(ObservabilityError) as err:
        render_config([ScrapeTarget("a", "http://127.0.0.1:1/x"),
                       ScrapeTarget("a", "http://127.0.0.1:2/y")], [])
    assert err.value.code == "BAD_TARGET"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed")
def test_promtool_accepts_the_generated_config(tmp_path: Path) -> None:
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(render_config([ScrapeTarget("engine-blue", "http://127.0.0.1:1")], default_rule_files()))
    result = subprocess.run(["promtool", "check", "config", str(cfg)],
                            check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_rules_dir_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMEDAY_RULES_DIR", str(tmp_path))
    with pytest.raises(ObservabilityError) as err:
        default_rule_files()
    assert err.value.code == "RULES_NOT_FOUND"


def test_managed_prometheus_validates_before_starting(tmp_path: Path) -> None:
    from harness.observability import ManagedPrometheus

    with pytest.raises(ObservabilityError) as err:
        ManagedPrometheus([], default_rule_files(), scrape_interval="often", workdir=tmp_path)
    assert err.value.code == "BAD_INTERVAL"
    with pytest.raises(ObservabilityError) as err:
        ManagedPrometheus([], [tmp_path / "nope.yml"], workdir=tmp_path)
    assert err.value.code == "RULES_NOT_FOUND"
    assert list(tmp_path.iterdir()) == []


def test_a_pushgateway_job_keeps_the_pushed_job_and_instance_labels() -> None:
    text = render_config([ScrapeTarget("pushgateway", "http://127.0.0.1:9091/metrics"),
                          ScrapeTarget("gateway", "http://127.0.0.1:8000/metrics")], [])
    jobs = {c["job_name"]: c for c in yaml.safe_load(text)["scrape_configs"]}
    assert jobs["pushgateway"]["honor_labels"] is True
    assert "honor_labels" not in jobs["gateway"]  # a normal target's labels are Prometheus's own
