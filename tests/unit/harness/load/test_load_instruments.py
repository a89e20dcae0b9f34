from decimal import Decimal
from pathlib import Path

import pytest

from harness.load.config import LoadConfigError
from harness.load.instruments import instruments_from_yaml

ENGINE_FILE = Path(__file__).resolve().parents[4] / "target_engine" / "config" / "instruments.yaml"


def test_reads_the_engines_usdt_instruments():
    insts = instruments_from_yaml(ENGINE_FILE)
    by = {i.symbol: i for i in insts}
    assert set(by) == {"BTCUSDT", "ETHUSDT"}
    assert (by["BTCUSDT"].tick, by["BTCUSDT"].step, by["BTCUSDT"].min_notional) == (
        Decimal("0.1"), Decimal("0.001"), Decimal("100"))
    assert by["ETHUSDT"].tick == Decimal("0.01")


def test_symbol_filter_and_reference_override():
    [btc] = instruments_from_yaml(ENGINE_FILE, {"BTCUSDT": Decimal("50000")}, symbols=("BTCUSDT",))
    assert btc.reference_price == Decimal("50000")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[1]", "no 'instruments'"),
        ("instruments: {X: {asset: USDT, tick_size: '0.1', step_size: '1', min_qty: '1', min_notional: '5'}}",
         "no reference price"),
        ("instruments: {BTCUSDT: {asset: USDT, tick_size: 'x'}}", "tick_size"),
        ("instruments: {BTCUSDT: {asset: USDT, tick_size: '0.1'}}", "step_size: missing"),
        ("instruments: {BTCUSDC: {asset: USDC}}", "no instrument settled in USDT"),
        ("instruments: [", "cannot read"),
    ],
)
def test_bad_files(tmp_path, text, match):
    path = tmp_path / "i.yaml"
    path.write_text(text)
    with pytest.raises(LoadConfigError, match=match):
        instruments_from_yaml(path)
