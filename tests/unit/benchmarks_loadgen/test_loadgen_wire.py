"""The load generator's response framer and request builder (benchmarks/loadgen_wire.py)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "benchmarks"
_spec = importlib.util.spec_from_file_location("loadgen_wire", BENCH / "loadgen_wire.py")
assert _spec is not None and _spec.loader is not None
wire = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("loadgen_wire", wire)
_spec.loader.exec_module(wire)


def response(status: int, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 %d X\r\ndate: now\r\nserver: t\r\ncontent-type: application/json\r\n%s"
        b"Content-Length: %d\r\n\r\n%s" % (status, extra, len(body), body)
    )


STREAM = response(200, b'{"a":1}') + response(400, b'{"code":"X"}') + response(503, b"") + response(
    200, b"x" * 300, b"connection: keep-alive\r\n"
)


def test_keepalive_and_pipelined_responses_in_one_read() -> None:
    assert wire.ResponseParser().feed(STREAM) == [200, 400, 503, 200]


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
def test_partial_reads_split_anywhere(chunk: int) -> None:
    parser = wire.ResponseParser()
    got: list[int] = []
    for i in range(0, len(STREAM), chunk):
        got += parser.feed(STREAM[i : i + chunk])
    assert got == [200, 400, 503, 200]


def test_split_between_head_and_body_waits_for_the_body() -> None:
    parser = wire.ResponseParser()
    one = response(200, b"0123456789")
    assert parser.feed(one[:-4]) == []
    assert parser.feed(one[-4:] + one[:5]) == [200]
    assert parser.feed(one[5:]) == [200]


def test_interim_100_continue_is_not_an_answer() -> None:
    assert wire.ResponseParser().feed(b"HTTP/1.1 100 Continue\r\n\r\n" + response(200, b"{}")) == [200]


@pytest.mark.parametrize(
    "bad",
    [
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
        b"HTTX/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
        b"HTTP/1.1 2x0 OK\r\ncontent-length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
    ],
)
def test_unframeable_response_fails_loudly(bad: bytes) -> None:
    with pytest.raises(wire.ProtocolError):
        wire.ResponseParser().feed(bad)


def test_requests_are_valid_http_with_json_orders_and_seeded() -> None:
    reqs = wire.OrderRequests("127.0.0.1:8080", seed=3, start_id=1000, pool=16)
    again = wire.OrderRequests("127.0.0.1:8080", seed=3, start_id=1000, pool=16)
    ids = set()
    for n in range(40):
        raw = reqs.build(n)
        assert raw == again.build(n)
        head, body = raw.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        assert lines[0] == b"POST /v1/orders HTTP/1.1"
        assert b"content-length: %d" % len(body) in lines
        order = json.loads(body)
        assert order["side"] in ("BUY", "SELL")
        assert 59_800 <= int(order["price"]) <= 60_200
        ids.add(order["client_order_id"])
    assert ids == {f"c{1000 + n}" for n in range(40)}
