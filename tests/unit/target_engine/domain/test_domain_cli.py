"""`margin-engine calc liquidation-price` and `margin-engine demo`, run as real processes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "target_engine.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("side", "qty", "wallet", "lp", "bp"),
    [
        ("long", "0.1", "1000", "50200.80", "50000.00"),
        ("short", "0.1", "1000", "69721.12", "70000.00"),
        ("long", "500", "2000000", "56874.59", "56000.00"),
    ],
)
def test_calc_reproduces_the_worked_examples(side: str, qty: str, wallet: str, lp: str, bp: str) -> None:
    proc = run(
        "calc",
        "liquidation-price",
        "--symbol",
        "BTCUSDT",
        "--side",
        side,
        "--qty",
        qty,
        "--entry",
        "60000",
        "--wallet",
        wallet,
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["liquidation_price"], out["bankruptcy_price"]) == (lp, bp)


def test_calc_text_output() -> None:
    proc = run(
        "calc",
        "liquidation-price",
        "--symbol",
        "BTCUSDT",
        "--side",
        "long",
        "--qty",
        "0.1",
        "--entry",
        "60000",
        "--wallet",
        "1000",
        "--mode",
        "cross",
    )
    assert proc.returncode == 0
    assert "liquidation price: 50200.80" in proc.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--side", "up"],
        ["--qty", "0.0001"],
        ["--qty", "abc"],
        ["--entry", "-5"],
        ["--wallet", "0"],
        ["--symbol", "NOPE"],
        ["--mode", "both"],
    ],
)
def test_calc_bad_arguments_one_line_exit_2(args: list[str]) -> None:
    base = {"--symbol": "BTCUSDT", "--side": "long", "--qty": "0.1", "--entry": "60000", "--wallet": "1000"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    argv = [x for kv in base.items() for x in kv]
    proc = run("calc", "liquidation-price", *argv)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("margin-engine: error:")


def test_unknown_subcommand_exit_2() -> None:
    proc = run("bogus")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1


def test_demo_prints_fills_margin_and_a_liquidation() -> None:
    proc = run("demo")
    assert proc.returncode == 0, proc.stderr
    assert "fill:" in proc.stdout and "LIQUIDATION of alice" in proc.stdout
    assert "margin ratio" in proc.stdout and "conservation USDT" in proc.stdout and ": OK" in proc.stdout
