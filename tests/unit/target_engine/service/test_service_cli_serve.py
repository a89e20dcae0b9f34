"""`margin-engine serve` argument defaults (parsed by the real argparse parser, nothing started)."""

from __future__ import annotations

import argparse

from target_engine.journal import Durability
from target_engine.service import cli_serve


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli_serve.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["serve", "--journal", "j.sqlite", *argv])


def test_default_durability_is_power_so_an_ack_survives_any_crash() -> None:
    assert Durability(_parse().durability) is Durability.POWER


def test_process_durability_is_still_available() -> None:
    assert Durability(_parse("--durability", "process").durability) is Durability.PROCESS
