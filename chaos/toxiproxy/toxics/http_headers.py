"""The header fields that frame an HTTP/1.1 message, shared by the request and response framers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FramingFields:
    """What the headers say about where the body ends (and whether the connection closes)."""

    content_length: int | None
    chunked: bool
    connection: str


def parse_framing_fields(header_lines: list[str]) -> FramingFields | None:
    """Content-Length, chunked Transfer-Encoding and Connection from header lines; None if malformed.

    A line without a colon or a Content-Length that is not a plain number makes the message
    unframeable: the caller then stops interpreting the stream and passes bytes through raw.
    """
    length: int | None = None
    chunked = False
    connection = ""
    for line in header_lines:
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
    return FramingFields(length, chunked, connection)
