"""http_error: per-request errors over keep-alive, pipelining, bodies; seeded determinism."""

from __future__ import annotations

import http.client
import socket
import threading
import time
import urllib.request

from chaos.toxiproxy.client import ToxiproxyClient
from chaos.toxiproxy.launcher import ChaosProxyProcess

from .conftest import connect, recv_exactly


def statuses(port: int, count: int) -> list[int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    result = []
    for i in range(count):
        conn.request("GET", f"/r{i}")
        response = conn.getresponse()
        response.read()
        result.append(response.status)
    sock = conn.sock
    conn.close()
    assert sock is not None  # one connection served every request (keep-alive preserved)
    return result


def test_fraction_of_requests_fail_on_one_keepalive_connection(api, http_upstream, proxy_to):
    port, handler = http_upstream
    proxy = proxy_to(port)
    api.add_toxic(proxy.name, "http_error", {"rate": 0.3, "status": 503, "body": "{}"}, stream="upstream")
    conn = http.client.HTTPConnection("127.0.0.1", proxy.listen_port, timeout=5)
    codes = []
    for i in range(200):
        conn.request("POST", f"/o{i}", body=b"abc")
        response = conn.getresponse()
        body = response.read()
        codes.append(response.status)
        if response.status == 200:
            assert body == f"ok:/o{i}:abc".encode()
        else:
            assert body == b"{}"
    first_sock = conn.sock
    conn.request("GET", "/last")
    last = conn.getresponse()
    last.read()
    codes.append(last.status)
    assert conn.sock is first_sock
    conn.close()
    errors = codes.count(503)
    assert 30 <= errors <= 95
    assert set(codes) == {200, 503}
    assert handler.requests_seen == len(codes) - errors  # errored requests never reached upstream


def test_pipelined_requests_with_chunked_and_length_bodies(api, http_upstream, proxy_to):
    port, handler = http_upstream
    proxy = proxy_to(port)
    api.add_toxic(proxy.name, "http_error", {"rate": 1.0, "status": 429, "body": "slow"}, stream="upstream")
    with connect(proxy) as sock:
        sock.sendall(
            b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n"
            b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        data = b""
        while data.count(b"HTTP/1.1 429") < 3:
            part = sock.recv(4096)
            assert part
            data += part
    assert data.count(b"slow") == 3
    assert handler.requests_seen == 0


def test_rate_zero_forwards_everything_and_metrics_count_errors(api, chaos_server, http_upstream, proxy_to):
    port, handler = http_upstream
    proxy = proxy_to(port)
    api.add_toxic(proxy.name, "http_error", {"rate": 0.0}, stream="upstream", name="e")
    assert statuses(proxy.listen_port, 5) == [200] * 5
    api.update_toxic(proxy.name, "e", {"rate": 1.0, "status": 500})
    assert statuses(proxy.listen_port, 3) == [500] * 3
    text = urllib.request.urlopen(f"{chaos_server.url}/metrics", timeout=5).read().decode()
    assert f'chaos_proxy_http_errors_injected_total{{proxy="{proxy.name}",status="500"}} 3.0' in text


def _sequence(seed: int, upstream_port: int) -> tuple[list[int], list[int]]:
    with ChaosProxyProcess(seed=seed) as server, ToxiproxyClient(server.url) as api:
        proxy = api.create_proxy("det", f"127.0.0.1:{upstream_port}")
        api.add_toxic("det", "http_error", {"rate": 0.5}, stream="upstream")
        per_request = statuses(proxy.listen_port, 30)
        api.update_toxic("det", "http_error_upstream", {"rate": 1.0}, toxicity=0.5)
        per_connection = [statuses(proxy.listen_port, 1)[0] for _ in range(20)]
        return per_request, per_connection


def test_same_seed_same_rolls_different_seed_different(http_upstream):
    port, _ = http_upstream
    first = _sequence(42, port)
    again = _sequence(42, port)
    other = _sequence(43, port)
    assert first == again
    assert first != other
    assert 503 in first[0] and 200 in first[0]


class HeldUpstream:
    """Raw HTTP upstream on 127.0.0.1:0 that answers each request only when the test releases it."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.received = threading.Event()
        self.release = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                part = conn.recv(4096)
                if not part:
                    return
                data += part
            self.received.set()
            if self.release.wait(10):
                body = b"from upstream"
                conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                conn.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
                conn.recv(4096)  # hold the connection until the client is done

    def close(self) -> None:
        self.sock.close()


def read_responses(sock: socket.socket, count: int) -> list[int]:
    """Status codes of the next ``count`` responses (Content-Length or chunked bodies)."""
    reader = sock.makefile("rb")
    codes = []
    for _ in range(count):
        status = int(reader.readline().split()[1])
        headers = {}
        while (line := reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            while (size := int(reader.readline(), 16)) > 0:
                reader.read(size + 2)
            reader.readline()
        else:
            reader.read(int(headers.get("content-length", "0")))
        codes.append(status)
    return codes


def wait_for_injected(chaos_server, proxy_name: str, status: int) -> None:
    needle = f'chaos_proxy_http_errors_injected_total{{proxy="{proxy_name}",status="{status}"}} 1.0'
    for _ in range(500):
        if needle in urllib.request.urlopen(f"{chaos_server.url}/metrics", timeout=5).read().decode():
            return
        time.sleep(0.01)
    raise AssertionError("the injected response was never counted")


def test_injected_response_waits_behind_the_upstream_answer_owed_first(api, chaos_server, proxy_to):
    upstream = HeldUpstream()
    proxy = proxy_to(upstream.port)
    api.add_toxic(proxy.name, "http_error", {"rate": 0.0, "status": 503}, stream="upstream", name="e")
    try:
        with connect(proxy) as sock:
            sock.sendall(b"GET /forwarded HTTP/1.1\r\nHost: x\r\n\r\n")
            assert upstream.received.wait(10)
            api.update_toxic(proxy.name, "e", {"rate": 1.0})
            sock.sendall(b"GET /injected HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_for_injected(chaos_server, proxy.name, 503)
            upstream.release.set()
            assert read_responses(sock, 2) == [200, 503]  # in request order, not injected first
    finally:
        upstream.close()


def test_injected_response_goes_through_downstream_toxics(api, http_upstream, proxy_to):
    port, _ = http_upstream
    proxy = proxy_to(port)
    attrs = {"rate": 1.0, "status": 503, "body": "x" * 100}
    api.add_toxic(proxy.name, "http_error", attrs, stream="upstream")
    api.add_toxic(proxy.name, "limit_data", {"bytes": 12}, stream="downstream")
    with connect(proxy) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert recv_exactly(sock, 1000) == b"HTTP/1.1 503"  # cut by limit_data, then closed
    api.remove_toxic(proxy.name, "limit_data_downstream")
    api.add_toxic(proxy.name, "latency", {"latency": 300}, stream="downstream")
    with connect(proxy) as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_responses(sock, 1) == [503]
        assert time.monotonic() - started >= 0.28  # delayed like any downstream byte


def test_injected_close_is_delivered_after_owed_responses_then_closes(api, http_upstream, proxy_to):
    port, handler = http_upstream
    proxy = proxy_to(port)
    api.add_toxic(proxy.name, "http_error", {"rate": 1.0, "status": 500}, stream="upstream", name="e")
    with connect(proxy) as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = recv_exactly(sock, 100_000)  # until the proxy closes
    assert data.startswith(b"HTTP/1.1 500") and data.count(b"HTTP/1.1") == 1
    assert handler.requests_seen == 0


def test_pipelined_mix_of_forwarded_and_injected_answers_in_request_order(api, http_upstream, proxy_to):
    port, handler = http_upstream
    proxy = proxy_to(port)
    api.add_toxic(proxy.name, "http_error", {"rate": 0.5, "status": 503, "body": "{}"}, stream="upstream")
    count = 60
    with connect(proxy) as sock:
        sock.sendall(b"".join(b"GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(count)))
        reader = sock.makefile("rb")
        bodies = []
        for _ in range(count):
            status = int(reader.readline().split()[1])
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            bodies.append((status, reader.read(length)))
    forwarded = [i for i, (status, _) in enumerate(bodies) if status == 200]
    for i, (status, body) in enumerate(bodies):
        assert body == (f"ok:/r{i}:".encode() if status == 200 else b"{}")  # answer i is for request i
    assert 0 < len(forwarded) < count
    assert handler.requests_seen == len(forwarded)
