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
