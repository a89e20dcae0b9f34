"""HTTP/1.1 wire pieces for the built-in server: status lines, one-buffer responses, client address.

Pure functions, no I/O. A response is rendered into one ``bytes`` (status line, headers, body) so
the connection writes it with a single ``transport.write``. Headers are those the ASGI path sends
(``content-type``, ``content-length``, then the reply's extra headers, names lower-cased), minus
uvicorn's ``server`` and ``date``.
"""

from __future__ import annotations

import http
import re
from dataclasses import dataclass
from enum import Enum

import orjson

from target_engine.service.asgi import Reply


def _status_line(code: int) -> bytes:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {code} {phrase}\r\n".encode()


STATUS_LINE: dict[int, bytes] = {code: _status_line(code) for code in range(100, 600)}
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_UNSAFE_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_UNSAFE_NAME = re.compile(r'[\x00-\x20\x7f()<>@,;:\\\[\]={}"/?]')


class Close(Enum):
    """What the connection does after a response."""

    KEEP = "keep"  # HTTP/1.1 default: keep the connection open
    KEEP_10 = "keep_10"  # HTTP/1.0 with Connection: keep-alive (answered with the same header)
    CLOSE = "close"  # answered with Connection: close, then closed


_CONNECTION = {Close.KEEP: b"", Close.KEEP_10: b"connection: keep-alive\r\n",
               Close.CLOSE: b"connection: close\r\n"}


def render(reply: Reply, close: Close, head_only: bool = False) -> bytes:
    """The whole response as one buffer. Unsafe extra header names/values (CR, LF) are dropped."""
    status, ctype, body, extra = reply
    status_line = STATUS_LINE.get(status) or _status_line(status)
    more = b""
    if extra:
        more = b"".join(f"{k.lower()}: {v}\r\n".encode("latin-1") for k, v in extra.items()
                        if not _UNSAFE_NAME.search(k) and not _UNSAFE_VALUE.search(v))
    return b"%scontent-type: %s\r\ncontent-length: %d\r\n%s%s\r\n%s" % (
        status_line, ctype, len(body), more, _CONNECTION[close], b"" if head_only else body)


@dataclass(frozen=True)
class WireError:
    """A request refused by the server itself (before the request core): status, code, message."""

    status: int
    code: str
    message: str

    def reply(self) -> Reply:
        body = orjson.dumps({"code": self.code, "message": self.message})
        return self.status, b"application/json", body, {}


MALFORMED = WireError(400, "BAD_REQUEST", "malformed HTTP request")
UPGRADE = WireError(400, "BAD_REQUEST", "protocol upgrade and CONNECT are not supported")
HEAD_TOO_LARGE = WireError(431, "BAD_REQUEST", "request line and headers too large")


def forwarded_client(peer: str, header: str | None, trusted: frozenset[str]) -> str:
    """The client address as uvicorn's ProxyHeadersMiddleware sees it (default trust: 127.0.0.1).

    From a trusted peer, X-Forwarded-For's rightmost untrusted host (its leftmost when all are
    trusted); otherwise the peer itself.
    """
    if header is None or peer not in trusted:
        return peer
    hosts = [_strip_port(h.strip()) for h in header.split(",")]
    for host in reversed(hosts):
        if host not in trusted:
            return host
    return hosts[0] or peer


def _strip_port(value: str) -> str:
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        host, port = value.rsplit(":", 1)
        if port.isdigit():
            return host
    return value
