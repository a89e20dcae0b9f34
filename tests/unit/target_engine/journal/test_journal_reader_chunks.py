"""Chunked command reads for replay (real SQLite): every row CRC-checked, the first failure of a
chunk reported (CRC before a later gap), nothing of a bad chunk returned."""

from __future__ import annotations

from pathlib import Path

import pytest

from target_engine.journal import CommandRow, Journal, JournalCorruptError, canonical_json, connect, reader


@pytest.fixture()
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "j.sqlite", engine_config_json='{"x":1}')
    epoch = j.acquire("blue", 1000, now_ms=0)
    rows = [CommandRow(s, epoch, 1000 + s, "Deposit", canonical_json({"n": s})) for s in range(1, 11)]
    j.append_batch(epoch, rows, [])
    yield j
    j.close()


def test_chunks_are_verified_tuples_in_order(journal: Journal) -> None:
    conn = connect(journal.path, readonly=True)
    chunks = list(reader.iter_command_chunks(conn, 0, chunk=4))
    assert [len(c) for c in chunks] == [4, 4, 2]
    assert chunks[1][0][:5] == (5, 1, 1005, "Deposit", '{"n":5}')
    assert [r.seq for r in reader.iter_commands(conn, 3, chunk=4)] == list(range(4, 11))


def test_corrupt_row_mid_chunk_stops_before_the_chunk(journal: Journal) -> None:
    journal.conn.execute("UPDATE commands SET payload = '{\"n\":99}' WHERE seq = 6")
    conn = connect(journal.path, readonly=True)
    seen: list[int] = []
    with pytest.raises(JournalCorruptError) as info:
        for chunk in reader.iter_command_chunks(conn, 0, chunk=4):
            seen += [row[0] for row in chunk]
    assert info.value.seq == 6 and info.value.table == "commands"
    assert seen == [1, 2, 3, 4]  # rows 5..8 share the chunk of the bad row: none is handed out


def test_crc_error_before_a_gap_is_reported_first(journal: Journal) -> None:
    journal.conn.execute("UPDATE commands SET crc = crc + 1 WHERE seq = 3")
    journal.conn.execute("DELETE FROM commands WHERE seq = 7")
    conn = connect(journal.path, readonly=True)
    with pytest.raises(JournalCorruptError) as info:
        reader.read_command_tuples(conn, 0, 100)
    assert info.value.seq == 3


def test_gap_names_the_missing_seq(journal: Journal) -> None:
    journal.conn.execute("DELETE FROM commands WHERE seq IN (7, 8)")
    conn = connect(journal.path, readonly=True)
    with pytest.raises(JournalCorruptError, match="next stored seq is 9") as info:
        reader.read_command_tuples(conn, 0, 100)
    assert info.value.seq == 7
    assert reader.scan(conn).last_good_seq == 6


def test_blob_payload_is_corruption(journal: Journal) -> None:
    journal.conn.execute("UPDATE commands SET payload = CAST(payload AS BLOB) WHERE seq = 10")
    conn = connect(journal.path, readonly=True)
    with pytest.raises(JournalCorruptError) as info:
        reader.read_command_tuples(conn, 8, 100)
    assert info.value.seq == 10
