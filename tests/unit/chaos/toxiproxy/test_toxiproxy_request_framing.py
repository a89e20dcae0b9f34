"""RequestFramer (the http_error toxic's request parser): many pipelined requests in one read."""

from __future__ import annotations

import random

from chaos.toxiproxy.toxics.http_framing import RequestFramer, RequestHead


def _requests(n: int, seed: int = 7) -> tuple[bytes, list[tuple[str, bytes]]]:
    """n small requests (GET, POST with Content-Length, POST chunked) and what each carries."""
    rng = random.Random(seed)
    wire: list[bytes] = []
    expected: list[tuple[str, bytes]] = []
    for i in range(n):
        kind = rng.choice(("get", "length", "chunked"))
        if kind == "get":
            wire.append(f"GET /v1/state?i={i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            expected.append((f"/v1/state?i={i}", b""))
        elif kind == "length":
            body = f'{{"i":{i}}}'.encode()
            head = f"POST /v1/orders/{i} HTTP/1.1\r\nContent-Length: {len(body)}\r\n\r\n"
            wire.append(head.encode() + body)
            expected.append((f"/v1/orders/{i}", body))
        else:
            body = f"chunk-{i}".encode()
            wire.append(f"POST /c/{i} HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
                        + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
            expected.append((f"/c/{i}", b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"))
    return b"".join(wire), expected


def _collect(events: list[tuple[object, ...]]) -> tuple[list[tuple[str, bytes]], bytes]:
    """Per request (target, body bytes), and the concatenation of every byte the events carry."""
    out: list[tuple[str, bytes]] = []
    carried = bytearray()
    body = bytearray()
    target = ""
    for event in events:
        if event[0] == "head":
            raw, head = event[1], event[2]
            assert isinstance(raw, bytes) and isinstance(head, RequestHead)
            target, body = head.target, bytearray()
            carried += raw
        elif event[0] == "body":
            assert isinstance(event[1], bytes)
            body += event[1]
            carried += event[1]
        elif event[0] == "end":
            out.append((target, bytes(body)))
        else:
            raise AssertionError(f"unexpected event {event[0]!r}")
    return out, bytes(carried)


def test_five_thousand_pipelined_requests_in_one_read_are_all_framed() -> None:
    wire, expected = _requests(5000)
    events = RequestFramer().feed(wire)
    framed, carried = _collect(events)
    assert framed == expected
    assert carried == wire  # every byte passes through exactly once, in order


def test_same_stream_split_at_random_points_gives_the_same_requests() -> None:
    wire, expected = _requests(300, seed=11)
    rng = random.Random(3)
    framer = RequestFramer()
    events: list[tuple[object, ...]] = []
    pos = 0
    while pos < len(wire):
        step = rng.randint(1, 64)
        events += framer.feed(wire[pos : pos + step])
        pos += step
    framed, carried = _collect(events)
    assert framed == expected
    assert carried == wire


def test_stray_crlf_between_requests_is_skipped_and_garbage_turns_raw() -> None:
    framer = RequestFramer()
    events = framer.feed(b"GET /a HTTP/1.1\r\n\r\n\r\n\r\nGET /b HTTP/1.1\r\n\r\nNOT HTTP\r\n\r\ntail")
    kinds = [e[0] for e in events]
    assert kinds == ["head", "end", "head", "end", "raw"]
    assert events[-1] == ("raw", b"NOT HTTP\r\n\r\ntail")
    assert framer.feed(b"more") == [("raw", b"more")]
