"""history.jsonl writer and reader on real files."""

import json
import threading

from harness.history import (
    ClientOp,
    EventKind,
    HistoryWriter,
    Op,
    OpType,
    classify_status,
    parse_history,
    read_history,
)


def test_round_trip_ops_and_events(tmp_path):
    path = tmp_path / "history.jsonl"
    clock = iter([1.0, 2.0, 3.0]).__next__
    with HistoryWriter(path, proc="w1", clock=clock) as w:
        w.op("invoke", "place", account="a1", client_order_id="c1", symbol="BTCUSDT", value={"qty": "1"})
        w.op(OpType.OK, Op.PLACE, account="a1", client_order_id="c1", http_status=200)
        w.event("fault", id="f1", action="inject", fault_kind="toxic")
    h = read_history(tmp_path)  # a run folder works too
    assert [o.type for o in h.ops] == [OpType.INVOKE, OpType.OK]
    assert h.ops[0] == ClientOp(1.0, "w1", OpType.INVOKE, Op.PLACE, "a1", "c1", "BTCUSDT", {"qty": "1"})
    assert h.ops[1].http_status == 200
    assert h.events[0].kind is EventKind.FAULT and h.events[0].get("id") == "f1" and h.events[0].t == 3.0
    first = json.loads(path.read_text().splitlines()[0])
    assert first["type"] == "invoke" and first["op"] == "place" and first["t"] == 1.0


def test_malformed_lines_are_reported_not_raised():
    lines = [
        '{"t": 1, "type": "ok", "op": "place"}',
        "{not json",
        '{"t": "x", "type": "ok", "op": "place"}',
        '{"t": 2, "type": "event", "kind": "weird"}',
        '{"t": 3, "type": "ok", "op": "teleport"}',
        "",
        '{"t": 4, "type": "event", "kind": "alert", "name": "EngineDown", "state": "firing"}',
    ]
    h = parse_history(lines)
    assert len(h.ops) == 1 and len(h.events) == 1
    assert [m.line for m in h.malformed] == [2, 3, 4, 5]
    assert "invalid JSON" in h.malformed[0].reason and "'t'" in h.malformed[1].reason


def test_missing_file_is_empty(tmp_path):
    assert read_history(tmp_path / "nope.jsonl").empty


def test_concurrent_writers_never_interleave(tmp_path):
    path = tmp_path / "h.jsonl"
    writers = [HistoryWriter(path, proc=f"p{i}") for i in range(4)]

    def burst(w):
        for n in range(200):
            w.op("invoke", "query", account="a" * 50, value={"n": n, "pad": "x" * 300})

    threads = [threading.Thread(target=burst, args=(w,)) for w in writers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for w in writers:
        w.close()
    h = read_history(path)
    assert len(h.ops) == 800 and not h.malformed


def test_classify_status():
    assert classify_status(200) is OpType.OK
    assert classify_status(400) is OpType.FAIL
    assert classify_status(409) is OpType.FAIL
    assert classify_status(503) is OpType.INFO  # no code: e.g. injected by the http_error toxic
    for code in ("OVERLOADED", "EXCESS_QUEUE_DEPTH", "ADMISSION_REFUSED", "UPSTREAM_CONNECT_FAILED"):
        assert classify_status(503, code=code) is OpType.FAIL
        assert classify_status(503, body={"code": code}) is OpType.FAIL
    assert classify_status(503, code="SOMETHING_ELSE") is OpType.INFO
    assert classify_status(502, code="UPSTREAM_FAILED") is OpType.INFO
    assert classify_status(502) is OpType.INFO
    assert classify_status(500) is OpType.INFO
    assert classify_status(None) is OpType.INFO
    assert classify_status(200, timed_out=True) is OpType.INFO


def test_classify_status_is_the_load_classifier():
    from harness.load.outcome import classify

    for status in (None, 0, 200, 201, 400, 404, 409, 429, 500, 502, 503, 504):
        for code in (None, "OVERLOADED", "ADMISSION_REFUSED", "NOT_LEADER", "X"):
            body = {"code": code} if code else None
            assert classify_status(status, body=body) is classify(status, body).type, (status, code)
