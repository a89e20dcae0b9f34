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


class RequestFramer:
    def __init__(self) -> None:
        self._buf = b""
        self._state = _State.HEAD
        self._remaining = 0

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        buf = self._buf + data
        self._buf = b""
        while buf:
            state = self._state
            if state is _State.RAW:
                events.append(("raw", buf))
                return events
            if state is _State.HEAD:
                buf = buf.lstrip(b"\r\n")
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEAD:
                        self._state = _State.RAW
                        continue
                    self._buf = buf
                    return events
                raw_head, buf = buf[: end + 4], buf[end + 4 :]
                parsed = _parse_head(raw_head)
                if parsed is None:
                    self._state = _State.RAW
                    buf = raw_head + buf
                    continue
                head, length, chunked = parsed
                events.append(("head", raw_head, head))
                if chunked:
                    self._state = _State.CHUNK_SIZE
                elif length > 0:
                    self._state, self._remaining = _State.BODY, length
                else:
                    events.append(("end",))
            elif state in (_State.BODY, _State.CHUNK_DATA):
                take = buf[: self._remaining]
                buf = buf[len(take) :]
                self._remaining -= len(take)
                events.append(("body", take))
                if self._remaining == 0:
                    if state is _State.BODY:
                        self._state = _State.HEAD
                        events.append(("end",))
                    else:
                        self._state, self._remaining = _State.CHUNK_CRLF, 2
            elif state is _State.CHUNK_CRLF:
                take = buf[: self._remaining]
                buf = buf[len(take) :]
                self._remaining -= len(take)
                events.append(("body", take))
                if self._remaining == 0:
                    self._state = _State.CHUNK_SIZE
            else:  # CHUNK_SIZE or TRAILER: line based
                nl = buf.find(b"\r\n")
                if nl < 0:
                    if len(buf) > MAX_LINE:
                        self._state = _State.RAW
                        continue
                    self._buf = buf
                    return events
                line, buf = buf[:nl], buf[nl + 2 :]
                events.append(("body", line + b"\r\n"))
                if state is _State.TRAILER:
                    if not line:
                        self._state = _State.HEAD
                        events.append(("end",))
                    continue
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    self._state = _State.RAW
                    continue
                if size == 0:
                    self._state = _State.TRAILER
                else:
                    self._state, self._remaining = _State.CHUNK_DATA, size
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
    length = 0
    chunked = False
    connection = ""
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            return None
        key = name.strip().lower()
        value = value.strip()
        if key == "content-length":
            if not value.isdigit():
                return None
            length = int(value)
        elif key == "transfer-encoding":
            chunked = value.lower().endswith("chunked")
        elif key == "connection":
            connection = value.lower()
    version = parts[2]
    close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    return RequestHead(parts[0], parts[1], version, close), (0 if chunked else length), chunked
