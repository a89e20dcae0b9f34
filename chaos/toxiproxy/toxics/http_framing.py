"""Incremental HTTP/1.1 request framing (pure, no I/O) for the http_error toxic.

``RequestFramer.feed(data)`` returns events in order: ``("head", bytes, RequestHead)`` when a request
head is complete, ``("body", bytes)`` for body bytes of the current request, ``("end",)`` when that
request is complete, and ``("raw", bytes)`` once the stream stopped looking like HTTP (everything
after is passed through). Bodies are framed by Content-Length or chunked transfer coding; pipelined
requests in one read are split correctly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from chaos.toxiproxy.toxics.http_headers import parse_framing_fields

MAX_HEAD = 64 * 1024
MAX_LINE = 8 * 1024


@dataclass(frozen=True)
class RequestHead:
    method: str
    target: str
    version: str
    close: bool  # the client asked to close after this request


class _State(Enum):
    HEAD = 1
    BODY = 2
    CHUNK_SIZE = 3
    CHUNK_DATA = 4
    CHUNK_CRLF = 5
    TRAILER = 6
    RAW = 7


Event = tuple[object, ...]
_CRLF = b"\r\n"


class RequestFramer:
    """Splits a request stream into events; state carries over between ``feed`` calls.

    Parsing walks an offset through the bytes of one ``feed`` (no re-slicing of the remainder per
    message), so a read holding N pipelined requests costs O(total bytes), not O(N * bytes); only an
    incomplete tail is kept (one slice) for the next call.
    """

    def __init__(self) -> None:
        self._buf = b""
        self._state = _State.HEAD
        self._remaining = 0

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        buf = self._buf + data if self._buf else bytes(data)
        self._buf = b""
        pos = 0
        size = len(buf)
        while pos < size:
            state = self._state
            if state is _State.RAW:
                events.append(("raw", buf[pos:]))
                return events
            if state is _State.HEAD:
                while pos < size and buf[pos] in _CRLF:  # stray CRLF between requests is dropped
                    pos += 1
                if pos == size:
                    break
                end = buf.find(b"\r\n\r\n", pos)
                if end < 0:
                    if size - pos > MAX_HEAD:
                        self._state = _State.RAW
                        continue
                    self._buf = buf[pos:]
                    return events
                raw_head = buf[pos : end + 4]
                parsed = _parse_head(raw_head)
                if parsed is None:
                    self._state = _State.RAW  # pos unchanged: the head goes out raw too
                    continue
                pos = end + 4
                head, length, chunked = parsed
                events.append(("head", raw_head, head))
                if chunked:
                    self._state = _State.CHUNK_SIZE
                elif length > 0:
                    self._state, self._remaining = _State.BODY, length
                else:
                    events.append(("end",))
            elif state in (_State.BODY, _State.CHUNK_DATA, _State.CHUNK_CRLF):
                stop = min(size, pos + self._remaining)
                events.append(("body", buf[pos:stop]))
                self._remaining -= stop - pos
                pos = stop
                if self._remaining == 0:
                    if state is _State.BODY:
                        self._state = _State.HEAD
                        events.append(("end",))
                    elif state is _State.CHUNK_DATA:
                        self._state, self._remaining = _State.CHUNK_CRLF, 2
                    else:
                        self._state = _State.CHUNK_SIZE
            else:  # CHUNK_SIZE or TRAILER: line based
                nl = buf.find(b"\r\n", pos)
                if nl < 0:
                    if size - pos > MAX_LINE:
                        self._state = _State.RAW
                        continue
                    self._buf = buf[pos:]
                    return events
                line = buf[pos:nl]
                events.append(("body", buf[pos : nl + 2]))
                pos = nl + 2
                if state is _State.TRAILER:
                    if not line:
                        self._state = _State.HEAD
                        events.append(("end",))
                    continue
                try:
                    chunk_size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    self._state = _State.RAW
                    continue
                if chunk_size == 0:
                    self._state = _State.TRAILER
                else:
                    self._state, self._remaining = _State.CHUNK_DATA, chunk_size
        return events


def _parse_head(raw: bytes) -> tuple[RequestHead, int, bool] | None:
    try:
        text = raw.decode("latin-1")
    except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes everything
        return None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        return None
    fields = parse_framing_fields(lines[1:])
    if fields is None:
        return None
    length, chunked, connection = fields.content_length or 0, fields.chunked, fields.connection
    version = parts[2]
    close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    return RequestHead(parts[0], parts[1], version, close), (0 if chunked else length), chunked
