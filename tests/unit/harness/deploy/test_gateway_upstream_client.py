"""The gateway's raw HTTP/1.1 upstream pool against real asyncio servers on 127.0.0.1:0."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest

from harness.deploy.upstream_client import UpstreamError, UpstreamPool

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
REQUEST = b"GET /x HTTP/1.1\r\nhost: t\r\n\r\n"


def pool(**overrides: float) -> UpstreamPool:
    settings = {"max_connections": 4, "connect_timeout": 1.0, "keepalive_timeout": 5.0, **overrides}
    return UpstreamPool(max_connections=int(settings["max_connections"]),
                        connect_timeout=settings["connect_timeout"],
                        keepalive_timeout=settings["keepalive_timeout"])


async def with_server(handler: Handler, use: Callable[[int], Awaitable[None]]) -> None:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        await use(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()


async def read_head(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)


def test_keep_alive_reuses_one_connection_for_sequential_requests() -> None:
    accepted = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        try:
            while True:
                await read_head(reader)
                writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            writer.close()

    async def use(port: int) -> None:
        p = pool()
        for _ in range(5):
            answer = await p.request("127.0.0.1", port, REQUEST, timeout=5)
            assert (answer.status, answer.body) == (201, b"ok")
            assert (b"x-a", b"1") in answer.headers
        p.close()

    asyncio.run(with_server(handler, use))
    assert len(accepted) == 1


def test_chunked_and_eof_delimited_bodies_are_read_whole() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_head(reader)
        if b"/chunked" in head:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil-eof")
        await writer.drain()
        writer.close()

    async def use(port: int) -> None:
        chunked = await pool().request("127.0.0.1", port, b"GET /chunked HTTP/1.1\r\n\r\n", timeout=5)
        assert chunked.body == b"abcde"
        eof = await pool().request("127.0.0.1", port, REQUEST, timeout=5)
        assert eof.body == b"until-eof"

    asyncio.run(with_server(handler, use))


def test_close_before_answer_is_failed_and_silence_is_timeout() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await read_head(reader)
        if b"/drop" in head:
            writer.close()
            return
        await asyncio.sleep(3)  # /slow: longer than the client's timeout
        writer.close()

    async def use(port: int) -> None:
        p = pool()
        with pytest.raises(UpstreamError) as dropped:
            await p.request("127.0.0.1", port, b"GET /drop HTTP/1.1\r\n\r\n", timeout=5)
        assert dropped.value.kind == "failed"
        with pytest.raises(UpstreamError) as slow:
            await p.request("127.0.0.1", port, b"GET /slow HTTP/1.1\r\n\r\n", timeout=0.2)
        assert slow.value.kind == "timeout"
        p.close()

    asyncio.run(with_server(handler, use))


def test_garbage_answer_is_failed() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_head(reader)
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)
        writer.close()

    async def use(port: int) -> None:
        with pytest.raises(UpstreamError) as info:
            await pool().request("127.0.0.1", port, REQUEST, timeout=5)
        assert info.value.kind == "failed"

    asyncio.run(with_server(handler, use))


def test_refused_connection_is_connect_kind() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()

    async def run() -> None:
        with pytest.raises(UpstreamError) as info:
            await pool().request("127.0.0.1", port, REQUEST, timeout=5)
        assert info.value.kind == "connect"

    asyncio.run(run())
