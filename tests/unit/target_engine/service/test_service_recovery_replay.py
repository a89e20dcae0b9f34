"""Recovery's replay path on a real journal: chunked decode gives the same commands as the domain's
codec, recover() gives the same state as applying each command, a corrupt row still stops it."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest

from target_engine.config.loader import load_config_dict
from target_engine.domain import (
    AdjustIsolatedMargin,
    CancelOrder,
    ClockTick,
    Command,
    Deposit,
    DomainError,
    Engine,
    FundInsurance,
    IndexTick,
    Liquidate,
    MarginType,
    OrderType,
    PlaceOrder,
    SetLeverage,
    SetMarginType,
    SetTradingMode,
    Side,
    TimeInForce,
    TradingMode,
    Withdraw,
    command_from_dict,
    command_to_dict,
    with_sequence,
)
from target_engine.journal import (
    CommandRow,
    Journal,
    JournalCorruptError,
    canonical_json,
    connect,
    decode_snapshot_payload,
    encode_snapshot_payload,
)
from target_engine.service.recovery import (
    apply_row_payload,
    decode_command,
    decode_commands,
    recover,
    replay_payloads,
    service_config,
)
from target_engine.service.snapshotter import capture_inline

P, Q, M = 10_000, 1_000_000, 10**8


def commands() -> list[Command]:
    raw: list[Command] = [
        IndexTick(symbol="BTCUSDT", price=60_000 * P),
        Deposit(account="a", asset="USDT", amount=100_000 * M),
        Deposit(account="b", asset="USDT", amount=100_000 * M),
        SetLeverage(account="a", symbol="BTCUSDT", leverage=10),
        SetMarginType(account="b", symbol="BTCUSDT", margin_type=MarginType.ISOLATED),
        PlaceOrder(account="a", symbol="BTCUSDT", side=Side.SELL, order_type=OrderType.LIMIT, qty=Q // 10,
                   price=60_010 * P, client_order_id="s1"),
        PlaceOrder(account="b", symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.MARKET, qty=Q // 20,
                   time_in_force=TimeInForce.IOC, client_order_id="m1"),
        PlaceOrder(account="b", symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT, qty=Q // 10,
                   price=59_990 * P, post_only=True, client_order_id="p1"),
        AdjustIsolatedMargin(account="b", symbol="BTCUSDT", amount=10 * M),
        CancelOrder(account="b", client_order_id="p1"),
        Withdraw(account="a", asset="USDT", amount=M),
        FundInsurance(asset="USDT", amount=5 * M),
        ClockTick(),
        Liquidate(account="b", symbol=None),
        SetTradingMode(mode=TradingMode.REDUCE_ONLY, reason="test"),
        IndexTick(symbol="BTCUSDT", price=60_020 * P),
        SetTradingMode(mode=TradingMode.NORMAL),
    ]
    return [with_sequence(c, i + 1, 1_000 + 10 * i) for i, c in enumerate(raw)]


def test_decode_commands_matches_the_domain_codec_for_every_kind() -> None:
    cmds = commands()
    payloads = [canonical_json(command_to_dict(c)) for c in cmds]
    assert decode_commands(payloads) == cmds
    assert [command_from_dict(json.loads(p)) for p in payloads] == cmds
    assert [decode_command(p) for p in payloads] == cmds


def test_integers_beyond_64_bits_stay_exact() -> None:
    big = with_sequence(Deposit(account="a", asset="USDT", amount=10**22), 1, 5)
    payloads = [canonical_json(command_to_dict(big))]
    decoded = decode_commands(payloads)[0]
    assert isinstance(decoded, Deposit) and decoded.amount == 10**22 and type(decoded.amount) is int


def test_malformed_payloads_fail_as_before() -> None:
    ok = canonical_json(command_to_dict(commands()[1]))
    for bad in ('{"type":"PlaceOrder","account":"a"}', '{"type":"Nope"}', ok[:-1] + ',"extra":1}'):
        with pytest.raises(DomainError):
            decode_commands([ok, bad])
        with pytest.raises(DomainError):
            decode_command(bad)
    with pytest.raises(ValueError):
        decode_commands([ok, "{not json"])


def _journal(path: Path, cmds: list[Command]) -> None:
    raw = load_config_dict(None)
    journal = Journal(path, engine_config_json=json.dumps(raw, sort_keys=True))
    epoch = journal.acquire("blue", 60_000, 0)
    rows = []
    for c in cmds:
        d = command_to_dict(c)
        rows.append(CommandRow(c.seq, epoch, c.ts_ms, d["type"], canonical_json(d)))
    journal.append_batch(epoch, rows, [])
    journal.close()


def test_recover_equals_apply_and_stops_at_a_corrupt_row(tmp_path: Path) -> None:
    cmds = commands()
    path = tmp_path / "j.sqlite"
    _journal(path, cmds)
    config = service_config(load_config_dict(None))
    straight = Engine(config)
    for c in cmds:
        straight.apply(c)
    straight.flush_index()
    rec = recover(connect(path, readonly=True), config, use_snapshot=False)
    assert (rec.last_seq, rec.last_ts_ms) == (len(cmds), cmds[-1].ts_ms)
    assert rec.engine.state_hash() == straight.state_hash()
    assert rec.engine.snapshot() == straight.snapshot()
    assert rec.engine.emit_events
    writer = connect(path)
    writer.execute("UPDATE commands SET payload = replace(payload, 'USDT', 'USDC') WHERE seq = 12")
    writer.commit()
    with pytest.raises(JournalCorruptError) as info:
        recover(connect(path, readonly=True), config, use_snapshot=False)
    assert info.value.seq == 12


def test_replay_payloads_equals_apply_row_payload() -> None:
    payloads = [canonical_json(command_to_dict(c)) for c in commands()]
    config = service_config(load_config_dict(None))
    one_by_one, batched = Engine(config), Engine(config)
    for p in payloads:
        apply_row_payload(one_by_one, p)
    replay_payloads(batched, payloads)
    assert batched.state_hash() == one_by_one.state_hash()


@pytest.mark.parametrize("compressed", [True, False], ids=["zlib", "plain-json-row"])
def test_recover_from_a_snapshot_row_compressed_or_plain(tmp_path: Path, compressed: bool) -> None:
    """Snapshot payloads are written as zlib streams; rows written before that hold plain JSON and
    must still restore. The snapshot is taken after 8 commands, recovery replays the rest."""
    cmds = commands()
    path = tmp_path / "j.sqlite"
    _journal(path, cmds)
    config = service_config(load_config_dict(None))
    partial = Engine(config)
    for c in cmds[:8]:
        partial.apply(c)
    partial.flush_index()
    capture = capture_inline(partial, 8, 1, cmds[7].ts_ms)
    payload = capture.payload if compressed else canonical_json(partial.snapshot()).encode()
    assert (payload[:1] == b"{") is not compressed
    assert decode_snapshot_payload(capture.payload) == canonical_json(partial.snapshot()).encode()
    journal = Journal(path)
    journal.write_snapshot(8, 1, cmds[7].ts_ms, capture.state_hash, payload)
    journal.close()
    straight = Engine(config)
    for c in cmds:
        straight.apply(c)
    straight.flush_index()
    rec = recover(connect(path, readonly=True), config)
    assert rec.snapshot_seq == 8  # restored from the row, not replayed from seq 1
    assert rec.engine.state_hash() == straight.state_hash()
    assert len(capture.payload) < len(canonical_json(partial.snapshot()).encode())


def test_snapshot_payload_codec_is_exact_and_refuses_garbage() -> None:
    text = canonical_json({"accounts": {"a": {"wallet": 10**30}}, "seq": 7}).encode()
    assert decode_snapshot_payload(encode_snapshot_payload(text)) == text
    assert decode_snapshot_payload(text) == text  # a plain JSON row passes through
    with pytest.raises(zlib.error):
        decode_snapshot_payload(b"not a snapshot")
