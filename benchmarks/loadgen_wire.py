"""Wire format of the HTTP load generator: pre-built ``POST /v1/orders`` requests and an
incremental HTTP/1.1 response framer (benchmark code, no I/O).

The framer handles keep-alive and pipelined responses split anywhere across reads; it frames by
Content-Length only (the engine's servers always send it) and raises ProtocolError on anything
else, so a benchmark fails loudly instead of miscounting.
"""

from __future__ import annotations

import random

ACCOUNTS = 200


class ProtocolError(Exception):
    """The server's bytes are not an HTTP/1.1 response this framer understands."""


def _parse_head(head: bytes) -> tuple[int, int]:
    """(status, body length) from a response head (status line + headers, no final CRLFCRLF)."""
    if not head.startswith(b"HTTP/1.") or len(head) < 12:
        raise ProtocolError(f"bad status line: {head[:40]!r}")
    try:
        status = int(head[9:12])
    except ValueError:
        raise ProtocolError(f"bad status line: {head[:40]!r}") from None
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at < 0:
        if status in (204, 304) or status < 200:
            return status, 0
        raise ProtocolError(f"response {status} without Content-Length (chunked is not supported)")
    end = lower.find(b"\r\n", at + 2)
    value = lower[at + 17 : end if end >= 0 else len(lower)].strip()
    if not value.isdigit():
        raise ProtocolError(f"bad Content-Length: {value!r}")
    return status, int(value)


class ResponseParser:
    """Incremental response framer: ``feed`` bytes as they arrive (split anywhere, several
    keep-alive or pipelined responses per read) and get the status of each complete response."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._status = 0
        self._body_left = -1  # -1: waiting for a head

    def feed(self, data: bytes) -> list[int]:
        buf = self._buf
        buf += data
        done: list[int] = []
        pos = 0
        while True:
            if self._body_left < 0:
                end = buf.find(b"\r\n\r\n", pos)
                if end < 0:
                    break
                self._status, self._body_left = _parse_head(bytes(buf[pos:end]))
                pos = end + 4
            if len(buf) - pos < self._body_left:
                break
            pos += self._body_left
            self._body_left = -1
            if self._status >= 200:  # an interim 1xx is not the answer
                done.append(self._status)
        del buf[:pos]
        return done


class OrderRequests:
    """Pre-built ``POST /v1/orders`` requests: body prefixes (account, side, price within 200 USDT
    of 60,000: about half cross) drawn once from ``seed``; request n gets client_order_id c<start+n>."""

    def __init__(self, host: str, seed: int, start_id: int, pool: int = 4096) -> None:
        rng = random.Random(seed)
        self._prefixes = [
            b'{"account":"b%d","symbol":"BTCUSDT","side":"%s","type":"LIMIT","qty":"0.002",'
            b'"price":"%d","time_in_force":"GTC","client_order_id":"c'
            % (
                rng.randrange(ACCOUNTS),
                b"BUY" if rng.random() < 0.5 else b"SELL",
                60_000 + rng.randint(-20, 20) * 10,
            )
            for _ in range(pool)
        ]
        self._head = (
            b"POST /v1/orders HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
            b"content-length: " % host.encode()
        )
        self._start = start_id

    def build(self, n: int) -> bytes:
        body = self._prefixes[n % len(self._prefixes)] + b'%d"}' % (self._start + n)
        return self._head + b"%d\r\n\r\n" % len(body) + body
