"""The built-in HTTP/1.1 server over real loopback sockets: keep-alive, pipelining, bodies, errors."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from tests.unit.target_engine.service.httpserver_support import Client, ServerThread, get, post


@pytest.fixture
def srv() -> Iterator[ServerThread]:
    s = ServerThread()
    yield s
    s.stop()


def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_keep_alive_many_requests_on_one_connection(srv: ServerThread) -> None:
    c = Client(srv.port)
    for i in range(50):
        c.send(get(f"/echo?i={i}"))
        status, headers, body = c.json()
        assert status == 200 and body["query"] == {"i": [str(i)]}
        assert headers["content-type"] == "application/json" and "connection" not in headers
    assert srv.requests_counted("/echo", 200) == 50
    c.close()


def test_pipelined_requests_answered_in_order(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(get("/slow?ms=50&tag=a") + get("/slow?ms=0&tag=b") + get("/echo?tag=c"))
    assert c.json()[2]["tag"] == "a"
    assert c.json()[2]["tag"] == "b"
    assert c.json()[2]["query"] == {"tag": ["c"]}
    c.close()


def test_deep_pipeline_pauses_reading_and_answers_everything_in_order(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(b"".join(get(f"/slow?ms=0&tag={i}") for i in range(200)))
    assert [c.json()[2]["tag"] for _ in range(200)] == [str(i) for i in range(200)]
    c.close()


def test_chunked_request_body(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(b"POST /echo HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    status, _, body = c.json()
    assert status == 200 and body["body"] == "hello world"
    c.send(get("/echo"))  # still usable afterwards
    assert c.json()[0] == 200
    c.close()


def test_declared_body_over_limit_is_413_then_closed(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(b"POST /orders HTTP/1.1\r\ncontent-length: 10000000\r\n\r\n" + b"x" * 1000)
    status, headers, body = c.json()
    assert status == 413 and body["code"] == "BODY_TOO_LARGE" and headers["connection"] == "close"
    assert c.closed()


def test_client_still_uploading_a_huge_body_reads_the_413(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(b"POST /orders HTTP/1.1\r\ncontent-length: 50000000\r\n\r\n")

    def upload() -> None:
        with contextlib.suppress(OSError):
            for _ in range(50):
                c.sock.sendall(b"z" * 1_000_000)

    uploader = threading.Thread(target=upload, daemon=True)
    uploader.start()
    status, _, body = c.json()
    assert status == 413 and body["code"] == "BODY_TOO_LARGE"
    assert c.closed()
    uploader.join(10)
    assert not uploader.is_alive()  # the server closed the connection: the upload ended early


def test_chunked_body_over_limit_is_413_then_closed(srv: ServerThread) -> None:
    c = Client(srv.port)
    chunk = b"%x\r\n%s\r\n" % (16384, b"y" * 16384)
    c.send(b"POST /orders HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n" + chunk * 5)
    status, _, body = c.json()
    assert status == 413 and body["code"] == "BODY_TOO_LARGE"
    assert c.closed()


def test_unknown_route_with_huge_body_is_404_as_on_the_asgi_path(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(b"POST /nowhere HTTP/1.1\r\ncontent-length: 10000000\r\n\r\n")
    status, _, body = c.json()
    assert status == 404 and body["code"] == "NOT_FOUND"
    c.close()


@pytest.mark.parametrize("garbage", [b"garbage\r\n\r\n", b"GET / HTTP/1.1\r\ncontent-length: x\r\n\r\n",
                                     b"\x00\x01\x02\xff" * 10, b"GET /echo HTTP/9.9\r\n\r\n"])
def test_malformed_request_is_400_then_closed_and_server_serves_on(srv: ServerThread, garbage: bytes) -> None:
    c = Client(srv.port)
    c.send(garbage)
    status, headers, body = c.json()
    assert status == 400 and body["code"] == "BAD_REQUEST" and headers["connection"] == "close"
    assert c.closed()
    d = Client(srv.port)
    d.send(get("/echo"))
    assert d.json()[0] == 200
    d.close()


def test_malformed_request_after_good_pipelined_ones_is_answered_after_them(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(get("/slow?ms=30&tag=a") + b"BROKEN\r\n\r\n")
    assert c.json()[2]["tag"] == "a"
    assert c.json()[0] == 400
    assert c.closed()


@pytest.mark.parametrize("request_bytes", [
    b"GET /echo HTTP/1.1\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n",
    b"CONNECT example.com:443 HTTP/1.1\r\nhost: example.com\r\n\r\n",
])
def test_upgrade_and_connect_are_400(srv: ServerThread, request_bytes: bytes) -> None:
    c = Client(srv.port)
    c.send(request_bytes)
    status, _, body = c.json()
    assert status == 400 and body["code"] == "BAD_REQUEST" and "upgrade" in body["message"]
    assert c.closed()


def test_oversized_head_is_431(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(b"GET /echo HTTP/1.1\r\n" + b"x-pad: " + b"p" * 70000 + b"\r\n\r\n")
    status, _, body = c.json()
    assert status == 431 and body["code"] == "BAD_REQUEST"
    assert c.closed()


def test_client_closing_mid_body_and_mid_response_leaves_server_healthy(
        srv: ServerThread, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    c = Client(srv.port)
    c.send(b"POST /echo HTTP/1.1\r\ncontent-length: 1000\r\n\r\n0123456789")
    c.close()
    d = Client(srv.port)
    d.send(get("/slow?ms=100"))
    d.close()  # before the answer
    e = Client(srv.port)
    e.send(get("/big?n=5000000"))  # much more than the socket buffers: the server must wait to write
    e.sock.recv(1000)
    e.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    e.close()  # reset mid-response
    assert _until(lambda: srv.connections() == 0)
    f = Client(srv.port)
    f.send(get("/echo"))
    assert f.json()[0] == 200
    f.close()
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG] == []


def test_large_response_arrives_whole(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(get("/big?n=3000000") + get("/echo"))
    status, headers, body = c.response()
    assert status == 200 and headers["content-type"] == "text/plain" and body == b"x" * 3000000
    assert c.json()[0] == 200
    c.close()


def test_idle_keep_alive_connection_is_closed() -> None:
    s = ServerThread(keepalive_s=0.3)
    try:
        c = Client(s.port)
        c.send(get("/echo"))
        assert c.json()[0] == 200
        assert c.closed()  # well within the client's 5 s timeout
        assert _until(lambda: s.connections() == 0)
    finally:
        s.stop()


def test_slow_request_head_is_cut_off() -> None:
    s = ServerThread(read_timeout_s=0.3, keepalive_s=30)
    try:
        c = Client(s.port)
        c.send(b"GET /echo HTTP/1.1\r\nx-slow: ")
        assert c.closed()
        assert b"HTTP/1.1" not in c.buf
    finally:
        s.stop()


def test_http_10_closes_unless_keep_alive(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(b"GET /echo HTTP/1.0\r\n\r\n")
    status, headers, _ = c.json()
    assert status == 200 and headers["connection"] == "close"
    assert c.closed()
    k = Client(srv.port)
    for _ in range(3):
        k.send(b"GET /echo HTTP/1.0\r\nconnection: keep-alive\r\n\r\n")
        status, headers, _ = k.json()
        assert status == 200 and headers["connection"] == "keep-alive"
    k.close()


def test_connection_close_request_is_answered_then_closed(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(get("/echo", "connection: close\r\n") + get("/echo"))
    status, headers, _ = c.json()
    assert status == 200 and headers["connection"] == "close"
    assert c.closed()
    assert b"HTTP/1.1" not in c.buf  # the request after close is not answered


def test_errors_headers_and_head_requests_as_on_the_asgi_path(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(get("/boom"))
    assert c.json()[0:3:2] == (500, {"code": "INTERNAL", "message": "internal error"})
    c.send(get("/busy"))
    status, headers, body = c.json()
    assert status == 503 and headers["retry-after"] == "1" and body["code"] == "OVERLOADED"
    assert list(headers) == ["content-type", "content-length", "retry-after"]
    c.send(post("/orders", b"{not json"))
    assert c.json()[2]["code"] == "MALFORMED_JSON"
    c.send(post("/orders", b'{"price": "1"}'))
    assert c.json()[2]["code"] == "MISSING_FIELD"
    c.send(b"HEAD /echo HTTP/1.1\r\n\r\n" + get("/echo"))
    status, headers, body = c.response(head_only=True)
    assert status == 405 and int(headers["content-length"]) > 0 and body == b""
    assert c.json()[0] == 200  # framing intact after the body-less HEAD answer
    c.send(get("/a%20b"))
    assert c.json()[2]["message"] == "no route /a b"  # percent-decoded path, as uvicorn does
    c.close()


def test_forwarded_for_from_loopback_sets_client(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(get("/echo", "x-forwarded-for: 10.1.2.3, 127.0.0.1\r\n"))
    assert c.json()[2]["client"] == "10.1.2.3"
    c.send(get("/echo"))
    assert c.json()[2]["client"] == "127.0.0.1"
    c.close()


def test_expect_100_continue(srv: ServerThread) -> None:
    c = Client(srv.port)
    c.send(b"POST /echo HTTP/1.1\r\ncontent-length: 2\r\nexpect: 100-continue\r\n\r\n")
    assert c.response(head_only=True)[0] == 100
    c.send(b"hi")
    assert c.json()[2]["body"] == "hi"
    c.close()


def test_graceful_shutdown_finishes_in_flight_and_stops_accepting() -> None:
    s = ServerThread()
    busy, idle = Client(s.port), Client(s.port)
    idle.send(get("/echo"))
    assert idle.json()[0] == 200
    busy.send(get("/slow?ms=300&tag=last"))
    assert _until(lambda: s.server is not None and any(not c.idle for c in s.server.connections))
    s.stop()
    status, headers, body = busy.json()
    assert status == 200 and body["tag"] == "last" and headers["connection"] == "close"
    assert busy.closed() and idle.closed()
    with pytest.raises(OSError):
        Client(s.port, timeout=1.0).send(get("/echo"))
