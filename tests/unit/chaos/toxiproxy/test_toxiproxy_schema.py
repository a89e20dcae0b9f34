"""Attribute validation (shared by server and client) and HTTP request framing."""

from __future__ import annotations

import pytest

from chaos.toxiproxy.client import validate_toxic_request
from chaos.toxiproxy.errors import ValidationError
from chaos.toxiproxy.toxics import SCHEMAS, TOXICS
from chaos.toxiproxy.toxics.http_framing import RequestFramer


@pytest.mark.parametrize(
    ("type_", "attrs", "needle"),
    [
        ("bandwidth", {"rate": -1}, "rate must be >= 0"),
        ("slicer", {"average_size": 0}, "average_size must be >= 1"),
        ("slicer", {"average_size": 5, "size_variation": 6}, "must not exceed average_size"),
        ("latency", {"latency": 1.5}, "latency must be an integer"),
        ("latency", {"latency": "50"}, "latency must be an integer"),
        ("latency", {"jitter": True}, "jitter must be an integer"),
        ("http_error", {"status": 99}, "status must be >= 100"),
        ("http_error", {"rate": 2}, "rate must be <= 1"),
        ("http_error", {"body": 5}, "body must be a string"),
        ("limit_data", {"bytes": 2**64}, "out of range"),
    ],
)
def test_bad_attributes_are_refused_with_a_clear_message(type_, attrs, needle):
    with pytest.raises(ValidationError) as info:
        SCHEMAS[type_].validate(attrs)
    assert needle in info.value.message
    assert info.value.status == 400


def test_client_is_strict_about_unknown_names_server_is_not():
    with pytest.raises(ValidationError, match="unknown attribute 'latenc'"):
        validate_toxic_request("latency", {"latenc": 5})
    assert SCHEMAS["latency"].validate({"latenc": 5}) == {"latency": 0, "jitter": 0}


def test_client_checks_type_stream_and_toxicity():
    with pytest.raises(ValidationError, match="invalid toxic type"):
        validate_toxic_request("nope", {})
    with pytest.raises(ValidationError, match="stream was invalid"):
        validate_toxic_request("latency", {}, stream="sideways")
    with pytest.raises(ValidationError, match="toxicity must be between 0 and 1"):
        validate_toxic_request("latency", {}, toxicity=1.5)


def test_update_merges_over_the_current_values():
    merged = SCHEMAS["slicer"].validate(
        {"size_variation": 3}, base={"average_size": 10, "size_variation": 0, "delay": 5}
    )
    assert merged == {"average_size": 10, "size_variation": 3, "delay": 5}


def test_registry_has_every_toxiproxy_type_and_http_error():
    assert set(TOXICS) == {
        "latency",
        "bandwidth",
        "slow_close",
        "timeout",
        "reset_peer",
        "slicer",
        "limit_data",
        "noop",
        "http_error",
    }


def test_framer_splits_pipelined_requests_across_reads():
    framer = RequestFramer()
    stream = (
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
        b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n"
        b"GET /c HTTP/1.0\r\n\r\n"
    )
    events = []
    for i in range(0, len(stream), 7):  # awkward read boundaries
        events += framer.feed(stream[i : i + 7])
    heads = [e[2] for e in events if e[0] == "head"]
    assert [h.target for h in heads] == ["/", "/a", "/b", "/c"]
    assert [e[0] for e in events].count("end") == 4
    assert heads[-1].close  # HTTP/1.0 without keep-alive
    body = b"".join(e[1] for e in events if e[0] in ("head", "body"))
    assert body == stream


def test_framer_passes_non_http_through():
    framer = RequestFramer()
    events = framer.feed(b"\x16\x03\x01 binary junk\r\n\r\nmore")
    assert events[0][0] == "raw"
    assert framer.feed(b"tail") == [("raw", b"tail")]
