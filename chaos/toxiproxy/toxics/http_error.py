"""http_error (beyond Toxiproxy): answer a ``rate`` fraction of HTTP requests with ``status``/``body``.

Runs on the upstream stream. Requests are framed with ``RequestFramer``; for each request the
connection's seeded RNG decides whether it is answered by the proxy (the request is not forwarded)
or passed on. The injected response carries Content-Length and keeps the connection alive unless
the request asked to close. It is queued behind the upstream's responses to requests forwarded
before it and goes through the downstream toxics (see chaos.toxiproxy.response_order). A stream
that is not HTTP/1.x is passed through untouched.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from chaos.toxiproxy.toxics.base import Chunk, Emit, LinkContext, Stage
from chaos.toxiproxy.toxics.http_framing import RequestFramer, RequestHead
from chaos.toxiproxy.toxics.schema import Attr, AttrKind, ToxicSchema

SCHEMA = ToxicSchema(
    "http_error",
    (
        Attr("status", AttrKind.INT, 503, minimum=100, maximum=599),
        Attr("rate", AttrKind.FLOAT, 1.0, minimum=0, maximum=1),
        Attr("body", AttrKind.STR, ""),
        Attr("content_type", AttrKind.STR, "application/json", max_length=256),
    ),
    description="answer a rate fraction of HTTP requests with status and body (upstream stream)",
)


def render_response(status: int, body: bytes, content_type: str, close: bool) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Injected"
    headers = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Length: {len(body)}",
        f"Content-Type: {content_type}",
        "X-Chaos-Proxy: http_error",
        "Connection: close" if close else "Connection: keep-alive",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + body


class HttpErrorStage(Stage):
    def __init__(self, toxic: Any, ctx: LinkContext) -> None:
        super().__init__(toxic, ctx)
        self._framer = RequestFramer()
        self._dropping = False
        self._head: RequestHead | None = None

    async def on_chunk(self, chunk: Chunk, emit: Emit) -> None:
        out: list[bytes] = []
        for event in self._framer.feed(chunk.data):
            kind = event[0]
            if kind == "head":
                self._head = event[2]  # type: ignore[assignment]
                self._dropping = self.ctx.rng.random() < float(self.attrs.get("rate", 1.0))
                if not self._dropping:
                    self.ctx.request_forwarded(self._head.method)  # type: ignore[union-attr]
                    out.append(event[1])  # type: ignore[arg-type]
            elif kind == "body":
                if not self._dropping:
                    out.append(event[1])  # type: ignore[arg-type]
            elif kind == "end":
                if self._dropping:
                    await self._flush(out, chunk, emit)
                    out = []
                    self._inject()
                self._dropping = False
            else:  # raw: not HTTP, pass through
                out.append(event[1])  # type: ignore[arg-type]
        await self._flush(out, chunk, emit)

    async def _flush(self, out: list[bytes], chunk: Chunk, emit: Emit) -> None:
        if out:
            piece = Chunk(b"".join(out), chunk.arrival)
            piece.due = chunk.due
            await emit(piece)

    def _inject(self) -> None:
        status = int(self.attrs.get("status", 503))
        body = str(self.attrs.get("body", "")).encode()
        close = self._head.close if self._head is not None else False
        content_type = str(self.attrs.get("content_type", "application/json"))
        self.ctx.reply_to_client(render_response(status, body, content_type, close), close=close)
        self.ctx.count_http_error(status)
