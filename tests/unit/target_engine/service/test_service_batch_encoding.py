"""The sequencer's fast row encoding (``batch.record_json`` + inline CRCs) gives byte-identical
journal payloads and CRCs to the definition (``canonical_json(command_to_dict(x))``,
``event_to_dict``, ``records.command_crc`` / ``event_crc``), for every command and event class,
over generated field values: any text (non-ASCII, control characters, DEL), integers beyond 64
bits, None, booleans, every enum member."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from target_engine.domain import MarginType, OrderType, Side, TimeInForce, TradingMode, commands, events
from target_engine.domain.commands import COMMAND_TYPES, command_to_dict
from target_engine.domain.events import EVENT_TYPES, event_to_dict
from target_engine.journal import canonical_json
from target_engine.journal.records import command_crc, event_crc
from target_engine.journal.store import COMMAND_COLS, EVENT_COLS
from target_engine.service.batch import Applied, record_json
from tests.unit.target_engine.domain.domain_helpers import source_annotations

ints = st.integers(min_value=-(2**70), max_value=2**70) | st.integers(min_value=-5, max_value=5)
text = st.text(max_size=12) | st.sampled_from(["\x7f", "\u00e9", "\u2028", "\U0001f600", '"\\/', "BTCUSDT"])
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "int": ints,
    "int | None": st.none() | ints,
    "str": text,
    "str | None": st.none() | text,
    "bool": st.booleans(),
    "Side": st.sampled_from(list(Side)),
    "OrderType": st.sampled_from(list(OrderType)),
    "TimeInForce": st.sampled_from(list(TimeInForce)),
    "MarginType": st.sampled_from(list(MarginType)),
    "TradingMode": st.sampled_from(list(TradingMode)),
}


# From the sources, not ``f.type``: the compiled domain keeps no annotation text.
SOURCE_ANNOTATIONS = source_annotations(commands) | source_annotations(events)


def instances(classes: list[type[Any]]) -> st.SearchStrategy[Any]:
    def build(cls: type[Any]) -> st.SearchStrategy[Any]:
        declared = SOURCE_ANNOTATIONS[cls.__name__]
        kwargs = {f.name: FIELD_VALUES[declared[f.name]] for f in dataclasses.fields(cls)}
        return st.builds(cls, **kwargs)

    return st.one_of(*[build(cls) for cls in classes])


@settings(max_examples=600, deadline=None)
@given(instances(list(COMMAND_TYPES.values())), st.integers(0, 2**40), st.integers(0, 2**20))
def test_commands_encode_like_the_definition(cmd: Any, seq: int, epoch: int) -> None:
    kind, payload = record_json(cmd)
    reference = command_to_dict(cmd)
    assert kind == reference["type"]
    assert payload == canonical_json(reference)
    assert payload.isascii()
    assert command_crc(seq, epoch, cmd.ts_ms, kind, payload) == command_crc(
        seq, epoch, cmd.ts_ms, reference["type"], canonical_json(reference))


@settings(max_examples=600, deadline=None)
@given(instances(list(EVENT_TYPES.values())))
def test_events_encode_like_the_definition(event: Any) -> None:
    kind, payload = record_json(event)
    reference = event_to_dict(event)
    assert (kind, payload) == (reference["type"], canonical_json(reference))


def test_apply_batch_rows_match_record_crcs(tmp_path: Any) -> None:
    """Rows built by a real batch carry the CRCs ``records`` defines, in the column order."""
    from target_engine.config.loader import load_config_dict
    from target_engine.domain import Deposit, PlaceOrder
    from target_engine.journal import Journal
    from target_engine.service.batch import Pending, apply_batch
    from target_engine.service.node import Node
    from target_engine.service.options import ServiceOptions
    from target_engine.service.recovery import service_config

    raw = load_config_dict(None)
    journal = Journal(tmp_path / "j.sqlite", engine_config_json="{}")
    node = Node(ServiceOptions(), service_config(raw), journal)
    node.become_leader()

    async def run() -> Applied:
        loop = asyncio.get_running_loop()
        cmds = [Deposit(account="a\u00e9", asset="USDT", amount=10**25),
                PlaceOrder(account="a\u00e9", symbol="BTCUSDT", side=Side.BUY, order_type=OrderType.LIMIT,
                           qty=1000, price=6_000_000_000, client_order_id="c1")]
        return await apply_batch(node, [Pending(c, loop.create_future()) for c in cmds])

    try:
        applied = asyncio.run(run())
        assert applied.command_count == 2 and applied.event_count >= 2
        for i in range(applied.command_count):
            seq, epoch, ts, kind, payload, crc = applied.commands[i * COMMAND_COLS:(i + 1) * COMMAND_COLS]
            assert crc == command_crc(seq, epoch, ts, kind, payload)
        for i in range(applied.event_count):
            seq, idx, kind, payload, crc = applied.events[i * EVENT_COLS:(i + 1) * EVENT_COLS]
            assert crc == event_crc(seq, idx, kind, payload)
        assert "\\u00e9" in applied.commands[4]  # non-ASCII escaped as json.dumps(ensure_ascii) does
        journal.append_rows(applied.epoch, applied.commands, applied.events, applied.fundings)
        from target_engine.journal import reader
        assert reader.scan(journal.conn).ok
    finally:
        node.leader_lock.close()
        node.read_conn.close()
        journal.close()


@settings(max_examples=300, deadline=None)
@given(instances(list(COMMAND_TYPES.values())), st.integers(0, 2**40), st.integers(0, 2**45))
def test_with_sequence_equals_replace(cmd: Any, seq: int, ts_ms: int) -> None:
    """The slot-copying ``with_sequence`` builds exactly ``dataclasses.replace(cmd, seq=, ts_ms=)``."""
    from target_engine.domain import with_sequence

    stamped = with_sequence(cmd, seq, ts_ms)
    expected = dataclasses.replace(cmd, seq=seq, ts_ms=ts_ms)
    assert stamped == expected and type(stamped) is type(cmd)
    assert stamped is not cmd and (cmd.seq, cmd.ts_ms) != (seq, ts_ms) or cmd == stamped
    assert hash(stamped) == hash(expected)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=4))
def test_append_rows_writes_every_row_of_any_batch_size(tmp_path_factory: Any, sizes: list[int]) -> None:
    """Multi-row INSERT chunking (256/64/16 + the rest): every row lands once, in order, CRCs valid."""
    from target_engine.journal import Journal, reader
    from target_engine.journal.records import command_crc as ccrc
    from target_engine.journal.records import event_crc as ecrc

    journal = Journal(tmp_path_factory.mktemp("rows") / "j.sqlite", engine_config_json="{}",
                      checkpoint_interval_s=None)
    try:
        epoch = journal.acquire("blue", 60_000, 1)
        seq = 0
        for n in sizes:
            cmds: list[Any] = []
            evs: list[Any] = []
            for _ in range(n):
                seq += 1
                payload = canonical_json({"n": seq})
                cmds += (seq, epoch, seq, "Deposit", payload, ccrc(seq, epoch, seq, "Deposit", payload))
                for idx in range(seq % 3):
                    evs += (seq, idx, "Ev", payload, ecrc(seq, idx, "Ev", payload))
            journal.append_rows(epoch, cmds, evs)
        conn = journal.conn
        seqs = [r[0] for r in conn.execute("SELECT seq FROM commands ORDER BY seq")]
        assert seqs == list(range(1, seq + 1))
        events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        assert events == sum(s % 3 for s in range(1, seq + 1))
        assert reader.scan(conn).ok
    finally:
        journal.close()
