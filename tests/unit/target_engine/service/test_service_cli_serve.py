"""`margin-engine serve` argument defaults (parsed by the real argparse parser, nothing started)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from target_engine.journal import Durability
from target_engine.service import cli_serve
from target_engine.service.options import DEFAULT_COMMIT_INTERVAL_MS, ServiceOptions


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_serve.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["serve", "--journal", "j.sqlite", *argv])


def test_default_durability_is_power_so_an_ack_survives_any_crash() -> None:
    assert Durability(_parse().durability) is Durability.POWER


def test_process_durability_is_still_available() -> None:
    assert Durability(_parse("--durability", "process").durability) is Durability.PROCESS


def test_commit_interval_defaults_to_the_measured_value_and_zero_turns_it_off() -> None:
    assert _parse().commit_interval_ms == DEFAULT_COMMIT_INTERVAL_MS == ServiceOptions().commit_interval_ms
    assert _parse("--commit-interval-ms", "0").commit_interval_ms == 0.0


@pytest.mark.parametrize("value", ["-1", "1000.5"])
def test_commit_interval_out_of_range_is_a_usage_error(value: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("--commit-interval-ms", value)
    args.journal = str(tmp_path / "j.sqlite")
    assert cli_serve.run(args) == cli_serve.EXIT_USAGE
    assert "--commit-interval-ms must be 0..1000" in capsys.readouterr().err
    assert not (tmp_path / "j.sqlite").exists()  # refused before the journal is opened


def test_busy_commit_interval_defaults_to_four_times_the_base_and_follows_it() -> None:
    assert _parse().commit_interval_busy_ms is None  # resolved against the base
    assert cli_serve.commit_intervals(DEFAULT_COMMIT_INTERVAL_MS, None) == (2.0, 8.0)
    assert cli_serve.commit_intervals(2.0, None)[1] == ServiceOptions().commit_interval_busy_ms
    assert cli_serve.commit_intervals(0.0, None) == (0.0, 0.0)  # 0 still turns pacing off
    assert cli_serve.commit_intervals(2.0, 5.0) == (2.0, 5.0)


@pytest.mark.parametrize("value", ["1", "1000.5"])
def test_busy_commit_interval_below_the_base_or_too_long_is_a_usage_error(
        value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("--commit-interval-busy-ms", value)  # the base is 2
    args.journal = str(tmp_path / "j.sqlite")
    assert cli_serve.run(args) == cli_serve.EXIT_USAGE
    err = capsys.readouterr().err
    assert "--commit-interval-busy-ms must be between --commit-interval-ms and 1000" in err
    assert not (tmp_path / "j.sqlite").exists()
