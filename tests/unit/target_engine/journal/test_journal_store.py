"""Journal writer/reader on a real SQLite file: group commit, fencing, CRC, snapshots, repair."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from target_engine.journal import (
    CommandRow,
    EventRow,
    FencedError,
    FundingRow,
    Journal,
    JournalCorruptError,
    LeaseHeldError,
    canonical_json,
    connect,
    reader,
)


def _batch(first: int, n: int, epoch: int) -> tuple[list[CommandRow], list[EventRow]]:
    seqs = range(first, first + n)
    cmds = [CommandRow(s, epoch, 1000 + s, "Deposit", canonical_json({"n": s})) for s in seqs]
    evs = [EventRow(s, i, "Ev", canonical_json({"i": i})) for s in range(first, first + n) for i in range(2)]
    return cmds, evs


@pytest.fixture()
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "j.sqlite", engine_config_json='{"x":1}')
    yield j
    j.close()


def test_batches_round_trip_and_verify(journal: Journal) -> None:
    epoch = journal.acquire("blue", 1000, now_ms=0)
    assert epoch == 1
    journal.append_batch(epoch, *_batch(1, 5, epoch))
    journal.append_batch(epoch, *_batch(6, 3, epoch))
    conn = connect(journal.path, readonly=True)
    rows = list(reader.iter_commands(conn))
    assert [r.seq for r in rows] == list(range(1, 9))
    assert len(reader.read_events(conn, 1, 8)[4]) == 2
    assert reader.scan(conn).ok
    assert reader.read_meta(conn, "engine_config") == '{"x":1}'


def test_stale_epoch_is_fenced_and_writes_nothing(journal: Journal) -> None:
    e1 = journal.acquire("blue", 1000, now_ms=0)
    with pytest.raises(LeaseHeldError):
        journal.acquire("green", 1000, now_ms=500)
    e2 = journal.acquire("green", 1000, now_ms=1500)  # blue's lease expired
    assert e2 == e1 + 1
    with pytest.raises(FencedError) as info:
        journal.append_batch(e1, *_batch(1, 2, e1))
    assert info.value.holder == "green"
    assert journal.last_seq() == 0
    assert not journal.renew(e1, "blue", 1000, now_ms=1600)
    assert journal.renew(e2, "green", 1000, now_ms=1600)


def test_batch_is_atomic_on_duplicate_funding(journal: Journal) -> None:
    e = journal.acquire("blue", 1000, now_ms=0)
    f = FundingRow("BTCUSDT", 0, 1, "0.0001", "{}")
    journal.append_batch(e, *_batch(1, 1, e), fundings=[f])
    with pytest.raises(sqlite3.IntegrityError):
        journal.append_batch(e, *_batch(2, 1, e), fundings=[FundingRow("BTCUSDT", 0, 2, "0.0001", "{}")])
    assert journal.last_seq() == 1


def test_corrupt_record_is_detected_and_quarantined(journal: Journal) -> None:
    e = journal.acquire("blue", 1000, now_ms=0)
    journal.append_batch(e, *_batch(1, 10, e))
    journal.conn.execute("UPDATE commands SET payload = '{\"n\":99}' WHERE seq = 7")
    conn = connect(journal.path, readonly=True)
    report = reader.scan(conn)
    assert not report.ok and report.last_good_seq == 6
    with pytest.raises(JournalCorruptError) as info:
        list(reader.iter_commands(conn))
    assert info.value.seq == 7
    moved = journal.quarantine_from(7, "test")
    assert moved == 4 * 3  # 4 commands, 8 events
    assert reader.scan(conn).ok and reader.last_seq(conn) == 6


def test_gap_is_corruption(journal: Journal) -> None:
    e = journal.acquire("blue", 1000, now_ms=0)
    journal.append_batch(e, *_batch(1, 5, e))
    journal.conn.execute("DELETE FROM commands WHERE seq = 3")
    assert reader.scan(connect(journal.path, readonly=True)).error is not None


def test_snapshot_crc(journal: Journal) -> None:
    journal.write_snapshot(5, 1, 10, "abc", b'{"s":1}')
    journal.write_snapshot(9, 1, 20, "def", b'{"s":2}')
    journal.conn.execute("UPDATE snapshots SET payload = x'00' WHERE seq = 9")
    snap = reader.latest_snapshot(journal.conn)
    assert snap is not None and snap.seq == 5 and snap.payload == b'{"s":1}'


def test_torn_wal_tail_loses_only_the_torn_batch(tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "t.sqlite"
    j = Journal(path)
    e = j.acquire("blue", 1000, now_ms=0)
    j.append_batch(e, *_batch(1, 50, e))
    wal = Path(str(path) + "-wal")
    size_before = wal.stat().st_size
    j.append_batch(e, *_batch(51, 50, e))
    copy = tmp_path / "copy.sqlite"
    shutil.copy(path, copy)
    torn = wal.read_bytes()
    cut = size_before + (len(torn) - size_before) // 2
    Path(str(copy) + "-wal").write_bytes(torn[:cut])  # the second batch's write was torn mid-way
    conn = connect(copy)
    report = reader.scan(conn)
    assert report.ok and report.last_good_seq == 50
    j.close()
