"""A trivial HTTP/1.1 server: the load generator's own capacity, and a reference server (benchmark code).

Answers every request (keep-alive, pipelined) with a fixed ``200 {}``. With no work it does nothing
else, so a closed loop against it measures how many requests/s one generator process can drive and
at what CPU cost. With ``--work-iters N`` it runs a fixed Python loop of N iterations per request
before answering: a server whose every request costs the same CPU, with no batching and nothing
that gets cheaper under load. The same open and closed loops against it show what this host alone
does to p99 at 80 % of a maximum (the engine's figure), since such a server has no reason of its
own to be slower in an open loop. Binds 127.0.0.1 on an ephemeral port and prints ``LISTENING
<url>``; optional ``--cpu N`` pins it. Bad framing from a client closes that connection; SIGTERM
ends the process. Usage: python benchmarks/loadgen_sink.py [--cpu N] [--work-iters N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import cast

RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


def work(iterations: int) -> int:
    """A fixed amount of CPU work (the same bytecode every time, no allocation that grows)."""
    total = 0
    for i in range(iterations):
        total += i * i
    return total


class Sink(asyncio.Protocol):
    """Frames requests by Content-Length and answers each one, in order, after ``work_iters`` of work."""

    work_iters = 0  # set once by ``serve`` (the protocol factory takes no arguments)

    def __init__(self) -> None:
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        buf, answered = self.buf + data, 0
        while (end := buf.find(b"\r\n\r\n")) >= 0:
            head = buf[:end].lower()
            at = head.find(b"\r\ncontent-length:")
            try:
                length = int(head[at + 17 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
            except ValueError:
                self.transport.close()
                return
            if len(buf) < end + 4 + length:
                break
            buf = buf[end + 4 + length :]
            answered += 1
            if self.work_iters:
                work(self.work_iters)
        self.buf = buf
        if answered:
            self.transport.write(RESPONSE * answered)


async def serve(work_iters: int = 0) -> None:
    Sink.work_iters = work_iters
    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", 0)
    print(f"LISTENING http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--cpu", type=int, help="pin to this CPU")
    parser.add_argument("--work-iters", type=int, default=0,
                        help="iterations of a fixed Python loop per request before answering (default 0)")
    args = parser.parse_args()
    if args.work_iters < 0:
        parser.error(f"--work-iters must be 0 or more, not {args.work_iters}")
    if args.cpu is not None:
        try:
            os.sched_setaffinity(0, {args.cpu})
        except OSError as exc:
            parser.error(f"cannot run on CPU {args.cpu}: {exc.strerror}")
    import uvloop

    uvloop.run(serve(args.work_iters))


if __name__ == "__main__":
    main()
