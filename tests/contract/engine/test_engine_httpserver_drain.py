"""SIGTERM with an order in flight, for either HTTP server: the order is answered 200, the process
exits 0, and the order is in the journal when the engine starts again."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.integration.engine.engine_proc import start_engine

_ORDER = {"account": "dr", "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "qty": "0.01",
          "price": "59000", "client_order_id": "drain-1"}


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, f"closed before an answer: {buf!r}"
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
                  if line.startswith(b"content-length:"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "closed inside the body"
        body += chunk
    return int(head.split()[1]), body


@pytest.mark.parametrize("server", ["builtin", "uvicorn"])
def test_sigterm_answers_the_order_in_flight_then_exits_0(tmp_path: Path, server: str) -> None:
    journal = tmp_path / "j.sqlite"
    e = start_engine(journal, "blue", "leader", "--http-server", server)
    try:
        e.set_index({"BTCUSDT": "60000"})
        with e.client() as c:
            funded = c.post("/v1/accounts/dr/deposits", json={"asset": "USDT", "amount": "10000"})
            assert funded.status_code == 200
            slow = c.put("/admin/failpoints/journal.append", json={"spec": "delay(600)"})
            assert slow.status_code == 200, slow.text
        host, port = e.url.removeprefix("http://").rsplit(":", 1)
        body = json.dumps(_ORDER).encode()
        with socket.create_connection((host, int(port)), timeout=15) as order:
            order.sendall(b"POST /v1/orders HTTP/1.1\r\ncontent-type: application/json\r\n"
                          b"content-length: %d\r\n\r\n%s" % (len(body), body))
            with e.client() as c:  # sent after the order: answered once the order is being sequenced
                assert c.get("/healthz").status_code == 200
            e.proc.terminate()
            status, answer = _read_response(order)
        assert status == 200 and json.loads(answer)["client_order_id"] == "drain-1"
        assert e.proc.wait(20) == 0
    finally:
        if e.proc.poll() is None:
            e.kill()
    again = start_engine(journal, "blue", "leader", "--http-server", server)
    try:
        with again.client() as c:
            got = c.get("/v1/orders/drain-1", params={"account": "dr"})
            assert got.status_code == 200 and got.json()["status"] == "NEW"
    finally:
        assert again.terminate() == 0
