"""Incremental HTTP/1.1 response framing (pure, no I/O): where each final response ends.

``ResponseFramer.feed(data)`` lazily splits ``data`` into segments ``(bytes, done)``; ``done`` is True when a
final (non-1xx) response ends exactly at the end of that segment. Every input byte appears in exactly
one segment, unchanged and in order (the framer never holds bytes back). Bodies are delimited by
Content-Length or chunked transfer coding; responses to HEAD and statuses 1xx/204/304 have none.
``method_of_next()`` (given by the caller) names the method of the request the next response
answers. Once responses cannot be delimited any more — a body read until close, a protocol switch
(101, CONNECT 2xx) or bytes that are not HTTP — ``delimited`` turns False for good.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum

from chaos.toxiproxy.toxics.http_headers import parse_framing_fields

MAX_HEAD = 64 * 1024
MAX_LINE = 8 * 1024


class _State(Enum):
    HEAD = 1
    BODY = 2
    CHUNK_SIZE = 3
    CHUNK_DATA = 4
    CHUNK_CRLF = 5
    TRAILER = 6
    UNTIL_CLOSE = 7  # no length: the response ends when the connection does
    RAW = 8  # not (or no longer) delimitable HTTP


Segment = tuple[bytes, bool]


class ResponseFramer:
    def __init__(self, method_of_next: Callable[[], str]) -> None:
        self._method_of_next = method_of_next
        self._state = _State.HEAD
        self._remaining = 0
        self._partial = b""  # incomplete head or line, kept only for parsing (already emitted)

    @property
    def delimited(self) -> bool:
        return self._state not in (_State.UNTIL_CLOSE, _State.RAW)

    @property
    def raw(self) -> bool:
        """The stream is not (or no longer) HTTP/1.1 responses: ordering cannot be kept."""
        return self._state is _State.RAW

    def feed(self, data: bytes) -> Iterator[Segment]:
        """Segments of ``data``, lazily: consume each before the next (it may ask ``method_of_next``)."""
        start = pos = 0
        size = len(data)
        while pos < size and self.delimited:
            state = self._state
            if state in (_State.BODY, _State.CHUNK_DATA, _State.CHUNK_CRLF):
                take = min(self._remaining, size - pos)
                pos += take
                self._remaining -= take
                if self._remaining:
                    continue
                if state is _State.BODY:
                    yield data[start:pos], True
                    start = pos
                    self._state = _State.HEAD
                elif state is _State.CHUNK_DATA:
                    self._state, self._remaining = _State.CHUNK_CRLF, 2
                else:
                    self._state = _State.CHUNK_SIZE
                continue
            sep = b"\r\n\r\n" if state is _State.HEAD else b"\r\n"
            piece, pos = self._take_until(data, pos, sep, MAX_HEAD if state is _State.HEAD else MAX_LINE)
            if piece is None:
                continue
            if state is _State.HEAD:
                done = self._on_head(piece)
            elif state is _State.TRAILER:
                done = piece == b""
                if done:
                    self._state = _State.HEAD
            else:
                done = self._on_chunk_size(piece)
            if done:
                yield data[start:pos], True
                start = pos
        if start < size:
            yield data[start:], False

    def _take_until(self, data: bytes, pos: int, sep: bytes, limit: int) -> tuple[bytes | None, int]:
        """The text up to ``sep`` (excluded) across feeds, and the position after it; None if incomplete.

        Without a held partial line the search runs in ``data`` itself (no copy per line).
        """
        if not self._partial:
            end = data.find(sep, pos)
            if end >= 0:
                return data[pos:end], end + len(sep)
            joined = data[pos:]
        else:
            held = len(self._partial)
            joined = self._partial + data[pos:]
            end = joined.find(sep)
            if end >= 0:
                self._partial = b""
                return joined[:end], pos + end + len(sep) - held
        if len(joined) > limit:
            self._state = _State.RAW
        self._partial = joined
        return None, len(data)

    def _on_head(self, head: bytes) -> bool:
        parsed = _parse_status_head(head)
        if parsed is None:
            self._state = _State.RAW
            return False
        status, length, chunked = parsed
        if 100 <= status < 200:
            if status == 101:
                self._state = _State.RAW  # protocol switched: no more HTTP/1.1 responses
            return False  # interim response: the final one follows
        method = self._method_of_next()
        if method == "HEAD" or status in (204, 304):
            return True
        if method == "CONNECT" and 200 <= status < 300:
            self._state = _State.RAW  # tunnel established
            return False
        if chunked:
            self._state = _State.CHUNK_SIZE
            return False
        if length is None:
            self._state = _State.UNTIL_CLOSE
            return False
        if length == 0:
            return True
        self._state, self._remaining = _State.BODY, length
        return False

    def _on_chunk_size(self, line: bytes) -> bool:
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            self._state = _State.RAW
            return False
        if size == 0:
            self._state = _State.TRAILER
        else:
            self._state, self._remaining = _State.CHUNK_DATA, size
        return False


def _parse_status_head(raw: bytes) -> tuple[int, int | None, bool] | None:
    """(status, Content-Length or None, chunked) of a response head, None if it is not HTTP/1.x."""
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        return None
    if not (len(parts[1]) == 3 and parts[1].isdigit()):
        return None
    fields = parse_framing_fields(lines[1:])
    if fields is None:
        return None
    length, chunked = fields.content_length, fields.chunked
    return int(parts[1]), (None if chunked else length), chunked
