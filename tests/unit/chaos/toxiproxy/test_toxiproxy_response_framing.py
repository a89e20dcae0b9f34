"""ResponseFramer and ResponseOrder (pure): response boundaries, no-body statuses, order of injections."""

from __future__ import annotations

from collections import deque

import pytest

from chaos.toxiproxy.response_order import ResponseOrder
from chaos.toxiproxy.toxics.http_response_framing import ResponseFramer

LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n0\r\nT: 1\r\n\r\n"
NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"
NOT_MODIFIED = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
HEAD_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"


def frame(stream: bytes, methods: list[str], step: int) -> list[bytes]:
    """Feed ``stream`` in pieces of ``step`` bytes; return the bytes of each complete response."""
    pending = deque(methods)

    def method_of_next() -> str:
        return pending[0] if pending else "GET"

    framer = ResponseFramer(method_of_next)
    done: list[bytes] = []
    current = b""
    for i in range(0, len(stream), step):
        for segment, end in framer.feed(stream[i : i + step]):
            current += segment
            if end:
                done.append(current)
                current = b""
                if pending:
                    pending.popleft()
    assert current == b""
    return done


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_responses_are_split_exactly_at_their_ends_whatever_the_reads(step):
    stream = LENGTH + CHUNKED + NO_CONTENT + NOT_MODIFIED + CONTINUE + LENGTH + HEAD_ANSWER + LENGTH
    methods = ["GET", "POST", "GET", "GET", "POST", "HEAD", "GET"]
    assert frame(stream, methods, step) == [
        LENGTH,
        CHUNKED,
        NO_CONTENT,
        NOT_MODIFIED,
        CONTINUE + LENGTH,  # the interim 100 is not a response of its own
        HEAD_ANSWER,  # a response to HEAD has no body whatever its Content-Length says
        LENGTH,
    ]


def test_a_body_until_close_or_a_protocol_switch_stops_delimiting():
    framer = ResponseFramer(lambda: "GET")
    assert list(framer.feed(b"HTTP/1.1 200 OK\r\n\r\nbody")) == [(b"HTTP/1.1 200 OK\r\n\r\nbody", False)]
    assert not framer.delimited and not framer.raw
    upgrade = ResponseFramer(lambda: "GET")
    list(upgrade.feed(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"))
    assert upgrade.raw
    garbage = ResponseFramer(lambda: "GET")
    list(garbage.feed(b"SSH-2.0-OpenSSH\r\n\r\n"))
    assert garbage.raw


class Recorder:
    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.eof = False

    def order(self) -> ResponseOrder:
        return ResponseOrder(self.out.append, lambda: setattr(self, "eof", True))


def test_an_injected_response_waits_for_the_responses_owed_before_it():
    rec = Recorder()
    order = rec.order()
    order.request_forwarded("GET")
    order.request_forwarded("HEAD")
    order.inject(b"<503>", close=False)
    order.request_forwarded("GET")
    order.inject(b"<429>", close=False)
    assert rec.out == []
    order.from_upstream(LENGTH[:10])
    order.from_upstream(LENGTH[10:] + HEAD_ANSWER[:5])
    assert b"".join(rec.out) == LENGTH + HEAD_ANSWER[:5]
    order.from_upstream(HEAD_ANSWER[5:] + LENGTH)
    assert b"".join(rec.out) == LENGTH + HEAD_ANSWER + b"<503>" + LENGTH + b"<429>"
    order.inject(b"<500>", close=False)  # nothing owed: released at once
    assert rec.out[-1] == b"<500>"


def test_an_injected_close_ends_the_stream_and_drops_the_rest():
    rec = Recorder()
    order = rec.order()
    order.request_forwarded("GET")
    order.inject(b"<503 close>", close=True)
    order.from_upstream(LENGTH + LENGTH)
    assert b"".join(rec.out) == LENGTH + b"<503 close>"
    assert rec.eof and order.closing
    order.from_upstream(b"more")
    assert b"".join(rec.out) == LENGTH + b"<503 close>"


def test_upstream_eof_drops_answers_queued_behind_unanswered_requests():
    rec = Recorder()
    order = rec.order()
    order.request_forwarded("GET")
    order.inject(b"<503>", close=False)
    order.upstream_eof()
    assert rec.out == [] and rec.eof


def test_a_non_http_upstream_releases_injections_at_once():
    rec = Recorder()
    order = rec.order()
    order.request_forwarded("GET")
    order.inject(b"<503>", close=False)
    order.from_upstream(b"not http at all\r\n\r\n")
    assert rec.out == [b"not http at all\r\n\r\n", b"<503>"]
