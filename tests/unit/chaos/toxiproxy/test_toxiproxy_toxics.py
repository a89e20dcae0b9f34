"""Every toxic's behaviour through a real chaos-proxy process and real sockets."""

from __future__ import annotations

import socket
import time

import pytest

from .conftest import connect, recv_exactly


def roundtrip(sock: socket.socket, payload: bytes = b"ping") -> tuple[bytes, float]:
    start = time.perf_counter()
    sock.sendall(payload)
    data = recv_exactly(sock, len(payload))
    return data, time.perf_counter() - start


def test_no_toxic_passes_bytes_both_ways(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    payload = bytes(range(256)) * 4096  # 1 MiB
    with connect(proxy) as sock:
        sock.sendall(payload[:65536])
        assert recv_exactly(sock, 65536) == payload[:65536]
        sock.sendall(payload)
        assert recv_exactly(sock, len(payload)) == payload


def test_latency_delays_each_chunk_at_least_the_latency(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "latency", {"latency": 50})
    with connect(proxy) as sock:
        data, elapsed = roundtrip(sock)
    assert data == b"ping"
    assert elapsed >= 0.045


def test_latency_applies_live_to_an_open_connection_and_removal_flushes(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    with connect(proxy) as sock:
        assert roundtrip(sock)[0] == b"ping"
        api.add_toxic(proxy.name, "latency", {"latency": 60}, stream="upstream")
        data, elapsed = roundtrip(sock)
        assert data == b"ping" and elapsed >= 0.055
        api.update_toxic(proxy.name, "latency_upstream", {"latency": 30000})
        sock.sendall(b"held")
        time.sleep(0.05)
        api.remove_toxic(proxy.name, "latency_upstream")  # the held chunk is flushed at once
        assert recv_exactly(sock, 4) == b"held"


def test_two_latency_toxics_add_up(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "latency", {"latency": 40}, name="a")
    api.add_toxic(proxy.name, "latency", {"latency": 40}, name="b", stream="upstream")
    with connect(proxy) as sock:
        _, elapsed = roundtrip(sock)
    assert elapsed >= 0.075


def test_bandwidth_limits_throughput(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "bandwidth", {"rate": 100})  # 100 KB/s downstream
    with connect(proxy) as sock:
        payload = b"x" * 50_000
        data, elapsed = roundtrip(sock, payload)
    assert data == payload
    assert elapsed >= 0.4


def test_slow_close_delays_the_close(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "slow_close", {"delay": 200})
    with connect(proxy) as sock:
        assert roundtrip(sock)[0] == b"ping"
        start = time.perf_counter()
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(10) == b""
        assert time.perf_counter() - start >= 0.19


def test_timeout_drops_data_and_closes_after_silence(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "timeout", {"timeout": 100}, stream="upstream")
    with connect(proxy) as sock:
        start = time.perf_counter()
        sock.sendall(b"lost")
        assert sock.recv(10) == b""  # closed, and nothing was echoed
        assert time.perf_counter() - start >= 0.09


def test_timeout_zero_is_a_black_hole_until_removed(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "timeout", {"timeout": 0}, stream="upstream")
    with connect(proxy, timeout=0.3) as sock:
        sock.sendall(b"lost")
        with pytest.raises(TimeoutError):
            sock.recv(10)
        sock.settimeout(5)
        api.remove_toxic(proxy.name, "timeout_upstream")  # removing it closes its connections
        assert sock.recv(10) == b""


def test_reset_peer_sends_rst(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "reset_peer", {"timeout": 20}, stream="upstream")
    with connect(proxy) as sock:
        sock.sendall(b"boom")
        with pytest.raises(ConnectionResetError):
            sock.recv(10)


def test_reset_peer_at_toxicity_zero_never_resets(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "reset_peer", {"timeout": 0}, stream="upstream", toxicity=0.0)
    for _ in range(5):
        with connect(proxy) as sock:
            assert roundtrip(sock)[0] == b"ping"


def test_slicer_splits_into_small_delayed_pieces(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "slicer", {"average_size": 10, "size_variation": 0, "delay": 20_000})
    payload = bytes(range(100))
    with connect(proxy) as sock:
        sock.sendall(payload)
        pieces = []
        while sum(map(len, pieces)) < len(payload):
            pieces.append(sock.recv(1000))
            assert pieces[-1]
    assert b"".join(pieces) == payload
    assert len(pieces) >= 2
    assert max(map(len, pieces)) < len(payload)


def test_limit_data_closes_after_the_limit(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "limit_data", {"bytes": 10})
    with connect(proxy) as sock:
        sock.sendall(b"a" * 100)
        data = recv_exactly(sock, 100)
    assert data == b"a" * 10


def test_noop_passes_through(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "noop", {})
    with connect(proxy) as sock:
        assert roundtrip(sock, b"abc")[0] == b"abc"


def test_disable_closes_connections_and_listener_then_reenable(api, echo, proxy_to):
    proxy = proxy_to(echo.port)
    with connect(proxy) as sock:
        assert roundtrip(sock)[0] == b"ping"
        api.update_proxy(proxy.name, enabled=False)
        assert sock.recv(10) == b""
    with pytest.raises(ConnectionRefusedError):
        connect(proxy)
    api.update_proxy(proxy.name, enabled=True)
    with connect(proxy) as sock:
        assert roundtrip(sock)[0] == b"ping"


def test_failed_upstream_dial_closes_the_client(api, proxy_to):
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()
    proxy = proxy_to(port)
    with connect(proxy) as sock:
        try:
            assert sock.recv(10) == b""
        except ConnectionResetError:
            pass
    assert api.proxy(proxy.name).enabled


def test_metrics_move_while_the_connection_is_open(api, chaos_server, echo, proxy_to):
    import urllib.request

    proxy = proxy_to(echo.port)
    with connect(proxy) as sock:
        assert roundtrip(sock, b"x" * 1000)[0] == b"x" * 1000
        text = urllib.request.urlopen(f"{chaos_server.url}/metrics", timeout=5).read().decode()
    lines = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert lines[f'chaos_proxy_bytes_total{{direction="upstream",proxy="{proxy.name}"}}'] >= 1000
    assert lines[f'chaos_proxy_bytes_total{{direction="downstream",proxy="{proxy.name}"}}'] >= 1000
    assert lines[f'chaos_proxy_connections_open{{proxy="{proxy.name}"}}'] == 1
    assert lines[f'chaos_proxy_connections_total{{proxy="{proxy.name}"}}'] == 1
    assert lines[f'chaos_proxy_enabled{{proxy="{proxy.name}"}}'] == 1


@pytest.mark.parametrize("extra_noop", [False, True])
def test_bulk_data_through_latency_keeps_order_and_bytes(api, echo, proxy_to, extra_noop):
    import threading

    proxy = proxy_to(echo.port)
    api.add_toxic(proxy.name, "latency", {"latency": 20, "jitter": 10}, stream="upstream")
    if extra_noop:  # forces the general pipeline instead of the timer path
        api.add_toxic(proxy.name, "noop", {}, stream="upstream")
    payload = bytes(range(251)) * 40_000  # ~10 MB, larger than the backlog limit
    with connect(proxy, timeout=30) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        received = recv_exactly(sock, len(payload))
        sender.join(30)
    assert received == payload
